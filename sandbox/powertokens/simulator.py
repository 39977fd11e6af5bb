"""The PowerTokens simulator: Asset Library, verification links and controls (shapes: see the
package docstring)."""

from __future__ import annotations

import itertools
import logging
import secrets
from typing import Any, Unpack

from aiohttp import web

from sandbox.common import SimulatorBase
from sandbox.helpers import (
    ApiError,
    H5Link,
    Json,
    Settled,
    SimulatorOptions,
    checked_image,
    read_form,
    stamp_id,
)
from sandbox.powertokens.state import (
    ASSET_FAILED,
    ASSET_SUCCEEDED,
    ASSET_UNDER_REVIEW,
    GROUP_REAL_PERSON,
    GROUP_VIRTUAL,
    REAL_HUMAN_AUTHORIZED,
    REAL_HUMAN_OWN,
    Asset,
    AssetGroup,
    AuthSession,
    UploadJob,
    VideoJob,
    asset_json,
    group_json,
    page_of,
    valid_name,
    video_error,
    wrapped,
    wrapped_error,
)
from sandbox.powertokens.videos import VideoDesk
from sandbox.records import StoredImage

log = logging.getLogger(__name__)


class PowerTokensSimulator(SimulatorBase):
    """PowerTokens Asset Library + video API on 127.0.0.1."""

    name = "powertokens"

    def __init__(
        self,
        *,
        job_seconds: float | None = None,
        group_delay: float = 0.0,
        asset_quota: int | None = None,
        authorize_names: bool = False,
        errors_in_body: bool = False,
        accept_bearer_on_assets: bool = False,
        **options: Unpack[SimulatorOptions],
    ) -> None:
        super().__init__(**options)
        half = self._processing_seconds / 2
        self._job_seconds = half if job_seconds is None else job_seconds
        self._group_delay = group_delay
        self._asset_quota = asset_quota
        self._authorize_names = authorize_names
        self._errors_in_body = errors_in_body
        self._accept_bearer_on_assets = accept_bearer_on_assets
        self._seq = itertools.count(1)
        self._order: dict[str, int] = {}
        self._groups: dict[str, AssetGroup] = {}
        self._sessions: dict[str, AuthSession] = {}
        self._jobs: dict[str, UploadJob] = {}
        self._assets: dict[str, Asset] = {}
        self.desk = VideoDesk(self)
        self.jobs_polled_with_auth = 0  # get-asset-id calls that carried an Authorization
        self.app.add_routes(
            [
                web.post("/v1/asset/get-authorize-url", self._authorize_url),
                web.post("/v1/asset/groups/list", self._list_groups),
                web.post("/v1/asset/groups/create", self._create_group),
                web.post("/v1/asset/groups/rename", self._rename_group),
                web.post("/v1/asset/groups/delete", self._delete_group),
                web.post("/v1/asset/groups/assets", self._list_assets),
                web.post("/v1/asset/upload", self._upload),
                web.get("/v1/asset/jobs/get-asset-id", self._get_asset_id),
                *self.desk.routes(),
                *self.h5_routes(),
                web.post("/_sim/pass", self._sim_pass),
            ]
        )

    # ------------------------------------------------------------------ controls

    def pass_link(self, h5_url: str) -> None:
        """The person behind this H5 link passed (link expiry does not matter here)."""
        token = h5_url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        session = self._sessions.get(token)
        if session is None:
            raise ValueError(f"unknown verification link {h5_url!r}")
        if session.state == "open":
            session.state, session.passed_at = "used", self.now()
            self._settle()

    def add_group(
        self,
        name: str,
        *,
        account: str | None = None,
        group_type: int = GROUP_REAL_PERSON,
        real_human_type: int | None = REAL_HUMAN_OWN,
        created_at: float | None = None,
    ) -> str:
        """A group made elsewhere (the console, an earlier run); returns its id."""
        when = self.now() if created_at is None else created_at
        owner = account or next(iter(sorted(self._api_keys)))
        kind = real_human_type if group_type == GROUP_REAL_PERSON else None
        return self._new_group(owner, name, group_type, kind, when).group_id

    groups = Settled[dict[str, AssetGroup]]("_groups")
    sessions = Settled[dict[str, AuthSession]]("_sessions")
    jobs = Settled[dict[str, UploadJob]]("_jobs")
    assets = Settled[dict[str, Asset]]("_assets")
    videos = Settled[dict[str, VideoJob]]("desk.videos")

    # ------------------------------------------------------------------ state machine

    def _settle(self) -> None:
        now = self.now()
        passed = [s for s in self._sessions.values() if s.passed_at is not None]
        for session in sorted(passed, key=lambda s: s.passed_at or 0.0):
            assert session.passed_at is not None
            appears = session.passed_at + self._group_delay
            if session.group_id is None and now >= appears:
                name = session.requested_name if self._authorize_names else None
                name = name or f"RealPerson-{secrets.token_hex(3)}"
                group = self._new_group(
                    session.account, name, GROUP_REAL_PERSON, REAL_HUMAN_AUTHORIZED, appears
                )
                session.group_id = group.group_id
        for job in self._jobs.values():
            done = job.created_at + self._job_seconds
            if job.asset_id is None and now >= done and job.group_id in self._groups:
                asset = Asset(
                    asset_id=stamp_id("asset", done),
                    task_id=job.task_id,
                    account=job.account,
                    group_id=job.group_id,
                    name=job.name,
                    **job.image(),
                    created_at=done,
                    outcome=job.outcome,
                    updated_at=done,
                )
                self._assets[asset.asset_id] = asset
                self._order[asset.asset_id] = next(self._seq)
                job.asset_id = asset.asset_id
        for asset in self._assets.values():
            uploaded_at = asset.created_at - self._job_seconds
            reviewed = max(asset.created_at, uploaded_at + self._processing_seconds)
            if asset.status == ASSET_UNDER_REVIEW and now >= reviewed:
                ok = asset.outcome.status == "Active"
                asset.status = ASSET_SUCCEEDED if ok else ASSET_FAILED
                asset.updated_at = max(reviewed, asset.created_at)
        self.desk.settle(now)

    def _new_group(
        self, account: str, name: str, group_type: int, human: int | None, when: float
    ) -> AssetGroup:
        group = AssetGroup(stamp_id("group", when), account, name, group_type, human, when, when)
        self._groups[group.group_id] = group
        self._order[group.group_id] = next(self._seq)
        return group

    # ------------------------------------------------------------------ H5 page, /_sim

    def h5_link(self, token: str) -> H5Link:
        session = self.sessions.get(token)
        return self.link_state(
            session is not None,
            session is not None and session.state == "used",
            session.expires_at if session else 0.0,
            "PowerTokens real-person authorization.",
        )

    async def h5_press(self, token: str) -> None:
        self.pass_link(token)

    async def _sim_items(self, request: web.Request) -> Any:
        body = await self.sim_json(request)
        if not isinstance(body, list):
            raise web.HTTPBadRequest(text="body must be a JSON array")
        return body

    async def _sim_pass(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            self.pass_link(str(body["url"]))
        except (TypeError, ValueError, KeyError) as exc:
            raise web.HTTPNotFound(text=str(exc)) from None
        return web.json_response({"ok": True})

    # ------------------------------------------------------------------ plumbing

    def account(self, request: web.Request, *, video: bool = False) -> str:
        """Asset routes want ``Authorization: <key>``; video routes take "Bearer <key>" too."""
        header = request.headers.get("Authorization", "").strip()
        scheme, _, rest = header.partition(" ")
        bearer = scheme.lower() == "bearer"
        key = rest.strip() if bearer else header
        if key not in self._api_keys or (
            bearer and not video and not self._accept_bearer_on_assets
        ):
            raise ApiError(401, "Unauthorized: invalid API key")
        return key

    async def json_body(self, request: web.Request, *, optional: bool = False) -> Json:
        if optional and not await request.read():
            return {}
        return await super().json_body(request)

    def fault_body(
        self, status: int, message: str, headers: dict[str, str] | None
    ) -> web.StreamResponse:
        return wrapped_error(status, message, headers=headers)

    def answer_error(self, request: web.Request, error: ApiError) -> web.StreamResponse:
        if request.path.startswith("/v1/videos"):
            return video_error(error.status, error.message, error.code)
        return wrapped_error(error.status, error.message, in_body=self._errors_in_body)

    def _own_group(self, account: str, group_id: object) -> AssetGroup:
        group = self._groups.get(group_id) if isinstance(group_id, str) else None
        if group is None or group.account != account:
            raise ApiError(404, "Asset group not found")
        return group

    # ------------------------------------------------------------------ groups

    async def _authorize_url(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        body = await self.json_body(request, optional=True)
        wanted = body.get("group_name", body.get("name"))
        requested = None if wanted is None else valid_name(wanted, "group_name")
        token = secrets.token_urlsafe(24)
        self._sessions[token] = AuthSession(token, account, self.now() + self._link_ttl, requested)
        return wrapped({"url": f"{self.origin(request)}/h5/{token}"})

    async def _list_groups(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        body = await self.json_body(request, optional=True)
        kind, human = body.get("group_type"), body.get("real_human_type")
        name = str(body.get("name") or body.get("group_name") or "").lower()
        found = [
            g
            for g in self._groups.values()
            if g.account == account
            and (kind is None or g.group_type == kind)
            and (human is None or g.real_human_type == human)
            and name in g.name.lower()
        ]
        found.sort(key=lambda g: (g.created_at, self._order[g.group_id]), reverse=True)
        return wrapped(page_of([group_json(g, self._assets.values()) for g in found], body))

    async def _create_group(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        body = await self.json_body(request)
        name = valid_name(body.get("name", body.get("group_name")), "name")
        group = self._new_group(account, name, GROUP_VIRTUAL, None, self.now())
        return wrapped({"group_id": group.group_id, "group_name": group.name})

    async def _rename_group(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        body = await self.json_body(request)
        group = self._own_group(account, body.get("group_id"))
        group.name = valid_name(body.get("name", body.get("group_name")), "name")
        group.updated_at = self.now()
        return wrapped({"group_id": group.group_id, "group_name": group.name})

    async def _delete_group(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        body = await self.json_body(request)
        group = self._own_group(account, body.get("group_id"))
        del self._groups[group.group_id]
        for asset_id in [
            a.asset_id for a in self._assets.values() if a.group_id == group.group_id
        ]:
            del self._assets[asset_id]
        for task_id in [j.task_id for j in self._jobs.values() if j.group_id == group.group_id]:
            del self._jobs[task_id]
        return wrapped(None)

    # ------------------------------------------------------------------ assets

    async def _list_assets(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        body = await self.json_body(request)
        group = self._own_group(account, body.get("group_id"))
        status, kind = body.get("status"), body.get("type")
        name = str(body.get("name") or "").lower()
        asset_id = body.get("asset_id")
        found = [
            a
            for a in self._assets.values()
            if a.group_id == group.group_id
            and (status is None or a.status == status)
            and (kind is None or kind == 1)
            and name in a.name.lower()
            and (asset_id is None or a.asset_id == asset_id)
        ]
        found.sort(key=lambda a: self._order[a.asset_id], reverse=True)
        return wrapped(page_of([asset_json(a) for a in found], body))

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        names = ("group_id", "group_name", "name")
        fields, data, size = await read_form(request, names, "file and group_id")
        if data is None:
            raise ApiError(400, "file is required")
        if fields.get("group_id"):
            group = self._own_group(account, fields["group_id"])
        elif fields.get("group_name"):
            name = valid_name(fields["group_name"], "group_name")
            same = [g for g in self._groups.values() if g.account == account and g.name == name]
            virtual = [g for g in same if g.group_type == GROUP_VIRTUAL]
            group = virtual[0] if virtual else self._new_group(account, name, 0, None, self.now())
        else:
            raise ApiError(400, "group_id or group_name is required")
        name = valid_name(fields.get("name") or fields.get("filename"), "name")
        if self._asset_quota is not None:
            used = sum(1 for j in self._jobs.values() if j.account == account)
            if used >= self._asset_quota:
                raise ApiError(403, f"Asset quota exceeded ({self._asset_quota} assets)")
        info = await checked_image(data, size)
        now = self.now()
        job = UploadJob(
            task_id=stamp_id("task", now),
            account=account,
            group_id=group.group_id,
            name=name,
            **StoredImage.of(info, data),
            created_at=now,
            outcome=self.next_asset_outcome(),
        )
        self._jobs[job.task_id] = job
        return wrapped({"task_id": job.task_id})

    async def _get_asset_id(self, request: web.Request) -> web.StreamResponse:
        if "Authorization" in request.headers:
            self.jobs_polled_with_auth += 1  # accepted all the same; the seed says not needed
        task_id = request.query.get("task_id", "").strip()
        if not task_id:
            raise ApiError(400, "task_id is required")
        job = self._jobs.get(task_id)
        if job is None:
            raise ApiError(404, "Task not found")
        if job.asset_id is None:
            body = {"task_id": task_id, "status": "processing", "asset_id": None}
            return web.json_response({"code": 200, "msg": "processing", "data": body})
        return wrapped({"task_id": task_id, "status": "succeeded", "asset_id": job.asset_id})
