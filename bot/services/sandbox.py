"""Sandbox mode: built-in simulators stand in for the real providers.

The bot starts each simulator on 127.0.0.1 and offers a button that does what the
person's phone would do on the H5 page: pass the face check.
"""

from __future__ import annotations

import httpx

from bot.config import ProviderKey
from bot.simulators.common import SimulatorBase
from bot.simulators.orcarouter import OrcaRouterSimulator
from bot.simulators.powertokens import PowerTokensSimulator
from bot.simulators.sunra import SunraSimulator
from bot.simulators.toapis import ToAPIsSimulator
from bot.simulators.token360 import Token360Simulator

SANDBOX_KEY = "sandbox-key"


class SandboxControl:
    def __init__(self, simulators: dict[str, SimulatorBase]) -> None:
        self.simulators = simulators
        self.http = httpx.AsyncClient(timeout=10)

    def keys(self) -> dict[str, ProviderKey]:
        return {
            name: ProviderKey(SANDBOX_KEY, sim.base_url) for name, sim in self.simulators.items()
        }

    async def pass_link(self, h5_link: str) -> bool:
        """Press "pass" on a simulator's H5 page; False if the link expired or was used."""
        response = await self.http.post(h5_link.rstrip("/") + "/pass")
        return response.status_code == 200

    async def aclose(self) -> None:
        await self.http.aclose()
        for simulator in self.simulators.values():
            await simulator.stop()


async def start_sandbox(providers: tuple[str, ...], processing_seconds: float) -> SandboxControl:
    # Slow enough that a newcomer sees the progress messages move.
    p = processing_seconds
    keys = (SANDBOX_KEY,)
    makers: dict[str, SimulatorBase] = {}
    for name in providers:
        if name == "token360":
            makers[name] = Token360Simulator(
                api_keys=keys,
                activation_delay=1.0,
                processing_seconds=p,
                video_queued_seconds=p,
                video_running_seconds=3 * p,
            )
        elif name == "sunra":
            makers[name] = SunraSimulator(
                api_keys=keys,
                processing_seconds=p,
                video_queued_seconds=p,
                video_running_seconds=3 * p,
            )
        elif name == "orcarouter":
            makers[name] = OrcaRouterSimulator(
                api_keys=keys,
                processing_seconds=p,
                video_queued_seconds=p,
                video_running_seconds=3 * p,
            )
        elif name == "powertokens":
            makers[name] = PowerTokensSimulator(
                api_keys=keys,
                processing_seconds=p,
                video_queued_seconds=p,
                video_running_seconds=3 * p,
            )
        elif name == "toapis":
            makers[name] = ToAPIsSimulator(
                api_keys=keys,
                processing_seconds=p,
                video_queued_seconds=p,
                video_running_seconds=3 * p,
            )
    for simulator in makers.values():
        await simulator.start("127.0.0.1", 0)
    return SandboxControl(makers)
