"""Token360's video callbacks, simulated: once a video with a ``callback_url`` ends, one POST of
``{"request_id", "data": <the video as GET /v1/videos/{id} shows it>}`` (the envelope is a
choice: Token360 documents none), retried on a non-2xx answer or a connection error after
1 s, then 3 s (3 attempts in all, 30 s timeout each: Token360's webhook page). Every wait is
measured with the simulator's clock, so a test moves it on by hand."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import httpx

from sandbox.token360.state import VideoJob
from sandbox.token360.videos import video_json

if TYPE_CHECKING:
    from sandbox.token360.simulator import Token360Simulator

log = logging.getLogger(__name__)

# Seconds before the second and the third attempt (3 attempts in all).
RETRY_DELAYS = (1.0, 3.0)
ATTEMPT_TIMEOUT = 30.0
# How often a waiting delivery looks at the simulator's clock (real seconds).
CLOCK_POLL = 0.01


class CallbackSender:
    """The deliveries under way, one task per video, all cancelled by :meth:`close`."""

    def __init__(self, sim: Token360Simulator) -> None:
        self.sim = sim
        self.tasks: set[asyncio.Task[None]] = set()

    def schedule(self, video: VideoJob, origin: str) -> None:
        """Deliver ``video``'s callback once it ends (its files are served from ``origin``)."""
        task = asyncio.get_running_loop().create_task(
            self._deliver(video, origin), name=f"token360-callback-{video.video_id}"
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def close(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _until(self, moment: float) -> None:
        """Wait until the simulator's clock reads ``moment`` (a plain callable: it is read
        again every ``CLOCK_POLL`` s, as nothing signals that a test moved it)."""
        while True:
            left = moment - self.sim.now()
            if left <= 0:
                return
            await asyncio.sleep(min(left, CLOCK_POLL))

    async def _deliver(self, video: VideoJob, origin: str) -> None:
        await self._until(self.sim.finishes_at(video))
        self.sim.settle()  # the state says it ended before anyone is told so
        url = video.callback_url
        if url is None:
            return
        body: dict[str, Any] = {
            "request_id": video.request_id,
            "data": video_json(self.sim, video, origin),
        }
        if self.sim.drop_callbacks:
            self.sim.callbacks_dropped.append({"url": url, "body": body})
            return
        async with httpx.AsyncClient(timeout=ATTEMPT_TIMEOUT, trust_env=False) as http:
            for attempt in range(1 + len(RETRY_DELAYS)):
                status: int | None
                try:
                    status = (await http.post(url, json=body)).status_code
                except httpx.HTTPError as exc:
                    log.info("callback for %s not delivered: %r", video.video_id, exc)
                    status = None
                answered_at = self.sim.now()
                self.sim.callbacks_sent.append({"url": url, "body": body, "status": status})
                if status is not None and 200 <= status < 300:
                    return
                if attempt < len(RETRY_DELAYS):
                    await self._until(answered_at + RETRY_DELAYS[attempt])
        log.info("callback for %s given up", video.video_id)
