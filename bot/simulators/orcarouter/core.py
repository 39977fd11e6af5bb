"""State, controls and plumbing of the OrcaRouter simulator; the routes are in ``simulator``."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlparse

from aiohttp import web

from bot.simulators.common import AssetOutcome, Handler, SimulatorBase, VideoOutcome
from bot.simulators.orcarouter import fetch
from bot.simulators.orcarouter.state import (
    ApiError,
    Asset,
    AssetGroup,
    Json,
    LinkRefused,
    ReturnVisit,
    VerificationSession,
    VideoTask,
    error_response,
    new_id,
    phrase,
)

log = logging.getLogger(__name__)


class OrcaRouterCore(SimulatorBase):
    """Everything but the routes: see the package docstring for the behaviour."""

    name = "orcarouter"

    def __init__(
        self,
        *,
        api_keys: Iterable[str] = ("sim-key",),
        link_ttl: float = 120.0,
        processing_seconds: float = 0.2,
        video_queued_seconds: float = 0.1,
        video_running_seconds: float = 0.3,
        asset_quota: int = 100,
        follow_return_url: bool = True,
        fast_available: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api_keys = frozenset(api_keys)
        self._link_ttl = link_ttl
        self._processing_seconds = processing_seconds
        self._video_queued_seconds = video_queued_seconds
        self._video_running_seconds = video_running_seconds
        self._asset_quota = asset_quota
        self._follow_return_url = follow_return_url
        self._fast_available = fast_available
        super().__init__(clock=clock)
        self._secret = secrets.token_bytes(32)
        self._seq = itertools.count(1)
        self._sessions: dict[str, VerificationSession] = {}
        self._by_token: dict[str, str] = {}  # link token -> session id
        self._groups: dict[str, AssetGroup] = {}
        self._assets: dict[str, Asset] = {}
        self._videos: dict[str, VideoTask] = {}
        self._asset_script: deque[AssetOutcome] = deque()
        self._video_script: deque[VideoOutcome] = deque()
        self._return_tasks: set[asyncio.Task[None]] = set()
        self.return_visits: list[ReturnVisit] = []
        self._add_routes()

    def _add_routes(self) -> None:
        """Subclasses register the routes here."""

    # ------------------------------------------------------------------ controls

    def script_assets(self, *outcomes: AssetOutcome) -> None:
        self._asset_script.extend(outcomes)

    def script_videos(self, *outcomes: VideoOutcome) -> None:
        self._video_script.extend(outcomes)

    def pass_link(self, h5_url: str) -> str:
        """The person behind ``h5_url`` passed: the group exists now; returns its Id.

        With ``follow_return_url`` the simulator then GETs the session's ``return_url`` as
        their browser would, in a task; ``await wait_returns()`` to wait for it. Raises
        :class:`LinkRefused` for an unknown (404), used (409) or expired (410) link.
        """
        session = self._usable(h5_url)
        group = self._pass(session)
        self._schedule_return(session)
        return group.group_id

    def fail_link(self, h5_url: str) -> None:
        """The person behind ``h5_url`` failed the face check: no group; the link is used."""
        session = self._usable(h5_url)
        session.state, session.finished_at = "failed", self._clock()
        self._schedule_return(session)

    async def wait_returns(self) -> None:
        """Wait until every return visit started by ``pass_link``/``fail_link`` is done."""
        while self._return_tasks:
            await asyncio.gather(*self._return_tasks, return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._return_tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._return_tasks, return_exceptions=True)
        await super().stop()

    @property
    def sessions(self) -> dict[str, VerificationSession]:
        return self._sessions

    @property
    def groups(self) -> dict[str, AssetGroup]:
        self._settle()
        return self._groups

    @property
    def assets(self) -> dict[str, Asset]:
        self._settle()
        return self._assets

    @property
    def videos(self) -> dict[str, VideoTask]:
        self._settle()
        return self._videos

    # ------------------------------------------------------------------ verification

    def link_problem(self, token: str) -> tuple[int, str, VerificationSession | None]:
        session = self._sessions.get(self._by_token.get(token, ""))
        if session is None:
            return 404, "unknown", None
        if session.state != "pending":
            return 409, "used", session
        if self._clock() >= session.expires_at:
            return 410, "expired", session
        return 200, "", session

    def _usable(self, h5_url: str) -> VerificationSession:
        token = urlparse(h5_url).path.rstrip("/").rsplit("/", 1)[-1]
        status, reason, session = self.link_problem(token)
        if status != 200 or session is None:
            raise LinkRefused(status, reason)
        return session

    def _pass(self, session: VerificationSession) -> AssetGroup:
        now = self._clock()
        group = AssetGroup(
            group_id=new_id("group", now),
            account=session.account,
            name="",
            group_type="LivenessFace",
            created_at=now,
            updated_at=now,
            seq=next(self._seq),
            session_id=session.session_id,
        )
        group.name = f"real-human-{group.group_id.removeprefix('group-')}"
        self._groups[group.group_id] = group
        session.state, session.group_id, session.finished_at = "passed", group.group_id, now
        return group

    def return_target(self, session: VerificationSession) -> str | None:
        """The URL the person's browser lands on after the check, if it is followed."""
        if not self._follow_return_url or not session.return_url:
            return None
        status = "success" if session.state == "passed" else "failed"
        params = {"status": status, "session_id": session.session_id}
        params["group_id"] = session.group_id or ""
        return fetch.with_query(session.return_url, params)

    async def visit_return(self, session: VerificationSession) -> None:
        url = self.return_target(session)
        if url is not None:
            status, error = await fetch.visit(url)
            self.return_visits.append(ReturnVisit(url, status, error))

    def _schedule_return(self, session: VerificationSession) -> None:
        if self.return_target(session) is None:
            return
        try:
            task = asyncio.get_running_loop().create_task(self.visit_return(session))
        except RuntimeError:
            log.warning("no event loop: return_url of session %s not visited", session.session_id)
            return
        self._return_tasks.add(task)
        task.add_done_callback(self._return_tasks.discard)

    # ------------------------------------------------------------------ state machine

    def _settle(self) -> None:
        now = self._clock()
        for asset in self._assets.values():
            ready_at = asset.created_at + self._processing_seconds
            if asset.status == "Processing" and asset.ready and now >= ready_at:
                asset.status, asset.updated_at = asset.outcome.status, ready_at
        for video in self._videos.values():
            started = video.created_at + self._video_queued_seconds
            finished = started + self._video_running_seconds
            if video.status in ("queued", "in_progress"):
                if now >= finished:
                    video.status, video.completed_at = video.outcome.status, finished
                elif now >= started:
                    video.status = "in_progress"

    def video_progress(self, video: VideoTask) -> int:
        if video.status in ("completed", "failed"):
            return 100
        if video.status == "queued" or self._video_running_seconds <= 0:
            return 0
        started = video.created_at + self._video_queued_seconds
        done = (self._clock() - started) / self._video_running_seconds
        return max(1, min(99, int(100 * done)))

    def quota_used(self, account: str) -> int:
        return sum(1 for a in self._assets.values() if a.account == account)

    def next_asset_outcome(self) -> AssetOutcome:
        return self._asset_script.popleft() if self._asset_script else AssetOutcome()

    def next_video_outcome(self) -> VideoOutcome:
        return self._video_script.popleft() if self._video_script else VideoOutcome()

    def sign(self, kind: str, item_id: str, expires: int) -> str:
        message = f"{kind}:{item_id}:{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def signed_ok(self, request: web.Request, kind: str, item_id: str) -> str | None:
        """None if the signed file URL is good, else why not."""
        try:
            expires = int(request.query.get("expires", ""))
        except ValueError:
            return "bad expires"
        good = self.sign(kind, item_id, expires)
        if not hmac.compare_digest(good, request.query.get("sig", "")):
            return "signature mismatch"
        if self._clock() >= expires:
            return "link expired"
        return None

    def origin(self, request: web.Request) -> str:
        return self.base_url or f"{request.scheme}://{request.host}"

    # ------------------------------------------------------------------ plumbing

    def fault_body(
        self, status: int, message: str, headers: dict[str, str] | None
    ) -> web.StreamResponse:
        return error_response(status, message, headers=headers)

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._settle()
        try:
            return await handler(request)
        except ApiError as exc:
            return error_response(exc.status, exc.message, exc.code, exc.kind)
        except web.HTTPException as exc:
            if not request.path.startswith("/v1/") or exc.status < 400:
                raise
            status = 404 if exc.status == 405 else exc.status
            return error_response(status, phrase(status))

    def account(self, request: web.Request) -> str:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or key not in self._api_keys:
            raise ApiError(401, "Invalid API key", "invalid_api_key", "authentication_error")
        return key

    async def json_body(self, request: web.Request) -> Json:
        try:
            body: Any = await request.json()
        except ValueError:
            raise ApiError(400, "Request body must be JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        return body
