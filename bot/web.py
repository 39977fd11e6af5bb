"""The bot's own HTTP server: one process, one port, for everything the outside must reach.

- ``GET /media/{token}``: a photo for a URL-only provider to fetch. Tokens are 256 random
  bits, each serves once (the provider's fetch) and expires after a few minutes; a
  Telegram file URL (it holds the bot token) is never handed out.
- ``GET /return/{provider}``: where a verification page sends the person's browser back
  (OrcaRouter's return_url, ToAPIs' callback). It only wakes the poller: the provider is
  asked, so a forged request can activate nothing.
- ``GET /healthz``: liveness for the container platform.
- ``POST <webhook path>``: Telegram updates when REALFACE_WEBHOOK_URL is set, checked
  against the secret token with a constant-time compare.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from aiohttp import web

log = logging.getLogger(__name__)

ReturnHook = Callable[[str, Mapping[str, str]], Awaitable[None]]
UpdateHook = Callable[[dict[str, Any]], Awaitable[None]]

RETURN_PAGE = """<!doctype html><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>realface-bot</title>
<body style="font-family: sans-serif; margin: 3em auto; max-width: 30em; text-align: center">
<h1>Thank you</h1><p>You can close this page and go back to Telegram.</p></body>"""


@dataclass
class _Media:
    data: bytes
    mime_type: str
    expires_at: float


class MediaStore:
    """Photos waiting for a provider's fetch, in memory, each behind a one-time token."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self.ttl = ttl
        self.clock = clock
        self._items: dict[str, _Media] = {}
        self.base_url = ""

    def publish(self, data: bytes, mime_type: str, extension: str) -> str:
        self._sweep()
        token = f"{secrets.token_urlsafe(32)}.{extension}"
        self._items[token] = _Media(data, mime_type, self.clock() + self.ttl)
        return f"{self.base_url}/media/{token}"

    def peek(self, token: str) -> _Media | None:
        self._sweep()
        return self._items.get(token)

    def take(self, token: str) -> _Media | None:
        """The media once; None if unknown, already fetched or expired."""
        self._sweep()
        return self._items.pop(token, None)

    def __len__(self) -> int:
        return len(self._items)

    def _sweep(self) -> None:
        now = self.clock()
        for token in [t for t, m in self._items.items() if m.expires_at <= now]:
            del self._items[token]


class WebServer:
    def __init__(
        self,
        media: MediaStore,
        *,
        on_return: ReturnHook,
        on_update: UpdateHook | None = None,
        webhook_path: str | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        self.media = media
        self.on_return = on_return
        self.on_update = on_update
        self.webhook_secret = webhook_secret
        self.app = web.Application(client_max_size=4 * 1024 * 1024)
        self.app.add_routes(
            [
                web.get("/healthz", self._health),
                web.get("/media/{token}", self._media),
                web.get("/return/{provider}", self._return),
                web.post("/return/{provider}", self._return),
            ]
        )
        if webhook_path is not None:
            self.app.add_routes([web.post(webhook_path, self._webhook)])
        self._runner: web.AppRunner | None = None
        self.bound_port = 0

    async def start(self, host: str, port: int) -> None:
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self.bound_port = int(runner.addresses[0][1])
        log.info("http server listening on %s:%d", host, self.bound_port)

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def _media(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        # A HEAD probe is not the fetch: only a GET uses the one-time URL up.
        item = self.media.peek(token) if request.method == "HEAD" else self.media.take(token)
        if item is None:
            return web.Response(status=404, text="Not found or expired")
        return web.Response(
            body=item.data, content_type=item.mime_type, headers={"Cache-Control": "no-store"}
        )

    async def _return(self, request: web.Request) -> web.Response:
        params: dict[str, str] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                params.update({k: str(v) for k, v in body.items() if isinstance(v, str | int)})
        try:
            await self.on_return(request.match_info["provider"], params)
        except Exception:  # the person's page must not break over our bookkeeping
            log.exception("handling a verification return failed")
        return web.Response(text=RETURN_PAGE, content_type="text/html")

    async def _webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not self.webhook_secret or not hmac.compare_digest(given, self.webhook_secret):
            return web.Response(status=403, text="Forbidden")
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400, text="Bad Request")
        if self.on_update is not None and isinstance(data, dict):
            await self.on_update(data)
        return web.Response(text="ok")


def public_base(public_url: str, bound_port: int) -> str:
    """The public URL, with a ``:0`` port (tests, sandbox) replaced by the bound one."""
    parsed = urlparse(public_url)
    if parsed.port == 0:
        return public_url.replace(f"{parsed.hostname}:0", f"{parsed.hostname}:{bound_port}", 1)
    return public_url


def webhook_path(webhook_url: str) -> str:
    return urlparse(webhook_url).path or "/telegram"
