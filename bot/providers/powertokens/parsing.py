"""Reading PowerTokens' answers: envelopes, errors, list pages, assets, video tasks, times."""

from __future__ import annotations

import re
from datetime import datetime
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

PRODUCTION_ASSET_HOSTS = ("powertokens.ai", "www.powertokens.ai")
PRODUCTION_VIDEO_BASE = "https://api.powertokens.ai"
VIDEO_URL_LIFETIME = 24 * 3600
_OK_CODES = (0, 200, "0", "200")
_IMAGE_MENTION = re.compile(r"\[image\s*\d+\]", re.IGNORECASE)
_EXTENSION = re.compile(r"\.(jpe?g|png|webp|bmp|tiff?|gif|heic|heif)$", re.IGNORECASE)
_QUOTA_WORDS = ("quota", "limit", "exceed", "insufficient", "balance", "额度", "上限", "余额")
_FAILED_WORDS = ("fail", "error", "reject", "失败")


def default_video_base(base_url: str) -> str:
    parsed = urlparse(base_url)
    if parsed.hostname in PRODUCTION_ASSET_HOSTS:
        return PRODUCTION_VIDEO_BASE
    return base_url


def classify(response: httpx.Response, default: ProviderError) -> ProviderError:
    """Refine an HTTP error with the envelope's ``code``/``msg`` or an ``error`` object."""
    body = _json_or_none(response)
    code: str | None = None
    message = default.message
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code = _str(error, "code", "type")
            message = _str(error, "message") or message
        elif body.get("code") not in (None, *_OK_CODES):
            code = str(body["code"])
    return error_for(response.status_code, code, message, retry_after_seconds(response))


def error_for(
    status: int, code: str | None, message: str, retry_after: float | None
) -> ProviderError:
    if status == 401:
        return ProviderAuthError(message, status=status, code=code)
    if status == 429:
        return ProviderRateLimited(message, retry_after=retry_after)
    if status >= 500:
        return ProviderUnavailable(message, status=status, code=code)
    quota = any(word in message.lower() for word in _QUOTA_WORDS)
    reason = {
        402: RejectReason.QUOTA,
        403: RejectReason.QUOTA if quota else RejectReason.OTHER,
        404: RejectReason.NOT_FOUND,
        409: RejectReason.GROUP_NOT_ACTIVE,
        413: RejectReason.TOO_LARGE,
    }.get(status, RejectReason.INVALID)
    return ProviderRejected(message, reason=reason, status=status, code=code)


def unwrap(response: httpx.Response) -> Any:
    """``data`` of a ``{code, data, msg}`` envelope (or the body); a non-200 ``code`` raises."""
    body = _json(response)
    if not _is_envelope(body):
        return body
    code = body.get("code")
    if code in _OK_CODES:
        return body.get("data")
    message = str(body.get("msg") or body.get("message") or f"error code {code}")
    status = _int(code)
    if status is None or not 400 <= status <= 599:
        status = 400
    raise error_for(status, str(code), message, None)


def page_rows(data: Any) -> tuple[list[dict[str, Any]], int | None]:
    """Rows and total (None if not given) of a list answer in any of the usual shapes."""
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)], None
    if not isinstance(data, dict):
        return [], None
    rows: Any = []
    for key in ("list", "items", "records", "rows", "groups", "assets", "data"):
        if isinstance(data.get(key), list):
            rows = data[key]
            break
    total = data.get("total", data.get("total_count", data.get("count")))
    pagination = data.get("pagination")
    if total is None and isinstance(pagination, dict):
        total = pagination.get("total")
    return [r for r in rows if isinstance(r, dict)], _int(total)


def asset_info(
    row: dict[str, Any], *, record_id: str | None = None, group_id: str | None = None
) -> AssetInfo:
    status = (_str(row, "status", "Status") or "").lower()
    state = {
        "2": RemoteAssetState.ACTIVE,
        "active": RemoteAssetState.ACTIVE,
        "succeeded": RemoteAssetState.ACTIVE,
        "success": RemoteAssetState.ACTIVE,
        "3": RemoteAssetState.FAILED,
        "failed": RemoteAssetState.FAILED,
        "fail": RemoteAssetState.FAILED,
    }.get(status, RemoteAssetState.PROCESSING)
    code, message = asset_error(row) if state is RemoteAssetState.FAILED else (None, None)
    name = _str(row, "name", "asset_name", "file_name", "Name")
    return AssetInfo(
        asset_id=_str(row, "asset_id", "assetId", "AssetId"),
        state=state,
        group_id=_str(row, "group_id", "groupId", "GroupId") or group_id,
        name=_EXTENSION.sub("", name) if name else None,
        record_id=_str(row, "task_id", "taskId") or record_id,
        error_code=code,
        error_message=message,
        raw=row,
    )


def asset_error(data: dict[str, Any]) -> tuple[str | None, str | None]:
    for key in ("error", "Error"):
        error = data.get(key)
        if isinstance(error, dict):
            return _str(error, "code", "Code"), _str(error, "message", "Message")
        if isinstance(error, str) and error:
            return error, None
    code = _str(data, "error_code", "errorCode", "fail_code")
    message = _str(data, "error_msg", "error_message", "fail_reason", "reason", "msg")
    return code, message


def video_status(body: Any, now: float) -> VideoStatus:
    if _is_envelope(body) and isinstance(body.get("data"), dict) and "status" not in body:
        body = body["data"]
    task_id = _str(body, "task_id", "id")
    if not isinstance(body, dict) or task_id is None:
        raise ProviderError("PowerTokens returned a video task without an id")
    status = (_str(body, "status") or "").lower()
    state = {
        "running": VideoState.RUNNING,
        "in_progress": VideoState.RUNNING,
        "processing": VideoState.RUNNING,
        "succeeded": VideoState.COMPLETED,
        "completed": VideoState.COMPLETED,
        "success": VideoState.COMPLETED,
        "failed": VideoState.FAILED,
        "error": VideoState.FAILED,
        "cancelled": VideoState.FAILED,
        "canceled": VideoState.FAILED,
        "expired": VideoState.FAILED,
    }.get(status, VideoState.QUEUED)  # pending, queued, submitted, unknown
    url = _str(body, "video_url") or _str(body.get("content"), "video_url")
    url = url or _str(body.get("metadata"), "url") or _str(body, "url")
    code = message = None
    error = body.get("error")
    if isinstance(error, dict):
        code, message = _str(error, "code", "type"), _str(error, "message")
    elif isinstance(error, str) and error:
        message = error
    if state is VideoState.FAILED:
        code = code or status or "failed"
        message = message or _str(body, "message", "fail_reason")
    if state is VideoState.COMPLETED and url is None:
        raise ProviderError("PowerTokens said the video succeeded but gave no video_url")
    expires = None
    if url is not None:
        expires = timestamp(body.get("expires_at")) or _query_expiry(url)
        if expires is None:
            done = timestamp(body.get("completed_at")) or timestamp(body.get("updated_at"))
            expires = (done or now) + VIDEO_URL_LIFETIME
    return VideoStatus(
        task_id=task_id,
        state=state,
        video_url=url,
        url_expires_at=expires,
        error_code=code,
        error_message=message,
        raw=body,
    )


def reference_prompt(prompt: str, count: int) -> str:
    """With several reference images, a prompt naming none gets "[Image 1] ..." in front."""
    if count < 2 or _IMAGE_MENTION.search(prompt):
        return prompt
    tags = " ".join(f"[Image {i}]" for i in range(1, count + 1))
    return f"{tags} {prompt}".strip()


def timestamp(value: Any) -> float | None:
    """Unix seconds from unix s/ms or ISO 8601 with a zone; naive or unreadable -> None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) / 1000 if value > 1e12 else float(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return timestamp(float(text))
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.timestamp() if parsed.tzinfo is not None else None
    return None


def _query_expiry(url: str) -> float | None:
    query = parse_qs(urlparse(url).query)
    for key in ("expires", "Expires"):
        if key in query:
            return timestamp(query[key][0])
    return None


def _is_envelope(body: Any) -> bool:
    return isinstance(body, dict) and "code" in body and ("data" in body or "msg" in body)


def _says_failed(text: str | None) -> bool:
    return bool(text) and any(word in (text or "").lower() for word in _FAILED_WORDS)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError("PowerTokens answered with something that is not JSON") from exc


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _number(data: Any, *keys: str) -> float | None:
    if not isinstance(data, dict):
        return None
    for key in keys:
        value = data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
    return None
