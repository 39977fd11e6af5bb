"""The ToAPIs simulator's H5 verification page and its ``/_sim`` control routes."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.simulators.common import AssetOutcome, Fault, VideoOutcome
from bot.simulators.toapis.state import DEFAULT_FAILED_CODE, PASSED_CODE

if TYPE_CHECKING:
    from bot.simulators.toapis.simulator import ToAPIsSimulator

_H5_MESSAGES = {
    "": "<p>Verification passed. You can go back to Telegram.</p>",
    "unknown": "<p>This link is not valid.</p>",
    "used": "<p>This link has already been used.</p>",
    "expired": "<p>This link has expired.</p>",
}


class Controls:
    """Routes a person's browser and a bot in another process use to steer the simulator."""

    def __init__(self, sim: ToAPIsSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/h5/{token}", self.h5_page),
            web.post("/h5/{token}/pass", self.h5_pass),
            web.post("/_sim/script/assets", self.script_assets),
            web.post("/_sim/script/videos", self.script_videos),
            web.post("/_sim/faults", self.fault),
            web.post("/_sim/pass", self.pass_link),
            web.post("/_sim/fail", self.fail_link),
            web.get("/_sim/requests", self.requests),
            web.delete("/_sim/requests", self.reset_requests),
        ]

    async def h5_page(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        status, reason, task = self.sim.link_problem(token)
        if status != 200 or task is None:
            return _h5_html(status, _H5_MESSAGES[reason])
        left = max(0, int(task.expires_at - self.sim.now()))
        body = (
            "<p>Real-person verification (ToAPIs sandbox).</p>"
            "<p>This page stands in for the BytePlus liveness check.</p>"
            f'<form method="post" action="/h5/{html.escape(token)}/pass">'
            '<button type="submit">Pass verification</button></form>'
            f"<p><small>This link expires in {left} s.</small></p>"
        )
        return _h5_html(200, body)

    async def h5_pass(self, request: web.Request) -> web.StreamResponse:
        status, reason, task = self.sim.link_problem(request.match_info["token"])
        if status == 200 and task is not None:
            self.sim.decide(task, PASSED_CODE)
        if request.content_type == "application/x-www-form-urlencoded":
            return _h5_html(status, _H5_MESSAGES[reason])
        if status == 200:
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "reason": reason}, status=status)

    async def script_assets(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        try:
            self.sim.script_assets(*(AssetOutcome(**item) for item in body))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True})

    async def script_videos(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        try:
            self.sim.script_videos(*(VideoOutcome(**item) for item in body))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True})

    async def fault(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        try:
            self.sim.inject(Fault(**body))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True})

    async def pass_link(self, request: web.Request) -> web.StreamResponse:
        return await self._decide(request, PASSED_CODE)

    async def fail_link(self, request: web.Request) -> web.StreamResponse:
        return await self._decide(request, None)

    async def _decide(self, request: web.Request, code: str | None) -> web.StreamResponse:
        body = await _json(request)
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str):
            raise web.HTTPBadRequest(text='body must be {"url": "<h5 link>"}')
        try:
            task = self.sim.task_of_link(url)
        except LookupError:
            raise web.HTTPNotFound(text="unknown H5 link") from None
        self.sim.decide(task, code or str(body.get("result_code") or DEFAULT_FAILED_CODE))
        return web.json_response({"ok": True})

    async def requests(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"requests": [list(r) for r in self.sim.requests]})

    async def reset_requests(self, request: web.Request) -> web.StreamResponse:
        self.sim.reset_counts()
        return web.json_response({"ok": True})


async def _json(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None


def _h5_html(status: int, body: str) -> web.Response:
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Real-person verification</title></head><body>{body}</body></html>"
    )
    return web.Response(status=status, text=page, content_type="text/html")
