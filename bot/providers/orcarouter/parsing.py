"""Reading OrcaRouter's answers: the return visit, envelopes, errors, pages, assets, videos."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from bot.providers.base import (
    AssetInfo,
    GroupInfo,
    GroupState,
    ProviderAuthError,
    ProviderError,
    ProviderRejected,
    RejectReason,
    RemoteAssetState,
    VideoState,
    VideoStatus,
)

ASSET_QUOTA = 100
PAGE_SIZE = 100
VIDEO_URL_LIFETIME = 24 * 3600  # Ark deletes the MP4 after 24 h (PROVIDERS.md)
_IMAGE_TAG = re.compile(r"\[Image \d+\]")
_PASSED = {"success", "succeeded", "passed", "pass", "ok", "true", "10000"}


@dataclass(frozen=True)
class VerificationReturn:
    """What the person's browser brought back to ``return_url``."""

    status: str
    session_id: str | None
    group_id: str | None

    @property
    def passed(self) -> bool:
        return self.status.lower() in _PASSED and self.group_id is not None


def parse_return(query: Mapping[str, str]) -> VerificationReturn:
    """Read ``?status=&session_id=&group_id=`` (camelCase tolerated) from the return visit."""

    def first(*keys: str) -> str | None:
        for key in keys:
            value = query.get(key)
            if value:
                return value
        return None

    return VerificationReturn(
        status=first("status", "Status", "resultCode") or "",
        session_id=first("session_id", "sessionId"),
        group_id=first("group_id", "groupId", "GroupId"),
    )


def compose_prompt(prompt: str, asset_ids: Sequence[str]) -> str:
    """Name the images as ``[Image k]`` (k = position in ``content[]``), never by raw id.

    Raw ids (or ``asset://`` refs) in the text become their tag; a prompt that names no
    image gets a lead-in naming them all, so every reference is tied to the person.
    """
    text = prompt.strip()
    for i, asset_id in enumerate(asset_ids, 1):
        text = text.replace(f"asset://{asset_id}", f"[Image {i}]").replace(
            asset_id, f"[Image {i}]"
        )
    if not asset_ids or _IMAGE_TAG.search(text):
        return text
    tags = [f"[Image {i}]" for i in range(1, len(asset_ids) + 1)]
    if len(tags) == 1:
        lead = f"{tags[0]} shows the person in this video."
    else:
        lead = f"{', '.join(tags[:-1])} and {tags[-1]} show the person in this video."
    return f"{lead} {text}".strip()


def classify(response: httpx.Response, error: ProviderError) -> ProviderError:
    """OrcaRouter's meaning of 402/403 (see the package docstring)."""
    status = response.status_code
    if status == 403:
        request = response.request
        if request.method == "POST" and request.url.path.rstrip("/").endswith("/asset/files"):
            return ProviderRejected(
                f"OrcaRouter asset quota reached (default {ASSET_QUOTA} assets per account, "
                f"shared by all groups): delete assets or ask OrcaRouter to raise the cap "
                f"({error.message})",
                reason=RejectReason.QUOTA,
                status=status,
                code=error.code,
            )
        return ProviderAuthError(
            f"OrcaRouter refused this key for the request: {error.message}",
            status=status,
            code=error.code,
        )
    if status == 402:
        return ProviderRejected(
            f"OrcaRouter account balance exhausted: {error.message}",
            reason=RejectReason.QUOTA,
            status=status,
            code=error.code,
        )
    return error


def unwrap(body: Any) -> Any:
    """The ``data`` of a ``{code, data}`` / ``{success, data}`` envelope, else the body."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict | list):
        return body
    if not ({"code", "success"} & body.keys()) or {"Id", "id", "task_id"} & body.keys():
        return body
    if body.get("success") is False:
        message = str(body.get("message") or body.get("msg") or "request failed")
        raise ProviderRejected(message, reason=RejectReason.OTHER)
    return body["data"]


def read_page(data: Any) -> tuple[list[dict[str, Any]], int, int]:
    """Rows, total and page size of ``{TotalCount, Items, PageNumber, PageSize}`` (or alike)."""
    if isinstance(data, list):
        rows: Any = data
        data = {}
    elif isinstance(data, dict):
        rows = next((data[k] for k in ("Items", "items", "list", "records") if k in data), [])
    else:
        return [], 0, PAGE_SIZE
    rows = [r for r in rows or [] if isinstance(r, dict)]
    total = _float(_get(data, "TotalCount", "totalCount", "total"))
    size = _float(_get(data, "PageSize", "pageSize", "page_size"))
    return rows, int(total) if total is not None else len(rows), int(size or PAGE_SIZE)


def video_status(body: Any) -> VideoStatus:
    if not isinstance(body, dict):
        raise ProviderError("OrcaRouter returned a video task that is not an object")
    task_id = _str(body, "task_id", "id", "taskId")
    if task_id is None:
        raise ProviderError("OrcaRouter returned a video task without an id")
    status = (_str(body, "status", "task_status", "state") or "").lower()
    state = {
        "queued": VideoState.QUEUED,
        "pending": VideoState.QUEUED,
        "submitted": VideoState.QUEUED,
        "not_start": VideoState.QUEUED,
        "in_progress": VideoState.RUNNING,
        "running": VideoState.RUNNING,
        "processing": VideoState.RUNNING,
        "completed": VideoState.COMPLETED,
        "succeeded": VideoState.COMPLETED,
        "success": VideoState.COMPLETED,
        "failed": VideoState.FAILED,
        "failure": VideoState.FAILED,
        "cancelled": VideoState.FAILED,
        "canceled": VideoState.FAILED,
        "expired": VideoState.FAILED,
    }.get(status, VideoState.QUEUED)
    url = (
        _str(body.get("metadata"), "url", "video_url")
        or _str(body, "url", "video_url")
        or _str(body.get("content"), "video_url", "url")
        or _str(body.get("result"), "url", "video_url")
    )
    code = message = None
    error = body.get("error")
    if isinstance(error, dict):
        code, message = _str(error, "code", "Code", "type"), _str(error, "message", "Message")
    elif isinstance(error, str) and error:
        message = error
    message = message or _str(body, "fail_reason", "failReason")
    if state is VideoState.FAILED and code is None:
        code = status or "failed"
    if state is VideoState.COMPLETED and url is None:
        raise ProviderError("OrcaRouter said the video is completed but gave no url")
    expires = None
    if url is not None:
        done = _time(_get(body, "completed_at", "finish_time", "updated_at"))
        expires = _time(body.get("expires_at")) or url_expiry(url, done)
    progress = _float(body.get("queue_position"))
    return VideoStatus(
        task_id=task_id,
        state=state,
        video_url=url,
        url_expires_at=expires,
        error_code=code,
        error_message=message,
        queue_position=int(progress) if progress is not None else None,
        raw=body,
    )


def url_expiry(url: str, completed_at: float | None) -> float:
    """A signed URL's own expiry (``expires`` / ``Expires`` / X-Amz), else 24 h."""
    query = parse_qs(urlparse(url).query)
    for key in ("expires", "Expires", "X-Tos-Expires", "X-Amz-Expires"):
        if key in query:
            value = _float(query[key][0])
            if value is not None:
                if value < 10**9:  # a lifetime in seconds, not a timestamp
                    return (completed_at or time.time()) + value
                return value
    return (completed_at or time.time()) + VIDEO_URL_LIFETIME


def _get(data: Any, *keys: str) -> Any:
    if not isinstance(data, dict):
        return None
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return value
    return None


def _str(data: Any, *keys: str) -> str | None:
    value = _get(data, *keys)
    return None if value is None or isinstance(value, dict | list) else str(value)


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _time(value: Any) -> float | None:
    """Unix seconds from ISO 8601 (``Z`` or offset; naive = UTC) or unix s/ms."""
    number = _float(value)
    if number is not None:
        return number / 1000 if number > 1e11 else number
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def _group(row: dict[str, Any]) -> GroupInfo:
    group_id = _str(row, "Id", "id", "GroupId")
    if group_id is None:
        raise ProviderError("OrcaRouter returned a group without an Id")
    status = (_str(row, "Status", "status") or "").lower()
    failed = status in ("failed", "rejected", "disabled", "deleted")
    return GroupInfo(
        group_id=group_id,
        state=GroupState.FAILED if failed else GroupState.ACTIVE,
        name=_str(row, "Name", "name"),
        raw=row,
    )


def _asset(data: Any) -> AssetInfo:
    if not isinstance(data, dict):
        raise ProviderError("OrcaRouter returned an asset that is not an object")
    asset_id = _str(data, "Id", "id", "AssetId", "asset_id")
    if asset_id is None:
        raise ProviderError("OrcaRouter returned an asset without an Id")
    status = (_str(data, "Status", "status") or "").lower()
    state = {
        "active": RemoteAssetState.ACTIVE,
        "failed": RemoteAssetState.FAILED,
        "fail": RemoteAssetState.FAILED,
    }.get(status, RemoteAssetState.PROCESSING)
    code = message = None
    error = _get(data, "Error", "error")
    if isinstance(error, dict):
        code, message = _str(error, "Code", "code"), _str(error, "Message", "message")
    elif isinstance(error, str):
        code = error
    if state is RemoteAssetState.FAILED and code is None:
        code = "Failed"
    return AssetInfo(
        asset_id=asset_id,
        state=state,
        group_id=_str(data, "GroupId", "groupId", "group_id"),
        name=_str(data, "Name", "name"),
        record_id=asset_id,
        error_code=code,
        error_message=message,
        raw=data,
    )
