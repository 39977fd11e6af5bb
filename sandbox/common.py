"""The base of the provider simulators: scripted outcomes, signed MP4 files, the H5
verification page and the ``/_sim`` controls, on :class:`~sandbox.serving.ServedSimulator`
(serving, faults and the request log).

Each simulator subclasses :class:`SimulatorBase`, adds its routes to ``self.app`` and decides
how its errors look (:meth:`SimulatorBase.answer_error`, :meth:`SimulatorBase.fault_body`).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from aiohttp import web

from sandbox.helpers import H5_MESSAGES, H5Link, Video, h5_html
from sandbox.media import iter_padded_mp4, sample_mp4
from sandbox.outcomes import AssetOutcome, Fault, VideoOutcome, flaky
from sandbox.serving import Handler, ServedSimulator

__all__ = ["AssetOutcome", "Fault", "Handler", "SimulatorBase", "VideoOutcome", "flaky"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_STANDS_IN = "Sandbox: this page stands in for the BytePlus liveness check."


class SimulatorBase(ServedSimulator):
    """A provider simulator on 127.0.0.1 with fault injection and a log of provider requests.

    Every simulator takes ``api_keys`` (each key its own account), ``link_ttl``,
    ``processing_seconds`` (assets), ``video_queued_seconds``, ``video_running_seconds`` and
    ``clock``; its timing is lazy: :meth:`_settle` brings the state up to ``clock()`` before
    each request. ``logged_prefixes`` are the paths counted as provider requests (for
    benchmarks); ``/_sim`` control routes are never faulted or counted.
    """

    h5_messages: ClassVar[dict[str, str]] = H5_MESSAGES
    # Extra keywords sandbox mode starts this simulator with (the bot's own sandbox, not tests).
    sandbox_options: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        *,
        api_keys: Iterable[str] = ("sim-key",),
        link_ttl: float = 120.0,
        processing_seconds: float = 0.2,
        video_queued_seconds: float = 0.1,
        video_running_seconds: float = 0.3,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(api_keys=api_keys, clock=clock)
        self._link_ttl = link_ttl
        self._processing_seconds = processing_seconds
        self._video_queued_seconds = video_queued_seconds
        self._video_running_seconds = video_running_seconds
        self._secret = secrets.token_bytes(32)
        self.asset_script: deque[AssetOutcome] = deque()
        self.video_script: deque[VideoOutcome] = deque()
        # The body of every video request the simulator accepted, in order (tests read the
        # slots each image went into); Sunra's carry the model path under "_model".
        self.video_requests: list[dict[str, Any]] = []
        self.app.add_routes(
            [
                web.post("/_sim/script/assets", self._sim_script_assets),
                web.post("/_sim/script/videos", self._sim_script_videos),
                web.post("/_sim/faults", self._sim_fault),
                web.get("/_sim/requests", self._sim_requests),
                web.delete("/_sim/requests", self._sim_reset_requests),
            ]
        )

    # ------------------------------------------------------------------ controls

    def script_assets(self, *outcomes: AssetOutcome) -> None:
        self.asset_script.extend(outcomes)

    def script_videos(self, *outcomes: VideoOutcome) -> None:
        self.video_script.extend(outcomes)

    def next_asset_outcome(self) -> AssetOutcome:
        return self.asset_script.popleft() if self.asset_script else AssetOutcome()

    def next_video_outcome(self) -> VideoOutcome:
        return self.video_script.popleft() if self.video_script else VideoOutcome()

    def advance_video(
        self,
        video: Video,
        now: float,
        running: str = "in_progress",
        done: dict[str, str] | None = None,
    ) -> None:
        """Move a queued or ``running`` video on: ``running`` ``video_queued_seconds`` after
        it was made, its outcome's status (renamed by ``done``) ``video_running_seconds`` later."""
        if video.status not in ("queued", running):
            return
        started = video.created_at + self._video_queued_seconds
        finished = started + self._video_running_seconds
        if now >= finished:
            status = video.outcome.status
            video.status, video.completed_at = (done or {}).get(status, status), finished
        elif now >= started:
            video.status = running

    # ------------------------------------------------------------------ files

    def sign(self, kind: str, key: str, expires: int) -> str:
        message = f"{kind}:{key}:{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def signed_url(
        self, request: web.Request, path: str, kind: str, key: str, expires: int
    ) -> str:
        """``{origin}{path}?expires=<unix>&sig=<HMAC>``: a file link that needs no auth."""
        sig = self.sign(kind, key, expires)
        return f"{self.origin(request)}{path}?expires={expires}&sig={sig}"

    def forbidden(self, request: web.Request, kind: str, key: str) -> web.Response | None:
        """A 403 unless the request carries a good, unexpired signature for ``key``."""
        try:
            expires = int(request.query.get("expires", ""))
        except ValueError:
            problem = "bad expires"
        else:
            good = self.sign(kind, key, expires)
            if not hmac.compare_digest(good, request.query.get("sig", "")):
                problem = "signature mismatch"
            elif self._clock() >= expires:
                problem = "link expired"
            else:
                return None
        return web.Response(status=403, text=f"Forbidden: {problem}")

    async def serve_signed_mp4(
        self, request: web.Request, key: str, size: int | None
    ) -> web.StreamResponse:
        """The video ``key`` (see :meth:`serve_mp4`) if the link's signature holds, else 403."""
        return self.forbidden(request, "video", key) or await self.serve_mp4(request, size)

    async def serve_mp4(self, request: web.Request, size: int | None) -> web.StreamResponse:
        """Stream the sample MP4 (padded to ``size`` bytes if given) without buffering it."""
        size = size or len(sample_mp4())
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        response.content_length = size
        await response.prepare(request)
        if request.method != "HEAD":
            try:
                for chunk in iter_padded_mp4(size):
                    await response.write(chunk)
            except ConnectionError:  # the client went away mid-download
                log.debug("client left during an MP4 download")
                return response
        await response.write_eof()
        return response

    # ------------------------------------------------------------------ H5 page

    def h5_routes(self) -> list[web.RouteDef]:
        """``GET /h5/{token}`` (a "Pass verification" page) and ``POST /h5/{token}/pass``, for
        vendors whose people pass a face check: they define :meth:`h5_link`, :meth:`h5_press`."""
        return [web.get("/h5/{token}", self._h5_page), web.post("/h5/{token}/pass", self._h5_pass)]

    def h5_link(self, token: str) -> H5Link:
        raise NotImplementedError

    def link_state(self, found: bool, used: bool, expires_at: float, title: str) -> H5Link:
        """How a verification link stands: 404 ``unknown``, 409 ``used``, 410 ``expired``, else
        open until ``expires_at``, its page headed ``title`` (HTML)."""
        if not found:
            return H5Link(404, "unknown")
        if used:
            return H5Link(409, "used")
        if self.now() >= expires_at:
            return H5Link(410, "expired")
        intro = (
            f"<p>{title}</p><p>Sandbox: this page stands in for the BytePlus liveness check.</p>"
        )
        return H5Link(200, "", expires_at, intro)

    async def h5_press(self, token: str) -> None:
        """The person behind the (usable) link ``token`` passed."""
        raise NotImplementedError

    async def _h5_page(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        link = self.h5_link(token)
        if link.status != 200:
            return h5_html(link.status, self.h5_messages[link.reason])
        left = max(0, int(link.expires_at - self.now()))
        body = (
            f"{link.intro}"
            f'<form method="post" action="/h5/{html.escape(token)}/pass">'
            '<button type="submit">Pass verification</button></form>'
            f"<p><small>This link expires in {left} s.</small></p>"
        )
        return h5_html(200, body)

    async def _h5_pass(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        status, reason, _, _ = self.h5_link(token)
        if status == 200:
            await self.h5_press(token)
        if request.content_type == "application/x-www-form-urlencoded":
            return h5_html(status, self.h5_messages[reason])
        if status == 200:
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "reason": reason}, status=status)

    # ------------------------------------------------------------------ /_sim controls

    async def sim_json(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="body must be JSON") from None

    async def sim_link(self, request: web.Request) -> tuple[str, dict[str, Any]]:
        """The H5 link a ``/_sim`` control names in its ``{"url": ...}`` body, and the body."""
        body = await self.sim_json(request)
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str):
            raise web.HTTPBadRequest(text='body must be {"url": "<h5 link>"}')
        return url, body

    async def _sim_items(self, request: web.Request) -> Any:
        """The JSON array of outcomes a ``/_sim/script`` route takes."""
        return await self.sim_json(request)

    def _sim_scripted(self, script: deque[Any]) -> web.Response:
        return web.json_response({"ok": True, "queued": len(script)})

    async def _sim_script_assets(self, request: web.Request) -> web.StreamResponse:
        self.script_assets(*_built(AssetOutcome, await self._sim_items(request)))
        return self._sim_scripted(self.asset_script)

    async def _sim_script_videos(self, request: web.Request) -> web.StreamResponse:
        self.script_videos(*_built(VideoOutcome, await self._sim_items(request)))
        return self._sim_scripted(self.video_script)

    async def _sim_fault(self, request: web.Request) -> web.StreamResponse:
        self.inject(*_built(Fault, [await self.sim_json(request)]))
        return web.json_response({"ok": True})

    async def _sim_requests(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"requests": [list(r) for r in self.requests]})

    async def _sim_reset_requests(self, request: web.Request) -> web.StreamResponse:
        self.reset_counts()
        return web.json_response({"ok": True})


def _built(kind: Callable[..., T], items: Any) -> list[T]:
    """``kind(**item)`` for each item of a ``/_sim`` body; a bad one is answered 400 and
    nothing is scripted."""
    try:
        return [kind(**item) for item in items]
    except (TypeError, ValueError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
