"""Reading Token360's answers: the ``{code, data, msg}`` envelope, groups, assets, videos."""

from __future__ import annotations

import time
from typing import Any

import httpx

from bot.providers.base import (
    AssetInfo,
    GroupInfo,
    GroupState,
    ProviderError,
    ProviderRejected,
    RejectReason,
    VideoState,
    VideoStatus,
)
from bot.providers.parsing import (
    VIDEO_URL_LIFETIME,
    asset_state,
    error_of,
    first_str,
    json_of,
    number,
    video_state,
    word,
)
from bot.providers.parsing import page_rows as page_rows
from bot.providers.parsing import url_expiry as signed_expiry
from bot.providers.parsing import video_status as read_video

VENDOR = "Token360"
_FAILED_GROUP = ("failed", "rejected", "expired", "disabled")


def video_status(body: Any) -> VideoStatus:
    """A video object (not wrapped, PROVIDERS.md); tolerates an envelope all the same."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and "id" not in body:
        body = body["data"]
    if not isinstance(body, dict) or not body.get("id"):
        raise ProviderError("Token360 returned a video without an id")
    url = first_str(body, "url", "video_url")
    return read_video(
        body,
        VENDOR,
        task_id=str(body["id"]),
        state=video_state(word(body, "status")) or VideoState.QUEUED,
        url=url,
        expires_at=url_expiry(url, body.get("completed_at")) if url else None,
    )


def url_expiry(url: str, completed_at: Any) -> float:
    """When a presigned video URL stops working: its own ``expires`` if it says, else 24 h
    (not documented; PROVIDERS.md: assume 24 h)."""
    done = number(completed_at)
    return signed_expiry(url, done) or (done or time.time()) + VIDEO_URL_LIFETIME


def unwrap(response: httpx.Response) -> Any:
    """The ``data`` of a ``{code, data, msg}`` envelope (or the body if there is none)."""
    body = json_of(response, VENDOR)
    if isinstance(body, dict) and "code" in body and ("data" in body or "msg" in body):
        code = body.get("code")
        if code not in (0, 200, "0", "200", None):
            message = str(body.get("msg") or body.get("message") or f"error code {code}")
            raise ProviderRejected(message, reason=RejectReason.OTHER, status=response.status_code)
        return body.get("data")
    return body


def group_key(row: dict[str, Any]) -> str | None:
    return first_str(row, "assetGroupId", "groupId", "id")


def asset_key(row: dict[str, Any]) -> str | None:
    return first_str(row, "assetId", "asset_id", "id")


def group(data: Any, fallback_id: str | None) -> GroupInfo:
    if not isinstance(data, dict):
        raise ProviderError("Token360 returned a group that is not an object")
    group_id = group_key(data) or fallback_id
    if group_id is None:
        raise ProviderError("Token360 returned a group without an id")
    status = word(data, "status")
    if status == "active":
        state = GroupState.ACTIVE
    elif status in _FAILED_GROUP:
        state = GroupState.FAILED
    else:
        state = GroupState.PENDING
    return GroupInfo(
        group_id=group_id,
        state=state,
        name=first_str(data, "name"),
        h5_link=first_str(data, "h5Link", "h5_link"),
        raw=data,
    )


def asset(data: Any) -> AssetInfo:
    if not isinstance(data, dict):
        raise ProviderError("Token360 returned an asset that is not an object")
    asset_id = first_str(data, "assetId", "asset_id")
    if asset_id is None:
        raise ProviderError("Token360 returned an asset without an assetId")
    code, message = error_of(data)
    return AssetInfo(
        asset_id=asset_id,
        state=asset_state(word(data, "status", "Status")),
        group_id=first_str(data, "assetGroupId", "groupId"),
        name=first_str(data, "name"),
        record_id=first_str(data, "id"),
        error_code=code,
        error_message=message,
        raw=data,
    )
