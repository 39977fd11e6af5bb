"""The OrcaRouter client: verification sessions, real-human groups, URL uploads and videos
(package docstring)."""

from __future__ import annotations

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
    ImageUpload,
    PendingVerification,
    ProviderError,
    ProviderName,
    VerificationSession,
    VideoRequest,
    VideoStatus,
)
from bot.providers.checks import checked_video
from bot.providers.client import VendorClient
from bot.providers.orcarouter.matching import (
    CLOCK_SLACK,
    LINK_TTL,
    PASS_WINDOW,
    _Session,
    forget,
    match_by_time,
    remember,
)
from bot.providers.orcarouter.parsing import (
    ASSET_QUOTA,
    IMAGE_TAG,
    PAGE_SIZE,
    VENDOR,
    asset,
    asset_id_of,
    classify,
    compose_prompt,
    created_at,
    group,
    group_id_of,
    read_page,
    unwrap,
    video_status,
)
from bot.providers.paging import Listing, Page, RowKey
from bot.providers.parsing import first, first_str, number

MODEL_IDS = {
    "seedance-2.0": "byteplus/dreamina-seedance-2-0-260128",
    "seedance-2.0-fast": "byteplus/seedance-2.0-fast",
}
MAX_REFERENCE_IMAGES = 9  # Seedance 2.0 takes at most 9 reference images
MAX_PAGES = 20


class OrcaRouter(VendorClient):
    name = ProviderName("orcarouter")
    capabilities = Capabilities(
        display_name="OrcaRouter",
        verification=True,
        fresh_link=FreshLink.NEW_SESSION,
        upload_by_url=True,
        lists_assets=True,
        lists_groups=True,
        models=("seedance-2.0",),
        first_frame=True,
        last_frame=True,
        reference_images=MAX_REFERENCE_IMAGES,
        image_tag=IMAGE_TAG,
        video_callbacks=False,  # no callback field documented (NOT FOUND)
        asset_quota=ASSET_QUOTA,
    )

    def classify(self, response: httpx.Response, error: ProviderError) -> ProviderError:
        return classify(response, error)

    def __init__(self, base_url: str, api_key: str, **options: Any) -> None:
        super().__init__(base_url, api_key, **options)
        self._sessions: dict[str, _Session] = {}

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return unwrap(await self.json(method, path, **kwargs))

    # ------------------------------------------------------------------ verification

    async def start_verification(
        self, face_name: str, *, return_url: str | None = None, locale: str | None = None
    ) -> VerificationSession:
        # The session takes no name: the group is named by OrcaRouter, the face by the bot.
        body = {} if return_url is None else {"return_url": return_url}
        data = await self._json("POST", "/v1/asset/real-human/sessions", json=body)
        session_id = first_str(data, "session_id", "sessionId", "SessionId")
        link = first_str(data, "h5_link", "h5Link", "H5Link")
        if not session_id or not link:
            raise ProviderError("OrcaRouter returned no session_id or h5_link")
        self._sessions[session_id] = _Session(None, None, time.monotonic())
        expires_in = number(first(data, "expires_in", "ExpiresIn")) or LINK_TTL
        return VerificationSession(
            h5_link=link, group_id=None, session_id=session_id, expires_in=expires_in, raw=data
        )

    async def get_group(self, group_id: str) -> GroupInfo:
        for row in await self._groups(stop_before=None):
            if group_id_of(row) == group_id:
                return group(row)
        raise self.no_group(group_id)

    async def check_verifications(
        self, pending: Sequence[PendingVerification], known_groups: set[str]
    ) -> dict[int, GroupInfo]:
        """Bind new real-human groups to pending faces: one listing, never a guess.

        The rule, in order:

        1. A face whose ``group_id`` the return visit already gave (:func:`parse_return`)
           gets that group once it is listed and was created within one window of the
           face's current session (a stale or forged ``group_id`` is ignored).
        2. A listed row naming a pending ``session_id`` (not documented, honoured) binds it.
        3. Otherwise by time. Every session this client has started or seen pending (also
           those no longer pending: their late groups are orphans, not somebody else's) has
           a window ``[start - CLOCK_SLACK, start + PASS_WINDOW]``; a session started here but
           not yet seen in a pending list could own any group. A listed group that is not in
           ``known_groups`` and falls in exactly one face's windows belongs to that face if it
           is the only such group for it; that face then drops out and the rest is retried.
           Two faces whose windows overlap and hold the same new group stay pending: only the
           return visit can tell them apart. Faces are never matched by order or by guess.

        This assumes the key is used by this bot alone (another app's real-human groups
        would look like ours) and keeps session memory in this process: after a restart only
        the sessions of faces still pending are known.
        """
        if not pending:
            return {}
        remember(self._sessions, pending)
        starts = [s.started_at for s in self._sessions.values() if s.started_at is not None]
        earliest = min(starts) - CLOCK_SLACK if starts else None
        rows = await self._groups(stop_before=earliest)
        listed = {gid: row for row in rows if (gid := group_id_of(row))}
        found: dict[int, GroupInfo] = {}
        taken = set(known_groups)
        settled: set[int] = set()
        for p in pending:
            if p.group_id is None:
                continue
            settled.add(p.key)  # its group is known: it owns no other
            row = listed.get(p.group_id)
            created = created_at(row)
            near = created is None or abs(created - p.started_at) <= PASS_WINDOW + CLOCK_SLACK
            if row is not None and near:
                found[p.key] = group(row)
            taken.add(p.group_id)
        by_session = {p.session_id: p for p in pending if p.session_id and p.key not in settled}
        for gid, row in listed.items():
            owner = by_session.get(first_str(row, "SessionId", "session_id", "sessionId") or "")
            if gid not in taken and owner is not None and owner.key not in found:
                found[owner.key] = group(row)
                settled.add(owner.key)
                taken.add(gid)
        asked = {p.key for p in pending}
        for gid, key in match_by_time(self._sessions, listed, taken, settled).items():
            if key in asked and key not in found:
                found[key] = group(listed[gid])
        for key in found:
            forget(self._sessions, key)
        return found

    async def _groups(self, *, stop_before: float | None) -> list[dict[str, Any]]:
        """Real-human groups, newest first; stop once a sorted page is older than needed."""
        rows: list[dict[str, Any]] = []
        params = {"group_type": "real_human", "sort_by": "CreateTime", "sort_order": "Desc"}
        async for page in self._listing("/v1/asset/groups", params, group_id_of):
            rows.extend(page)
            times = [created_at(r) for r in page]
            if stop_before is not None and None not in times:
                known = [t for t in times if t is not None]
                if known == sorted(known, reverse=True) and known[-1] < stop_before:
                    break
        return rows

    def _listing(self, path: str, params: dict[str, Any], key: RowKey) -> Listing:
        async def fetch(page: int) -> Page:
            data = await self._json(
                "GET", path, params={**params, "page_number": page, "page_size": PAGE_SIZE}
            )
            return read_page(data)

        return Listing(fetch, key=key, max_pages=MAX_PAGES)

    # ------------------------------------------------------------------ assets

    async def upload_asset(self, group_id: str | None, image: ImageUpload, name: str) -> AssetInfo:
        if group_id is None:
            raise ProviderError("OrcaRouter uploads need a real-human group")
        if image.public_url is None:
            raise ProviderError("OrcaRouter takes images by public URL only; none was given")
        body = {"GroupId": group_id, "URL": image.public_url, "AssetType": "Image", "Name": name}
        data = await self._json("POST", "/v1/asset/files", json=body)
        info = asset(data)
        return AssetInfo(
            asset_id=info.asset_id,
            state=info.state,
            group_id=info.group_id or group_id,
            name=info.name or name,
            record_id=info.asset_id,
            raw=info.raw,
        )

    async def get_asset(self, ref: AssetRef) -> AssetInfo:
        asset_id = ref.asset_id or ref.record_id
        if asset_id is None:
            raise ProviderError("OrcaRouter assets are looked up by their Id")
        return asset(await self._json("GET", f"/v1/asset/files/{asset_id}"))

    async def list_assets(self, group_id: str) -> list[AssetInfo]:
        listing = self._listing("/v1/asset/files", {"group_id": group_id}, asset_id_of)
        return [asset(row) for row in await listing.rows()]

    # ------------------------------------------------------------------ videos

    async def submit_video(self, request: VideoRequest) -> VideoStatus:
        model, images = checked_video(request, VENDOR, MODEL_IDS, self.capabilities)
        # Ark's content items, which OrcaRouter passes through; each keeps its own role.
        content = [
            {
                "type": "image_url",
                "image_url": {"url": f"asset://{image.asset_id}"},
                "role": image.role.value,
            }
            for image in images
        ]
        body = {
            "model": model,
            "prompt": compose_prompt(request.prompt, images),
            "metadata": {
                "content": content,
                "ratio": request.ratio,
                "duration": request.duration,
                "resolution": request.resolution,
                "generate_audio": request.audio,
                "watermark": False,
            },
        }
        return video_status(await self._json("POST", "/v1/video/generations", json=body))

    async def get_video(self, task_id: str) -> VideoStatus:
        return video_status(await self._json("GET", f"/v1/video/generations/{task_id}"))
