"""Token360 (seed 000): Real Face groups, multipart uploads, ``ta_`` assets.

Requests, as the seed shows them:

- ``POST /v1/asset-groups {name, groupKind: "REAL_FACE"}`` -> ``data.assetGroupId`` and
  (may include) ``data.h5Link``, valid 120 s.
- ``GET /v1/asset-groups/{id}`` -> the group; the seed says it gives a fresh ``h5Link``.
  Token360's own UI says "create a new group" instead; where no link comes back,
  :meth:`refresh_verification` returns None and the service creates a new group.
- ``GET /v1/asset-groups?groupKind=REAL_FACE&status&keyword&current&size`` -> a page of
  groups (filters: PROVIDERS.md). The order of a list is not documented: lists are read
  to their end (or until what is looked for is found), never for a fixed number of pages.
- ``POST /v1/assets`` multipart ``file``, ``name``, ``groupId`` -> ``data{id, assetId, ...}``.
- ``GET /v1/assets/{assetId}`` and ``GET /v1/assets?groupId=`` -> status.

Tolerance, because the public pages disagree (shared/PROVIDERS.md): the ``{code, data,
msg}`` envelope may be absent; ``code`` 0 or 200 means OK; a page lists its rows in
``data.list`` or ``data.records`` (or ``data`` is the list); statuses compare
case-insensitively; a failed asset's reason may be ``error{code,message}``,
``errorCode``/``errorMessage``, ``failReason`` or upstream ``Error{Code,Message}``.
Group states other than active count as pending unless they say failed/rejected/expired.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
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
    ProviderError,
    ProviderName,
    ProviderRejected,
    RejectReason,
    RemoteAssetState,
    VerificationSession,
    VideoRequest,
    VideoState,
    VideoStatus,
)
from bot.providers.fields import first_str as _str
from bot.providers.http import ProviderHTTP, RetryPolicy

log = logging.getLogger(__name__)

PAGE_SIZE = 100
# The list filter for groups whose check has passed (statuses seen: pending_validation,
# active). Rows are checked here too, so a server that ignores the filter costs pages only.
ACTIVE = "active"


class Token360:
    name = ProviderName.TOKEN360
    capabilities = Capabilities(
        display_name="Token360", fresh_link=FreshLink.SAME_GROUP, start_creates_group=True
    )

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
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, **kwargs)
        return unwrap(response)

    async def start_verification(
        self, face_name: str, *, return_url: str | None = None
    ) -> VerificationSession:
        data = await self._data(
            "POST", "/v1/asset-groups", json={"name": face_name, "groupKind": "REAL_FACE"}
        )
        group_id = _str(data, "assetGroupId", "groupId", "id")
        if not group_id:
            raise ProviderError("Token360 did not return an assetGroupId")
        link = _str(data, "h5Link", "h5_link")
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
            info = _group(row, None)
            if info.name is not None and text in info.name:
                return info
        return None

    async def get_group(self, group_id: str) -> GroupInfo:
        data = await self._data("GET", f"/v1/asset-groups/{group_id}")
        return _group(data, group_id)

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

    async def find_groups(
        self, group_ids: set[str], *, status: str | None = None
    ) -> dict[str, GroupInfo]:
        """The listed groups among ``group_ids`` (with ``status``, if given), however many
        groups the account has and in whatever order the list keeps them."""
        params: dict[str, Any] = {"groupKind": "REAL_FACE"}
        if status is not None:
            params["status"] = status
        found: dict[str, GroupInfo] = {}

        def keep(rows: list[dict[str, Any]]) -> bool:
            for row in rows:
                info = _group(row, None)
                if info.group_id in group_ids:
                    found[info.group_id] = info
            return found.keys() >= group_ids  # all found: no more pages

        await self._read_list("/v1/asset-groups", params, _group_key, keep)
        return found

    async def _read_list(
        self,
        path: str,
        params: dict[str, Any],
        key: Callable[[dict[str, Any]], str | None],
        keep: Callable[[list[dict[str, Any]]], bool],
    ) -> None:
        """Hands each page's new rows to ``keep`` until it says enough, or the list ends:
        an empty page, a page with nothing new (a server that ignores ``current`` repeats
        one page), as many rows as the ``total`` it gave, or with no total a short page."""
        seen: set[str] = set()
        page = 1
        while True:
            data = await self._data(
                "GET", path, params={**params, "current": page, "size": PAGE_SIZE}
            )
            rows, total = page_rows(data)
            new = []
            for row in rows:
                ref = key(row) or repr(sorted(row.items()))
                if ref not in seen:
                    seen.add(ref)
                    new.append(row)
            if not new or keep(new):
                return
            if total is not None and len(seen) >= total:
                return
            if total is None and len(rows) < PAGE_SIZE:
                return
            page += 1

    async def upload_asset(self, group_id: str | None, image: ImageUpload, name: str) -> AssetInfo:
        if group_id is None:
            raise ProviderError("Token360 uploads need a Real Face group")
        data = await self._data(
            "POST",
            "/v1/assets",
            data={"groupId": group_id, "name": name},
            files={"file": (image.file_name, image.data, image.mime_type)},
        )
        return _asset(data)

    async def get_asset(self, ref: AssetRef) -> AssetInfo:
        if ref.asset_id is None:
            raise ProviderError("Token360 assets are looked up by assetId")
        return _asset(await self._data("GET", f"/v1/assets/{ref.asset_id}"))

    async def list_assets(self, group_id: str) -> list[AssetInfo]:
        assets: list[AssetInfo] = []

        def keep(rows: list[dict[str, Any]]) -> bool:
            assets.extend(_asset(row) for row in rows)
            return False  # every page

        await self._read_list("/v1/assets", {"groupId": group_id}, _asset_key, keep)
        return assets

    async def rename_group(self, group_id: str, name: str) -> bool:
        return False  # not in Token360's documents: the name changes in the bot only

    async def delete_group(self, group_id: str) -> bool:
        return False  # not in Token360's documents: the group stays in the console

    async def submit_video(self, request: VideoRequest) -> VideoStatus:
        # Seed 000, first-frame I2V: the asset as asset://ta_... on the first_frame entry.
        body: dict[str, Any] = {
            "model": request.model,
            "prompt": request.prompt,
            "frame_images": [
                {
                    "type": "image_url",
                    "frame_type": "first_frame",
                    "image_url": {"url": f"asset://{request.asset_ids[0]}"},
                }
            ],
            "duration": request.duration,
            "resolution": request.resolution,
            "ratio": request.ratio,
            "generate_audio": request.audio,
        }
        response = await self.http.request("POST", "/v1/videos", json=body)
        return video_status(response.json())

    async def get_video(self, task_id: str) -> VideoStatus:
        response = await self.http.request("GET", f"/v1/videos/{task_id}")
        return video_status(response.json())


VIDEO_URL_LIFETIME = 24 * 3600  # not documented; PROVIDERS.md: assume 24 h


def video_status(body: Any) -> VideoStatus:
    """A video object (not wrapped, PROVIDERS.md); tolerates an envelope all the same."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and "id" not in body:
        body = body["data"]
    if not isinstance(body, dict) or not body.get("id"):
        raise ProviderError("Token360 returned a video without an id")
    status = str(body.get("status") or "").lower()
    state = {
        "queued": VideoState.QUEUED,
        "pending": VideoState.QUEUED,
        "submitted": VideoState.QUEUED,
        "in_progress": VideoState.RUNNING,
        "running": VideoState.RUNNING,
        "processing": VideoState.RUNNING,
        "completed": VideoState.COMPLETED,
        "succeeded": VideoState.COMPLETED,
        "failed": VideoState.FAILED,
        "cancelled": VideoState.FAILED,
        "expired": VideoState.FAILED,
    }.get(status, VideoState.QUEUED)
    url = _str(body, "url", "video_url")
    error = body.get("error")
    code = message = None
    if isinstance(error, dict):
        code, message = _str(error, "code"), _str(error, "message")
    if state is VideoState.FAILED and code is None:
        code = status or "failed"
    if state is VideoState.COMPLETED and url is None:
        raise ProviderError("Token360 said the video is completed but gave no url")
    return VideoStatus(
        task_id=str(body["id"]),
        state=state,
        video_url=url,
        url_expires_at=url_expiry(url, body.get("completed_at")) if url else None,
        error_code=code,
        error_message=message,
        raw=body,
    )


def url_expiry(url: str, completed_at: Any) -> float:
    """When a presigned video URL stops working: its own ``expires`` if it says, else 24 h."""
    query = parse_qs(urlparse(url).query)
    for key in ("expires", "Expires"):
        if key in query:
            try:
                return float(query[key][0])
            except ValueError:
                break
    try:
        start = float(completed_at)
    except (TypeError, ValueError):
        start = time.time()
    return start + VIDEO_URL_LIFETIME


def unwrap(response: httpx.Response) -> Any:
    """The ``data`` of a ``{code, data, msg}`` envelope (or the body if there is none)."""
    try:
        body = response.json()
    except ValueError as exc:
        raise ProviderError("Token360 answered with something that is not JSON") from exc
    if isinstance(body, dict) and "code" in body and ("data" in body or "msg" in body):
        code = body.get("code")
        if code not in (0, 200, "0", "200", None):
            message = str(body.get("msg") or body.get("message") or f"error code {code}")
            raise ProviderRejected(message, reason=RejectReason.OTHER, status=response.status_code)
        return body.get("data")
    return body


def page_rows(data: Any) -> tuple[list[dict[str, Any]], int | None]:
    """Rows and total (None where the page gives none) of a page in either documented
    shape, or a bare list."""
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)], None
    if not isinstance(data, dict):
        return [], 0
    rows = data.get("list")
    if rows is None:
        rows = data.get("records")
    if rows is None:
        rows = data.get("items") or []
    total = data.get("total")
    pagination = data.get("pagination")
    if total is None and isinstance(pagination, dict):
        total = pagination.get("total")
    rows = [r for r in rows if isinstance(r, dict)]
    try:
        return rows, int(total) if total is not None else None
    except (TypeError, ValueError):
        return rows, None


def _group_key(row: dict[str, Any]) -> str | None:
    return _str(row, "assetGroupId", "groupId", "id")


def _asset_key(row: dict[str, Any]) -> str | None:
    return _str(row, "assetId", "asset_id", "id")


def _group(data: Any, fallback_id: str | None) -> GroupInfo:
    if not isinstance(data, dict):
        raise ProviderError("Token360 returned a group that is not an object")
    group_id = _str(data, "assetGroupId", "groupId", "id") or fallback_id
    if group_id is None:
        raise ProviderError("Token360 returned a group without an id")
    status = (_str(data, "status") or "").lower()
    if status == "active":
        state = GroupState.ACTIVE
    elif status in ("failed", "rejected", "expired", "disabled"):
        state = GroupState.FAILED
    else:
        state = GroupState.PENDING
    return GroupInfo(
        group_id=group_id,
        state=state,
        name=_str(data, "name"),
        h5_link=_str(data, "h5Link", "h5_link"),
        raw=data,
    )


def _asset(data: Any) -> AssetInfo:
    if not isinstance(data, dict):
        raise ProviderError("Token360 returned an asset that is not an object")
    asset_id = _str(data, "assetId", "asset_id")
    if asset_id is None:
        raise ProviderError("Token360 returned an asset without an assetId")
    status = (_str(data, "status", "Status") or "").lower()
    state = {
        "active": RemoteAssetState.ACTIVE,
        "failed": RemoteAssetState.FAILED,
        "fail": RemoteAssetState.FAILED,
    }.get(status, RemoteAssetState.PROCESSING)
    code, message = _asset_error(data)
    return AssetInfo(
        asset_id=asset_id,
        state=state,
        group_id=_str(data, "assetGroupId", "groupId"),
        name=_str(data, "name"),
        record_id=_str(data, "id"),
        error_code=code,
        error_message=message,
        raw=data,
    )


def _asset_error(data: dict[str, Any]) -> tuple[str | None, str | None]:
    for key in ("error", "Error"):
        error = data.get(key)
        if isinstance(error, dict):
            return _str(error, "code", "Code"), _str(error, "message", "Message")
        if isinstance(error, str) and error:
            return error, None
    code = _str(data, "errorCode", "error_code", "failCode")
    message = _str(data, "errorMessage", "error_message", "failReason", "reason")
    return code, message
