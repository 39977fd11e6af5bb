"""The PowerTokens client: Asset Library groups and uploads, and the video API (package
docstring)."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import httpx

from bot.providers.base import (
    AssetInfo,
    AssetRef,
    Capabilities,
    FreshLink,
    GroupInfo,
    ImageRole,
    ImageUpload,
    PendingVerification,
    PhotoDeletion,
    ProviderError,
    ProviderName,
    ProviderRejected,
    RejectReason,
    RemoteAssetState,
    VerificationSession,
    VideoRequest,
    VideoStatus,
)
from bot.providers.checks import checked_video
from bot.providers.client import VendorClient
from bot.providers.paging import Listing, Page, RowKey
from bot.providers.parsing import first_str as _str
from bot.providers.parsing import json_of
from bot.providers.powertokens.matching import (
    MAX_NAME,
    GroupRow,
    claim_name,
    group_row,
    match_groups,
    note_listing,
)
from bot.providers.powertokens.parsing import (
    IMAGE_TAG,
    _number,
    asset_info,
    asset_key,
    classify,
    default_video_base,
    group_key,
    job_asset,
    page_rows,
    reference_prompt,
    unwrap,
    video_status,
)

log = logging.getLogger(__package__)  # the package's logger, as before it was split

MODEL_IDS = {
    "seedance-2.0": "dreamina-seedance-2-0-260128",
    "seedance-2.0-fast": "dreamina-seedance-2-0-fast-260128",
}
MAX_REFERENCE_IMAGES = 9
VENDOR = "PowerTokens"
PAGE_SIZE = 100
MAX_PAGES = 20


class PowerTokens(VendorClient):
    name = ProviderName("powertokens")
    capabilities = Capabilities(
        display_name="PowerTokens",
        fresh_link=FreshLink.NEW_SESSION,
        serial_verification=True,
        upload_by_url=False,
        lists_assets=True,
        lists_groups=True,
        first_frame=True,
        last_frame=True,
        reference_images=MAX_REFERENCE_IMAGES,
        image_tag=IMAGE_TAG,
        video_callbacks=False,  # none documented on /v1/videos (NOT FOUND)
        renames_groups=True,
        photo_deletion=PhotoDeletion.GROUP,
    )

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        bearer: bool = False,
        video_base_url: str | None = None,
        video_bearer: bool = True,
        clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> None:
        super().__init__(base_url, api_key, **options)
        self.video_http = self.connect(video_base_url or default_video_base(base_url), {})
        self._asset_auth = {"Authorization": f"Bearer {api_key}" if bearer else api_key}
        self._video_auth = {"Authorization": f"Bearer {api_key}" if video_bearer else api_key}
        self._clock = clock
        self._seen: dict[str, float] = {}  # group id -> when this client first listed it
        self._issued: dict[str, float] = {}  # session id -> when this client got its link

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return {}  # get-asset-id must go without Authorization: each call adds its own

    def classify(self, response: httpx.Response, error: ProviderError) -> ProviderError:
        return classify(response, error)

    async def aclose(self) -> None:
        await super().aclose()
        await self.video_http.aclose()

    async def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, headers=self._asset_auth, **kwargs)
        return unwrap(response)

    def _listing(self, path: str, body: dict[str, Any], key: RowKey) -> Listing:
        """A list read to its end, or to ``MAX_PAGES`` (:class:`Listing`)."""

        async def fetch(page: int) -> Page:
            # A listing only reads, though it is a POST: as safe to repeat as a GET.
            data = await self._data(
                "POST", path, json={**body, "page": page, "page_size": PAGE_SIZE}, idempotent=True
            )
            return (*page_rows(data), PAGE_SIZE)

        return Listing(fetch, key=key, max_pages=MAX_PAGES)

    # ------------------------------------------------------------------ verification

    async def start_verification(
        self, face_name: str, *, return_url: str | None = None, locale: str | None = None
    ) -> VerificationSession:
        try:  # what is listed now is older than this session (see the package docstring)
            await self._real_person_groups()
        except ProviderError as exc:
            log.warning("PowerTokens group snapshot failed: %s", exc)
        session_id = "pt-" + secrets.token_hex(8)  # ours: the claim tag derives from it
        body: dict[str, Any] = {"group_name": claim_name(face_name, session_id)}
        if return_url:
            body["callback_url"] = return_url
        data = await self._data("POST", "/v1/asset/get-authorize-url", json=body)
        link = _str(data, "url", "authorize_url", "auth_url", "authorizeUrl", "h5_link", "link")
        if isinstance(data, str) and data.startswith("http"):
            link, data = data, {"url": data}
        if not link:
            raise ProviderError("PowerTokens returned no authorization URL")
        self._issued[session_id] = self._clock()
        expires_in = _number(data, "expires_in", "expire_in", "ttl")
        return VerificationSession(
            h5_link=link,
            group_id=None,
            session_id=session_id,
            expires_in=expires_in,
            raw=data if isinstance(data, dict) else {},
        )

    async def get_group(self, group_id: str) -> GroupInfo:
        for row in await self._real_person_groups():
            if row.group_id == group_id:
                return row.info()
        raise self.no_group(group_id)

    async def check_verifications(
        self, pending: Sequence[PendingVerification], known_groups: set[str]
    ) -> dict[int, GroupInfo]:
        if not pending:
            return {}
        rows = await self._real_person_groups()
        matches = match_groups(rows, pending, known_groups, self._seen, self._issued)
        found: dict[int, GroupInfo] = {}
        for match in matches:
            info = match.row.info()
            if match.rename is not None:
                try:
                    await self.rename_group(info.group_id, match.rename)
                    info = GroupInfo(info.group_id, info.state, match.rename, None, info.raw)
                except ProviderError as exc:
                    log.warning("claiming group %s failed: %s", info.group_id, exc)
            found[match.key] = info
        return found

    async def _real_person_groups(self) -> list[GroupRow]:
        listing = self._listing("/v1/asset/groups/list", {"group_type": 1}, group_key)
        rows = await listing.rows()
        complete = listing.complete
        listed_at = self._clock()
        groups = [g for g in (group_row(r) for r in rows) if g is not None]
        note_listing(self._seen, [g.group_id for g in groups], listed_at, complete=complete)
        for group in groups:
            group.seen_at = self._seen[group.group_id]
        return groups

    async def rename_group(self, group_id: str, name: str) -> bool:
        body = {"group_id": group_id, "name": name[:MAX_NAME], "group_name": name[:MAX_NAME]}
        await self._data("POST", "/v1/asset/groups/rename", json=body)
        return True

    async def delete_group(self, group_id: str) -> bool:
        try:
            await self._data("POST", "/v1/asset/groups/delete", json={"group_id": group_id})
        except ProviderRejected as exc:
            if exc.reason is not RejectReason.NOT_FOUND:
                raise  # already gone counts as deleted
        return True

    # ------------------------------------------------------------------ assets

    async def upload_asset(self, group_id: str | None, image: ImageUpload, name: str) -> AssetInfo:
        if group_id is None:
            raise ProviderError("PowerTokens real-person uploads need the group id")
        data = await self._data(
            "POST",
            "/v1/asset/upload",
            data={"group_id": group_id, "name": name[:MAX_NAME]},
            files={"file": (image.file_name, image.data, image.mime_type)},
        )
        task_id = _str(data, "task_id", "taskId")
        if task_id is None:
            raise ProviderError("PowerTokens accepted the upload but returned no task_id")
        return AssetInfo(
            asset_id=None,
            state=RemoteAssetState.PROCESSING,
            group_id=group_id,
            name=name,
            record_id=task_id,
            raw=data if isinstance(data, dict) else {},
        )

    async def get_asset(self, ref: AssetRef) -> AssetInfo:
        asset_id = ref.asset_id
        if asset_id is None:
            if ref.record_id is None:
                raise ProviderError("a PowerTokens asset needs its asset id or upload task id")
            job = await self._job(ref.record_id)
            if job.asset_id is None:
                return replace(job, group_id=ref.group_id)
            asset_id = job.asset_id
        body: dict[str, Any] = {"asset_id": asset_id}
        if ref.group_id is not None:
            body["group_id"] = ref.group_id
        for row in await self._listing("/v1/asset/groups/assets", body, asset_key).rows():
            info = asset_info(row, record_id=ref.record_id, group_id=ref.group_id)
            if info.asset_id == asset_id:
                return info
        # Known to the job but not listed yet: still on its way into the group.
        return AssetInfo(
            asset_id, RemoteAssetState.PROCESSING, ref.group_id, record_id=ref.record_id
        )

    async def _job(self, task_id: str) -> AssetInfo:
        """``get-asset-id``: deliberately without the Authorization header (seed)."""
        response = await self.http.request(
            "GET", "/v1/asset/jobs/get-asset-id", params={"task_id": task_id}
        )
        return job_asset(json_of(response, VENDOR), task_id)

    async def list_assets(self, group_id: str) -> list[AssetInfo]:
        listing = self._listing("/v1/asset/groups/assets", {"group_id": group_id}, asset_key)
        rows = await listing.rows()
        return [asset_info(row, group_id=group_id) for row in rows]

    # ------------------------------------------------------------------ video

    async def submit_video(self, request: VideoRequest) -> VideoStatus:
        model, images = checked_video(request, VENDOR, MODEL_IDS, self.capabilities)
        media: list[dict[str, str]] = []
        prompt = reference_prompt(request.prompt, len(request.of_role(ImageRole.REFERENCE)))
        if prompt.strip():
            media.append({"type": "text", "text": prompt})
        # The item's type is the image's role: first_frame, last_frame or reference_image.
        media.extend(
            {"type": image.role.value, "url": f"asset://{image.asset_id}"} for image in images
        )
        body = {
            "model": model,
            "media": media,
            "seconds": str(request.duration),
            "size": request.resolution,
            "ratio": request.ratio,
            "generate_audio": request.audio,
            "watermark": False,
        }
        return await self._video("POST", "/v1/videos", json=body)

    async def get_video(self, task_id: str) -> VideoStatus:
        return await self._video("GET", f"/v1/videos/{task_id}")

    async def _video(self, method: str, path: str, **kwargs: Any) -> VideoStatus:
        response = await self.video_http.request(method, path, headers=self._video_auth, **kwargs)
        return video_status(json_of(response, VENDOR), self._clock())
