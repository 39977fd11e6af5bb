"""The ToAPIs simulator's ``/_sim`` routes that decide a verification: pass and fail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from sandbox.toapis.state import DEFAULT_FAILED_CODE, PASSED_CODE

if TYPE_CHECKING:
    from sandbox.toapis.simulator import ToAPIsSimulator


def routes(sim: ToAPIsSimulator) -> list[web.RouteDef]:
    """``POST /_sim/pass {"url"}`` and ``POST /_sim/fail {"url", "result_code"?}``."""

    async def decide(request: web.Request, code: str | None) -> web.StreamResponse:
        url, body = await sim.sim_link(request)
        try:
            task = sim.task_of_link(url)
        except LookupError:
            raise web.HTTPNotFound(text="unknown H5 link") from None
        sim.decide(task, code or str(body.get("result_code") or DEFAULT_FAILED_CODE))
        return web.json_response({"ok": True})

    async def pass_link(request: web.Request) -> web.StreamResponse:
        return await decide(request, PASSED_CODE)

    async def fail_link(request: web.Request) -> web.StreamResponse:
        return await decide(request, None)

    return [web.post("/_sim/pass", pass_link), web.post("/_sim/fail", fail_link)]
