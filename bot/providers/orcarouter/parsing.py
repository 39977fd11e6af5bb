"""Reading OrcaRouter's answers: the return visit, envelopes, errors, pages, assets, videos."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from bot.providers.base import (
    AssetInfo,
    GroupInfo,
    GroupState,
    ImageRole,
    ProviderAuthError,
    ProviderError,
    ProviderRejected,
    RejectReason,
    RemoteAssetState,
    VideoImage,
    VideoStatus,
)
from bot.providers.checks import image_tags
from bot.providers.parsing import (
    asset_info,
    first,
    first_str,
    integer,
    moment,
    page_rows,
    video_task,
    word,
)

ASSET_QUOTA = 100
PAGE_SIZE = 100
VENDOR = "OrcaRouter"
_URL_PATHS = (
    "metadata.url",
    "metadata.video_url",
    "url",
    "video_url",
    "content.video_url",
    "content.url",
    "result.url",
    "result.video_url",
)
_ASSET_IDS = ("Id", "id", "AssetId", "asset_id")
# How a prompt names image n (seed 002: "[Image 1]"), and how we find one already there.
IMAGE_TAG = "[Image {n}]"
_TAGGED = re.compile(re.escape(IMAGE_TAG).replace(re.escape("{n}"), r"\d+"), re.IGNORECASE)
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
    fields = dict(query)
    return VerificationReturn(
        status=first_str(fields, "status", "Status", "resultCode") or "",
        session_id=first_str(fields, "session_id", "sessionId"),
        group_id=first_str(fields, "group_id", "groupId", "GroupId"),
    )


def compose_prompt(prompt: str, images: Sequence[VideoImage]) -> str:
    """Name the images as ``[Image k]`` (k = position in ``content[]``), never by raw id.

    Raw ids (or ``asset://`` refs) in the text become their tag. A references prompt that
    names no image gets a lead-in naming them all, so every reference is tied to the person;
    frames (first, first and last) get none: their place in the video says what they are.
    """
    text = prompt.strip()
    for i, image in enumerate(images, 1):
        tag = IMAGE_TAG.format(n=i)
        text = text.replace(f"asset://{image.asset_id}", tag).replace(image.asset_id, tag)
    references = bool(images) and all(i.role is ImageRole.REFERENCE for i in images)
    if not references or _TAGGED.search(text):
        return text
    tags = image_tags(IMAGE_TAG, len(images))
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
    """Rows, total and page size of ``{TotalCount, Items, PageNumber, PageSize}`` (or alike);
    a page that gives no total holds them all."""
    rows, total = page_rows(data)
    size = integer(first(data, "PageSize", "pageSize", "page_size"))
    return rows, total if total is not None else len(rows), size or PAGE_SIZE


def video_status(body: Any) -> VideoStatus:
    """The video GET body is NOT FOUND: the URL is looked for in every place seen upstream."""
    return video_task(body, VENDOR, id_keys=("task_id", "id", "taskId"), url_paths=_URL_PATHS)


def created_at(row: Any) -> float | None:
    return moment(row, "CreateTime", "createTime", "create_time")


def group_id_of(row: Any) -> str | None:
    return first_str(row, "Id", "id", "GroupId")


def group(row: dict[str, Any]) -> GroupInfo:
    group_id = group_id_of(row)
    if group_id is None:
        raise ProviderError("OrcaRouter returned a group without an Id")
    failed = word(row, "Status", "status") in ("failed", "rejected", "disabled", "deleted")
    return GroupInfo(
        group_id=group_id,
        state=GroupState.FAILED if failed else GroupState.ACTIVE,
        name=first_str(row, "Name", "name"),
        raw=row,
    )


def asset_id_of(row: Any) -> str | None:
    return first_str(row, *_ASSET_IDS)


def asset(data: Any) -> AssetInfo:
    info = asset_info(
        data,
        VENDOR,
        id_keys=_ASSET_IDS,
        group_keys=("GroupId", "groupId", "group_id"),
    )
    if info.state is RemoteAssetState.FAILED and info.error_code is None:
        return replace(info, error_code="Failed")
    return info
