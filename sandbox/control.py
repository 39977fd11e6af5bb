"""Sandbox mode: built-in simulators stand in for the real providers.

The bot loads this module by name only when sandbox mode is asked for. It starts the
simulator each provider's declaration names (``bot.providers.registry``) on 127.0.0.1 and
offers a button that does what the person's phone would do on the H5 page: pass the check.
"""

from __future__ import annotations

import importlib
from typing import Any

import httpx

from bot.config import ProviderKey
from bot.providers.registry import declared
from sandbox.common import SimulatorBase

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


def simulator_class(provider: str) -> type[SimulatorBase]:
    """The simulator a provider's declaration names ("module:Class")."""
    module, _, name = declared(provider).simulator.partition(":")
    found = getattr(importlib.import_module(module), name)
    if not (isinstance(found, type) and issubclass(found, SimulatorBase)):
        raise TypeError(f"{declared(provider).simulator} is not a simulator")
    return found


async def start_sandbox(providers: tuple[str, ...], processing_seconds: float) -> SandboxControl:
    # Slow enough that a newcomer sees the progress messages move.
    timing: dict[str, Any] = {
        "processing_seconds": processing_seconds,
        "video_queued_seconds": processing_seconds,
        "video_running_seconds": 3 * processing_seconds,
    }
    simulators: dict[str, SimulatorBase] = {}
    for name in providers:
        make = simulator_class(name)
        simulator = make(api_keys=(SANDBOX_KEY,), **timing, **make.sandbox_options)
        await simulator.start("127.0.0.1", 0)
        simulators[name] = simulator
    return SandboxControl(simulators)
