"""The simulator's video routes: ``POST /v1/videos``, ``GET /v1/videos/{id}`` and the signed
MP4 files under ``/files/videos``."""

from __future__ import annotations

import math
import secrets
from typing import TYPE_CHECKING

from aiohttp import web

from sandbox.helpers import ApiError, Json, checked_seedance, owned, referenced_asset
from sandbox.records import VIDEO_URL_TTL
from sandbox.token360.state import (
    MODELS,
    RATIOS,
    RESOLUTIONS,
    Asset,
    VideoJob,
)

if TYPE_CHECKING:
    from sandbox.token360.simulator import Token360Simulator

MAX_REFERENCES = 9  # Seedance 2.0's limit on reference images
_DIMENSIONS: dict[str, tuple[tuple[int, int], ...]] = {  # in RATIOS order, without adaptive
    "480p": ((992, 432), (864, 496), (752, 560), (640, 640), (560, 752), (496, 864)),
    "720p": ((1470, 630), (1280, 720), (1112, 834), (960, 960), (834, 1112), (720, 1280)),
    "1080p": ((2206, 946), (1920, 1080), (1664, 1248), (1440, 1440), (1248, 1664), (1080, 1920)),
}


def video_json(sim: Token360Simulator, video: VideoJob, origin: str) -> Json:
    """The video as ``GET /v1/videos/{id}`` shows it (its file served from ``origin``)."""
    body: Json = {
        "id": video.video_id,
        "object": "video",
        "status": video.status,
        "model": video.model,
        "created_at": int(video.created_at),
        "error": None,
    }
    if video.status == "completed" and video.completed_at is not None:
        expires = int(video.completed_at) + VIDEO_URL_TTL
        sig = sim.sign("video", video.video_id, expires)
        body["url"] = f"{origin}/files/videos/{video.video_id}.mp4?expires={expires}&sig={sig}"
        body["completed_at"] = int(video.completed_at)
        body["seconds"] = video.duration if video.duration > 0 else 5
        body["size"] = f"{video.width}x{video.height}"
    elif video.status == "failed":
        body["error"] = video.outcome.error()
    return body


def _callback(body: Json) -> tuple[str | None, str | None]:
    """``callback_url`` (an http(s) URL) and ``request_id`` (text), each optional (400 if
    malformed); a ``request_id`` without a ``callback_url`` is kept and never used."""
    url, request_id = body.get("callback_url"), body.get("request_id")
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        raise ApiError(400, "callback_url must be an http(s) URL")
    if request_id is not None and not isinstance(request_id, str):
        raise ApiError(400, "request_id must be a string")
    return url, request_id


class VideoRoutes:
    """Video jobs of every account, and the files of the finished ones."""

    def __init__(self, sim: Token360Simulator) -> None:
        self.sim = sim

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/videos", self._create_video),
            web.get("/v1/videos/{video_id}", self._get_video),
            web.get("/files/videos/{video_id}.mp4", self._download_video),
        ]

    def _frame_assets(self, account: str, frames: object) -> list[Asset]:
        """Validate ``frame_images``; return the referenced assets, first frame first."""
        if frames is None:
            return []
        if not isinstance(frames, list):
            raise ApiError(400, "frame_images must be a list")
        seen: dict[str, Asset | None] = {}
        for i, frame in enumerate(frames):
            where = f"frame_images[{i}]"
            if not isinstance(frame, dict) or frame.get("type") != "image_url":
                raise ApiError(400, f"{where}.type must be image_url")
            kind = frame.get("frame_type")
            if kind not in ("first_frame", "last_frame") or kind in seen:
                raise ApiError(400, f"{where}.frame_type must be a unique first_frame|last_frame")
            image_url = frame.get("image_url")
            url = image_url.get("url") if isinstance(image_url, dict) else None
            if not isinstance(url, str) or not url:
                raise ApiError(400, f"{where}.image_url.url is required")
            seen[kind] = self._referenced_asset(account, url, where)
        if "last_frame" in seen and "first_frame" not in seen:
            raise ApiError(400, "a last_frame needs a first_frame")
        return [a for k in ("first_frame", "last_frame") if (a := seen.get(k)) is not None]

    def _referenced_asset(self, account: str, url: str, where: str) -> Asset | None:
        if url.startswith(("http://", "https://", "data:image/")):
            return None
        if not url.startswith("asset://"):
            raise ApiError(400, f"{where}: unsupported image URL scheme")
        asset_id = url.removeprefix("asset://")
        if not asset_id.startswith("ta_"):
            raise ApiError(400, f"{where}: {asset_id} is not a Real Face asset ID (ta_...)")
        return referenced_asset(url, where, owned(self.sim.store.assets, account), "Active")

    def _reference_assets(self, account: str, references: object) -> list[Asset]:
        """Validate ``input_references`` (1..9 images); return the referenced assets in
        order (an http(s) or data URL names none)."""
        if not isinstance(references, list) or not 1 <= len(references) <= MAX_REFERENCES:
            raise ApiError(400, f"input_references must be a list of 1..{MAX_REFERENCES} items")
        assets = []
        for i, item in enumerate(references):
            where = f"input_references[{i}]"
            if not isinstance(item, dict) or item.get("type") != "image_url":
                raise ApiError(400, f"{where}.type must be image_url")
            image_url = item.get("image_url")
            url = image_url.get("url") if isinstance(image_url, dict) else None
            if not isinstance(url, str) or not url:
                raise ApiError(400, f"{where}.image_url.url is required")
            if (asset := self._referenced_asset(account, url, where)) is not None:
                assets.append(asset)
        return assets

    def _dimensions(self, resolution: str, ratio: str, first: Asset | None) -> tuple[int, int]:
        table = _DIMENSIONS[resolution]
        if ratio != "adaptive":
            return table[RATIOS.index(ratio)]
        if first is None:
            return table[RATIOS.index("16:9")]
        target = math.log(first.width / first.height)
        return min(table, key=lambda wh: abs(math.log(wh[0] / wh[1]) - target))

    async def _create_video(self, request: web.Request) -> web.StreamResponse:
        account = self.sim.account(request)
        body = await self.sim.json_body(request)
        spec = checked_seedance(
            body,
            MODELS,
            RESOLUTIONS,
            RATIOS,
            resolution=body.get("resolution", "720p"),
            ratio=body.get("aspect_ratio", body.get("ratio", "adaptive")),
            audio=body.get("generate_audio", True),
            ratio_key="aspect_ratio",
        )
        frames, references = body.get("frame_images"), body.get("input_references")
        if frames is not None and references is not None:
            raise ApiError(400, "frame_images and input_references cannot be mixed")
        if references is not None:
            assets, first = self._reference_assets(account, references), None
        else:
            assets = self._frame_assets(account, frames)
            first = assets[0] if assets else None
        callback_url, request_id = _callback(body)
        width, height = self._dimensions(spec.resolution, spec.ratio, first)
        video = VideoJob(
            **spec.seedance(),
            video_id="video_" + secrets.token_hex(12),
            account=account,
            asset_ids=[a.asset_id for a in assets],
            width=width,
            height=height,
            created_at=self.sim.now(),
            outcome=self.sim.next_video_outcome(),
            callback_url=callback_url,
            request_id=request_id,
        )
        self.sim.store.videos[video.video_id] = video
        self.sim.video_requests.append(body)
        origin = self.sim.origin(request)
        if callback_url is not None:
            self.sim.callbacks.schedule(video, origin)
        return web.json_response(video_json(self.sim, video, origin))

    async def _get_video(self, request: web.Request) -> web.StreamResponse:
        account = self.sim.account(request)
        video = self.sim.store.videos.get(request.match_info["video_id"])
        if video is None or video.account != account:
            raise ApiError(404, "Video not found")
        return web.json_response(video_json(self.sim, video, self.sim.origin(request)))

    async def _download_video(self, request: web.Request) -> web.StreamResponse:
        video = self.sim.store.videos.get(request.match_info["video_id"])
        if video is None or video.status != "completed":
            return web.Response(status=404, text="Not Found")
        return await self.sim.serve_signed_mp4(request, video.video_id, video.outcome.video_bytes)
