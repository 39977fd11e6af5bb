"""The aiohttp application behind :class:`bot.telegram.web.WebServer`, for when the bot has
more to serve than ``/healthz``: photos for URL-only providers, verification returns and
webhooks. Imported only then (aiohttp costs a start ~0.5 s: it builds two TLS contexts at
import). What each route does is described in :mod:`bot.telegram.web`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from html import escape
from typing import Any

from aiohttp import web

from bot.services.media import MediaStore
from bot.telegram import i18n
from bot.telegram.i18n import _

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0  # expired photos leave the database within this long

ReturnHook = Callable[[str, str | None, Mapping[str, str]], Awaitable[None]]
UpdateHook = Callable[[dict[str, Any]], Awaitable[None]]
VideoHook = Callable[[str], Awaitable[bool]]

RETURN_PAGE = """<!doctype html><html lang="{lang}"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>realface-bot</title>
<body style="font-family: sans-serif; margin: 3em auto; max-width: 30em; text-align: center">
<h1>{thanks}</h1><p>{close}</p></body></html>"""


def return_page(accept_language: str) -> str:
    """The page a browser lands on after the face check, in the browser's language."""
    language = i18n.best(accept_language)
    with i18n.speaking(language):
        return RETURN_PAGE.format(
            lang=language,
            thanks=escape(_("Thank you")),
            close=escape(_("You can close this page and go back to Telegram.")),
        )


class FullServer:
    def __init__(
        self,
        media: MediaStore | None,
        *,
        on_return: ReturnHook,
        on_video: VideoHook | None,
        on_update: UpdateHook | None,
        webhook_path: str | None,
        webhook_secret: str | None,
    ) -> None:
        self.media = media
        self.on_return = on_return
        self.on_video = on_video
        self.on_update = on_update
        self.webhook_secret = webhook_secret
        self.app = web.Application(client_max_size=4 * 1024 * 1024)
        self.app.add_routes(
            [
                web.get("/healthz", self._health),
                web.get("/media/{token}", self._media),
                web.get("/return/{provider}", self._return),
                web.post("/return/{provider}", self._return),
                web.get("/return/{provider}/{token}", self._return),
                web.post("/return/{provider}/{token}", self._return),
                web.post("/hooks/video/{token}", self._video_hook),
            ]
        )
        if webhook_path is not None:
            self.app.add_routes([web.post(webhook_path, self._webhook)])
        self._runner: web.AppRunner | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: any free port) and return the port; OSError if it
        cannot."""
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        if self.media is not None:
            self._sweeper = asyncio.create_task(self._sweep(self.media), name="media-sweep")
        return int(runner.addresses[0][1])

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _sweep(self, media: MediaStore) -> None:
        while True:
            await asyncio.sleep(min(SWEEP_SECONDS, max(media.ttl, 1.0)))
            try:
                await media.sweep()
            except Exception:  # the database may be away a moment; the next sweep catches up
                log.exception("removing expired media failed")

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def _media(self, request: web.Request) -> web.Response:
        # From the database, so any worker serves any URL; a HEAD does not read the bytes.
        head = request.method == "HEAD"
        token = request.match_info["token"]
        item = await self.media.get(token, content=not head) if self.media is not None else None
        if item is None:
            return web.Response(status=404, text="Not found or expired")
        headers = {"Content-Type": item.mime_type, "Cache-Control": "no-store"}
        if item.content is None:
            return web.Response(headers={**headers, "Content-Length": str(item.size)})
        return web.Response(body=item.content, headers=headers)

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
            await self.on_return(
                request.match_info["provider"], request.match_info.get("token"), params
            )
        except Exception:  # the person's page must not break over our bookkeeping
            log.exception("handling a verification return failed")
        page = return_page(request.headers.get("Accept-Language", ""))
        return web.Response(text=page, content_type="text/html")

    async def _video_hook(self, request: web.Request) -> web.Response:
        """The body is not read: the provider is asked, so nothing it says is taken on trust."""
        known = False
        if self.on_video is not None:
            try:
                known = await self.on_video(request.match_info["token"])
            except Exception:
                log.exception("handling a video callback failed")
                return web.Response(status=500, text="Try again")
        return web.Response(text="ok") if known else web.Response(status=404, text="Not found")

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
