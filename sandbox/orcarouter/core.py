"""State, controls and plumbing of the OrcaRouter simulator; the routes are in ``simulator``."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from typing import Unpack
from urllib.parse import urlparse

from aiohttp import web

from sandbox import helpers
from sandbox.common import SimulatorBase
from sandbox.helpers import H5Link, Settled, SimulatorOptions, phrase, stamp_id
from sandbox.orcarouter import fetch
from sandbox.orcarouter.state import (
    ApiError,
    Asset,
    AssetGroup,
    LinkRefused,
    ReturnVisit,
    VerificationSession,
    VideoTask,
    error_response,
)

log = logging.getLogger(__name__)


class OrcaRouterCore(SimulatorBase):
    """Everything but the routes: see the package docstring for the behaviour."""

    name = "orcarouter"

    def __init__(
        self,
        *,
        asset_quota: int = 100,
        follow_return_url: bool = True,
        fast_available: bool = False,
        **options: Unpack[SimulatorOptions],
    ) -> None:
        super().__init__(**options)
        self._asset_quota = asset_quota
        self._follow_return_url = follow_return_url
        self._fast_available = fast_available
        self._seq = itertools.count(1)
        self._sessions: dict[str, VerificationSession] = {}
        self._by_token: dict[str, str] = {}  # link token -> session id
        self._groups: dict[str, AssetGroup] = {}
        self._assets: dict[str, Asset] = {}
        self._videos: dict[str, VideoTask] = {}
        self._return_tasks: set[asyncio.Task[None]] = set()
        self.return_visits: list[ReturnVisit] = []
        self._add_routes()

    def _add_routes(self) -> None:
        """Subclasses register the routes here."""

    # ------------------------------------------------------------------ controls

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

    groups = Settled[dict[str, AssetGroup]]("_groups")
    assets = Settled[dict[str, Asset]]("_assets")
    videos = Settled[dict[str, VideoTask]]("_videos")

    # ------------------------------------------------------------------ verification

    def h5_link(self, token: str) -> H5Link:
        session = self._sessions.get(self._by_token.get(token, ""))
        return self.link_state(
            session is not None,
            session is not None and session.state != "pending",
            session.expires_at if session else 0.0,
            "Real-person verification (OrcaRouter sandbox).",
        )

    async def h5_press(self, token: str) -> None:
        session = self._sessions[self._by_token[token]]
        self._pass(session)
        await self.visit_return(session)

    def _usable(self, h5_url: str) -> VerificationSession:
        token = urlparse(h5_url).path.rstrip("/").rsplit("/", 1)[-1]
        status, reason, _, _ = self.h5_link(token)
        if status != 200:
            raise LinkRefused(status, reason)
        return self._sessions[self._by_token[token]]

    def _pass(self, session: VerificationSession) -> AssetGroup:
        now = self._clock()
        group = AssetGroup(
            group_id=stamp_id("group", now),
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
            self.advance_video(video, now)

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

    # ------------------------------------------------------------------ plumbing

    def fault_body(
        self, status: int, message: str, headers: dict[str, str] | None
    ) -> web.StreamResponse:
        return error_response(status, message, headers=headers)

    def routing_error(self, status: int, reason: str) -> helpers.ApiError:
        return ApiError(status, phrase(status))

    def answer_error(self, request: web.Request, error: helpers.ApiError) -> web.StreamResponse:
        kind = error.kind if isinstance(error, ApiError) else None
        return error_response(error.status, error.message, error.code, kind)

    def account(self, request: web.Request) -> str:
        key = self.bearer_key(request)
        if key is None:
            raise ApiError(401, "Invalid API key", "invalid_api_key", "authentication_error")
        return key
