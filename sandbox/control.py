"""Sandbox mode: built-in simulators stand in for the real providers.

The bot starts each simulator on 127.0.0.1 and offers a button that does what the
person's phone would do on the H5 page: pass the face check.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bot.config import ProviderKey
from sandbox.common import SimulatorBase
from sandbox.orcarouter import OrcaRouterSimulator
from sandbox.powertokens import PowerTokensSimulator
from sandbox.sunra import SunraSimulator
from sandbox.toapis import ToAPIsSimulator
from sandbox.token360 import Token360Simulator

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


# Each simulator takes the same timing keywords (and Token360 an activation delay).
SIMULATORS: dict[str, Callable[..., SimulatorBase]] = {
    "token360": Token360Simulator,
    "sunra": SunraSimulator,
    "orcarouter": OrcaRouterSimulator,
    "powertokens": PowerTokensSimulator,
    "toapis": ToAPIsSimulator,
}


async def start_sandbox(providers: tuple[str, ...], processing_seconds: float) -> SandboxControl:
    # Slow enough that a newcomer sees the progress messages move.
    timing = {
        "processing_seconds": processing_seconds,
        "video_queued_seconds": processing_seconds,
        "video_running_seconds": 3 * processing_seconds,
    }
    simulators: dict[str, SimulatorBase] = {}
    for name in providers:
        extra = {"activation_delay": 1.0} if name == "token360" else {}
        simulator = SIMULATORS[name](api_keys=(SANDBOX_KEY,), **timing, **extra)
        await simulator.start("127.0.0.1", 0)
        simulators[name] = simulator
    return SandboxControl(simulators)
