"""Provider reads go through aiohttp (bot/providers/reads.py): on the wire they are the
requests httpx would send, they come back as the responses httpx would give, and their
failures say what httpx's would: never connected, or failed after the request went out."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from aiohttp import web
from multidict import CIMultiDict

from bot.providers import reads
from bot.providers.base import NOT_CONNECTED, ProviderRejected, ProviderUnavailable
from bot.providers.http import ProviderHTTP, RetryPolicy
from bot.providers.reads import env_proxy

ONCE = RetryPolicy(attempts=1)
TWICE = RetryPolicy(attempts=2, base_seconds=0.01)
AUTH = {"Authorization": "Bearer k"}


@dataclass
class Seen:
    method: str
    path_qs: str  # as sent, not decoded
    headers: CIMultiDict[str]
    body: bytes


@dataclass
class Echo:
    """An HTTP server on 127.0.0.1 that notes each request and answers as ``answer`` says."""

    answer: Callable[[web.Request], Awaitable[web.StreamResponse]]
    seen: list[Seen] = field(default_factory=list)
    base_url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = CIMultiDict(request.headers)
        self.seen.append(Seen(request.method, request.raw_path, headers, body))
        return await self.answer(request)


@asynccontextmanager
async def serving(
    answer: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> AsyncIterator[Echo]:
    echo = Echo(answer)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    echo.base_url = f"http://127.0.0.1:{port}/api"
    try:
        yield echo
    finally:
        await runner.cleanup()


async def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def ok(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


@asynccontextmanager
async def provider(base_url: str, retry: RetryPolicy = ONCE) -> AsyncIterator[ProviderHTTP]:
    http = ProviderHTTP(base_url, AUTH, timeout=1.0, retry=retry)
    try:
        yield http
    finally:
        await http.aclose()


async def test_a_read_is_the_request_httpx_would_send() -> None:
    params = {"keyword": "Анна & Ben", "cursor": "ab/c,d:e+f", "current": 1, "on": True}
    body = {"name": "Анна", "page": 2}
    # An id a vendor quoted (Sunra: quote(id, safe="")), and one it did not.
    path = f"/assets/{quote('a/b:c@d;e$f g%h', safe='')}/x y"
    async with serving(ok) as server:
        async with provider(server.base_url) as http:
            await http.request("GET", path, params=params)
            await http.request("POST", "/list", json=body, idempotent=True, headers={"x": "1"})
            assert http._reads is not None  # both went through aiohttp
        async with httpx.AsyncClient(base_url=server.base_url, headers=AUTH) as plain:
            await plain.get(path, params=params)
            await plain.post("/list", json=body, headers={"X": "1"})
    read_get, read_post, httpx_get, httpx_post = server.seen
    assert read_get.path_qs == httpx_get.path_qs  # byte for byte, escapes and all
    assert read_get.path_qs.startswith("/api/assets/a%2Fb%3Ac%40d%3Be%24f%20g%25h/x%20y?")
    assert (read_post.method, read_post.body) == ("POST", httpx_post.body)
    assert json.loads(read_post.body) == body
    for read, plain in ((read_get, httpx_get), (read_post, httpx_post)):
        for name in ("Authorization", "User-Agent", "Accept-Encoding", "Accept"):
            assert read.headers[name] == plain.headers[name], name
    assert read_post.headers["Content-Type"] == "application/json"
    assert read_post.headers["X"] == "1"


async def test_a_compressed_answer_is_read_as_httpx_reads_it() -> None:
    async def gzipped(request: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(b'{"status": "running"}'),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    async with serving(gzipped) as server, provider(server.base_url) as http:
        response = await http.request("GET", "/videos/1")
    assert response.json() == {"status": "running"}


async def test_an_error_answer_carries_its_request_for_the_vendor_to_read() -> None:
    async def refused(request: web.Request) -> web.Response:
        return web.json_response({"message": "no such task"}, status=404)

    seen: list[httpx.Request] = []

    def classify(response: httpx.Response, error: Any) -> Any:
        seen.append(response.request)
        return error

    async with serving(refused) as server:
        http = ProviderHTTP(server.base_url, AUTH, timeout=1.0, retry=ONCE, classify=classify)
        with pytest.raises(ProviderRejected, match="no such task"):
            await http.request("GET", "/videos/9", params={"x": "1"})
        await http.aclose()
    assert [(r.method, r.url.path, r.url.query) for r in seen] == [
        ("GET", "/api/videos/9", b"x=1")
    ]


async def test_waiting_too_long_for_a_connection_is_not_connected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reads, "CONNECTIONS", 1)
    release = asyncio.Event()

    async def trickling(request: web.Request) -> web.StreamResponse:
        # Keeps the one connection busy, a byte at a time, so its own read never times out.
        answer = web.StreamResponse()
        await answer.prepare(request)
        while not release.is_set():
            await answer.write(b" ")
            await asyncio.sleep(0.1)
        await answer.write(b"{}")
        return answer

    async with serving(trickling) as server, provider(server.base_url) as http:
        first = asyncio.create_task(http.request("GET", "/videos/1"))
        await wait_for(lambda: len(server.seen) == 1)
        with pytest.raises(ProviderUnavailable, match="timed out connecting") as raised:
            await http.request("GET", "/videos/2")  # the one connection is busy
        release.set()
        with contextlib.suppress(ProviderUnavailable):  # it may time out meanwhile
            await first
    assert raised.value.code == NOT_CONNECTED and raised.value.not_taken


async def test_a_provider_never_reached_is_not_connected() -> None:
    async with serving(ok) as server:
        base_url = server.base_url  # the port is closed once the server is gone
    async with provider(base_url) as http:
        with pytest.raises(ProviderUnavailable) as raised:
            await http.request("GET", "/videos/1")
    assert raised.value.code == NOT_CONNECTED and raised.value.not_taken


async def test_a_connection_dropped_after_the_request_is_unknown_and_asked_again() -> None:
    async def hang_up(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()  # the request arrived; no answer ever comes
        raise asyncio.CancelledError

    async with serving(hang_up) as server, provider(server.base_url, TWICE) as http:
        with pytest.raises(ProviderUnavailable) as raised:
            await http.request("GET", "/videos/1")
    assert raised.value.code != NOT_CONNECTED and not raised.value.not_taken
    # A read is safe to repeat: asked twice, and aiohttp may repeat each once more on a
    # kept-alive connection the server closed (RFC 9112, 9.3.1.1).
    assert 2 <= len(server.seen) <= 4


async def test_an_answer_that_never_comes_times_out() -> None:
    release = asyncio.Event()

    async def held(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    async with serving(held) as server, provider(server.base_url) as http:
        with pytest.raises(ProviderUnavailable, match="timed out") as raised:
            await http.request("GET", "/videos/1")
        release.set()
    assert not raised.value.not_taken


async def test_a_client_closed_while_its_first_read_opens_sends_nothing() -> None:
    async with serving(ok) as server:
        http = ProviderHTTP(server.base_url, AUTH, timeout=1.0, retry=ONCE)
        read = asyncio.create_task(http.request("GET", "/videos/1"))
        await asyncio.sleep(0)  # the read is opening aiohttp's side
        await http.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await read
    assert server.seen == []


def test_the_proxy_is_the_one_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        for spelled in (name, name.lower()):
            monkeypatch.delenv(spelled, raising=False)
    assert env_proxy("https://api.example.com/v1") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "skip.example.com")
    assert env_proxy("https://api.example.com/v1") == "http://proxy.internal:3128"
    assert env_proxy("https://skip.example.com/v1") is None
    assert env_proxy("http://api.example.com/v1") is None  # only https is proxied
    monkeypatch.setenv("HTTPS_PROXY", "proxy.internal:3128")  # no scheme: http, as httpx
    assert env_proxy("https://api.example.com/v1") == "http://proxy.internal:3128"
