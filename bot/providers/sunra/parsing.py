"""Reading Sunra's answers: errors, Ark assets, list pages, queue statuses, video URLs."""

from __future__ import annotations

import re
from typing import Any

import httpx

from bot.providers.base import (
    AssetInfo,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    RejectReason,
    VideoState,
    VideoStatus,
)
from bot.providers.checks import image_tags, model_id
from bot.providers.http import retry_after_seconds
from bot.providers.parsing import as_dict, asset_info, json_or_none
from bot.providers.parsing import first_str as _str

MODEL_IDS = {
    "seedance-2.0": "bytedance/seedance-2.0-relay/reference-to-video",
    "seedance-2.0-fast": "bytedance/seedance-2.0-fast-relay/reference-to-video",
}
# How a prompt names reference n (seed 001: "first image = @Image1, second = @Image2").
IMAGE_TAG = "@Image{n}"
_AUTH_TYPES = {"authentication_error", "authorization_error", "permission_error"}
_NAMED = re.compile(re.escape(IMAGE_TAG).replace(r"\{n\}", r"\d+"), re.IGNORECASE)


class SunraPredictionFailed(ProviderRejected):
    """The result endpoint said the prediction failed; ``code`` is the prediction's own code."""


def vendor_model(model: str) -> str:
    return model_id(model, "Sunra", MODEL_IDS)


def reference_prompt(prompt: str, count: int) -> str:
    """The prompt naming the references the documented way (@Image1 is the first image): as
    it is where it names one already, else with ``@Image1 @Image2 ...`` in front of it."""
    if count == 0 or _NAMED.search(prompt):
        return prompt
    return " ".join([*image_tags(IMAGE_TAG, count), prompt])


def classify(response: httpx.Response, default: ProviderError) -> ProviderError:
    """Sunra's meaning of an error status (the ``classify=`` hook of ProviderHTTP)."""
    status = response.status_code
    body = as_dict(json_or_none(response))
    error = as_dict(body.get("error")) or body
    code = _str(error, "code") or default.code
    if status == 403:
        if (_str(error, "type") or "").lower() in _AUTH_TYPES:
            return ProviderAuthError(default.message, status=status, code=code)
        return ProviderRateLimited(
            default.message, retry_after=retry_after_seconds(response), status=status, code=code
        )
    if status == 408:
        return ProviderUnavailable(default.message, status=status, code=code)
    if status in (402, 409):
        reason = RejectReason.QUOTA if status == 402 else RejectReason.OTHER
        return ProviderRejected(default.message, reason=reason, status=status, code=code)
    kind = (_str(error, "type") or "").lower()
    if 400 <= status < 500 and (
        (code or "").upper() == "PREDICTION_FAILED" or kind == "prediction_failed"
    ):
        failed_code, message = failure_of(error)
        return SunraPredictionFailed(
            message or default.message,
            reason=RejectReason.INVALID,
            status=status,
            code=failed_code or code,
        )
    return default


def failure_of(error: Any) -> tuple[str | None, str | None]:
    """(code, message) of a prediction error, flat or with ``details`` (which wins)."""
    if isinstance(error, str):
        return None, error or None
    if not isinstance(error, dict):
        return None, None
    details = error.get("details")
    code = message = None
    if isinstance(details, dict):
        code, message = _str(details, "code"), _str(details, "message")
    return code or _str(error, "code", "type"), message or _str(error, "message")


def parse_asset(data: Any) -> AssetInfo:
    """No groups: ``group_id`` is None; ``ark_asset_id`` comes once Sunra has it."""
    return asset_info(
        _unwrap(data),
        "Sunra",
        id_keys=("ark_asset_id", "arkAssetId", "asset_id"),
        record_keys=("id", "record_id"),
        name_keys=("name",),
        id_later=True,
    )


def find_video_url(body: Any, depth: int = 0) -> str | None:
    """The MP4 URL in a result: ``video.url`` (the model's output schema) or near variants."""
    if depth > 3 or not isinstance(body, dict):
        return None
    for key in ("video_url", "videoUrl"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    video = body.get("video")
    if isinstance(video, str) and video:
        return video
    for key in ("video", "output", "result", "data"):
        value = body.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, dict) and (url := find_video_url(value, depth + 1)):
            return url
    if depth > 0:
        value = body.get("url")
        if isinstance(value, str) and value:
            return value
    return None


def _failed(task_id: str, status: dict[str, Any], word: str | None) -> VideoStatus:
    code, message = failure_of(status.get("error"))
    if code is None and (word or "").lower() in ("cancelled", "canceled"):
        code = "cancelled"
    return VideoStatus(
        task_id=task_id,
        state=VideoState.FAILED,
        error_code=code or "failed",
        error_message=message,
        raw=status,
    )


def _unwrap(data: Any) -> dict[str, Any]:
    if isinstance(data, dict):
        inner = data.get("data")
        if isinstance(inner, dict) and not ({"id", "request_id", "status"} & data.keys()):
            return inner
        return data
    raise ProviderError("Sunra returned something that is not a JSON object")
