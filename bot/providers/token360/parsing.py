"""Reading Token360's answers: the ``{code, data, msg}`` envelope, groups, assets, videos."""

from __future__ import annotations

import re
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
from bot.providers.checks import image_tags
from bot.providers.parsing import asset_info, first_str, json_of, video_task, word
from bot.providers.parsing import page_rows as page_rows

VENDOR = "Token360"
# Token360 takes our model names as they are.
MODEL_IDS = {"seedance-2.0": "seedance-2.0", "seedance-2.0-fast": "seedance-2.0-fast"}
# How a prompt names reference n: a choice, Token360 documents none (package docstring).
IMAGE_TAG = "[Image {n}]"
_NAMED = re.compile(re.escape(IMAGE_TAG).replace(r"\{n\}", r"\d+"), re.IGNORECASE)
_FAILED_GROUP = ("failed", "rejected", "expired", "disabled")


def video_status(body: Any) -> VideoStatus:
    """A video object (not wrapped, PROVIDERS.md; an envelope is tolerated all the same). Its
    presigned URL's lifetime is not documented: 24 h where the URL does not say."""
    return video_task(body, VENDOR, id_keys=("id",), url_paths=("url", "video_url"))


def reference_prompt(prompt: str, count: int) -> str:
    """The prompt of a references request: as it is where it names an image already
    (``[Image 2]``), else with ``[Image 1] [Image 2] ...`` put in front of it."""
    if count == 0 or _NAMED.search(prompt):
        return prompt
    return " ".join([*image_tags(IMAGE_TAG, count), prompt])


def callback_status(body: Any) -> tuple[str | None, VideoStatus]:
    """The ``request_id`` a callback echoes and the video it reports. The envelope is not
    documented: ``{"request_id", "data": <video>}`` (what the simulator sends) or a video
    object carrying ``request_id`` beside its fields are both read."""
    status = video_status(body)
    keys = ("request_id", "requestId")
    return first_str(body, *keys) or first_str(status.raw, *keys), status


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
