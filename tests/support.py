"""What the provider-client and simulator tests share: fast retries, a simulator served for a
block or a test, a client of it, and the bot's public side (image URLs a provider fetches, a
page to return to)."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from typing import Any, Protocol, TypeVar

import pytest
from aiohttp import web

from bot.providers.base import ImageUpload
from bot.providers.http import RetryPolicy
from tests.clock import FakeClock
from tests.images import image

# Retry-After is honoured up to max_retry_after; tests cap it to stay fast.
FAST = RetryPolicy(attempts=3, base_seconds=0.01, max_retry_after=0.05)


class Server(Protocol):
    def start(self) -> Awaitable[object]: ...
    def stop(self) -> Awaitable[None]: ...


S = TypeVar("S", bound=Server)
C = TypeVar("C")


@asynccontextmanager
async def running(server: S) -> AsyncIterator[S]:
    """``server`` (a simulator, or :class:`BotWeb`) serving on 127.0.0.1 for the block."""
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def connect(client: Callable[..., C], sim: Any, key: str = "k", **kw: Any) -> C:
    """A ``client`` of the provider ``sim`` simulates (2 s timeout, :data:`FAST` retries)."""
    kw.setdefault("timeout", 2)
    kw.setdefault("retry", FAST)
    return client(sim.base_url, key, **kw)


def sim_fixture(make: Callable[[FakeClock], S]) -> Any:
    """A fixture (assign it to ``sim``): ``make(clock)`` served for the test."""

    @pytest.fixture
    async def sim(clock: FakeClock) -> AsyncIterator[S]:
        async with running(make(clock)) as served:
            yield served

    return sim


def client_fixture(client: Callable[..., C], **kw: Any) -> Any:
    """A fixture (assign it to ``client``): a ``client`` of the test's ``sim``, closed after."""

    @pytest.fixture
    async def client_(sim: Any) -> AsyncIterator[C]:
        async with aclosing(connect(client, sim, **kw)) as made:
            yield made

    return client_


class LoopbackApp:
    """An aiohttp app on a free 127.0.0.1 port standing in for the bot's public side."""

    def __init__(self, routes: list[web.RouteDef]) -> None:
        self.base_url = ""
        app = web.Application()
        app.add_routes(routes)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        await self._runner.cleanup()


class BotWeb(LoopbackApp):
    """The bot's public side in a test: images at ``/img/{name}``, each fetch counted in
    ``hits``, and a ``/return`` page whose visits land in ``returns``."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.hits: Counter[str] = Counter()
        self.returns: list[dict[str, str]] = []
        super().__init__([web.get("/img/{name}", self._image), web.get("/return", self._return)])

    def serve(self, name: str, data: bytes | None) -> ImageUpload:
        """``data`` at ``/img/{name}`` (None: the URL answers 404), as the bot would upload it."""
        if data is not None:
            self.files[name] = data
        url = f"{self.base_url}/img/{name}"
        return ImageUpload(data or b"", name, "image/jpeg", public_url=url)

    def photo(self, data: bytes | None = None) -> ImageUpload:
        """A face photo (or ``data``) at a fresh URL."""
        return self.serve(
            f"{secrets.token_urlsafe(12)}-face.jpg", image() if data is None else data
        )

    async def _image(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.hits[name] += 1
        if name not in self.files:
            return web.Response(status=404, text="gone")
        return web.Response(body=self.files[name], content_type="image/jpeg")

    async def _return(self, request: web.Request) -> web.Response:
        self.returns.append(dict(request.query))
        return web.Response(text="Thanks, go back to Telegram")
