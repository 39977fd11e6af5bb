"""Sandbox mode: the built-in Token360 simulator stands in for the real provider.

The bot starts the simulator on 127.0.0.1 and offers a button that does what the
person's phone would do on the H5 page: pass the face check.
"""

from __future__ import annotations

import httpx

from bot.simulators.token360 import Token360Simulator

SANDBOX_KEY = "sandbox-key"


class SandboxControl:
    def __init__(self, simulator: Token360Simulator) -> None:
        self.simulator = simulator
        self.http = httpx.AsyncClient(timeout=10)

    async def pass_link(self, h5_link: str) -> bool:
        """Press "pass" on the simulator's H5 page; False if the link expired or was used."""
        response = await self.http.post(h5_link.rstrip("/") + "/pass")
        return response.status_code == 200

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.simulator.stop()


async def start_sandbox(processing_seconds: float) -> SandboxControl:
    simulator = Token360Simulator(
        api_keys=(SANDBOX_KEY,),
        processing_seconds=processing_seconds,
        activation_delay=1.0,
        # Slow enough that a newcomer sees the progress message move.
        video_queued_seconds=processing_seconds,
        video_running_seconds=3 * processing_seconds,
    )
    await simulator.start("127.0.0.1", 0)
    return SandboxControl(simulator)
