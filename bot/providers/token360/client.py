"""The Token360 client: Real Face groups, multipart uploads, ``ta_`` assets (package
docstring)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Any

from bot.providers.base import (
    AssetInfo,
    AssetRef,
    Capabilities,
    FreshLink,
    GroupInfo,
    GroupState,
    ImageRole,
    ImageUpload,
    PendingVerification,
    PhotoDeletion,
    ProviderError,
    ProviderName,
    ProviderRejected,
    RejectReason,
    VerificationSession,
    VideoRequest,
    VideoStatus,
)
from bot.providers.checks import checked_video
from bot.providers.client import VendorClient
from bot.providers.paging import Listing, Page, RowKey
from bot.providers.parsing import first_str
from bot.providers.token360.parsing import (
    IMAGE_TAG,
    MODEL_IDS,
    VENDOR,
    asset,
    asset_key,
    group,
    group_key,
    page_rows,
    reference_prompt,
    unwrap,
    video_status,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 100
# The list filter for groups whose check has passed (statuses seen: pending_validation,
# active). Rows are checked here too, so a server that ignores the filter costs pages only.
ACTIVE = "active"
# Reference images per video: Seedance 2.0's limit (Token360 states none of its own).
MAX_REFERENCE_IMAGES = 9


class Token360(VendorClient):
    name = ProviderName("token360")
    capabilities = Capabilities(
        display_name="Token360",
        fresh_link=FreshLink.SAME_GROUP,
        start_creates_group=True,
        photo_deletion=PhotoDeletion.GROUP,
        first_frame=True,
        last_frame=True,
        reference_images=MAX_REFERENCE_IMAGES,
        image_tag=IMAGE_TAG,
        video_callbacks=True,
    )

    async def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, **kwargs)
        return unwrap(response)

    async def start_verification(
        self, face_name: str, *, return_url: str | None = None, locale: str | None = None
    ) -> VerificationSession:
        data = await self._data(
            "POST", "/v1/asset-groups", json={"name": face_name, "groupKind": "REAL_FACE"}
        )
        group_id = first_str(data, "assetGroupId", "groupId", "id")
        if not group_id:
            raise ProviderError("Token360 did not return an assetGroupId")
        link = first_str(data, "h5Link", "h5_link")
        if not link:
            # "may include an h5Link": ask the group for one.
            refreshed = await self.refresh_verification(group_id, None)
            if refreshed is None:
                raise ProviderError("Token360 returned no verification link")
            return refreshed
        return VerificationSession(h5_link=link, group_id=group_id, session_id=None, raw=data)

    async def refresh_verification(
        self, group_id: str | None, session_id: str | None
    ) -> VerificationSession | None:
        if group_id is None:
            return None
        info = await self.get_group(group_id)
        if info.state is not GroupState.PENDING or not info.h5_link:
            return None
        return VerificationSession(
            h5_link=info.h5_link, group_id=group_id, session_id=None, raw=info.raw
        )

    async def find_group_named(self, text: str) -> GroupInfo | None:
        """By the list's ``keyword`` filter; the names are checked here too, since what the
        filter matches is not documented."""
        data = await self._data(
            "GET",
            "/v1/asset-groups",
            params={"groupKind": "REAL_FACE", "keyword": text, "current": 1, "size": PAGE_SIZE},
        )
        rows, _ = page_rows(data)
        for row in reversed(rows):
            info = group(row, None)
            if info.name is not None and text in info.name:
                return info
        return None

    async def get_group(self, group_id: str) -> GroupInfo:
        data = await self._data("GET", f"/v1/asset-groups/{group_id}")
        return group(data, group_id)

    async def check_verifications(
        self, pending: Sequence[PendingVerification], known_groups: set[str]
    ) -> dict[int, GroupInfo]:
        # The group exists from the start, but a pending group is never read by id: that GET
        # mints a new link and kills the one the person is holding (seed 000). A passed check
        # makes the group active, so the active groups are listed, to the last page if need
        # be: a fixed number of pages missed a group past the 300th.
        wanted = {p.group_id: p.key for p in pending if p.group_id}
        if not wanted:
            return {}
        found = await self.find_groups(set(wanted), status=ACTIVE)
        return {
            wanted[gid]: info
            for gid, info in found.items()
            if info.state is not GroupState.PENDING
        }

    async def delete_group(self, group_id: str) -> bool:
        # Not in seed 000; Token360's public API reference: "Deleting a group also deletes
        # assets in that group." It documents no rename.
        try:
            await self._data("DELETE", f"/v1/asset-groups/{group_id}")
        except ProviderRejected as exc:
            if exc.reason is not RejectReason.NOT_FOUND:
                raise  # already gone counts as deleted
        return True

    async def find_groups(
        self, group_ids: set[str], *, status: str | None = None
    ) -> dict[str, GroupInfo]:
        """The listed groups among ``group_ids`` (with ``status``, if given), however many
        groups the account has and in whatever order the list keeps them."""
        params: dict[str, Any] = {"groupKind": "REAL_FACE"}
        if status is not None:
            params["status"] = status
        found: dict[str, GroupInfo] = {}
        async for rows in self._listing("/v1/asset-groups", params, group_key):
            for row in rows:
                info = group(row, None)
                if info.group_id in group_ids:
                    found[info.group_id] = info
            if found.keys() >= group_ids:
                break  # all found: no more pages
        return found

    def _listing(self, path: str, params: dict[str, Any], key: RowKey) -> Listing:
        """A list read to its end (:class:`Listing`); Token360 gives no order to rely on."""

        async def fetch(page: int) -> Page:
            data = await self._data(
                "GET", path, params={**params, "current": page, "size": PAGE_SIZE}
            )
            return (*page_rows(data), PAGE_SIZE)

        return Listing(fetch, key=key)

    async def upload_asset(self, group_id: str | None, image: ImageUpload, name: str) -> AssetInfo:
        if group_id is None:
            raise ProviderError("Token360 uploads need a Real Face group")
        data = await self._data(
            "POST",
            "/v1/assets",
            data={"groupId": group_id, "name": name},
            files={"file": (image.file_name, image.data, image.mime_type)},
        )
        return asset(data)

    async def get_asset(self, ref: AssetRef) -> AssetInfo:
        if ref.asset_id is None:
            raise ProviderError("Token360 assets are looked up by assetId")
        return asset(await self._data("GET", f"/v1/assets/{ref.asset_id}"))

    async def list_assets(self, group_id: str) -> list[AssetInfo]:
        rows = await self._listing("/v1/assets", {"groupId": group_id}, asset_key).rows()
        return [asset(row) for row in rows]

    async def submit_video(self, request: VideoRequest) -> VideoStatus:
        """Frames go in ``frame_images``, references in ``input_references`` (never both),
        each asset as ``asset://ta_...``; a callback URL with a fresh ``request_id`` (shapes
        and sources: package docstring)."""
        model, images = checked_video(request, VENDOR, MODEL_IDS, self.capabilities)
        prompt = request.prompt
        body: dict[str, Any] = {"model": model}
        references = request.of_role(ImageRole.REFERENCE)
        if references:
            prompt = reference_prompt(prompt, len(references))
            body["input_references"] = [
                {"type": "image_url", "image_url": {"url": f"asset://{asset_id}"}}
                for asset_id in references
            ]
        else:
            body["frame_images"] = [
                {
                    "type": "image_url",
                    "frame_type": image.role.value,
                    "image_url": {"url": f"asset://{image.asset_id}"},
                }
                for image in sorted(images, key=lambda i: i.role is ImageRole.LAST_FRAME)
            ]
        body |= {
            "prompt": prompt,
            "duration": request.duration,
            "resolution": request.resolution,
            "aspect_ratio": request.ratio,
            "generate_audio": request.audio,
        }
        if request.callback_url is not None:
            body["callback_url"] = request.callback_url
            body["request_id"] = f"realface-{secrets.token_hex(12)}"
        return video_status(await self.json("POST", "/v1/videos", json=body))

    async def get_video(self, task_id: str) -> VideoStatus:
        return video_status(await self.json("GET", f"/v1/videos/{task_id}"))
