"""People before background rounds.

A polling round after a restart can keep the event loop busy for seconds (1,000 status
requests, each a few milliseconds of HTTP client CPU), and an update handled meanwhile waits
behind every request's callbacks: a /faces took 300-900 ms instead of 60. So the Telegram
side marks the updates it is handling, and a background round starts its next request only
once none of them is young: an update handled for longer than ``max_wait`` is waiting on I/O
(a provider, Telegram's rate limit), not on the loop, and must not hold the polls back (the
updates replayed at a start are such), nor may a steady stream of updates stop them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time


class Foreground:
    def __init__(self, max_wait: float = 0.5) -> None:
        self.max_wait = max_wait
        self._active = 0
        self._newest = 0.0  # when the newest update in hand began (monotonic)
        self._quiet = asyncio.Event()
        self._quiet.set()
        self.waiting = 0  # background requests making way right now

    def enter(self) -> None:
        self._active += 1
        self._newest = time.monotonic()
        self._quiet.clear()

    def leave(self) -> None:
        self._active -= 1
        if self._active <= 0:
            self._active = 0
            self._quiet.set()

    @property
    def busy(self) -> bool:
        return self._active > 0

    async def make_way(self) -> None:
        """Background work calls this before each request: it waits while an update began
        less than ``max_wait`` ago is being handled, until then at most."""
        if not self._active:
            return
        left = self._newest + self.max_wait - time.monotonic()
        if left <= 0:
            return
        self.waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), left)
        finally:
            self.waiting -= 1
