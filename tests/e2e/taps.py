"""A tap on one simulator route: it counts the requests in flight, keeps their bodies, can
hold them until the test lets go, and can spoil the answer (bad gzip, broken JSON).

Installed ahead of the simulator's own middleware, before the simulator starts, so it sees
every request first; the route itself still runs as usual (the provider does the work).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

from aiohttp import web

from sandbox.common import Handler, SimulatorBase

Spoil = Literal["gzip", "json"]


class Tap:
    def __init__(
        self,
        method: str,
        path_prefix: str,
        *,
        hold: int = 0,
        spoil: Spoil | None = None,
        spoil_times: int = 1,
    ) -> None:
        self.method = method
        self.path_prefix = path_prefix
        self.hold = hold  # how many of the first requests wait for release()
        self.spoil = spoil
        self.spoil_times = spoil_times
        self.bodies: list[bytes] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.held = 0
        self._released = asyncio.Event()

    def install(self, sim: SimulatorBase) -> Tap:
        sim.app.middlewares.insert(0, self._middleware)
        return self

    def release(self) -> None:
        self._released.set()

    def json(self, index: int) -> Any:
        return json.loads(self.bodies[index])

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != self.method or not request.path.startswith(self.path_prefix):
            return await handler(request)
        # read() keeps a body for the route's json(); multipart is read from the stream.
        multipart = request.content_type.startswith("multipart/")
        self.bodies.append(b"" if multipart else await request.read())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if len(self.bodies) <= self.hold:
                self.held += 1
                await self._released.wait()
            response = await handler(request)
        finally:
            self.in_flight -= 1
        if self.spoil is None or self.spoil_times <= 0 or response.status >= 400:
            return response
        self.spoil_times -= 1
        if self.spoil == "gzip":  # says gzip, is not: the client cannot decode the body
            return web.Response(
                status=response.status,
                body=b"this is not gzip",
                headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
            )
        return web.Response(
            status=response.status, body=b'{"data": {"id": ', content_type="application/json"
        )
