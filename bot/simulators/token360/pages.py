"""The simulator's verification page (``/h5/{token}``) and its ``/_sim`` control routes."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.simulators.common import AssetOutcome, Fault, VideoOutcome
from bot.simulators.token360.state import VerificationLink

if TYPE_CHECKING:
    from bot.simulators.token360.simulator import Token360Simulator


class ControlPages:
    """The H5 page a person (or the bot's sandbox) presses, and the HTTP mirror of the controls."""

    def __init__(self, sim: Token360Simulator) -> None:
        self.sim = sim

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/h5/{token}", self._h5_page),
            web.post("/h5/{token}/pass", self._h5_pass),
            web.post("/_sim/script/assets", self._sim_script_assets),
            web.post("/_sim/script/videos", self._sim_script_videos),
            web.post("/_sim/faults", self._sim_fault),
            web.post("/_sim/groups/{group_id}/pass", self._sim_pass),
            web.get("/_sim/requests", self._sim_requests),
            web.delete("/_sim/requests", self._sim_reset_requests),
        ]

    # ------------------------------------------------------------------ verification page

    def _link_problem(self, token: str) -> tuple[int, str, VerificationLink | None]:
        link = self.sim.store.links.get(token)
        if link is None:
            return 404, "unknown", None
        group = self.sim.store.groups[link.group_id]
        if link.state == "used" or group.passed_at is not None:
            return 409, "used", link
        if link.state == "superseded":
            return 410, "superseded", link
        if self.sim.now() >= link.expires_at:
            return 410, "expired", link
        return 200, "", link

    async def _h5_page(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        status, reason, link = self._link_problem(token)
        if status != 200 or link is None:
            return _h5_html(status, _H5_MESSAGES[reason])
        name = html.escape(self.sim.store.groups[link.group_id].name)
        left = max(0, int(link.expires_at - self.sim.now()))
        body = (
            f"<p>Real-person verification for <b>{name}</b>.</p>"
            "<p>Sandbox: this page stands in for the BytePlus liveness check.</p>"
            f'<form method="post" action="/h5/{html.escape(token)}/pass">'
            '<button type="submit">Pass verification</button></form>'
            f"<p><small>This link expires in {left} s.</small></p>"
        )
        return _h5_html(200, body)

    async def _h5_pass(self, request: web.Request) -> web.StreamResponse:
        status, reason, link = self._link_problem(request.match_info["token"])
        if status == 200 and link is not None:
            self.sim.mark_passed(self.sim.store.groups[link.group_id])
        if request.content_type == "application/x-www-form-urlencoded":
            return _h5_html(status, _H5_MESSAGES[reason])
        if status == 200:
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "reason": reason}, status=status)

    # ------------------------------------------------------------------ /_sim controls

    async def _sim_json(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="body must be JSON") from None

    async def _sim_script_assets(self, request: web.Request) -> web.StreamResponse:
        body = await self._sim_json(request)
        try:
            outcomes = [AssetOutcome(**item) for item in body]
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        self.sim.script_assets(*outcomes)
        return web.json_response({"ok": True, "queued": len(self.sim.store.asset_script)})

    async def _sim_script_videos(self, request: web.Request) -> web.StreamResponse:
        body = await self._sim_json(request)
        try:
            outcomes = [VideoOutcome(**item) for item in body]
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        self.sim.script_videos(*outcomes)
        return web.json_response({"ok": True, "queued": len(self.sim.store.video_script)})

    async def _sim_fault(self, request: web.Request) -> web.StreamResponse:
        body = await self._sim_json(request)
        try:
            self.sim.inject(Fault(**body))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True})

    async def _sim_pass(self, request: web.Request) -> web.StreamResponse:
        group_id = request.match_info["group_id"]
        if group_id not in self.sim.store.groups:
            raise web.HTTPNotFound(text="unknown group")
        self.sim.pass_verification(group_id)
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
    "superseded": "<p>This link has expired: a newer link was issued.</p>",
}


def _h5_html(status: int, body: str) -> web.Response:
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Real-person verification</title></head><body>{body}</body></html>"
    )
    return web.Response(status=status, text=page, content_type="text/html")
