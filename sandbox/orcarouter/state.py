"""Records, ids and JSON shapes of the OrcaRouter simulator (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web

from sandbox import helpers
from sandbox.common import AssetOutcome, VideoOutcome
from sandbox.helpers import Json, phrase
from sandbox.records import Seedance

# group_type query value -> GroupType as listed
GROUP_TYPES = {"real_human": "LivenessFace", "aigc": "AIGC"}
MODEL_STANDARD = "byteplus/dreamina-seedance-2-0-260128"
MODEL_FAST = "byteplus/seedance-2.0-fast"
RESOLUTIONS = ("480p", "720p", "1080p")
RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "adaptive")
MAX_REFERENCE_IMAGES = 9
ASSET_URL_TTL = 12 * 3600


@dataclass
class VerificationSession:
    session_id: str
    account: str
    token: str  # the H5 link is {base_url}/h5/{token}
    return_url: str | None
    created_at: float
    expires_at: float
    state: Literal["pending", "passed", "failed"] = "pending"
    group_id: str | None = None
    finished_at: float | None = None


@dataclass
class AssetGroup:
    group_id: str
    account: str
    name: str
    group_type: str  # LivenessFace | AIGC
    created_at: float
    updated_at: float
    seq: int
    description: str = ""
    session_id: str | None = None


@dataclass
class Asset:
    asset_id: str
    account: str
    group_id: str
    name: str
    asset_type: str
    source_url: str
    created_at: float
    updated_at: float
    seq: int
    outcome: AssetOutcome
    status: str = "Processing"  # Processing | Active | Failed
    ready: bool = False  # the URL was fetched and the outcome decided
    mime_type: str = ""
    width: int = 0
    height: int = 0
    data: bytes = field(default=b"", repr=False)


@dataclass
class VideoTask(Seedance):
    task_id: str
    account: str
    asset_ids: list[str]
    watermark: bool
    created_at: float
    outcome: VideoOutcome
    status: str = "queued"  # queued | in_progress | completed | failed
    completed_at: float | None = None


@dataclass(frozen=True)
class ReturnVisit:
    """One GET the simulator made to a ``return_url``, as the person's browser would."""

    url: str
    status: int | None
    error: str | None = None


class ApiError(helpers.ApiError):
    """OpenAI-style: ``code`` and ``kind`` (the ``type``) default from the status."""

    def __init__(
        self, status: int, message: str, code: str | None = None, kind: str | None = None
    ) -> None:
        super().__init__(status, message, code or _default_code(status))
        self.kind = kind or ("invalid_request_error" if status < 500 else "api_error")


class LinkRefused(ValueError):
    """``pass_link`` / ``fail_link`` on a link that cannot be used (404/409/410)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"link refused: {reason} ({status})")
        self.status = status
        self.reason = reason


def _default_code(status: int) -> str:
    return {
        400: "InvalidParameter",
        401: "invalid_api_key",
        403: "forbidden",
        404: "NotFound",
        429: "rate_limit_exceeded",
        502: "upstream_error",
    }.get(status, "internal_error" if status >= 500 else phrase(status))


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    error = ApiError(status, message, code, kind)
    body = {"error": {"message": error.message, "type": error.kind, "code": error.code}}
    return web.json_response(body, status=status, headers=headers)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def group_json(group: AssetGroup) -> Json:
    return {
        "Id": group.group_id,
        "Name": group.name,
        "GroupType": group.group_type,
        "ProjectName": "default",
        "CreateTime": iso(group.created_at),
        "UpdateTime": iso(group.updated_at),
    }


def asset_json(asset: Asset, url: str, *, with_name: bool) -> Json:
    body: Json = {"Id": asset.asset_id}
    if with_name:
        body["Name"] = asset.name
    body.update(
        {
            "GroupId": asset.group_id,
            "AssetType": asset.asset_type,
            "Status": asset.status,
            "URL": url,
            "CreateTime": iso(asset.created_at),
            "UpdateTime": iso(asset.updated_at),
        }
    )
    if asset.status == "Failed":
        body["Error"] = {"Code": asset.outcome.code, "Message": asset.outcome.message}
    return body


def video_json(task: VideoTask, url: str | None, progress: int) -> Json:
    metadata: Json = {
        "duration": task.duration,
        "ratio": task.ratio,
        "resolution": task.resolution,
    }
    if url is not None:
        metadata["url"] = url
    error = None
    if task.status == "failed":
        error = task.outcome.error()
    return {
        "id": task.task_id,
        "task_id": task.task_id,
        "object": "video",
        "model": task.model,
        "status": task.status,
        "progress": progress,
        "created_at": int(task.created_at),
        "completed_at": int(task.completed_at) if task.completed_at is not None else None,
        "metadata": metadata,
        "error": error,
    }


def int_param(query: Any, name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}")
    return value


def choice_param(query: Any, name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = query.get(name, "") or default
    for option in allowed:
        if raw.lower() == option.lower():
            return option
    raise ApiError(400, f"{name} must be one of {', '.join(allowed)}")


def page(items: list[Json], query: Any) -> Json:
    """``{TotalCount, Items, PageNumber, PageSize}`` (page_size 1..100, default 10)."""
    number = int_param(query, "page_number", 1, 1, 10**6)
    size = int_param(query, "page_size", 10, 1, 100)
    chunk = items[(number - 1) * size : number * size]
    return {"TotalCount": len(items), "Items": chunk, "PageNumber": number, "PageSize": size}
