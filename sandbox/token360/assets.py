"""The simulator's asset routes: ``POST /v1/assets`` (multipart upload), ``GET /v1/assets``,
``GET /v1/assets/{asset_id}``."""

from __future__ import annotations

import itertools
import secrets
from typing import TYPE_CHECKING, Literal

from aiohttp import web

from sandbox.helpers import ApiError, Json, checked_image, iso, read_form
from sandbox.records import StoredImage
from sandbox.token360.state import GROUP_ACTIVE, Asset, wrapped

if TYPE_CHECKING:
    from sandbox.token360.simulator import Token360Simulator


class AssetRoutes:
    """Uploads checked against the image rules, then Processing until their time is up."""

    def __init__(
        self, sim: Token360Simulator, status_case: Literal["title", "lower", "upper"]
    ) -> None:
        self.sim = sim
        self._status_case = status_case
        self._record_ids = itertools.count(1)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/assets", self._upload_asset),
            web.get("/v1/assets", self._list_assets),
            web.get("/v1/assets/{asset_id}", self._get_asset),
        ]

    def _asset_json(self, asset: Asset) -> Json:
        status = asset.status
        if self._status_case == "lower":
            status = status.lower()
        elif self._status_case == "upper":
            status = status.upper()
        error = None
        if asset.status == "Failed":
            error = asset.outcome.error()
        return {
            "id": asset.record_id,
            "assetId": asset.asset_id,
            "assetGroupId": asset.group_id,
            "name": asset.name,
            "status": status,
            "mimeType": asset.mime_type,
            "sizeBytes": asset.size_bytes,
            "width": asset.width,
            "height": asset.height,
            "error": error,
            "createdAt": iso(asset.created_at),
            "updatedAt": iso(asset.updated_at),
        }

    async def _upload_asset(self, request: web.Request) -> web.StreamResponse:
        account = self.sim.account(request)
        fields, data, size = await read_form(
            request, ("name", "groupId"), "file, name and groupId"
        )
        group_id = fields.get("groupId", "").strip()
        name = fields.get("name", "").strip()
        if not group_id:
            raise ApiError(400, "groupId is required")
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "name is required (1..128 characters)")
        if data is None:
            raise ApiError(400, "file is required")
        group = self.sim.own_group(account, group_id)
        if group.status != GROUP_ACTIVE:
            raise ApiError(409, "Asset group is not active")
        info = await checked_image(data, size)
        now = self.sim.now()
        asset = Asset(
            record_id=next(self._record_ids),
            asset_id="ta_" + secrets.token_hex(16),
            account=account,
            group_id=group.group_id,
            name=name,
            **StoredImage.of(info, data),
            created_at=now,
            updated_at=now,
            outcome=self.sim.next_asset_outcome(),
        )
        self.sim.store.assets[asset.asset_id] = asset
        return wrapped(self._asset_json(asset))

    async def _get_asset(self, request: web.Request) -> web.StreamResponse:
        account = self.sim.account(request)
        asset = self.sim.store.assets.get(request.match_info["asset_id"])
        if asset is None or asset.account != account:
            raise ApiError(404, "Asset not found")
        return wrapped(self._asset_json(asset))

    async def _list_assets(self, request: web.Request) -> web.StreamResponse:
        account = self.sim.account(request)
        query = request.query
        group_id = query.get("groupId", "").strip()
        status = query.get("status", "").strip().lower()
        keyword = query.get("keyword", "").strip().lower()
        found = [
            a
            for a in self.sim.store.assets.values()
            if a.account == account
            and (not group_id or a.group_id == group_id)
            and (not status or a.status.lower() == status)
            and (not keyword or keyword in a.name.lower() or keyword == a.asset_id)
        ]
        found = self.sim.ordered(found, lambda a: a.record_id, lambda a: a.asset_id)
        return wrapped(self.sim.page([self._asset_json(a) for a in found], request))
