"""The simulator's video routes: ``POST /v1/videos``, ``GET /v1/videos/{id}``, the MP4 files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.helpers import ApiError, Json, owned, referenced_asset, stamp_id
from sandbox.powertokens.state import (
    ASSET_SUCCEEDED,
    MAX_REFERENCE_IMAGES,
    MEDIA_TYPES,
    MODELS,
    RATIOS,
    SECONDS,
    Asset,
    VideoJob,
)
from sandbox.records import VIDEO_URL_TTL

if TYPE_CHECKING:
    from sandbox.powertokens.simulator import PowerTokensSimulator

_FRAMES = ("first_frame", "last_frame")
_LIMITS = {"reference_image": MAX_REFERENCE_IMAGES, "reference_video": 3, "reference_audio": 3}


class VideoDesk:
    """Video tasks of every account; timing is lazy against the simulator's clock."""

    def __init__(self, sim: PowerTokensSimulator) -> None:
        self.sim = sim
        self.videos: dict[str, VideoJob] = {}

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/videos", self.create),
            web.get("/v1/videos/{task_id}", self.get),
            web.get("/files/videos/{video_id}.mp4", self.download),
        ]

    def settle(self, now: float) -> None:
        for video in self.videos.values():
            self.sim.advance_video(video, now, "running", {"completed": "succeeded"})

    def video_json(self, video: VideoJob, request: web.Request) -> Json:
        now = self.sim.now()
        progress = {"queued": 0, "running": 50}.get(video.status, 100)
        body: Json = {
            "id": video.video_id,
            "task_id": video.video_id,
            "object": "video",
            "model": video.model,
            "status": video.status,
            "progress": progress,
            "created_at": int(video.created_at),
            "updated_at": int(video.completed_at or now),
            "seconds": video.seconds,
            "size": video.size,
            "ratio": video.ratio,
            "error": None,
        }
        if video.completed_at is not None:
            body["completed_at"] = int(video.completed_at)
        if video.status == "succeeded" and video.completed_at is not None:
            expires = int(video.completed_at) + VIDEO_URL_TTL
            path = f"/files/videos/{video.video_id}.mp4"
            body["video_url"] = self.sim.signed_url(
                request, path, "video", video.video_id, expires
            )
        elif video.status == "failed":
            body["error"] = video.outcome.error()
        return body

    def _asset(self, account: str, url: object, where: str) -> Asset:
        if not isinstance(url, str) or not url:
            raise ApiError(400, f"{where}.url is required")
        if not url.startswith("asset://"):
            raise ApiError(400, f"{where}.url must be asset://<asset_id> from the Asset Library")
        find = owned(self.sim.assets, account)
        return referenced_asset(url, where, find, ASSET_SUCCEEDED, "succeeded review")

    def _media(self, account: str, media: object) -> tuple[str, list[Json], list[Asset]]:
        """Validate ``media``; return (prompt, items, referenced assets in order)."""
        if not isinstance(media, list) or not media:
            raise ApiError(400, "media must be a non-empty array")
        prompt = ""
        counts: dict[str, int] = {}
        assets: list[Asset] = []
        for i, item in enumerate(media):
            where = f"media[{i}]"
            kind = item.get("type") if isinstance(item, dict) else None
            if not isinstance(item, dict) or kind not in MEDIA_TYPES:
                raise ApiError(400, f"{where}.type must be one of {', '.join(MEDIA_TYPES)}")
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "text":
                text = item.get("text")
                if not isinstance(text, str) or not text.strip() or counts[kind] > 1:
                    raise ApiError(400, f"{where}: one non-empty text item at most")
                prompt = text
            elif kind in ("reference_video", "reference_audio"):
                self._asset(account, item.get("url"), where)
            else:
                assets.append(self._asset(account, item.get("url"), where))
        if any(counts.get(k, 0) > 1 for k in _FRAMES):
            raise ApiError(400, "first_frame and last_frame may each appear once")
        if "last_frame" in counts and "first_frame" not in counts:
            raise ApiError(400, "a last_frame needs a first_frame")
        if any(k in counts for k in _FRAMES) and any(k in counts for k in _LIMITS):
            raise ApiError(400, "first/last frame cannot be mixed with reference media")
        for kind, limit in _LIMITS.items():
            if counts.get(kind, 0) > limit:
                raise ApiError(400, f"at most {limit} {kind} items")
        return prompt, media, assets

    async def create(self, request: web.Request) -> web.StreamResponse:
        account = self.sim.account(request, video=True)
        body = await self.sim.json_body(request)
        model = body.get("model")
        if model not in MODELS:
            raise ApiError(400, f"model must be one of {', '.join(MODELS)}")
        prompt, media, assets = self._media(account, body.get("media"))
        seconds = body.get("seconds", "5")
        if seconds not in SECONDS:
            raise ApiError(400, 'seconds must be a string "4".."15" or "-1"')
        size = body.get("size", "720p")
        if size not in MODELS[model]:
            raise ApiError(400, f"size must be one of {', '.join(MODELS[model])} for {model}")
        ratio = body.get("ratio", "adaptive" if assets else "16:9")
        if ratio not in RATIOS:
            raise ApiError(400, f"ratio must be one of {', '.join(RATIOS)}")
        flags: dict[str, Any] = {}
        for name in ("generate_audio", "watermark"):
            value = body.get(name, name == "generate_audio")
            if not isinstance(value, bool):
                raise ApiError(400, f"{name} must be a boolean")
            flags[name] = value
        self.sim.video_requests.append(body)
        now = self.sim.now()
        video = VideoJob(
            video_id=stamp_id("cgt", now),
            account=account,
            model=model,
            prompt=prompt,
            seconds=seconds,
            size=size,
            ratio=ratio,
            generate_audio=flags["generate_audio"],
            media=media,
            asset_ids=[a.asset_id for a in assets],
            created_at=now,
            outcome=self.sim.next_video_outcome(),
            extra={"watermark": flags["watermark"]},
        )
        self.videos[video.video_id] = video
        answer = self.video_json(video, request)
        answer["status"] = "pending"  # the create page's example; GET says queued
        return web.json_response(answer)

    async def get(self, request: web.Request) -> web.StreamResponse:
        account = self.sim.account(request, video=True)
        video = self.videos.get(request.match_info["task_id"])
        if video is None or video.account != account:
            raise ApiError(404, "Task not found")
        return web.json_response(self.video_json(video, request))

    async def download(self, request: web.Request) -> web.StreamResponse:
        video = self.videos.get(request.match_info["video_id"])
        if video is None or video.status != "succeeded":
            return web.Response(status=404, text="Not Found")
        return await self.sim.serve_signed_mp4(request, video.video_id, video.outcome.video_bytes)
