"""This worker's leases: the items it works on now, so that workers sharing one database
never poll, deliver or tell the same thing at once (issue 14, storage/leases.py).

A worker claims what it is about to work on and releases it when done; while it lives it
renews everything it holds every third of ``lease_seconds``. A worker killed mid-work stops
renewing, and after ``lease_seconds`` its items are free for the others. With SQLite there
is one process per file, so at start whatever an earlier run held is freed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Collection
from typing import Protocol

from bot.services.clock import Clock
from storage.leases import LeaseKind, LeaseRepo

log = logging.getLogger(__name__)


def worker_name() -> str:
    """This process's name among the workers: host, pid and a random part (a pid may be
    reused by a restart on the same host)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class Leases:
    def __init__(
        self,
        repo: LeaseRepo,
        clock: Clock,
        *,
        lease_seconds: float = 30.0,
        name: str | None = None,
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.name = name or worker_name()
        self.started_at = clock()
        self._renewing: asyncio.Task[None] | None = None

    async def start(self, *, alone: bool) -> None:
        """Say this worker is alive and keep saying it; ``alone``: no other worker can
        share the database (SQLite), so an earlier run's leases are freed now."""
        if alone:
            await self.repo.only(self.name)
        await self.renew()
        self._renewing = asyncio.create_task(self._renew_forever(), name="lease-renewal")

    async def stop(self) -> None:
        """Stop renewing and free everything held: the others take it over at once."""
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing
            self._renewing = None
        try:
            await self.repo.gone(self.name)
        except Exception:  # they lapse on their own
            log.exception("freeing this worker's leases failed")

    async def renew(self) -> None:
        now = self.clock()
        await self.repo.alive(self.name, now, now + self.lease_seconds, started_at=self.started_at)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                await self.renew()
            except Exception:  # the next try may reach the database again
                log.exception("renewing this worker's leases failed")

    async def claim(self, kind: LeaseKind, ids: Collection[int]) -> set[int]:
        """Of ``ids``, those this worker may work on now."""
        now = self.clock()
        return await self.repo.claim(kind, ids, self.name, now, now + self.lease_seconds)

    async def release(self, kind: LeaseKind, ids: Collection[int]) -> None:
        await self.repo.release(kind, ids, self.name)

    @contextlib.asynccontextmanager
    async def holding(self, kind: LeaseKind, item_id: int) -> AsyncIterator[bool]:
        """``async with leases.holding(kind, id) as mine:`` work on the item if ``mine``;
        it is released afterwards (also on an error)."""
        mine = item_id in await self.claim(kind, [item_id])
        try:
            yield mine
        finally:
            if mine:
                await self.release(kind, [item_id])


class Unshared:
    """Claims for a worker that shares its work with no one (services tested alone, tools):
    every claim is granted, nothing is stored."""

    name = "alone"

    async def claim(self, kind: LeaseKind, ids: Collection[int]) -> set[int]:
        return set(ids)

    async def release(self, kind: LeaseKind, ids: Collection[int]) -> None:
        return None

    @contextlib.asynccontextmanager
    async def holding(self, kind: LeaseKind, item_id: int) -> AsyncIterator[bool]:
        yield True


class Claims(Protocol):
    """What the services ask of leases (:class:`Leases`, or :class:`Unshared`)."""

    async def claim(self, kind: LeaseKind, ids: Collection[int]) -> set[int]: ...

    async def release(self, kind: LeaseKind, ids: Collection[int]) -> None: ...

    def holding(
        self, kind: LeaseKind, item_id: int
    ) -> contextlib.AbstractAsyncContextManager[bool]: ...
