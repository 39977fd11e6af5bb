"""Reading Token360's answers: the ``{code, data, msg}`` envelope, groups, assets, videos."""

from __future__ import annotations

from typing import Any

import httpx

from bot.providers.base import (
    AssetInfo,
    GroupInfo,
    GroupState,
    ProviderError,
    ProviderRejected,
    RejectReason,
    VideoStatus,
)
from bot.providers.parsing import asset_info, first_str, json_of, video_task, word
from bot.providers.parsing import page_rows as page_rows

VENDOR = "Token360"
_FAILED_GROUP = ("failed", "rejected", "expired", "disabled")


def video_status(body: Any) -> VideoStatus:
    """A video object (not wrapped, PROVIDERS.md; an envelope is tolerated all the same). Its
    presigned URL's lifetime is not documented: 24 h where the URL does not say."""
    return video_task(body, VENDOR, id_keys=("id",), url_paths=("url", "video_url"))


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
    return asset_info(
        data,
        VENDOR,
        id_keys=("assetId", "asset_id"),
        record_keys=("id",),
        group_keys=("assetGroupId", "groupId"),
        name_keys=("name",),
    )
