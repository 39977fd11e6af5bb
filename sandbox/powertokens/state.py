"""The PowerTokens simulator's records and the small helpers its routes share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web

from sandbox.common import AssetOutcome, VideoOutcome
from sandbox.helpers import ApiError, Json
from sandbox.records import StoredImage

GROUP_VIRTUAL = 0
GROUP_REAL_PERSON = 1
REAL_HUMAN_OWN = 1  # "created by yourself"
REAL_HUMAN_AUTHORIZED = 2  # "obtained through verification authorization"
ASSET_UNDER_REVIEW = 1
ASSET_SUCCEEDED = 2
ASSET_FAILED = 3
MAX_NAME = 64
MODELS = {
    "dreamina-seedance-2-0-260128": ("480p", "720p", "1080p"),
    "dreamina-seedance-2-0-fast-260128": ("480p", "720p"),
}
RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "adaptive")
SECONDS = (*(str(s) for s in range(4, 16)), "-1")
MEDIA_TYPES = (
    "text",
    "first_frame",
    "last_frame",
    "reference_image",
    "reference_video",
    "reference_audio",
)
MAX_REFERENCE_IMAGES = 9


@dataclass
class AssetGroup:
    group_id: str
    account: str
    name: str
    group_type: int
    real_human_type: int | None
    created_at: float
    updated_at: float


@dataclass
class AuthSession:
    """One authorize URL: a single-use H5 link; the group appears after the person passes."""

    token: str
    account: str
    expires_at: float
    requested_name: str | None
    state: Literal["open", "used"] = "open"
    passed_at: float | None = None
    group_id: str | None = None  # set once the group exists


@dataclass
class Upload(StoredImage):
    """One uploaded file of a group: its job, then the asset the job made."""

    task_id: str
    account: str
    group_id: str
    name: str
    created_at: float
    outcome: AssetOutcome


@dataclass
class UploadJob(Upload):
    asset_id: str | None = None  # set when the job finishes


@dataclass
class Asset(Upload):
    asset_id: str
    status: int = ASSET_UNDER_REVIEW
    updated_at: float = 0.0


@dataclass
class VideoJob:
    video_id: str
    account: str
    model: str
    prompt: str
    seconds: str
    size: str
    ratio: str
    generate_audio: bool
    media: list[Json]
    asset_ids: list[str]
    created_at: float
    outcome: VideoOutcome
    status: str = "queued"  # queued | running | succeeded | failed
    completed_at: float | None = None
    extra: Json = field(default_factory=dict)


def wrapped(data: object) -> web.Response:
    return web.json_response({"code": 200, "msg": "success", "data": data})


def wrapped_error(
    status: int, message: str, *, in_body: bool = False, headers: dict[str, str] | None = None
) -> web.Response:
    """``{code, msg, data: null}``; with ``in_body`` the HTTP status is 200 (code carries it)."""
    body = {"code": status, "msg": message, "data": None}
    return web.json_response(body, status=200 if in_body else status, headers=headers)


def video_error(status: int, message: str, code: str | None) -> web.Response:
    code = code or {400: "InvalidParameter", 401: "Unauthorized", 404: "NotFound"}.get(
        status, "Error"
    )
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def page_of(items: list[Json], body: Json) -> Json:
    """``{list, total, page, page_size}``; ``page`` >= 1, ``page_size`` 1..100 (default 20)."""
    page, size = body.get("page", 1), body.get("page_size", 20)
    if type(page) is not int or page < 1:
        raise ApiError(400, "page must be an integer >= 1")
    if type(size) is not int or not 1 <= size <= 100:
        raise ApiError(400, "page_size must be an integer 1..100")
    chunk = items[(page - 1) * size : page * size]
    return {"list": chunk, "total": len(items), "page": page, "page_size": size}


def valid_name(value: object, what: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_NAME:
        raise ApiError(400, f"{what} must be 1..{MAX_NAME} characters")
    return value.strip()


def group_json(group: AssetGroup, assets: Iterable[Asset]) -> Json:
    row: Json = {
        "group_id": group.group_id,
        "group_name": group.name,
        "group_type": group.group_type,
        "asset_count": sum(1 for a in assets if a.group_id == group.group_id),
        "created_at": int(group.created_at),
        "updated_at": int(group.updated_at),
    }
    if group.group_type == GROUP_REAL_PERSON:
        row["real_human_type"] = group.real_human_type
    return row


def asset_json(asset: Asset) -> Json:
    error = None
    if asset.status == ASSET_FAILED:
        error = asset.outcome.error()
    return {
        "asset_id": asset.asset_id,
        "group_id": asset.group_id,
        "name": asset.name,
        "type": 1,
        "status": asset.status,
        "mime_type": asset.mime_type,
        "file_size": asset.size_bytes,
        "width": asset.width,
        "height": asset.height,
        "error": error,
        "created_at": int(asset.created_at),
    }
