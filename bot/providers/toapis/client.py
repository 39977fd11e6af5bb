"""The ToAPIs client: real-avatar verify tasks, private-avatar assets and video generations
(package docstring)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Sequence
from typing import Any

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
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    RejectReason,
    VerificationSession,
    VideoRequest,
    VideoStatus,
)
from bot.providers.client import VendorClient
from bot.providers.parsing import first_str as _str
from bot.providers.parsing import json_of
from bot.providers.toapis.parsing import (
    _FAILED_VERIFICATION,
    IMAGE_TAG,
    MAX_REFERENCE_IMAGES,
    MODELS,
    _link_fields,
    _session,
    classify,
    generation_body,
    parse_asset,
    unwrap,
    verification_outcome,
    video_status,
)

log = logging.getLogger(__package__)  # the package's logger, as before it was split

PREFIX = "/v1/videos/doubao-seedance-2-0"
VERIFY_TASKS = f"{PREFIX}/real-avatar/verify-tasks"
VERIFY_RESULTS = f"{PREFIX}/real-avatar/verify-results"
ASSETS = f"{PREFIX}/private-avatar/assets"
VIDEO_SUBMIT_PATHS = ("/v1/videos/generations", "/v1/video/generations")  # seed's, page's
VIDEO_STATUS_PATH = "/v1/videos/generations"
LOCALE = "en"
CHECK_CONCURRENCY = 4


class ToAPIs(VendorClient):
    name = ProviderName("toapis")
    capabilities = Capabilities(
        display_name="ToAPIs",
        verification=True,
        fresh_link=FreshLink.NEW_SESSION,
        upload_by_url=True,
        lists_assets=False,
        lists_groups=False,
        models=tuple(MODELS),
        first_frame=True,
        last_frame=True,
        reference_images=MAX_REFERENCE_IMAGES,
        image_tag=IMAGE_TAG,
        video_callbacks=False,  # no callback field on video generation (NOT FOUND)
        asset_quota=None,
        # The page's docs show "zh"; ByteDance's check pages come in Chinese and English.
        verification_locales=("en", "zh"),
    )
    # While a new verify task has no link yet (session still being created upstream).
    link_poll_seconds = 0.5
    link_wait_seconds = 10.0

    def classify(self, response: httpx.Response, error: ProviderError) -> ProviderError:
        return classify(response, error)

    def __init__(self, base_url: str, api_key: str, **options: Any) -> None:
        super().__init__(base_url, api_key, **options)
        self._submit_paths = list(VIDEO_SUBMIT_PATHS)

    async def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        return unwrap(await self.http.request(method, path, **kwargs))

    # Verification

    async def start_verification(
        self, face_name: str, *, return_url: str | None = None, locale: str | None = None
    ) -> VerificationSession:
        body: dict[str, Any] = {
            "locale": locale or LOCALE,
            "biz_id": f"realface-{secrets.token_hex(8)}",
        }
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
            try:
                data = await self._data("GET", f"{VERIFY_TASKS}/{task_id}")
            except (ProviderUnavailable, ProviderRateLimited) as exc:
                # The task exists now: a flaky read must not throw it away while there is
                # time left to ask again.
                if time.monotonic() >= deadline:
                    raise
                log.warning("ToAPIs verify task %s not read yet: %s", task_id, exc)
                await asyncio.sleep(self.link_poll_seconds)
                continue
            if _link_fields(data).get("h5_link"):
                return _session(task_id, data)
            status = (_str(data, "status") or "").lower()
            if status in _FAILED_VERIFICATION:
                message = _str(data, "message", "error", "fail_reason") or "verify task failed"
                raise ProviderRejected(message, reason=RejectReason.OTHER, code=status)
            if time.monotonic() >= deadline:
                raise ProviderUnavailable(f"ToAPIs verify task {task_id} gave no link in time")
            await asyncio.sleep(self.link_poll_seconds)

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

    # Video

    async def submit_video(self, request: VideoRequest) -> VideoStatus:
        body = generation_body(request, self.capabilities)
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
            return video_status(json_of(response, self.capabilities.display_name))
        assert first is not None
        raise first

    async def get_video(self, task_id: str) -> VideoStatus:
        return video_status(await self.json("GET", f"{VIDEO_STATUS_PATH}/{task_id}"))
