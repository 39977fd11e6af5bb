"""Plumbing shared by the provider simulators: serving, faults, request log, MP4 files.

Each simulator subclasses :class:`SimulatorBase`, adds its routes to ``self.app`` and
decides how an injected fault's error body looks (:meth:`SimulatorBase.fault_body`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus

from aiohttp import web

from bot.simulators.media import check_padded_size, iter_padded_mp4, sample_mp4

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_DEFAULT_MESSAGES = {
    "FaceMismatch": "Face consistency verification failed.",
    "ContentModeration": "The image did not pass content moderation.",
    "OutputVideoSensitiveContentDetected": "The generated video may contain sensitive content.",
    "InternalServiceError": "The service encountered an unexpected internal error.",
}


@dataclass
class AssetOutcome:
    """Scripted result for the next uploaded asset (FIFO); the default is Active."""

    status: str = "Active"
    code: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, str) or self.status.lower() not in ("active", "failed"):
            raise ValueError("AssetOutcome.status must be 'Active' or 'Failed'")
        self.status = self.status.title()
        _check_optional_str(self.code, "code")
        _check_optional_str(self.message, "message")
        if self.status == "Failed":
            self.code = self.code or "FaceMismatch"
            self.message = self.message or _default_message(self.code)


@dataclass
class VideoOutcome:
    """Scripted result for the next created video (FIFO); the default is completed."""

    status: str = "completed"
    code: str | None = None
    message: str | None = None
    video_bytes: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, str) or self.status.lower() not in ("completed", "failed"):
            raise ValueError("VideoOutcome.status must be 'completed' or 'failed'")
        self.status = self.status.lower()
        _check_optional_str(self.code, "code")
        _check_optional_str(self.message, "message")
        if self.video_bytes is not None:
            if not isinstance(self.video_bytes, int) or isinstance(self.video_bytes, bool):
                raise ValueError("VideoOutcome.video_bytes must be an int")
            check_padded_size(self.video_bytes)
        if self.status == "failed":
            self.code = self.code or "InternalServiceError"
            self.message = self.message or _default_message(self.code)


@dataclass
class Fault:
    """A scripted misbehaviour for requests matching ``method`` (None = any) and a prefix."""

    method: str | None
    path_prefix: str
    status: int = 500
    retry_after: float = 1
    delay: float = 0.0
    times: int = 1
    # Sleep after the request was handled instead of before: the provider did the work but
    # the answer is late (a client timeout that must not lead to doing it twice).
    answer_late: bool = False

    def __post_init__(self) -> None:
        _check_optional_str(self.method, "method")
        self.method = self.method.upper() if self.method else None
        if not isinstance(self.path_prefix, str) or not self.path_prefix.startswith("/"):
            raise ValueError("Fault.path_prefix must start with '/'")
        if not isinstance(self.status, int) or not (self.status == 0 or 400 <= self.status <= 599):
            raise ValueError("Fault.status must be 0 or 400..599")
        for name in ("retry_after", "delay"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Fault.{name} must be a number >= 0")
        if not isinstance(self.times, int) or self.times < 1:
            raise ValueError("Fault.times must be an int >= 1")

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and path.startswith(self.path_prefix)


def _check_optional_str(value: object, name: str) -> None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string or null")


def _default_message(code: str) -> str:
    return _DEFAULT_MESSAGES.get(code, f"Failed: {code}.")


class SimulatorBase:
    """An aiohttp app on 127.0.0.1 with fault injection and a log of provider requests.

    ``logged_prefixes`` are the paths counted as provider requests (for benchmarks);
    ``/_sim`` control routes are never faulted or counted.
    """

    name = "simulator"
    logged_prefixes: tuple[str, ...] = ("/v1/", "/files/")

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._faults: list[Fault] = []
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.requests: list[tuple[str, str]] = []
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

    def inject(self, fault: Fault) -> None:
        """Arm a copy of ``fault`` (the caller's object is not counted down)."""
        self._faults.append(dataclasses.replace(fault))

    def count(self, method: str | None = None, path_prefix: str = "") -> int:
        wanted = method.upper() if method else None
        return sum(
            1
            for m, p in self.requests
            if (wanted is None or m == wanted) and p.startswith(path_prefix)
        )

    def reset_counts(self) -> None:
        self.requests.clear()

    def fault_body(
        self, status: int, message: str, headers: dict[str, str] | None
    ) -> web.StreamResponse:
        """The error a faulted request gets; vendors override to match their envelope."""
        return web.json_response(
            {"error": {"code": status, "message": message}}, status=status, headers=headers
        )

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Run the route; vendors override to map their own exceptions."""
        return await handler(request)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

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
        if fault.answer_late:
            response = await self.handle(request, handler)
            await self._sleep(fault.delay)
            return response
        if fault.delay > 0:
            await self._sleep(fault.delay)
        if not fault.status:
            return await self.handle(request, handler)
        headers = None
        if fault.status == 429:
            headers = {"Retry-After": str(max(1, math.ceil(fault.retry_after)))}
        return self.fault_body(fault.status, HTTPStatus(fault.status).phrase, headers)

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
