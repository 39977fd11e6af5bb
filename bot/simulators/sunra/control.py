"""The ``/_sim`` control routes of the Sunra simulator (no auth, never faulted or counted)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.simulators.common import AssetOutcome, Fault, VideoOutcome

if TYPE_CHECKING:
    from bot.simulators.sunra.simulator import SunraSimulator


async def _json(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None


def routes(sim: SunraSimulator) -> list[web.RouteDef]:
    async def script_assets(request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        try:
            sim.script_assets(*[AssetOutcome(**item) for item in body])
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True, "queued": len(sim.asset_script)})

    async def script_videos(request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        try:
            sim.script_videos(*[VideoOutcome(**item) for item in body])
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True, "queued": len(sim.video_script)})

    async def fault(request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        try:
            sim.inject(Fault(**body))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True})

    async def pass_link(request: web.Request) -> web.StreamResponse:
        # Sunra has no face check, so no link of ours can be passed.
        return web.json_response({"ok": False, "reason": "unknown"}, status=404)

    async def requests(request: web.Request) -> web.StreamResponse:
        return web.json_response({"requests": [list(r) for r in sim.requests]})

    async def reset_requests(request: web.Request) -> web.StreamResponse:
        sim.reset_counts()
        return web.json_response({"ok": True})

    return [
        web.post("/_sim/script/assets", script_assets),
        web.post("/_sim/script/videos", script_videos),
        web.post("/_sim/faults", fault),
        web.post("/_sim/pass", pass_link),
        web.get("/_sim/requests", requests),
        web.delete("/_sim/requests", reset_requests),
    ]
