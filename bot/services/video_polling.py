"""How a round of video polling reaches the providers: side by side, within each one's limits.

A round asks every due job's provider about it. Each provider's due jobs are read from the
database a page at a time and handed to a few workers (its :class:`PollLimit`: requests in
flight, and requests a second where the vendor documents a limit), and providers run
independently, so 1,000 running jobs are all asked within seconds of a restart while a slow
provider holds up only its own jobs, and no more than a page of rows is held at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.providers.registry import Providers
from storage.models import VideoJob
from storage.videos import VideoRepo

log = logging.getLogger(__name__)

PAGE = 64  # rows read at a time; also how many jobs wait for a worker at most


@dataclass(frozen=True)
class PollLimit:
    concurrency: int = 16  # requests in flight to the provider
    per_second: float | None = None  # requests started a second, where a limit is known


def limit_for(providers: Providers, name: str) -> PollLimit:
    """A provider's bound for a round. Where nothing is documented, the bound on requests in
    flight is the only limit: 16 keeps a restart with 1,000 running jobs to about a second of
    GETs without a burst a provider could take for abuse. Where the vendor documents a limit
    on status requests (Sunra: 100/s, then 403s), video polls take at most half of it: photo
    polls and the person's own requests share the key."""
    try:
        per_second = providers.get(name).capabilities.status_requests_per_second
    except LookupError:  # not enabled any more: its jobs are only rescheduled
        per_second = None
    return PollLimit(per_second=per_second / 2 if per_second else None)


class Pace:
    """Spaces the starts of requests to at most ``per_second`` a second (None: no spacing)."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        start = max(now, self._next)
        self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


async def poll_provider(
    videos: VideoRepo,
    provider: str,
    now: float,
    limit: PollLimit,
    handle: Callable[[VideoJob], Awaitable[None]],
    claim: Callable[[list[int]], Awaitable[set[int]]],
) -> None:
    """Hand each of ``provider``'s jobs due at ``now`` that ``claim`` grants this worker to
    ``handle``, ``limit.concurrency`` at a time; one job's failure is logged and never
    stops the others."""
    queue: asyncio.Queue[VideoJob | None] = asyncio.Queue(maxsize=PAGE)
    workers = max(1, limit.concurrency)

    async def feed() -> None:
        after = 0
        try:
            while True:
                page = await videos.due(now, provider=provider, after_id=after, limit=PAGE)
                mine = await claim([job.id for job in page])
                if mine:  # read again: another worker may have polled some since the read
                    again = await videos.due(now, provider=provider, after_id=after, limit=PAGE)
                    for job in again:
                        if job.id in mine:
                            await queue.put(job)
                if len(page) < PAGE:
                    return
                after = page[-1].id
        finally:
            for _ in range(workers):
                await queue.put(None)

    async def work() -> None:
        while (job := await queue.get()) is not None:
            try:
                await handle(job)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("polling video job %d failed", job.id)

    tasks = [asyncio.create_task(work()) for _ in range(workers)]
    try:
        try:
            await feed()
        except Exception:  # the rows it read are still asked about; the rest next round
            log.exception("reading %s's due video jobs failed", provider)
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass(frozen=True)
class VideoSchedule:
    poll_seconds: float = 3.0
    max_poll_seconds: float = 10.0
    timeout_seconds: float = 1800.0  # a job running longer than this is given up

    # While the provider is to call back when a task ends, polls are a slow fallback for a
    # callback that never comes (REALFACE_CALLBACK_POLL_SECONDS).
    callback_poll_seconds: float = 60.0

    def backoff(self, polls: int) -> float:
        return min(self.max_poll_seconds, self.poll_seconds * 1.5**polls)

    def next_poll(self, job: VideoJob, polls: int) -> float:
        """Seconds until a job in the making is asked about again."""
        if job.callback_token is not None:
            return self.callback_poll_seconds
        return self.backoff(polls)
