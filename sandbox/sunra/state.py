"""The Sunra simulator's records, error bodies, rate windows, request checks and URL fetches.

The shapes are described in :mod:`sandbox.sunra.simulator`.
"""

from __future__ import annotations

import asyncio
import math
import posixpath
import secrets
import string
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

import httpx
from aiohttp import web

from sandbox import helpers
from sandbox.common import AssetOutcome, VideoOutcome
from sandbox.helpers import Json, iso
from sandbox.media import MAX_IMAGE_BYTES, ImageRejected, inspect_image

RELAY_MODELS = (
    "bytedance/seedance-2.0-relay/reference-to-video",
    "bytedance/seedance-2.0-fast-relay/reference-to-video",
)
# The non-relay models exist too; they go straight to Volcengine and refuse asset:// refs.
DIRECT_MODELS = (
    "bytedance/seedance-2.0/reference-to-video",
    "bytedance/seedance-2.0-fast/reference-to-video",
)
RESOLUTIONS = ("480p", "720p", "1080p")
RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "adaptive")
ASSET_TYPES = ("image", "video", "audio")
ASSET_STATUSES = ("processing", "active", "failed")
MAX_REFERENCES = {"reference_images": 9, "reference_videos": 3, "reference_audios": 3}
ARK_URL_TTL = 12 * 3600
LOOPBACK_HOSTS = ("127.0.0.1",)
_EXTENSION_TYPES = {
    ".mp4": "video",
    ".mov": "video",
    ".webm": "video",
    ".mp3": "audio",
    ".wav": "audio",
    ".m4a": "audio",
}
_ALPHABET = string.ascii_letters + string.digits


def token(n: int, alphabet: str = _ALPHABET) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass
class ArkAsset:
    record_id: str  # Sunra's ``id``
    ark_asset_id: str  # the upstream id a video references as asset://
    account: str
    name: str
    asset_type: str
    source_url: str
    created_at: float
    outcome: AssetOutcome  # what upstream registration ends in
    content: bytes = b""  # the fetched bytes, served at ark_url
    content_type: str = "application/octet-stream"
    status: str = "processing"  # Sunra's stored copy; GET refreshes it from upstream
    updated_at: float = 0.0
    deleted: bool = False


@dataclass
class Prediction:
    request_id: str
    account: str
    model_id: str
    prompt: str | None
    reference_images: list[str]
    duration: int
    resolution: str
    ratio: str
    generate_audio: bool
    created_at: float
    seq: int
    outcome: VideoOutcome
    # (code, message) that fails the prediction whatever the script says (bad asset refs).
    failure: tuple[str, str] | None = None
    status: str = "IN_QUEUE"  # IN_QUEUE | IN_PROGRESS | COMPLETED | FAILED | CANCELLED
    success: bool | None = None
    completed_at: float | None = None
    input: Json = field(default_factory=dict, repr=False)

    @property
    def failed(self) -> bool:
        return self.failure is not None or self.outcome.status == "failed"

    def error_code(self) -> tuple[str, str]:
        if self.failure is not None:
            return self.failure
        return self.outcome.code or "failed", self.outcome.message or "Prediction failed."


class ApiError(helpers.ApiError):
    """An error answer in Sunra's envelope ``{"error": {type, code, message}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str,
        kind: str = "invalid_request_error",
        *,
        details: Json | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, message, code)
        self.kind = kind
        self.details = details
        self.retry_after = retry_after

    def response(self, now: float, path: str) -> web.Response:
        error: Json = {"type": self.kind, "code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        body = {
            "error": error,
            "request_id": "req_" + token(24),
            "timestamp": iso(now),
            "path": path,
        }
        headers = None
        if self.retry_after is not None:
            headers = {"Retry-After": str(max(1, math.ceil(self.retry_after)))}
        return web.json_response(body, status=self.status, headers=headers)


def rate_limited(bucket: str, retry_after: float) -> ApiError:
    return ApiError(
        403,
        f"Rate limit exceeded ({bucket})",
        "rate_limit_exceeded",
        "rate_limit_error",
        retry_after=retry_after,
    )


def prediction_error(code: str, message: str, now: float) -> Json:
    """A failed prediction's ``error``: the v2 object under ``details`` (PROVIDERS.md)."""
    reason = {
        "unsafe_content": "moderation_blocked",
        "InvalidParameter": "invalid_parameter",
        "input_fetch_failed": "input_fetch_failed",
    }.get(code, "provider_error")
    details = {
        "code": code,
        "message": message,
        "reason": reason,
        "retryable": code in ("InternalServiceError", "internal_server_error"),
        "timestamp": iso(now),
    }
    return {"type": "prediction_failed", "code": code, "message": message, "details": details}


@dataclass
class RateWindow:
    """Sliding one-second and one-minute windows of admitted requests (None = no limit)."""

    per_second: int | None
    per_minute: int | None
    hits: deque[float] = field(default_factory=deque)

    def admit(self, now: float) -> float | None:
        """Record and return None, or return the seconds until a request would be admitted."""
        while self.hits and self.hits[0] <= now - 60:
            self.hits.popleft()
        wait = 0.0
        if self.per_minute is not None and len(self.hits) >= self.per_minute:
            wait = self.hits[-self.per_minute] + 60 - now
        if self.per_second is not None:
            recent = [t for t in self.hits if t > now - 1]
            if len(recent) >= self.per_second:
                wait = max(wait, recent[-self.per_second] + 1 - now)
        if wait > 0:
            return wait
        self.hits.append(now)
        return None


def asset_type_of(source_url: str) -> str:
    ext = posixpath.splitext(urlparse(source_url).path)[1].lower()
    return _EXTENSION_TYPES.get(ext, "image")


def name_from_url(source_url: str) -> str:
    return unquote(posixpath.basename(urlparse(source_url).path)) or "asset"


def check_asset_body(body: Json) -> tuple[str, str | None, str | None]:
    source_url = body.get("source_url")
    if not isinstance(source_url, str) or urlparse(source_url).scheme not in ("http", "https"):
        raise ApiError(422, "source_url must be an http(s) URL", "invalid_input")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name.strip()) <= 255):
        raise ApiError(422, "name must be 1..255 characters", "invalid_input")
    asset_type = body.get("asset_type")
    if asset_type is not None and asset_type not in ASSET_TYPES:
        raise ApiError(422, "asset_type must be image, video or audio", "invalid_input")
    return source_url, name.strip() if isinstance(name, str) else None, asset_type


class FetchFailed(Exception):
    pass


async def fetch_source(url: str, seconds: float) -> tuple[bytes, str]:
    """GET ``url`` once from 127.0.0.1 (the simulator fetches nothing else)."""
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise FetchFailed("the simulator fetches only from 127.0.0.1")
    data = bytearray()
    try:
        async with (
            httpx.AsyncClient(timeout=seconds, trust_env=False) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise FetchFailed(f"HTTP {response.status_code}")
            async for chunk in response.aiter_bytes():
                data.extend(chunk)
                if len(data) >= MAX_IMAGE_BYTES:
                    raise FetchFailed("the file is 30 MB or more")
            content_type = response.headers.get("Content-Type", "application/octet-stream")
    except httpx.HTTPError as exc:
        raise FetchFailed(type(exc).__name__) from None
    return bytes(data), content_type


async def registration_outcome(
    url: str, asset_type: str, seconds: float
) -> tuple[AssetOutcome | None, bytes, str]:
    """Fetch and check the source: a failed outcome, or None if registration may go on."""
    try:
        # Two GETs: the relay reads the file, then upstream registers it from the same URL
        # (undocumented, and likely enough that a URL which serves only once must fail here).
        await fetch_source(url, seconds)
        data, content_type = await fetch_source(url, seconds)
    except FetchFailed as exc:
        message = f"Failed to fetch source_url ({url}): {exc}."
        return AssetOutcome("Failed", "input_fetch_failed", message), b"", ""
    if asset_type == "image":
        try:
            info = await asyncio.to_thread(inspect_image, data)
        except ImageRejected as exc:
            return AssetOutcome("Failed", "InvalidParameter", exc.message), data, content_type
        content_type = info.mime_type
    return None, data, content_type


def check_video_input(model_id: str, body: Json) -> Json:
    """Schema checks done at submit (422); upstream problems fail the prediction instead."""
    prompt = body.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise ApiError(422, "prompt must be a string", "invalid_input")
    for key, limit in MAX_REFERENCES.items():
        refs = body.get(key, [])
        if not isinstance(refs, list) or not all(isinstance(r, str) and r for r in refs):
            raise ApiError(422, f"{key} must be a list of URLs", "invalid_input")
        if len(refs) > limit:
            raise ApiError(422, f"{key} takes 0..{limit} items", "invalid_input")
    for ref in body.get("reference_images", []):
        if not ref.startswith(("asset://", "http://", "https://", "data:")):
            raise ApiError(422, f"unsupported reference {ref[:40]!r}", "invalid_input")
    duration = body.get("duration", 5)
    if type(duration) is not int or not (duration == -1 or 4 <= duration <= 15):
        raise ApiError(422, "duration must be an integer 4..15 or -1", "invalid_input")
    resolution = body.get("resolution", "720p")
    allowed = RESOLUTIONS[:2] if "-fast" in model_id else RESOLUTIONS
    if resolution not in allowed:
        raise ApiError(422, f"resolution must be one of {', '.join(allowed)}", "invalid_input")
    ratio = body.get("ratio", "adaptive")
    if ratio not in RATIOS:
        raise ApiError(422, f"ratio must be one of {', '.join(RATIOS)}", "invalid_input")
    generate_audio = body.get("generate_audio", True)
    if not isinstance(generate_audio, bool):
        raise ApiError(422, "generate_audio must be a boolean", "invalid_input")
    return {
        "prompt": prompt,
        "reference_images": list(body.get("reference_images", [])),
        "duration": duration,
        "resolution": resolution,
        "ratio": ratio,
        "generate_audio": generate_audio,
    }
