"""The bot's own HTTP server: one process, one port, for everything the outside must reach.
It runs in polling mode too (for ``/healthz``); the rest is served when it has a use.

- ``GET /media/{token}`` (and HEAD): a photo for a URL-only provider to fetch, from the
  :class:`~bot.services.media.MediaStore`, kept in the database so any worker serves it.
  Tokens are 256 random bits; a URL serves every GET (a provider may retry or check first)
  until it expires after a few minutes or the upload is settled, across restarts. A
  Telegram file URL (it holds the bot token) is never handed out.
- ``GET /return/{provider}/{secret}``: where a verification page sends the person's browser
  back (OrcaRouter's return_url, ToAPIs' and PowerTokens' callback_url), a new secret for each
  start. It only wakes the poller for that face: the provider is asked, so a forged request
  can activate nothing. ``/return/{provider}`` (links from before the secret) still works.
- ``POST /hooks/video/{secret}``: a provider's call that a video task ended (Token360's
  callback_url), a secret per task. It only asks the provider about that task now: a wrong
  secret is a 404 and changes nothing.
- ``GET /healthz``: liveness for the container platform, in every mode.
- ``POST <webhook path>``: Telegram updates when REALFACE_WEBHOOK_URL is set, checked
  against the secret token with a constant-time compare.

With a public URL or a webhook, aiohttp serves all of it (:mod:`bot.telegram.web_app`).
Without either (long polling, no URL-only provider) there is nothing to serve but
``/healthz``, and no URL to reach the rest by: a few lines on asyncio's streams answer it,
so a start does not load aiohttp (~0.5 s). Everything else is a 404 there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlparse

from bot.services.media import MediaStore

__all__ = ["MediaStore", "WebServer", "public_base", "webhook_path"]

log = logging.getLogger(__name__)

ReturnHook = Callable[[str, str | None, Mapping[str, str]], Awaitable[None]]
UpdateHook = Callable[[dict[str, Any]], Awaitable[None]]
VideoHook = Callable[[str], Awaitable[bool]]


class _Server(Protocol):
    async def start(self, host: str, port: int) -> int: ...

    async def stop(self) -> None: ...


class WebServer:
    def __init__(
        self,
        media: MediaStore | None,
        *,
        on_return: ReturnHook,
        on_video: VideoHook | None = None,
        on_update: UpdateHook | None = None,
        webhook_path: str | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        self.media = media
        self.on_return = on_return
        self.on_video = on_video
        self.on_update = on_update
        self.webhook_path = webhook_path
        self.webhook_secret = webhook_secret
        self._server: _Server | None = None
        self.bound_port = 0

    async def start(self, host: str, port: int) -> None:
        """Listen on ``host:port`` (0: any free port); OSError if it cannot."""
        server: _Server
        if self.media is None and self.webhook_path is None:
            server = HealthServer()
        else:
            from bot.telegram.web_app import FullServer

            server = FullServer(
                self.media,
                on_return=self.on_return,
                on_video=self.on_video,
                on_update=self.on_update,
                webhook_path=self.webhook_path,
                webhook_secret=self.webhook_secret,
            )
        self.bound_port = await server.start(host, port)
        self._server = server
        log.info("http server listening on %s:%d", host, self.bound_port)

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop()


HEALTHY = b'{"ok": true}'  # what aiohttp's json_response({"ok": True}) sends
MAX_REQUEST_HEAD = 8192
READ_SECONDS = 10.0  # a client that sends no complete request head by then is dropped


class HealthServer:
    """``GET``/``HEAD /healthz`` and a 404 for any other path; one request per connection."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    async def start(self, host: str, port: int) -> int:
        self._server = await asyncio.start_server(self._serve, host, port, limit=MAX_REQUEST_HEAD)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        for writer in list(self._connections):
            writer.close()
        await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            try:
                async with asyncio.timeout(READ_SECONDS):
                    head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                return
            writer.write(health_response(head))
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            self._connections.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def health_response(head: bytes) -> bytes:
    """The whole HTTP/1.1 response to a request whose head (request line and headers) is
    ``head``."""
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/"):
        return _response(400, "Bad Request", b"Bad Request", "text/plain")
    method, target = parts[0], parts[1]
    if target.split(b"?", 1)[0] != b"/healthz":
        return _response(404, "Not Found", b"Not Found", "text/plain")
    if method not in (b"GET", b"HEAD"):
        allow = "Allow: GET, HEAD\r\n"
        return _response(405, "Method Not Allowed", b"Method Not Allowed", "text/plain", allow)
    body = HEALTHY if method == b"GET" else b""
    return _response(200, "OK", body, "application/json", length=len(HEALTHY))


def _response(
    status: int,
    reason: str,
    body: bytes,
    content_type: str,
    extra: str = "",
    *,
    length: int | None = None,
) -> bytes:
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        f"Content-Type: {content_type}; charset=utf-8\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n"
        f"{extra}Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def public_base(public_url: str, bound_port: int) -> str:
    """The public URL, with a ``:0`` port (tests, sandbox) replaced by the bound one."""
    parsed = urlparse(public_url)
    if parsed.port == 0:
        return public_url.replace(f"{parsed.hostname}:0", f"{parsed.hostname}:{bound_port}", 1)
    return public_url


def webhook_path(webhook_url: str) -> str:
    return urlparse(webhook_url).path or "/telegram"
