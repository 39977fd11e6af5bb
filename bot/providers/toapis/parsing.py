"""Reading ToAPIs' answers and building its request bodies: envelopes, verify results, link
fields, assets, video tasks, prompts."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from bot.providers.base import (
    AssetInfo,
    GroupInfo,
    GroupState,
    ProviderError,
    ProviderRejected,
    RejectReason,
    RemoteAssetState,
    VerificationSession,
    VideoRequest,
    VideoState,
    VideoStatus,
)
from bot.providers.parsing import first_str as _str

MODELS = {"seedance-2.0": "seedance-2", "seedance-2.0-fast": "seedance-2-fast"}
MAX_REFERENCE_IMAGES = 9
PASSED_CODE = "10000"
MAX_PLAUSIBLE_LINK_SECONDS = 600.0
VIDEO_URL_LIFETIME = 24 * 3600  # ToAPIs' is NOT FOUND; upstream deletes the MP4 after 24 h

_FAILED_VERIFICATION = {"failed", "fail", "rejected", "error", "denied"}
_VIDEO_STATES = {
    **dict.fromkeys(("submitted", "queued", "pending"), VideoState.QUEUED),
    **dict.fromkeys(("in_progress", "running", "processing"), VideoState.RUNNING),
    **dict.fromkeys(("completed", "succeeded", "success"), VideoState.COMPLETED),
    **dict.fromkeys(("failed", "failure", "cancelled", "canceled", "expired"), VideoState.FAILED),
}
_NAMES_AN_IMAGE = re.compile(r"\bimages?\s*\d", re.IGNORECASE)


def classify(response: httpx.Response, error: ProviderError) -> ProviderError:
    """402 (balance used up) is neither an invalid request nor our asset quota."""
    if response.status_code == 402 and isinstance(error, ProviderRejected):
        return ProviderRejected(
            error.message, reason=RejectReason.OTHER, status=402, code=error.code or "payment"
        )
    return error


def generation_body(request: VideoRequest) -> dict[str, Any]:
    model = MODELS.get(request.model)
    if model is None:
        raise ProviderRejected(
            f"ToAPIs has no model for {request.model!r}",
            reason=RejectReason.INVALID,
            code="unsupported_model",
        )
    if len(request.asset_ids) > MAX_REFERENCE_IMAGES:
        raise ProviderRejected(
            f"at most {MAX_REFERENCE_IMAGES} reference images",
            reason=RejectReason.INVALID,
            code="too_many_images",
        )
    body: dict[str, Any] = {
        "model": model,
        "prompt": reference_prompt(request.prompt, len(request.asset_ids)),
        "duration": request.duration,
        "resolution": request.resolution,
        "generate_audio": request.audio,
        "image_with_roles": [
            {"url": f"asset://{asset_id}", "role": "reference_image"}
            for asset_id in request.asset_ids
        ],
    }
    if request.ratio != "adaptive":
        body["aspect_ratio"] = request.ratio
    return body


def reference_prompt(prompt: str, images: int) -> str:
    """Name the references as ToAPIs' examples do ("image 1"), unless the prompt already does."""
    if images == 0 or _NAMES_AN_IMAGE.search(prompt):
        return prompt
    names = [f"image {i}" for i in range(1, images + 1)]
    listed = names[0] if images == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Keep the person from {listed} as the main character. {prompt}"


def video_status(body: Any) -> VideoStatus:
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and "id" not in body:
        body = body["data"]
    task_id = _str(body, "id", "task_id")
    if not isinstance(body, dict) or task_id is None:
        raise ProviderError("ToAPIs returned a video task without an id")
    status = (_str(body, "status") or "").lower()
    state = _VIDEO_STATES.get(status, VideoState.QUEUED)
    raw_result = body.get("result")
    result: dict[str, Any] = raw_result if isinstance(raw_result, dict) else {}
    url = _str(result, "url", "video_url") or _str(body, "url", "video_url")
    code, message = _error(body)
    if state is VideoState.FAILED and code is None:
        code = status or "failed"
    if state is VideoState.COMPLETED and url is None:
        raise ProviderError("ToAPIs said the video is completed but gave no url")
    expires = _time(body.get("expires_at")) or _time(result.get("expires_at"))
    if url and expires is None:
        expires = url_expiry(url, _time(body.get("completed_at")))
    position = body.get("queue_position")
    return VideoStatus(
        task_id=task_id,
        state=state,
        video_url=url,
        url_expires_at=expires if url else None,
        error_code=code if state is VideoState.FAILED else None,
        error_message=message if state is VideoState.FAILED else None,
        queue_position=position if isinstance(position, int) else None,
        raw=body,
    )


def url_expiry(url: str, completed_at: float | None) -> float:
    query = parse_qs(urlparse(url).query)
    for key in ("expires", "Expires", "X-Tos-Expires"):
        if key in query and (stamp := _time(query[key][0])) is not None:
            return stamp
    return (completed_at or time.time()) + VIDEO_URL_LIFETIME


def verification_outcome(data: Any, task_id: str) -> GroupInfo | None:
    if isinstance(data, list):  # a list of results: ours is the one with our task id
        data = next((r for r in data if _str(r, "task_id", "id") == task_id), None)
    if not isinstance(data, dict):
        return None
    nested = [data] + [data[k] for k in ("result", "group") if isinstance(data.get(k), dict)]
    group_id = next((g for d in nested if (g := _str(d, "group_id", "groupId", "GroupId"))), None)
    if group_id is None and isinstance(data.get("group"), dict):
        group_id = _str(data["group"], "id")
    status = (_str(data, "status") or "").lower()
    code = _str(data, "result_code", "resultCode")
    if status in _FAILED_VERIFICATION or (group_id is None and code not in (None, PASSED_CODE)):
        return GroupInfo(group_id=group_id or task_id, state=GroupState.FAILED, raw=data)
    if group_id is None:
        return None
    return GroupInfo(group_id=group_id, state=GroupState.ACTIVE, raw=data)


def parse_asset(data: Any) -> AssetInfo:
    if not isinstance(data, dict):
        raise ProviderError("ToAPIs returned an asset that is not an object")
    asset_id = _str(data, "asset_id", "assetId", "id", "Id")
    if asset_id is None:
        raise ProviderError("ToAPIs returned an asset without an asset_id")
    status = (_str(data, "status", "Status") or "").lower()
    state = {
        "active": RemoteAssetState.ACTIVE,
        "failed": RemoteAssetState.FAILED,
        "fail": RemoteAssetState.FAILED,
        "error": RemoteAssetState.FAILED,
    }.get(status, RemoteAssetState.PROCESSING)
    code, message = _error(data)
    return AssetInfo(
        asset_id=asset_id,
        state=state,
        group_id=_str(data, "group_id", "groupId", "GroupId"),
        name=_str(data, "name", "Name"),
        record_id=asset_id,
        error_code=code,
        error_message=message,
        raw=data,
    )


def unwrap(response: httpx.Response) -> Any:
    """The ``data`` of a ``{success, message, data}`` envelope, or the body if there is none."""
    body = _json(response)
    if isinstance(body, dict) and "success" in body:
        if body.get("success") is False:
            message = _str(body, "message", "msg") or "ToAPIs said the request failed"
            code = _str(body, "code", "error_code")
            raise ProviderRejected(
                message, reason=RejectReason.OTHER, status=response.status_code, code=code
            )
        return body.get("data")
    return body


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError("ToAPIs answered with something that is not JSON") from exc


def _session(task_id: str, data: Any) -> VerificationSession:
    fields = _link_fields(data)
    expires_in: float | None = None
    raw_in = fields.get("expires_in")
    if isinstance(raw_in, int | float) and not isinstance(raw_in, bool):
        expires_in = float(raw_in)
    elif (expires_at := _time(fields.get("expires_at"))) is not None:
        expires_in = expires_at - time.time()
    if expires_in is not None and not 0 < expires_in <= MAX_PLAUSIBLE_LINK_SECONDS:
        expires_in = None  # a clock that disagrees with ours: the bot's default TTL is safer
    return VerificationSession(
        h5_link=str(fields["h5_link"]),
        group_id=None,
        session_id=task_id,
        expires_in=expires_in,
        raw=data if isinstance(data, dict) else {},
    )


def _link_fields(data: Any) -> dict[str, Any]:
    """The task's link fields, at the top of ``data`` or under ``data.result``."""
    if not isinstance(data, dict):
        return {}
    result = data.get("result")
    fields = dict(result) if isinstance(result, dict) else {}
    fields.update({k: v for k, v in data.items() if v not in (None, "")})
    return fields


def _error(data: dict[str, Any]) -> tuple[str | None, str | None]:
    for key in ("error", "Error"):
        error = data.get(key)
        if isinstance(error, dict):
            return _str(error, "code", "Code", "type"), _str(error, "message", "Message")
        if isinstance(error, str) and error:
            return error, None
    code = _str(data, "error_code", "errorCode", "fail_code")
    message = _str(data, "error_message", "errorMessage", "fail_reason", "failReason")
    return code, message


def _time(value: Any) -> float | None:
    """Unix seconds from seconds, milliseconds, a numeric string or ISO 8601."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return None
    if not isinstance(value, int | float):
        return None
    return float(value) / 1000 if value > 1e12 else float(value)
