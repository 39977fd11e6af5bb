"""The OrcaRouter simulator's routes (behaviour documented in the package docstring)."""

from __future__ import annotations

import asyncio
import secrets

from aiohttp import web

from sandbox.common import AssetOutcome
from sandbox.helpers import optional_url, owned, stamp_id
from sandbox.media import ImageRejected, inspect_image
from sandbox.orcarouter import fetch
from sandbox.orcarouter.core import OrcaRouterCore
from sandbox.orcarouter.state import (
    ASSET_URL_TTL,
    GROUP_TYPES,
    ApiError,
    Asset,
    AssetGroup,
    LinkRefused,
    VerificationSession,
    VideoTask,
    asset_json,
    choice_param,
    group_json,
    page,
    video_json,
)
from sandbox.orcarouter.videos import parse_video_request
from sandbox.records import VIDEO_URL_TTL

_ASSET_TYPES = ("Image", "Video", "Audio")


class OrcaRouterSimulator(OrcaRouterCore):
    """OrcaRouter's Seedance asset + video API on 127.0.0.1."""

    def _add_routes(self) -> None:
        self.app.add_routes(
            [
                web.post("/v1/asset/real-human/sessions", self._create_session),
                web.get("/v1/asset/groups", self._list_groups),
                web.post("/v1/asset/groups", self._create_group),
                web.post("/v1/asset/files", self._upload_asset),
                web.get("/v1/asset/files", self._list_assets),
                web.get("/v1/asset/files/{asset_id}", self._get_asset),
                web.post("/v1/video/generations", self._create_video),
                web.get("/v1/video/generations/{task_id}", self._get_video),
                web.get("/files/videos/{task_id}.mp4", self._download_video),
                web.get("/files/assets/{asset_id}", self._download_asset),
                *self.h5_routes(),
                web.post("/_sim/pass", self._sim_pass),
            ]
        )

    # ------------------------------------------------------------------ sessions, groups

    async def _create_session(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        body = await self.json_body(request)
        return_url = optional_url(body, "return_url")
        now = self._clock()
        session = VerificationSession(
            session_id=secrets.token_urlsafe(30),
            account=account,
            token=secrets.token_urlsafe(24),
            return_url=return_url,
            created_at=now,
            expires_at=now + self._link_ttl,
        )
        self._sessions[session.session_id] = session
        self._by_token[session.token] = session.session_id
        link = f"{self.origin(request)}/h5/{session.token}"
        return web.json_response(
            {"session_id": session.session_id, "h5_link": link, "status": "pending"}
        )

    async def _create_group(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        body = await self.json_body(request)
        name, description = body.get("Name"), body.get("Description", "")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 64:
            raise ApiError(400, "Name must be 1..64 characters")
        if not isinstance(description, str) or len(description) > 300:
            raise ApiError(400, "Description must be at most 300 characters")
        now = self._clock()
        group = AssetGroup(
            group_id=stamp_id("group", now),
            account=account,
            name=name.strip(),
            group_type="AIGC",
            created_at=now,
            updated_at=now,
            seq=next(self._seq),
            description=description,
        )
        self._groups[group.group_id] = group
        return web.json_response({"Id": group.group_id})

    async def _list_groups(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        query = request.query
        kind = GROUP_TYPES[choice_param(query, "group_type", tuple(GROUP_TYPES), "real_human")]
        name = query.get("name", "").strip().lower()
        sort_by = choice_param(query, "sort_by", ("CreateTime", "UpdateTime"), "CreateTime")
        order = choice_param(query, "sort_order", ("Desc", "Asc"), "Desc")
        found = [
            g
            for g in self._groups.values()
            if g.account == account and g.group_type == kind and name in g.name.lower()
        ]
        attr = "created_at" if sort_by == "CreateTime" else "updated_at"
        found.sort(key=lambda g: (getattr(g, attr), g.seq), reverse=order == "Desc")
        return web.json_response(page([group_json(g) for g in found], query))

    def _own_group(self, account: str, group_id: str) -> AssetGroup:
        group = self._groups.get(group_id)
        if group is None or group.account != account:
            raise ApiError(404, f"Asset group {group_id} not found", "NotFound.GroupId")
        return group

    # ------------------------------------------------------------------ assets

    def _asset_url(self, request: web.Request, asset: Asset) -> str:
        if asset.status != "Active":
            return ""
        expires = int(asset.updated_at) + ASSET_URL_TTL
        path = f"/files/assets/{asset.asset_id}"
        return self.signed_url(request, path, "asset", asset.asset_id, expires)

    async def _upload_asset(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        body = await self.json_body(request)
        group_id, url = body.get("GroupId"), body.get("URL")
        asset_type, name = body.get("AssetType"), body.get("Name", "")
        if not isinstance(group_id, str) or not group_id:
            raise ApiError(400, "GroupId is required")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ApiError(400, "URL must be a publicly accessible http(s) URL")
        if asset_type not in _ASSET_TYPES:
            raise ApiError(400, f"AssetType must be one of {', '.join(_ASSET_TYPES)}")
        if asset_type != "Image":
            raise ApiError(400, "the simulator takes Image assets only")
        if not isinstance(name, str) or len(name) > 128:
            raise ApiError(400, "Name must be a string of at most 128 characters")
        group = self._own_group(account, group_id)
        if self.quota_used(account) >= self._asset_quota:
            raise ApiError(
                403,
                f"Asset quota exceeded: at most {self._asset_quota} assets per account, "
                "shared by all groups",
                "asset_quota_exceeded",
                "quota_exceeded",
            )
        now = self._clock()
        asset = Asset(
            asset_id=stamp_id("asset", now),
            account=account,
            group_id=group.group_id,
            name=name,
            asset_type=asset_type,
            source_url=url,
            created_at=now,
            updated_at=now,
            seq=next(self._seq),
            outcome=AssetOutcome(),
        )
        self._assets[asset.asset_id] = asset  # counted at once, like the real quota
        asset.outcome = await self._preprocess(asset)
        asset.ready = True
        return web.json_response({"Id": asset.asset_id})

    async def _preprocess(self, asset: Asset) -> AssetOutcome:
        """Fetch the URL once and check the image; a broken one fails the asset."""
        try:
            data = await fetch.fetch_image(asset.source_url)
            info = await asyncio.to_thread(inspect_image, data)
        except fetch.FetchFailed as exc:
            return AssetOutcome(status="Failed", code=exc.code, message=exc.message)
        except ImageRejected as exc:
            code = "InvalidParameter.FileSize" if exc.status == 413 else "InvalidParameter"
            return AssetOutcome(status="Failed", code=code, message=exc.message)
        asset.data, asset.mime_type = data, info.mime_type
        asset.width, asset.height = info.width, info.height
        return self.next_asset_outcome()

    async def _get_asset(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        asset = self._assets.get(request.match_info["asset_id"])
        if asset is None or asset.account != account:
            raise ApiError(404, "Asset not found", "NotFound.AssetId")
        return web.json_response(
            asset_json(asset, self._asset_url(request, asset), with_name=False)
        )

    async def _list_assets(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        query = request.query
        group_id = query.get("group_id", "").strip()
        kind = GROUP_TYPES[choice_param(query, "group_type", tuple(GROUP_TYPES), "real_human")]
        statuses = {s.strip().lower() for s in query.get("statuses", "").split(",") if s.strip()}
        name = query.get("name", "").strip().lower()
        sort_by = choice_param(
            query, "sort_by", ("CreateTime", "UpdateTime", "GroupId"), "CreateTime"
        )
        order = choice_param(query, "sort_order", ("Desc", "Asc"), "Desc")
        if group_id:
            self._own_group(account, group_id)  # its type overrides group_type
        found = [
            a
            for a in self._assets.values()
            if a.account == account
            and (
                a.group_id == group_id if group_id else self._groups[a.group_id].group_type == kind
            )
            and (not statuses or a.status.lower() in statuses)
            and name in a.name.lower()
        ]
        attr = {"CreateTime": "created_at", "UpdateTime": "updated_at"}.get(sort_by, "group_id")
        found.sort(key=lambda a: (getattr(a, attr), a.seq), reverse=order == "Desc")
        items = [asset_json(a, self._asset_url(request, a), with_name=True) for a in found]
        return web.json_response(page(items, query))

    def _type_of(self, asset: Asset) -> str:
        return self._groups[asset.group_id].group_type

    async def _download_asset(self, request: web.Request) -> web.StreamResponse:
        asset = self._assets.get(request.match_info["asset_id"])
        if asset is None or asset.status != "Active":
            return web.Response(status=404, text="Not Found")
        forbidden = self.forbidden(request, "asset", asset.asset_id)
        return forbidden or web.Response(body=asset.data, content_type=asset.mime_type)

    # ------------------------------------------------------------------ videos

    def _video_url(self, request: web.Request, video: VideoTask) -> str | None:
        if video.status != "completed" or video.completed_at is None:
            return None
        expires = int(video.completed_at) + VIDEO_URL_TTL
        path = f"/files/videos/{video.task_id}.mp4"
        return self.signed_url(request, path, "video", video.task_id, expires)

    def _video_body(self, request: web.Request, video: VideoTask) -> web.Response:
        url = self._video_url(request, video)
        return web.json_response(video_json(video, url, self.video_progress(video)))

    async def _create_video(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        body = await self.json_body(request)
        find = owned(self._assets, account)
        spec = parse_video_request(body, find, fast_available=self._fast_available)
        self.video_requests.append(body)
        now = self._clock()
        video = VideoTask(
            **spec.seedance(),
            task_id=stamp_id("cgt", now),
            account=account,
            asset_ids=[a.asset_id for a in spec.assets],
            watermark=spec.watermark,
            created_at=now,
            outcome=self.next_video_outcome(),
        )
        self._videos[video.task_id] = video
        return self._video_body(request, video)

    async def _get_video(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        video = self._videos.get(request.match_info["task_id"])
        if video is None or video.account != account:
            raise ApiError(404, "Task not found", "task_not_found")
        return self._video_body(request, video)

    async def _download_video(self, request: web.Request) -> web.StreamResponse:
        video = self._videos.get(request.match_info["task_id"])
        if video is None or video.status != "completed":
            return web.Response(status=404, text="Not Found")
        return await self.serve_signed_mp4(request, video.task_id, video.outcome.video_bytes)

    # ------------------------------------------------------------------ /_sim controls

    async def _sim_pass(self, request: web.Request) -> web.StreamResponse:
        url, _ = await self.sim_link(request)
        try:
            session = self._usable(url)
        except LinkRefused as exc:
            return web.json_response({"ok": False, "reason": exc.reason}, status=exc.status)
        group = self._pass(session)
        await self.visit_return(session)
        return web.json_response({"ok": True, "group_id": group.group_id})
