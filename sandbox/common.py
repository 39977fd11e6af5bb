"""The base of the provider simulators: serving, faults, request log, error mapping, scripted
outcomes, signed MP4 files, the H5 verification page and the ``/_sim`` controls.

Faults (:class:`Fault`, :func:`flaky`) are shared by every simulator: an error status, a
timeout (held past the client's patience, then dropped), a connection reset or an answer
held until the test releases it, each before or after the route did its work, for all or a
seeded fraction of the requests matching a method and path prefix.

Each simulator subclasses :class:`SimulatorBase`, adds its routes to ``self.app`` and decides
how its errors look (:meth:`SimulatorBase.answer_error`, :meth:`SimulatorBase.fault_body`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import hmac
import html
import logging
import math
import secrets
import socket
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar

from aiohttp import web

from sandbox.helpers import H5_MESSAGES, ApiError, H5Link, Json, Video, h5_html, phrase
from sandbox.media import iter_padded_mp4, sample_mp4
from sandbox.outcomes import (
    TIMEOUT_HOLD_SECONDS,
    AssetOutcome,
    Fault,
    VideoOutcome,
    flaky,
)

__all__ = ["AssetOutcome", "Fault", "Handler", "SimulatorBase", "VideoOutcome", "flaky"]

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SimulatorBase:
    """An aiohttp app on 127.0.0.1 with fault injection and a log of provider requests.

    Every simulator takes ``api_keys`` (each key its own account), ``link_ttl``,
    ``processing_seconds`` (assets), ``video_queued_seconds``, ``video_running_seconds`` and
    ``clock``; its timing is lazy: :meth:`_settle` brings the state up to ``clock()`` before
    each request. ``logged_prefixes`` are the paths counted as provider requests (for
    benchmarks); ``/_sim`` control routes are never faulted or counted. Faulted requests are
    counted as requests too, and also in ``faulted`` (method, path, what the fault did).
    """

    name = "simulator"
    logged_prefixes: tuple[str, ...] = ("/v1/", "/files/")
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
        self._api_keys = frozenset(api_keys)
        self._link_ttl = link_ttl
        self._processing_seconds = processing_seconds
        self._video_queued_seconds = video_queued_seconds
        self._video_running_seconds = video_running_seconds
        self._clock = clock
        self._secret = secrets.token_bytes(32)
        self._faults: list[Fault] = []
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.asset_script: deque[AssetOutcome] = deque()
        self.video_script: deque[VideoOutcome] = deque()
        self.requests: list[tuple[str, str]] = []
        self.faulted: list[tuple[str, str, str]] = []
        self.base_url = ""
        self.app = web.Application(middlewares=[self._fault_middleware])
        self.app.add_routes(
            [
                web.post("/_sim/script/assets", self._sim_script_assets),
                web.post("/_sim/script/videos", self._sim_script_videos),
                web.post("/_sim/faults", self._sim_fault),
                web.get("/_sim/requests", self._sim_requests),
                web.delete("/_sim/requests", self._sim_reset_requests),
            ]
        )

    def now(self) -> float:
        return self._clock()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 = any free port); return and remember ``base_url``."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        self._closing.clear()
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        log.info("%s simulator listening on %s", self.name, self.base_url)
        return self.base_url

    async def stop(self) -> None:
        """Stop serving; delayed (faulted) requests are woken up first."""
        self._closing.set()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

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

    def inject(self, *faults: Fault) -> None:
        """Arm copies of ``faults`` after those armed already (the caller's objects are not
        counted down, and a copy draws from its own freshly seeded generator)."""
        self._faults.extend(dataclasses.replace(fault) for fault in faults)

    def flaky(
        self, method: str | None, path_prefix: str, rate: float, **options: Any
    ) -> list[Fault]:
        """Arm :func:`flaky` faults (a seeded ``rate`` of matching requests, mixed kinds)."""
        faults = flaky(method, path_prefix, rate, **options)
        self.inject(*faults)
        return faults

    def clear_faults(self) -> None:
        """Disarm every fault; requests held by one are not released by this."""
        self._faults.clear()

    def count_faulted(self, method: str | None = None, path_prefix: str = "") -> int:
        wanted = method.upper() if method else None
        return sum(
            1
            for m, p, _ in self.faulted
            if (wanted is None or m == wanted) and p.startswith(path_prefix)
        )

    def count(self, method: str | None = None, path_prefix: str = "") -> int:
        wanted = method.upper() if method else None
        return sum(
            1
            for m, p in self.requests
            if (wanted is None or m == wanted) and p.startswith(path_prefix)
        )

    def reset_counts(self) -> None:
        self.requests.clear()
        self.faulted.clear()

    # ------------------------------------------------------------------ requests

    def origin(self, request: web.Request) -> str:
        return self.base_url or f"{request.scheme}://{request.host}"

    def bearer_key(
        self, request: web.Request, schemes: tuple[str, ...] = ("bearer",)
    ) -> str | None:
        """The key of an ``Authorization: <scheme> <key>`` header if it is one of ours."""
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        key = key.strip()
        return key if scheme.lower() in schemes and key in self._api_keys else None

    async def json_body(self, request: web.Request) -> Json:
        """The body as a JSON object; anything else raises :meth:`bad_body` (400)."""
        try:
            body = await request.json()
        except ValueError:
            raise self.bad_body("Request body must be JSON") from None
        if not isinstance(body, dict):
            raise self.bad_body("Request body must be a JSON object")
        return body

    def bad_body(self, message: str) -> ApiError:
        return ApiError(400, message)

    def _settle(self) -> None:
        """Bring the lazily timed state up to ``clock()``; vendors override."""

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Run the route on settled state; an :class:`ApiError`, or aiohttp's own error under
        ``/v1/`` (a wrong method counts as 404), is answered by :meth:`answer_error`."""
        self._settle()
        try:
            return await handler(request)
        except ApiError as exc:
            return self.answer_error(request, exc)
        except web.HTTPException as exc:
            if not request.path.startswith("/v1/") or exc.status < 400:
                raise
            status = 404 if exc.status == 405 else exc.status
            return self.answer_error(request, self.routing_error(status, exc.reason))

    def routing_error(self, status: int, reason: str) -> ApiError:
        """The error for an unknown route (404) or another aiohttp error under ``/v1/``."""
        return ApiError(status, reason)

    def answer_error(self, request: web.Request, error: ApiError) -> web.StreamResponse:
        """The response to ``error``; vendors override to match their envelope."""
        return self.fault_body(error.status, error.message, None)

    def fault_body(
        self, status: int, message: str, headers: dict[str, str] | None
    ) -> web.StreamResponse:
        """The error a faulted request gets; vendors override to match their envelope."""
        return web.json_response(
            {"error": {"code": status, "message": message}}, status=status, headers=headers
        )

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path) and fault.strikes():
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def _until(self, event: asyncio.Event, seconds: float | None) -> None:
        """Wait for ``event``, at most ``seconds`` (None: no limit), or until :meth:`stop`."""
        waits = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(self._closing.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    async def _until_client_leaves(self, request: web.Request, seconds: float) -> None:
        """Hold until the client gives up on the request and disconnects (or ``seconds``)."""
        deadline = asyncio.get_running_loop().time() + seconds
        while request.transport is not None and not self._closing.is_set():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            await self._sleep(min(0.02, left))

    @staticmethod
    def _drop(request: web.Request, *, reset: bool) -> web.StreamResponse:
        """Close the connection unanswered: with a TCP reset (RST), or a plain close."""
        transport = request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if reset and sock is not None:
                # Linger 0: close() sends RST at once, as a crashed proxy or NAT would.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        # aiohttp finds the transport gone and sends nothing of this.
        return web.Response(status=499)

    @web.middleware
    async def _fault_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        path = request.path
        if path.startswith("/_sim/"):
            return await handler(request)
        if path.startswith(self.logged_prefixes):
            self.requests.append((request.method, path))
        fault = self._take_fault(request.method, path)
        if fault is None:
            return await self.handle(request, handler)
        self.faulted.append((request.method, path, fault.label))
        return await self._misbehave(request, handler, fault)

    async def _misbehave(
        self, request: web.Request, handler: Handler, fault: Fault
    ) -> web.StreamResponse:
        # ``processed``: the work is done (and its answer made) before the fault strikes.
        done = await self.handle(request, handler) if fault.processed else None
        if fault.kind == "reset":
            return self._drop(request, reset=True)
        if fault.kind == "timeout":
            await self._until_client_leaves(request, fault.delay or TIMEOUT_HOLD_SECONDS)
            return self._drop(request, reset=False)
        if fault.kind == "hold":
            if fault.release is None:
                await self._sleep(fault.delay)
            else:
                await self._until(fault.release, fault.delay or None)
            return done if done is not None else await self.handle(request, handler)
        if fault.delay:
            await self._sleep(fault.delay)
        if not fault.status:
            return done if done is not None else await self.handle(request, handler)
        if done is not None and done.prepared:
            return done  # already streamed (a file): too late to answer anything else
        headers = None
        if fault.status == 429:
            headers = {"Retry-After": str(max(1, math.ceil(fault.retry_after)))}
        return self.fault_body(fault.status, phrase(fault.status), headers)

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

    async def _sim_items(self, request: web.Request) -> Any:
        """The JSON array of outcomes a ``/_sim/script`` route takes."""
        return await self.sim_json(request)

    def _sim_scripted(self, script: deque[Any]) -> web.Response:
        return web.json_response({"ok": True, "queued": len(script)})

    async def _sim_script_assets(self, request: web.Request) -> web.StreamResponse:
        items = await self._sim_items(request)
        try:
            self.script_assets(*[AssetOutcome(**item) for item in items])
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return self._sim_scripted(self.asset_script)

    async def _sim_script_videos(self, request: web.Request) -> web.StreamResponse:
        items = await self._sim_items(request)
        try:
            self.script_videos(*[VideoOutcome(**item) for item in items])
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return self._sim_scripted(self.video_script)

    async def _sim_fault(self, request: web.Request) -> web.StreamResponse:
        body = await self.sim_json(request)
        try:
            self.inject(Fault(**body))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True})

    async def _sim_requests(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"requests": [list(r) for r in self.requests]})

    async def _sim_reset_requests(self, request: web.Request) -> web.StreamResponse:
        self.reset_counts()
        return web.json_response({"ok": True})
