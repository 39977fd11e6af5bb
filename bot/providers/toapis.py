"""ToAPIs (seed 004): real-avatar verification, assets from a public URL, ``image_with_roles``.

Endpoints (``P`` = ``/v1/videos/doubao-seedance-2-0``; PROVIDERS.md writes the real-avatar
paths as ``.../real-avatar/...``: the prefix is taken from the private-avatar paths of seed 004)

- ``POST P/real-avatar/verify-tasks {callback_url?, locale, biz_id}`` -> ``data.task_id``.
- ``GET P/real-avatar/verify-tasks/{task_id}`` -> ``data{h5_link, byted_token, expires_at}``
  (also looked for under ``data.result``, APIMart-style). The page says ``completed`` means
  "session created", not "passed"; while the task has no link yet the client asks again every
  ``link_poll_seconds`` for up to ``link_wait_seconds``.
- ``GET P/real-avatar/verify-results?task_id=`` -> the outcome. The page lists the query
  parameters but the list is cut after "t"; we send ``task_id`` (it also says ``byted_token``
  "is used in the next step": the simulator accepts either). Shape NOT FOUND; read tolerantly:
  a group id in ``group_id``/``groupId``/``GroupId`` (also under ``result`` or ``group``) means
  passed; ``status`` failed/rejected, or a ``result_code`` other than ``10000`` with no
  group, means failed; anything else (pending, expired, verified but not yet bound) is pending.
- ``POST P/private-avatar/assets {group_id, asset_type: "image", source_url, name}`` ->
  ``data{asset_id, group_id, asset_type, source_url, status}``; ``GET P/private-avatar/assets/
  {asset_id}`` until ``status`` is ``active`` (processing | active | failed, any case). A failed
  asset's reason (NOT FOUND) is read from ``error{code,message}``, upstream ``Error{Code,
  Message}``, ``error_code``/``error_message`` or ``fail_reason``.
- ``POST /v1/videos/generations`` (the seed's path; the generation page shows
  ``/v1/video/generations``: on a 404 the client resends there once and keeps whichever path
  answered; a 404 creates nothing, so nothing is charged twice). ``GET
  /v1/videos/generations/{task_id}``. Video tasks are not wrapped: ``{id, object:
  "generation.task", model, status, progress, created_at, completed_at, expires_at, result{type:
  "video", url}, error{code, message}}``; status submitted | queued | in_progress | completed |
  failed. ToAPIs suggests polling every 5-10 s while submitted and 10-15 s while in progress;
  the client leaves the pace to its caller.

Choices where the documents are silent:

- Fresh links: :attr:`FreshLink.NEW_SESSION`. A verify task wraps one upstream H5 session whose
  ``byted_token`` is single use, and the page only says the GET *returns* the link, not that it
  mints one, so :meth:`ToAPIs.refresh_verification` returns None at no cost and the bot starts
  a new task. The group exists only after the person passed: a session carries ``session_id``
  = task id, ``group_id`` None.
- ``check_verifications``: no list or batch endpoint for results is documented, so it costs one
  ``GET verify-results?task_id=`` per pending task per call (the tracker only passes faces whose
  poll is due). The requests run concurrently (at most ``CHECK_CONCURRENCY``) and each answer is
  keyed by our own task id, so several pending verifications never mix and ``known_groups`` is
  not needed. One task's error does not hide the others' results; the call raises only if every
  request failed, or at once on an auth error.
- ``callback_url`` is sent only when the bot gives ``return_url``; ``locale`` is ``en``;
  ``biz_id`` is a fresh ``realface-<hex>`` per task (real-avatar groups have no name field).
- Video body: ``model``, ``prompt``, ``duration``, ``resolution``, ``generate_audio`` and
  ``aspect_ratio`` (the ``image_with_roles`` page's name; omitted for ``adaptive`` so ToAPIs
  decides), ``image_with_roles`` with every asset as ``{url: "asset://<id>", role:
  "reference_image"}``, at most 9 (Seedance's reference-image limit). The pages' prompts name
  references as "image 1", "image 2": a prompt that names none gets a lead sentence doing so.
- No asset list, group lookup, rename or delete is documented: ``list_assets`` raises
  :class:`ProviderError`, ``get_group`` reports a group we hold as active without a request (it
  exists only once verification passed), ``rename_group``/``delete_group`` return False.

Tolerance: the ``{success, message, data}`` envelope may be absent; ``success: false`` on a 2xx
is a rejection carrying the vendor's ``code``; extra fields are ignored; statuses compare
case-insensitively; times may be unix seconds, milliseconds or ISO 8601.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from bot.providers.base import (
    AssetInfo,
    AssetRef,
    Capabilities,
    FreshLink,
    GroupInfo,
    GroupState,
    ImageUpload,
    PendingVerification,
    ProviderAuthError,
    ProviderError,
    ProviderName,
    ProviderRejected,
    ProviderUnavailable,
    RejectReason,
    RemoteAssetState,
    VerificationSession,
    VideoRequest,
    VideoState,
    VideoStatus,
)
from bot.providers.http import ProviderHTTP, RetryPolicy

log = logging.getLogger(__name__)

PREFIX = "/v1/videos/doubao-seedance-2-0"
VERIFY_TASKS = f"{PREFIX}/real-avatar/verify-tasks"
VERIFY_RESULTS = f"{PREFIX}/real-avatar/verify-results"
ASSETS = f"{PREFIX}/private-avatar/assets"
VIDEO_SUBMIT_PATHS = ("/v1/videos/generations", "/v1/video/generations")  # seed's, page's
VIDEO_STATUS_PATH = "/v1/videos/generations"
MODELS = {"seedance-2.0": "seedance-2", "seedance-2.0-fast": "seedance-2-fast"}
MAX_REFERENCE_IMAGES = 9
LOCALE = "en"
PASSED_CODE = "10000"
CHECK_CONCURRENCY = 4
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


class ToAPIs:
    name = ProviderName.TOAPIS
    capabilities = Capabilities(
        display_name="ToAPIs",
        verification=True,
        fresh_link=FreshLink.NEW_SESSION,
        upload_by_url=True,
        lists_assets=False,
        lists_groups=False,
        models=tuple(MODELS),
        max_video_assets=MAX_REFERENCE_IMAGES,
        asset_quota=None,
    )
    # While a new verify task has no link yet (session still being created upstream).
    link_poll_seconds = 0.5
    link_wait_seconds = 10.0

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = ProviderHTTP(
            base_url,
            {"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            retry=retry,
            classify=classify,
            transport=transport,
        )
        self._submit_paths = list(VIDEO_SUBMIT_PATHS)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        return unwrap(await self.http.request(method, path, **kwargs))

    # Verification

    async def start_verification(
        self, face_name: str, *, return_url: str | None = None
    ) -> VerificationSession:
        body: dict[str, Any] = {"locale": LOCALE, "biz_id": f"realface-{secrets.token_hex(8)}"}
        if return_url:
            body["callback_url"] = return_url
        data = await self._data("POST", VERIFY_TASKS, json=body)
        task_id = _str(data, "task_id", "id")
        if task_id is None:
            raise ProviderError("ToAPIs did not return a verify task_id")
        if _link_fields(data).get("h5_link"):
            return _session(task_id, data)
        return await self._wait_for_link(task_id)

    async def _wait_for_link(self, task_id: str) -> VerificationSession:
        deadline = time.monotonic() + self.link_wait_seconds
        while True:
            data = await self._data("GET", f"{VERIFY_TASKS}/{task_id}")
            if _link_fields(data).get("h5_link"):
                return _session(task_id, data)
            status = (_str(data, "status") or "").lower()
            if status in _FAILED_VERIFICATION:
                message = _str(data, "message", "error", "fail_reason") or "verify task failed"
                raise ProviderRejected(message, reason=RejectReason.OTHER, code=status)
            if time.monotonic() >= deadline:
                raise ProviderUnavailable(f"ToAPIs verify task {task_id} gave no link in time")
            await asyncio.sleep(self.link_poll_seconds)

    async def refresh_verification(
        self, group_id: str | None, session_id: str | None
    ) -> VerificationSession | None:
        return None  # one task = one single-use upstream session: the bot starts a new task

    async def get_group(self, group_id: str) -> GroupInfo:
        # Undocumented endpoint; a group id exists only after a passed verification.
        return GroupInfo(group_id=group_id, state=GroupState.ACTIVE)

    async def check_verifications(
        self, pending: Sequence[PendingVerification], known_groups: set[str]
    ) -> dict[int, GroupInfo]:
        wanted = [(p.key, p.session_id) for p in pending if p.session_id]
        if not wanted:
            return {}
        gate = asyncio.Semaphore(CHECK_CONCURRENCY)

        async def one(task_id: str) -> GroupInfo | None:
            async with gate:
                return await self.verification_result(task_id)

        answers = await asyncio.gather(
            *(one(task_id) for _, task_id in wanted), return_exceptions=True
        )
        found: dict[int, GroupInfo] = {}
        errors: list[BaseException] = []
        for (key, task_id), answer in zip(wanted, answers, strict=True):
            if isinstance(answer, ProviderAuthError):
                raise answer
            if isinstance(answer, BaseException):
                if not isinstance(answer, ProviderError):
                    raise answer
                log.warning("verify result of task %s: %s", task_id, answer)
                errors.append(answer)
            elif answer is not None:
                found[key] = answer
        if errors and len(errors) == len(wanted):
            raise errors[0]
        return found

    async def verification_result(self, task_id: str) -> GroupInfo | None:
        """The group of a passed verification, FAILED if it failed, None while pending."""
        data = await self._data("GET", VERIFY_RESULTS, params={"task_id": task_id})
        return verification_outcome(data, task_id)

    # Assets

    async def upload_asset(self, group_id: str | None, image: ImageUpload, name: str) -> AssetInfo:
        if group_id is None:
            raise ProviderError("ToAPIs uploads need a real-avatar group")
        if image.public_url is None:
            raise ProviderError("ToAPIs fetches images by URL, and this one has no public_url")
        body = {
            "group_id": group_id,
            "asset_type": "image",
            "source_url": image.public_url,
            "name": name,
        }
        return parse_asset(await self._data("POST", ASSETS, json=body))

    async def get_asset(self, ref: AssetRef) -> AssetInfo:
        asset_id = ref.asset_id or ref.record_id
        if asset_id is None:
            raise ProviderError("ToAPIs assets are looked up by asset_id")
        return parse_asset(await self._data("GET", f"{ASSETS}/{asset_id}"))

    async def list_assets(self, group_id: str) -> list[AssetInfo]:
        raise ProviderError("ToAPIs documents no asset list; assets are polled one by one")

    async def rename_group(self, group_id: str, name: str) -> bool:
        return False

    async def delete_group(self, group_id: str) -> bool:
        return False

    # Video

    async def submit_video(self, request: VideoRequest) -> VideoStatus:
        body = generation_body(request)
        first: ProviderRejected | None = None
        for path in list(self._submit_paths):
            try:
                response = await self.http.request("POST", path, json=body)
            except ProviderRejected as exc:
                if exc.status != 404:
                    raise
                first = first or exc
                log.warning("ToAPIs has no POST %s; trying the other documented path", path)
                continue
            if path != self._submit_paths[0]:
                self._submit_paths.remove(path)
                self._submit_paths.insert(0, path)
            return video_status(_json(response))
        assert first is not None
        raise first

    async def get_video(self, task_id: str) -> VideoStatus:
        response = await self.http.request("GET", f"{VIDEO_STATUS_PATH}/{task_id}")
        return video_status(_json(response))


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


def _str(data: Any, *keys: str) -> str | None:
    if not isinstance(data, dict):
        return None
    for key in keys:
        value = data.get(key)
        if value not in (None, "") and not isinstance(value, dict | list):
            return str(value)
    return None
