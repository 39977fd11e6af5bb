"""The ToAPIs simulator's records, error type and response bodies (shapes: see ``__init__``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from aiohttp import web

from sandbox.common import AssetOutcome, VideoOutcome
from sandbox.helpers import Json
from sandbox.records import Seedance

PREFIX = "/v1/videos/doubao-seedance-2-0"
VIDEO_PATHS = ("/v1/videos/generations", "/v1/video/generations")
PASSED_CODE = "10000"
DEFAULT_FAILED_CODE = "20001"  # any code but 10000 means "not passed"; the real ones: NOT FOUND


@dataclass
class VerifyTask:
    task_id: str
    account: str
    biz_id: str | None
    callback_url: str | None
    locale: str
    created_at: float
    ready_at: float  # the upstream session exists (status completed, link shown) from here
    link_token: str
    byted_token: str
    expires_at: float
    result_code: str | None = None  # 10000 = passed; set when the person finished the H5 page
    decided_at: float | None = None
    group_id: str | None = None  # set once the passed session is bound to a group


@dataclass
class AvatarGroup:
    group_id: str
    account: str
    kind: Literal["real", "virtual"]
    name: str | None
    description: str | None
    created_at: float
    task_id: str | None = None


@dataclass
class Asset:
    asset_id: str
    account: str
    group_id: str
    name: str | None
    source_url: str
    created_at: float
    outcome: AssetOutcome  # the fetch problem, if any, is folded in as a Failed outcome
    status: str = "processing"  # processing | active | failed
    updated_at: float = 0.0
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass
class VideoTask(Seedance):
    task_id: str
    account: str
    references: list[tuple[str, str]]  # (url, role) as sent
    asset_ids: list[str]
    created_at: float
    outcome: VideoOutcome
    status: str = "submitted"  # submitted | queued | in_progress | completed | failed
    completed_at: float | None = None
    # (time, status seen) of every status poll: compared with ToAPIs' suggested pace.
    polls: list[tuple[float, str]] = field(default_factory=list)


def new_task_id() -> str:
    return "task_" + secrets.token_hex(13).upper()


def new_group_id(now: float) -> str:
    return f"group-{_stamp(now)}-{secrets.token_hex(3)[:5]}"


def new_asset_id(now: float) -> str:
    return f"asset-{_stamp(now)}-{secrets.token_hex(3)[:5]}"


def _stamp(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y%m%d%H%M%S")


def wrapped(data: object) -> web.Response:
    return web.json_response({"success": True, "message": "", "data": data})


def wrapped_error(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    body: Json = {"success": False, "message": message, "data": None}
    if code:
        body["code"] = code
    return web.json_response(body, status=status, headers=headers)


def video_error(status: int, message: str, code: str | None) -> web.Response:
    code = code or {400: "InvalidParameter", 401: "invalid_api_key", 404: "NotFound"}.get(
        status, "error"
    )
    kind = "authentication_error" if status == 401 else "invalid_request_error"
    return web.json_response(
        {"error": {"code": code, "message": message, "type": kind}}, status=status
    )


def task_json(task: VerifyTask, origin: str, now: float) -> Json:
    ready = now >= task.ready_at
    return {
        "task_id": task.task_id,
        "status": "completed" if ready else "in_progress",
        "biz_id": task.biz_id,
        "locale": task.locale,
        "callback_url": task.callback_url,
        "h5_link": f"{origin}/h5/{task.link_token}" if ready else None,
        "byted_token": task.byted_token if ready else None,
        "expires_at": int(task.expires_at) if ready else None,
        "created_at": int(task.created_at),
    }


def result_json(task: VerifyTask, now: float) -> Json:
    if task.group_id is not None:
        status = "verified"
    elif task.result_code == PASSED_CODE:
        status = "processing"  # passed; the group is being bound
    elif task.result_code is not None:
        status = "failed"
    else:
        status = "expired" if now >= task.expires_at else "pending"
    return {
        "task_id": task.task_id,
        "status": status,
        "result_code": task.result_code,
        "group_id": task.group_id,
    }


def group_json(group: AvatarGroup) -> Json:
    return {
        "group_id": group.group_id,
        "name": group.name,
        "description": group.description,
        "group_type": group.kind,
        "status": "active",
        "created_at": int(group.created_at),
    }


def asset_json(asset: Asset) -> Json:
    failed = asset.status == "failed"
    return {
        "asset_id": asset.asset_id,
        "group_id": asset.group_id,
        "asset_type": "image",
        "name": asset.name,
        "source_url": asset.source_url,
        "status": asset.status,
        "error": asset.outcome.error() if failed else None,
        "created_at": int(asset.created_at),
        "updated_at": int(asset.updated_at or asset.created_at),
    }
