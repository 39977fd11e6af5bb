"""Reading Sunra's answers: errors, Ark assets, list pages, queue statuses, video URLs."""

from __future__ import annotations

import calendar
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from bot.providers.base import (
    AssetInfo,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    RejectReason,
    RemoteAssetState,
    VideoState,
    VideoStatus,
)
from bot.providers.http import retry_after_seconds
from bot.providers.parsing import first_str as _str

MODEL_IDS = {
    "seedance-2.0": "bytedance/seedance-2.0-relay/reference-to-video",
    "seedance-2.0-fast": "bytedance/seedance-2.0-fast-relay/reference-to-video",
}
_AUTH_TYPES = {"authentication_error", "authorization_error", "permission_error"}
_IMAGE_TAG = re.compile(r"@image\d", re.IGNORECASE)
_ROW_KEYS = ("items", "data", "assets", "list", "records", "results")
_VIDEO_STATES = {
    **dict.fromkeys(("in_queue", "queued", "pending"), VideoState.QUEUED),
    **dict.fromkeys(("in_progress", "running", "processing"), VideoState.RUNNING),
    **dict.fromkeys(("completed", "succeeded", "success"), VideoState.COMPLETED),
    **dict.fromkeys(("failed", "cancelled", "canceled", "expired"), VideoState.FAILED),
}
_ASSET_STATES = {
    "active": RemoteAssetState.ACTIVE,
    **dict.fromkeys(("failed", "error", "rejected"), RemoteAssetState.FAILED),
}


class SunraPredictionFailed(ProviderRejected):
    """The result endpoint said the prediction failed; ``code`` is the prediction's own code."""


def vendor_model(model: str) -> str:
    try:
        return MODEL_IDS[model]
    except KeyError:
        raise ProviderRejected(
            f"Sunra has no model {model!r}", reason=RejectReason.INVALID, code="unknown_model"
        ) from None


def reference_prompt(prompt: str, count: int) -> str:
    """The prompt naming the references the documented way (@Image1 is the first image)."""
    if count == 0 or _IMAGE_TAG.search(prompt):
        return prompt
    tags = " ".join(f"@Image{i}" for i in range(1, count + 1))
    return f"{tags} {prompt}"


def classify(response: httpx.Response, default: ProviderError) -> ProviderError:
    """Sunra's meaning of an error status (the ``classify=`` hook of ProviderHTTP)."""
    status = response.status_code
    error = _error_object(response)
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
    data = _unwrap(data)
    record_id = _str(data, "id", "record_id")
    asset_id = _str(data, "ark_asset_id", "arkAssetId", "asset_id")
    if record_id is None and asset_id is None:
        raise ProviderError("Sunra returned an asset without id or ark_asset_id")
    status = (_str(data, "status", "Status") or "").lower()
    state = _ASSET_STATES.get(status, RemoteAssetState.PROCESSING)
    code, message = _asset_error(data)
    return AssetInfo(
        asset_id=asset_id,
        state=state,
        group_id=None,
        name=_str(data, "name"),
        record_id=record_id,
        error_code=code if state is RemoteAssetState.FAILED else None,
        error_message=message if state is RemoteAssetState.FAILED else None,
        raw=data,
    )


def page_rows(body: Any) -> tuple[list[dict[str, Any]], int | None]:
    """Rows and total (None if not given) of a list page, in any of the shapes above."""
    if isinstance(body, list):
        return [r for r in body if isinstance(r, dict)], None
    if not isinstance(body, dict):
        return [], None
    for key in _ROW_KEYS:
        value = body.get(key)
        if isinstance(value, list):
            return [r for r in value if isinstance(r, dict)], _total(body)
        if key == "data" and isinstance(value, dict):
            rows, total = page_rows(value)
            return rows, total if total is not None else _total(body)
    return [], _total(body)


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


def url_expiry(url: str) -> float | None:
    """When a signed URL says it stops working, if it says."""
    query = {k.lower(): v[0] for k, v in parse_qs(urlparse(url).query).items() if v}
    try:
        if "expires" in query:
            return float(query["expires"])
        if "x-amz-date" in query and "x-amz-expires" in query:
            start = time.strptime(query["x-amz-date"], "%Y%m%dT%H%M%SZ")
            return calendar.timegm(start) + float(query["x-amz-expires"])
    except ValueError:
        return None
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


def _video_state(word: str | None) -> VideoState | None:
    return _VIDEO_STATES.get((word or "").lower())


def _error_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return error
        return body
    return {}


def _asset_error(data: dict[str, Any]) -> tuple[str | None, str | None]:
    for key in ("error", "Error"):
        error = data.get(key)
        if isinstance(error, dict):
            return _str(error, "code", "Code"), _str(error, "message", "Message")
        if isinstance(error, str) and error:
            return error, None
    code = _str(data, "error_code", "errorCode")
    message = _str(data, "error_message", "errorMessage", "fail_reason", "reason")
    return code, message


def _unwrap(data: Any) -> dict[str, Any]:
    if isinstance(data, dict):
        inner = data.get("data")
        if isinstance(inner, dict) and not ({"id", "request_id", "status"} & data.keys()):
            return inner
        return data
    raise ProviderError("Sunra returned something that is not a JSON object")


def _total(body: dict[str, Any]) -> int | None:
    for key in ("total", "total_count", "totalCount", "count"):
        if (value := _int(body.get(key))) is not None:
            return value
    for key in ("pagination", "meta"):
        nested = body.get(key)
        if isinstance(nested, dict) and (value := _int(nested.get("total"))) is not None:
            return value
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
