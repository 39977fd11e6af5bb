"""Video generation in the ToAPIs simulator: request rules, task bodies, suggested polling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.helpers import ApiError, Json, checked_seedance, referenced_asset
from sandbox.records import Seedance
from sandbox.toapis.state import Asset, VideoTask

MODELS = ("seedance-2", "seedance-2-fast")
RESOLUTIONS = ("480p", "720p", "1080p")
RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "adaptive")
ROLES = ("first_frame", "last_frame", "reference_image")
MAX_IMAGES = 9
#: ToAPIs' advice (task-status page): seconds between polls, by the status last seen. Recorded
#: and reported (``ToAPIsSimulator.early_polls``), never enforced.
SUGGESTED_POLL_SECONDS: dict[str, tuple[float, float]] = {
    "submitted": (5.0, 10.0),
    "queued": (5.0, 10.0),
    "in_progress": (10.0, 15.0),
}


@dataclass
class Generation(Seedance):
    references: list[tuple[str, str]]
    assets: list[Asset]


def parse_generation(body: Json, asset_of: Callable[[str], Asset | None]) -> Generation:
    """Check a generation request; ``asset_of`` finds an asset of the caller's account."""
    raw_metadata = body.get("metadata")
    metadata: Json = raw_metadata if isinstance(raw_metadata, dict) else {}
    resolution = _first(body, metadata, "resolution", "720p")
    spec = checked_seedance(
        body,
        MODELS,
        RESOLUTIONS,
        RATIOS,
        resolution=resolution,
        ratio=body.get("aspect_ratio", body.get("ratio", metadata.get("ratio", "adaptive"))),
        audio=_first(body, metadata, "generate_audio", True),
        ratio_key="aspect_ratio",
    )
    references, assets = _references(body.get("image_with_roles"), asset_of)
    return Generation(**spec.seedance(), references=references, assets=assets)


def _first(body: Json, metadata: Json, key: str, default: Any) -> Any:
    return body[key] if key in body else metadata.get(key, default)


def _references(
    items: object, asset_of: Callable[[str], Asset | None]
) -> tuple[list[tuple[str, str]], list[Asset]]:
    if items is None:
        return [], []
    if not isinstance(items, list):
        raise ApiError(400, "image_with_roles must be a list")
    if len(items) > MAX_IMAGES:
        raise ApiError(400, f"image_with_roles takes at most {MAX_IMAGES} images")
    references: list[tuple[str, str]] = []
    assets: list[Asset] = []
    for i, item in enumerate(items):
        where = f"image_with_roles[{i}]"
        url = item.get("url") if isinstance(item, dict) else None
        role = item.get("role") if isinstance(item, dict) else None
        if not isinstance(url, str) or not url:
            raise ApiError(400, f"{where}.url is required")
        if role not in ROLES:
            raise ApiError(400, f"{where}.role must be one of {', '.join(ROLES)}")
        references.append((url, str(role)))
        if url.startswith("asset://"):
            assets.append(referenced_asset(url, where, asset_of, "active"))
        elif not url.startswith(("http://", "https://")):
            raise ApiError(400, f"{where}: url must be http(s) or asset://")
    roles = [role for _, role in references]
    frames = [r for r in roles if r != "reference_image"]
    if frames and len(frames) != len(roles):
        raise ApiError(400, "first/last frames cannot be mixed with reference images")
    if len(set(frames)) != len(frames) or (frames and "first_frame" not in frames):
        raise ApiError(400, "give one first_frame, and at most one last_frame with it")
    return references, assets


def video_json(video: VideoTask, url: str | None, url_expires: int | None) -> Json:
    progress = {"submitted": 0, "queued": 0, "in_progress": 50, "completed": 100}
    body: Json = {
        "id": video.task_id,
        "object": "generation.task",
        "model": video.model,
        "status": video.status,
        "progress": progress.get(video.status, 0),
        "created_at": int(video.created_at),
        "metadata": {},
    }
    if video.status == "completed" and video.completed_at is not None:
        body["completed_at"] = int(video.completed_at)
        body["expires_at"] = url_expires
        body["result"] = {
            "type": "video",
            "url": url,
            "duration": video.duration if video.duration > 0 else 5,
            "resolution": video.resolution,
        }
    elif video.status == "failed":
        body["error"] = video.outcome.error()
    return body


def early_polls(video: VideoTask) -> int:
    """Polls that came sooner after the previous one (or the submit) than ToAPIs suggests."""
    early = 0
    last, seen = video.created_at, "submitted"
    for at, status in video.polls:
        low = SUGGESTED_POLL_SECONDS.get(seen, (0.0, 0.0))[0]
        if at - last < low:
            early += 1
        last, seen = at, status
    return early
