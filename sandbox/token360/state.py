"""The Token360 simulator's records, constants and response helpers (shapes: see the package
docstring)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web

from sandbox.common import AssetOutcome, VideoOutcome
from sandbox.helpers import phrase
from sandbox.records import Seedance, StoredImage

GROUP_PENDING = "pending_validation"
GROUP_ACTIVE = "active"
MODELS = ("seedance-2.0", "seedance-2.0-fast")
RESOLUTIONS = ("480p", "720p", "1080p")
RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "adaptive")


@dataclass
class AssetGroup:
    group_id: str
    account: str
    name: str
    kind: str
    status: str
    created_at: float
    updated_at: float
    seq: int
    passed_at: float | None = None
    link_token: str | None = None  # the newest link minted for this group


@dataclass
class VerificationLink:
    token: str
    group_id: str
    expires_at: float
    state: Literal["open", "used", "superseded"] = "open"


@dataclass
class Asset(StoredImage):
    record_id: int
    asset_id: str
    account: str
    group_id: str
    name: str
    created_at: float
    updated_at: float
    outcome: AssetOutcome
    status: str = "Processing"  # Processing | Active | Failed (title case internally)


@dataclass
class VideoJob(Seedance):
    video_id: str
    account: str
    asset_ids: list[str]
    width: int
    height: int
    created_at: float
    outcome: VideoOutcome
    status: str = "queued"  # queued | in_progress | completed | failed
    completed_at: float | None = None
    callback_url: str | None = None  # POSTed to once the video ends (callbacks.py)
    request_id: str | None = None  # the caller's business id, echoed in the callback


@dataclass
class Store:
    """The simulator's records, as stored (the scripts are on the simulator): its ``handle``
    settles the timing before a route reads them, its properties before they return them."""

    groups: dict[str, AssetGroup] = field(default_factory=dict)
    links: dict[str, VerificationLink] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)
    videos: dict[str, VideoJob] = field(default_factory=dict)


def wrapped(data: object) -> web.Response:
    return web.json_response({"code": 0, "msg": "success", "data": data})


def wrapped_error(
    status: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"code": status, "msg": message, "data": None}
    return web.json_response(body, status=status, headers=headers)


def video_error(status: int, message: str, code: str | None) -> web.Response:
    code = code or {400: "InvalidParameter", 404: "NotFound"}.get(status, phrase(status))
    return web.json_response({"error": {"code": code, "message": message}}, status=status)
