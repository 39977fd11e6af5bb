"""Reading provider answers tolerantly: every vendor's parsing is built from these.

The public pages disagree on shapes (shared/PROVIDERS.md), so each reader accepts the
spellings seen across the five vendors: keys in snake_case, camelCase or PascalCase, rows
under any of the usual list keys, statuses in any case, times as unix seconds, milliseconds
or ISO 8601. A vendor module says only what is its own (paths, envelopes, error meanings).
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from bot.providers.base import (
    AssetInfo,
    ProviderError,
    RemoteAssetState,
    VideoState,
    VideoStatus,
)

# Ark deletes a finished MP4 after 24 h; vendors that say nothing are assumed to keep it so long.
VIDEO_URL_LIFETIME = 24 * 3600

VIDEO_STATES: Mapping[str, VideoState] = {
    **dict.fromkeys(
        ("queued", "pending", "submitted", "in_queue", "not_start"), VideoState.QUEUED
    ),
    **dict.fromkeys(("in_progress", "running", "processing"), VideoState.RUNNING),
    **dict.fromkeys(("completed", "succeeded", "success"), VideoState.COMPLETED),
    **dict.fromkeys(
        ("failed", "failure", "fail", "error", "cancelled", "canceled", "expired"),
        VideoState.FAILED,
    ),
}
ASSET_STATES: Mapping[str, RemoteAssetState] = {
    "active": RemoteAssetState.ACTIVE,
    **dict.fromkeys(("failed", "fail", "error", "rejected"), RemoteAssetState.FAILED),
}
_ROW_KEYS = ("list", "records", "items", "Items", "rows", "groups", "assets", "results", "data")
_TOTAL_KEYS = ("total", "total_count", "totalCount", "TotalCount", "count")
_STATUS_KEYS = ("status", "task_status", "state")
_FINISHED_KEYS = ("completed_at", "finish_time", "updated_at")
_ERROR_CODES = ("error_code", "errorCode", "failCode", "fail_code")
_ERROR_MESSAGES = (
    "error_message",
    "errorMessage",
    "error_msg",
    "failReason",
    "fail_reason",
    "reason",
)


def first(data: Any, *keys: str) -> Any:
    """The first of ``keys`` in ``data`` with a value other than None or ""; else None."""
    if not isinstance(data, dict):
        return None
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return value
    return None


def first_str(data: Any, *keys: str) -> str | None:
    """The first of ``keys`` in ``data`` holding a non-empty scalar, as text; else None."""
    if not isinstance(data, dict):
        return None
    for key in keys:
        value = data.get(key)
        if value not in (None, "") and not isinstance(value, dict | list):
            return str(value)
    return None


def first_str_at(data: Any, *paths: str) -> str | None:
    """``first_str`` over dotted paths (``"result.url"``): the first that holds text."""
    for path in paths:
        *parents, key = path.split(".")
        holder = data
        for parent in parents:
            holder = holder.get(parent) if isinstance(holder, dict) else None
        if (value := first_str(holder, key)) is not None:
            return value
    return None


def word(data: Any, *keys: str) -> str:
    """A status word, lower case ("" when absent): statuses compare case-insensitively."""
    return (first_str(data, *keys) or "").lower()


def integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def timestamp(value: Any, *, naive_utc: bool = True) -> float | None:
    """Unix seconds from unix seconds or milliseconds (also as text) or ISO 8601.

    A time without a zone is UTC, or unreadable (None) with ``naive_utc=False`` where
    guessing wrong could bind the wrong group (PowerTokens' matching).
    """
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        seconds = number(text)
        if seconds is None:
            try:
                stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            if stamp.tzinfo is None:
                if not naive_utc:
                    return None
                stamp = stamp.replace(tzinfo=UTC)
            return stamp.timestamp()
        value = seconds
    seconds = number(value)
    if seconds is None:
        return None
    return seconds / 1000 if seconds > 1e11 else seconds


def json_of(response: httpx.Response, vendor: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError(f"{vendor} answered with something that is not JSON") from exc


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def page_rows(data: Any) -> tuple[list[dict[str, Any]], int | None]:
    """Rows and total (None where the page gives none) of a list page: a bare list, or rows
    under any of the usual keys (``data`` may nest a page), total beside them or in
    ``pagination``/``meta``."""
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)], None
    if not isinstance(data, dict):
        return [], None
    for key in _ROW_KEYS:
        value = data.get(key)
        if isinstance(value, list):
            return [r for r in value if isinstance(r, dict)], page_total(data)
        if key == "data" and isinstance(value, dict):
            rows, total = page_rows(value)
            return rows, total if total is not None else page_total(data)
    return [], page_total(data)


def page_total(data: dict[str, Any]) -> int | None:
    for key in _TOTAL_KEYS:
        if (value := integer(data.get(key))) is not None:
            return value
    for key in ("pagination", "meta"):
        if (value := integer(as_dict(data.get(key)).get("total"))) is not None:
            return value
    return None


def error_of(data: Any, *, prose: bool = False) -> tuple[str | None, str | None]:
    """(code, message) of a failure: an ``error``/``Error`` object or string, else flat
    ``error_code``/``fail_reason``-style fields. A bare string is a code (``FaceMismatch``)
    unless ``prose``: a video task's is a sentence, and its status word is the code."""
    if not isinstance(data, dict):
        return None, None
    for key in ("error", "Error"):
        error = data.get(key)
        if isinstance(error, dict):
            code = first_str(error, "code", "Code", "type")
            return code, first_str(error, "message", "Message")
        if isinstance(error, str) and error:
            return (None, error) if prose else (error, None)
    return first_str(data, *_ERROR_CODES), first_str(data, *_ERROR_MESSAGES)


def asset_info(
    data: Any,
    vendor: str,
    *,
    id_keys: Sequence[str],
    record_keys: Sequence[str] | None = None,
    group_keys: Sequence[str] = (),
    name_keys: Sequence[str] = ("name", "Name"),
    states: Mapping[str, RemoteAssetState] | None = None,
    id_later: bool = False,
) -> AssetInfo:
    """An asset as our info. Its id is the first of ``id_keys``, required unless the vendor
    assigns it later (``id_later``: a record id must be there then); the record id is the
    first of ``record_keys``, else the asset id. The reason is read only from a failed asset."""
    if not isinstance(data, dict):
        raise ProviderError(f"{vendor} returned an asset that is not an object")
    asset_id = first_str(data, *id_keys)
    record_id = first_str(data, *record_keys) if record_keys is not None else asset_id
    if asset_id is None and not (id_later and record_id is not None):
        raise ProviderError(f"{vendor} returned an asset without an id")
    state = asset_state(word(data, "status", "Status"), states)
    code, message = error_of(data) if state is RemoteAssetState.FAILED else (None, None)
    return AssetInfo(
        asset_id=asset_id,
        state=state,
        group_id=first_str(data, *group_keys),
        name=first_str(data, *name_keys),
        record_id=record_id,
        error_code=code,
        error_message=message,
        raw=data,
    )


def asset_state(
    status: str, extra: Mapping[str, RemoteAssetState] | None = None
) -> RemoteAssetState:
    """An asset status word (lower case) as our state; unknown words are still processing."""
    return {**ASSET_STATES, **(extra or {})}.get(status, RemoteAssetState.PROCESSING)


def url_expiry(url: str, issued_at: float | None = None) -> float | None:
    """When a signed URL says it stops working: ``expires`` (a time, or a lifetime counted
    from ``issued_at``), or ``X-Amz-Date`` + ``X-Amz-Expires``; None if it does not say."""
    query = {k.lower(): v[0] for k, v in parse_qs(urlparse(url).query).items() if v}
    start = issued_at if issued_at is not None else time.time()
    for key in ("expires", "x-tos-expires"):
        value = timestamp(query.get(key))
        if value is not None:
            return value if value >= 1e9 else start + value
    lifetime = number(query.get("x-amz-expires"))
    if lifetime is not None:
        try:
            signed = calendar.timegm(time.strptime(query.get("x-amz-date", ""), "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return start + lifetime
        return signed + lifetime
    return None


def video_task(
    body: Any,
    vendor: str,
    *,
    id_keys: Sequence[str] = ("id", "task_id"),
    url_paths: Sequence[str] = ("url", "video_url"),
    now: float | None = None,
) -> VideoStatus:
    """A video task as our status. The id is the first of ``id_keys`` (a body holding none is
    an envelope: its ``data`` is read); the URL the first of ``url_paths`` (dotted, e.g.
    ``result.url``). The error is read only from a failed task (its status word is the code
    where none is given), and a completed task must name its URL."""
    enveloped = isinstance(body, dict) and isinstance(body.get("data"), dict)
    if enveloped and first_str(body, *id_keys) is None:
        body = body["data"]
    task_id = first_str(body, *id_keys)
    if not isinstance(body, dict) or task_id is None:
        raise ProviderError(f"{vendor} returned a video task without an id")
    status = word(body, *_STATUS_KEYS)
    state = video_state(status) or VideoState.QUEUED
    url = first_str_at(body, *url_paths)
    code = message = None
    if state is VideoState.FAILED:
        code, message = error_of(body, prose=True)
        message = message or first_str(body, "message", "fail_reason", "failReason")
        code = code or status or "failed"
    if state is VideoState.COMPLETED and url is None:
        raise ProviderError(f"{vendor} said the video is completed but gave no url")
    return VideoStatus(
        task_id=task_id,
        state=state,
        video_url=url,
        url_expires_at=video_url_expiry(body, url, now) if url else None,
        error_code=code,
        error_message=message,
        queue_position=integer(body.get("queue_position")),
        raw=body,
    )


def video_url_expiry(body: dict[str, Any], url: str, now: float | None = None) -> float:
    """When a finished video's URL stops working: the task's ``expires_at`` (or its
    result's), else the URL's own signature, else ``VIDEO_URL_LIFETIME`` after the task
    finished (or ``now``, where it does not say when)."""
    said = moment(body, "expires_at") or moment(body.get("result"), "expires_at")
    if said is not None:
        return said
    finished = moment(body, *_FINISHED_KEYS)
    start = finished if finished is not None else now if now is not None else time.time()
    return url_expiry(url, start) or start + VIDEO_URL_LIFETIME


def moment(data: Any, *keys: str) -> float | None:
    """The first of ``keys`` in ``data`` that reads as a time (unix seconds)."""
    for key in keys:
        if (value := timestamp(data.get(key) if isinstance(data, dict) else None)) is not None:
            return value
    return None


def video_state(status: str) -> VideoState | None:
    return VIDEO_STATES.get(status)
