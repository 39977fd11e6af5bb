"""Serving a simulator: an aiohttp app on 127.0.0.1 with injected faults and a log of the
provider requests it got (:class:`ServedSimulator`, the base of :class:`SimulatorBase`).

Faults (:class:`Fault`, :func:`flaky`) are shared by every simulator: an error status, a
timeout (held past the client's patience, then dropped), a connection reset or an answer
held until the test releases it, each before or after the route did its work, for all or a
seeded fraction of the requests matching a method and path prefix.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import socket
import struct
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from sandbox.helpers import ApiError, Json, phrase
from sandbox.outcomes import TIMEOUT_HOLD_SECONDS, Fault, flaky

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ServedSimulator:
    """Serves ``self.app``; every request outside ``/_sim`` may be faulted, and those under
    ``logged_prefixes`` are counted (faulted ones too, and also in ``faulted``: method,
    path, what the fault did). Errors are answered in the vendor's shape
    (:meth:`answer_error`, :meth:`fault_body`)."""

    name = "simulator"
    logged_prefixes: tuple[str, ...] = ("/v1/", "/files/")

    def __init__(self, *, api_keys: Iterable[str], clock: Callable[[], float] = time.time) -> None:
        self._api_keys = frozenset(api_keys)
        self._clock = clock
        self._faults: list[Fault] = []
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.requests: list[tuple[str, str]] = []
        self.faulted: list[tuple[str, str, str]] = []
        # Requests that came while one for the same method, path and query was still being
        # answered: one item asked about twice at once (several workers, issue 14).
        self.overlapping: list[tuple[str, str]] = []
        self._answering: Counter[tuple[str, str]] = Counter()
        # Seconds every logged request waits before it is answered: a slow provider.
        self.answer_delay = 0.0
        self.base_url = ""
        self.app = web.Application(middlewares=[self._fault_middleware])

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
        self.overlapping.clear()

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
        if not path.startswith(self.logged_prefixes):
            return await self._answer(request, handler)
        self.requests.append((request.method, path))
        # The item asked about: the path, and the query where a list names it (?group_id=).
        key = (request.method, request.path_qs)
        if self._answering[key]:
            self.overlapping.append(key)
        self._answering[key] += 1
        try:
            if self.answer_delay:
                await asyncio.sleep(self.answer_delay)
            return await self._answer(request, handler)
        finally:
            self._answering[key] -= 1

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        fault = self._take_fault(request.method, request.path)
        if fault is None:
            return await self.handle(request, handler)
        self.faulted.append((request.method, request.path, fault.label))
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
