"""JSON bodies of the Sunra simulator (shapes: package docstring)."""

from __future__ import annotations

from sandbox.helpers import Json, iso
from sandbox.media import sample_mp4
from sandbox.sunra.state import ArkAsset, Prediction, prediction_error

# Tokens per second of video (a 5 s 720p clip is about 108,900) and units per token
# (1000 units = USD 1; such a clip is about USD 0.76).
TOKENS_PER_SECOND = 21780
UNITS_PER_TOKEN = 0.007


def asset_json(asset: ArkAsset, ark_url: str | None = None) -> Json:
    error = None
    if asset.status == "failed":
        error = asset.outcome.error()
    body: Json = {
        "id": asset.record_id,
        "ark_asset_id": asset.ark_asset_id,
        "name": asset.name,
        "asset_type": asset.asset_type,
        "source_url": asset.source_url,
        "status": asset.status,
        "error": error,
        "created_at": iso(asset.created_at),
        "updated_at": iso(asset.updated_at),
    }
    if ark_url is not None:
        body["ark_url"] = ark_url
    return body


def request_urls(origin: str, request_id: str) -> Json:
    base = f"{origin}/v1/queue/requests/{request_id}"
    return {"response_url": base, "status_url": f"{base}/status", "cancel_url": f"{base}/cancel"}


def status_json(video: Prediction, origin: str, queue_position: int, running: float) -> Json:
    body: Json = {
        "request_id": video.request_id,
        "status": video.status,
        "response_url": request_urls(origin, video.request_id)["response_url"],
        "logs": None,
    }
    if video.status == "IN_QUEUE":
        body["queue_position"] = queue_position
    if video.status in ("COMPLETED", "FAILED"):
        body["success"] = bool(video.success)
        body["error"] = None
        if not video.success:
            body["error"] = prediction_error(*video.error_code(), video.completed_at or 0)
        body["metrics"] = {"inference_time": running}
    return body


def result_json(video: Prediction, url: str) -> Json:
    seconds = video.duration if video.duration > 0 else 5
    tokens = TOKENS_PER_SECOND * seconds
    return {
        "video": {
            "url": url,
            "content_type": "video/mp4",
            "file_name": f"{video.request_id}.mp4",
            "file_size": video.outcome.video_bytes or len(sample_mp4()),
        },
        "total_tokens": tokens,
        "units": round(tokens * UNITS_PER_TOKEN, 2),
    }
