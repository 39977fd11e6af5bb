"""People before background rounds.

A polling round after a restart can keep the event loop busy for seconds (1,000 status
requests, each a few milliseconds of HTTP client CPU), and an update handled meanwhile waits
behind every request's callbacks: a /faces took 300-900 ms instead of 60. So the Telegram
side marks the time it spends handling updates, and a background round starts its next
request only when no update is being handled, or after ``max_wait`` (a steady stream of
updates must not stop the polls).
"""

from __future__ import annotations

import asyncio
import contextlib


class Foreground:
    def __init__(self, max_wait: float = 0.5) -> None:
        self.max_wait = max_wait
        self._active = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    def enter(self) -> None:
        self._active += 1
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
        """Background work calls this before each request: it waits while updates are being
        handled, at most ``max_wait``."""
        if self._active:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), self.max_wait)
