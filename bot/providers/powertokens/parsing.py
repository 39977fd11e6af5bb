"""Reading PowerTokens' answers: envelopes, errors, list pages, assets, video tasks, times."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import httpx

from bot.providers.base import (
    AssetInfo,
    ProviderError,
    RejectReason,
    RemoteAssetState,
    VideoStatus,
)
from bot.providers.checks import image_tags
from bot.providers.http import REJECT_REASONS, retry_after_seconds, status_error
from bot.providers.parsing import (
    as_dict,
    asset_state,
    error_of,
    integer,
    json_of,
    json_or_none,
    video_task,
    word,
)
from bot.providers.parsing import first_str as _str
from bot.providers.parsing import page_rows as page_rows
from bot.providers.parsing import timestamp as read_time

PRODUCTION_ASSET_HOSTS = ("powertokens.ai", "www.powertokens.ai")
PRODUCTION_VIDEO_BASE = "https://api.powertokens.ai"
VENDOR = "PowerTokens"
# Asset rows say 1 under review | 2 succeeded | 3 failed; words are read too.
_ASSET_STATES = {
    **dict.fromkeys(("2", "succeeded", "success"), RemoteAssetState.ACTIVE),
    "3": RemoteAssetState.FAILED,
}
_OK_CODES = (0, 200, "0", "200")
# How a prompt names reference n: the Seedance 2.0 sample on PowerTokens' official-compatible
# page names images in words ("... is Image 1 ..."), never in brackets or with "@".
IMAGE_TAG = "Image {n}"
# A prompt already naming an image: "Image 2", "image2", or the bracketed "[Image 2]".
_IMAGE_MENTION = re.compile(r"\bimage\s*\d", re.IGNORECASE)
_EXTENSION = re.compile(r"\.(jpe?g|png|webp|bmp|tiff?|gif|heic|heif)$", re.IGNORECASE)
_GROUP_IDS = ("group_id", "groupId", "GroupId", "id", "Id")
_ASSET_IDS = ("asset_id", "assetId", "AssetId")
_QUOTA_WORDS = ("quota", "limit", "exceed", "insufficient", "balance", "额度", "上限", "余额")
_FAILED_WORDS = ("fail", "error", "reject", "失败")


def default_video_base(base_url: str) -> str:
    parsed = urlparse(base_url)
    if parsed.hostname in PRODUCTION_ASSET_HOSTS:
        return PRODUCTION_VIDEO_BASE
    return base_url


def classify(response: httpx.Response, default: ProviderError) -> ProviderError:
    """Refine an HTTP error with the envelope's ``code``/``msg`` or an ``error`` object."""
    body = json_or_none(response)
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
    """As every vendor's statuses read, but 402 is the balance and a 403 is the quota only
    where its message says so."""
    quota = any(word in message.lower() for word in _QUOTA_WORDS)
    reasons = {
        **REJECT_REASONS,
        402: RejectReason.QUOTA,
        403: RejectReason.QUOTA if quota else RejectReason.OTHER,
    }
    return status_error(status, message, code=code, retry_after=retry_after, reasons=reasons)


def unwrap(response: httpx.Response) -> Any:
    """``data`` of a ``{code, data, msg}`` envelope (or the body); a non-200 ``code`` raises."""
    body = json_of(response, VENDOR)
    if not _is_envelope(body):
        return body
    code = body.get("code")
    if code in _OK_CODES:
        return body.get("data")
    message = str(body.get("msg") or body.get("message") or f"error code {code}")
    status = integer(code)
    if status is None or not 400 <= status <= 599:
        status = 400
    raise error_for(status, str(code), message, None)


def group_key(row: dict[str, Any]) -> str | None:
    return _str(row, *_GROUP_IDS)


def asset_key(row: dict[str, Any]) -> str | None:
    return _str(row, *_ASSET_IDS)


def asset_info(
    row: dict[str, Any], *, record_id: str | None = None, group_id: str | None = None
) -> AssetInfo:
    state = asset_state(word(row, "status", "Status"), _ASSET_STATES)
    code, message = asset_error(row) if state is RemoteAssetState.FAILED else (None, None)
    name = _str(row, "name", "asset_name", "file_name", "Name")
    return AssetInfo(
        asset_id=asset_key(row),
        state=state,
        group_id=_str(row, "group_id", "groupId", "GroupId") or group_id,
        name=_EXTENSION.sub("", name) if name else None,
        record_id=_str(row, "task_id", "taskId") or record_id,
        error_code=code,
        error_message=message,
        raw=row,
    )


def job_asset(body: Any, task_id: str) -> AssetInfo:
    """An upload job's answer (get-asset-id): the asset id once processed; failed where the job
    or its message says so; processing otherwise. 401/404/429/5xx codes raise."""
    data: Any = body
    failed_code: str | None = None
    message: str | None = None
    if _is_envelope(body):
        data = body.get("data")
        message = _str(body, "msg", "message")
        if body.get("code") not in _OK_CODES:
            status = integer(body.get("code")) or 400
            if status in (401, 404, 429) or status >= 500:
                raise error_for(status, str(body.get("code")), message or "", None)
            if _says_failed(message):
                failed_code = str(body.get("code"))
    asset_id = data if isinstance(data, str) and data else _str(data, "asset_id", "assetId")
    if asset_id is not None:
        return AssetInfo(asset_id, RemoteAssetState.PROCESSING, record_id=task_id, raw=body)
    if _says_failed(_str(data, "status", "state")):
        code, why = asset_error(as_dict(data))
        failed_code, message = code or failed_code or "upload_failed", why or message
    if failed_code is None:
        return AssetInfo(None, RemoteAssetState.PROCESSING, record_id=task_id, raw=as_dict(body))
    return AssetInfo(
        None,
        RemoteAssetState.FAILED,
        record_id=task_id,
        error_code=failed_code,
        error_message=message,
        raw=as_dict(body),
    )


def asset_error(data: dict[str, Any]) -> tuple[str | None, str | None]:
    code, message = error_of(data)
    return code, message or _str(data, "msg")


def video_status(body: Any, now: float) -> VideoStatus:
    """A video task (not wrapped; an envelope is tolerated); a URL that does not say how long
    it lives is good for 24 h from when the task finished, or from ``now``."""
    return video_task(
        body,
        VENDOR,
        id_keys=("task_id", "id"),
        url_paths=("video_url", "content.video_url", "metadata.url", "url"),
        now=now,
    )


def reference_prompt(prompt: str, count: int) -> str:
    """With ``count`` reference images, a prompt naming none gets a lead-in naming them all
    (:data:`IMAGE_TAG`), so each is tied to the person; frames (``count`` 0) get none."""
    if count < 1 or _IMAGE_MENTION.search(prompt):
        return prompt
    tags = image_tags(IMAGE_TAG, count)
    if count == 1:
        lead = f"{tags[0]} shows the person in this video."
    else:
        lead = f"{', '.join(tags[:-1])} and {tags[-1]} show the person in this video."
    return f"{lead} {prompt.strip()}".strip()


def timestamp(value: Any) -> float | None:
    """Unix seconds from unix s/ms or ISO 8601 with a zone; naive or unreadable -> None:
    a guessed zone could bind the wrong group (matching)."""
    return read_time(value, naive_utc=False)


def _is_envelope(body: Any) -> bool:
    return isinstance(body, dict) and "code" in body and ("data" in body or "msg" in body)


def _says_failed(text: str | None) -> bool:
    return bool(text) and any(word in (text or "").lower() for word in _FAILED_WORDS)


def _number(data: Any, *keys: str) -> float | None:
    if not isinstance(data, dict):
        return None
    for key in keys:
        value = data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
    return None
