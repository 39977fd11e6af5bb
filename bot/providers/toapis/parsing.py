"""Reading ToAPIs' answers and building its request bodies: envelopes, verify results, link
fields, assets, video tasks, prompts."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from bot.providers.base import (
    AssetInfo,
    Capabilities,
    GroupInfo,
    GroupState,
    ImageRole,
    ProviderError,
    ProviderRejected,
    RejectReason,
    VerificationSession,
    VideoRequest,
    VideoStatus,
)
from bot.providers.checks import checked_video, image_tags
from bot.providers.parsing import asset_info, json_of, timestamp, video_task, word
from bot.providers.parsing import first_str as _str

MODELS = {"seedance-2.0": "seedance-2", "seedance-2.0-fast": "seedance-2-fast"}
MAX_REFERENCE_IMAGES = 9
# How a prompt names reference n: the generation pages' own words ("Keep the character from
# image 1", "start from image 1, and end on image 2"); no bracket or @ form is documented.
IMAGE_TAG = "image {n}"
PASSED_CODE = "10000"
MAX_PLAUSIBLE_LINK_SECONDS = 600.0
VENDOR = "ToAPIs"

_FAILED_VERIFICATION = {"failed", "fail", "rejected", "error", "denied"}
# A prompt already naming an image: "image 2" (IMAGE_TAG), "Image 2", "image2", "images 1".
_NAMES_AN_IMAGE = re.compile(r"\bimages?\s*\d", re.IGNORECASE)


def classify(response: httpx.Response, error: ProviderError) -> ProviderError:
    """402 (balance used up) is neither an invalid request nor our asset quota."""
    if response.status_code == 402 and isinstance(error, ProviderRejected):
        return ProviderRejected(
            error.message, reason=RejectReason.OTHER, status=402, code=error.code or "payment"
        )
    return error


def generation_body(request: VideoRequest, caps: Capabilities) -> dict[str, Any]:
    """The ``POST /v1/videos/generations`` body; a request ``caps`` cannot take is refused here,
    before anything is sent. Each image keeps its role (first_frame, last_frame or
    reference_image) and its place; only references get a lead-in."""
    model, images = checked_video(request, VENDOR, MODELS, caps)
    references = len(request.of_role(ImageRole.REFERENCE))
    body: dict[str, Any] = {
        "model": model,
        "prompt": reference_prompt(request.prompt, references),
        "duration": request.duration,
        "resolution": request.resolution,
        "generate_audio": request.audio,
        "image_with_roles": [
            {"url": f"asset://{image.asset_id}", "role": image.role.value} for image in images
        ],
    }
    if request.ratio != "adaptive":
        body["aspect_ratio"] = request.ratio
    return body


def reference_prompt(prompt: str, images: int) -> str:
    """Name the references as ToAPIs' examples do (:data:`IMAGE_TAG`), unless the prompt
    already does; ``images`` 0 (frames) leaves the prompt as it is."""
    if images == 0 or _NAMES_AN_IMAGE.search(prompt):
        return prompt
    names = image_tags(IMAGE_TAG, images)
    listed = names[0] if images == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Keep the person from {listed} as the main character. {prompt}"


def video_status(body: Any) -> VideoStatus:
    """A generation task (not wrapped; an envelope is tolerated): the URL under ``result``."""
    return video_task(
        body,
        VENDOR,
        id_keys=("id", "task_id"),
        url_paths=("result.url", "result.video_url", "url", "video_url"),
    )


def verification_outcome(data: Any, task_id: str) -> GroupInfo | None:
    if isinstance(data, list):  # a list of results: ours is the one with our task id
        data = next((r for r in data if _str(r, "task_id", "id") == task_id), None)
    if not isinstance(data, dict):
        return None
    nested = [data] + [data[k] for k in ("result", "group") if isinstance(data.get(k), dict)]
    group_id = next((g for d in nested if (g := _str(d, "group_id", "groupId", "GroupId"))), None)
    if group_id is None and isinstance(data.get("group"), dict):
        group_id = _str(data["group"], "id")
    status = word(data, "status")
    code = _str(data, "result_code", "resultCode")
    if status in _FAILED_VERIFICATION or (group_id is None and code not in (None, PASSED_CODE)):
        return GroupInfo(group_id=group_id or task_id, state=GroupState.FAILED, raw=data)
    if group_id is None:
        return None
    return GroupInfo(group_id=group_id, state=GroupState.ACTIVE, raw=data)


def parse_asset(data: Any) -> AssetInfo:
    return asset_info(
        data,
        VENDOR,
        id_keys=("asset_id", "assetId", "id", "Id"),
        group_keys=("group_id", "groupId", "GroupId"),
    )


def unwrap(response: httpx.Response) -> Any:
    """The ``data`` of a ``{success, message, data}`` envelope, or the body if there is none."""
    body = json_of(response, VENDOR)
    if isinstance(body, dict) and "success" in body:
        if body.get("success") is False:
            message = _str(body, "message", "msg") or "ToAPIs said the request failed"
            code = _str(body, "code", "error_code")
            raise ProviderRejected(
                message, reason=RejectReason.OTHER, status=response.status_code, code=code
            )
        return body.get("data")
    return body


def _session(task_id: str, data: Any) -> VerificationSession:
    fields = _link_fields(data)
    expires_in: float | None = None
    raw_in = fields.get("expires_in")
    if isinstance(raw_in, int | float) and not isinstance(raw_in, bool):
        expires_in = float(raw_in)
    elif (expires_at := timestamp(fields.get("expires_at"))) is not None:
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
