"""The simulator's verification page (``/h5/{token}``) and its ``/_sim`` control routes."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.simulators.common import AssetOutcome, Fault, VideoOutcome

if TYPE_CHECKING:
    from bot.simulators.powertokens.simulator import PowerTokensSimulator


class ControlPages:
    """The H5 page a person (or the bot's sandbox) presses, and the HTTP mirror of the controls."""

    def __init__(self, sim: PowerTokensSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/h5/{token}", self._h5_page),
            web.post("/h5/{token}/pass", self._h5_pass),
            web.post("/_sim/script/assets", self._sim_script_assets),
            web.post("/_sim/script/videos", self._sim_script_videos),
            web.post("/_sim/faults", self._sim_fault),
            web.post("/_sim/pass", self._sim_pass),
            web.get("/_sim/requests", self._sim_requests),
            web.delete("/_sim/requests", self._sim_reset_requests),
        ]

    # ------------------------------------------------------------------ H5 page

    def _link_problem(self, token: str) -> tuple[int, str]:
        session = self.sim.sessions.get(token)
        if session is None:
            return 404, "unknown"
        if session.state == "used":
            return 409, "used"
        if self.sim.now() >= session.expires_at:
            return 410, "expired"
        return 200, ""

    async def _h5_page(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        status, reason = self._link_problem(token)
        if status != 200:
            return _h5_html(status, _H5_MESSAGES[reason])
        left = max(0, int(self.sim.sessions[token].expires_at - self.sim.now()))
        body = (
            "<p>PowerTokens real-person authorization.</p>"
            "<p>Sandbox: this page stands in for the BytePlus liveness check.</p>"
            f'<form method="post" action="/h5/{html.escape(token)}/pass">'
            '<button type="submit">Pass verification</button></form>'
            f"<p><small>This link expires in {left} s.</small></p>"
        )
        return _h5_html(200, body)

    async def _h5_pass(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        status, reason = self._link_problem(token)
        if status == 200:
            self.sim.pass_link(token)
        if request.content_type == "application/x-www-form-urlencoded":
            return _h5_html(status, _H5_MESSAGES[reason])
        if status == 200:
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "reason": reason}, status=status)

    # ------------------------------------------------------------------ /_sim controls

    async def _sim_list(self, request: web.Request) -> list[Any]:
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="body must be JSON") from None
        if not isinstance(body, list):
            raise web.HTTPBadRequest(text="body must be a JSON array")
        return body

    async def _sim_script_assets(self, request: web.Request) -> web.StreamResponse:
        try:
            self.sim.script_assets(*(AssetOutcome(**o) for o in await self._sim_list(request)))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True, "queued": self.sim.queued_assets})

    async def _sim_script_videos(self, request: web.Request) -> web.StreamResponse:
        try:
            self.sim.script_videos(*(VideoOutcome(**o) for o in await self._sim_list(request)))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True, "queued": len(self.sim.desk.script)})

    async def _sim_fault(self, request: web.Request) -> web.StreamResponse:
        try:
            self.sim.inject(Fault(**await request.json()))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True})

    async def _sim_pass(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            self.sim.pass_link(str(body["url"]))
        except (TypeError, ValueError, KeyError) as exc:
            raise web.HTTPNotFound(text=str(exc)) from None
        return web.json_response({"ok": True})

    async def _sim_requests(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"requests": [list(r) for r in self.sim.requests]})

    async def _sim_reset_requests(self, request: web.Request) -> web.StreamResponse:
        self.sim.reset_counts()
        return web.json_response({"ok": True})


_H5_MESSAGES = {
    "": "<p>Verification passed. You can go back to Telegram.</p>",
    "unknown": "<p>This link is not valid.</p>",
    "used": "<p>This link has already been used.</p>",
    "expired": "<p>This link has expired.</p>",
}


def _h5_html(status: int, body: str) -> web.Response:
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Real-person verification</title></head><body>{body}</body></html>"
    )
    return web.Response(status=status, text=page, content_type="text/html")
