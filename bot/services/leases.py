"""This worker's leases: the items it works on now, so that workers sharing one database
never poll, deliver or tell the same thing at once (issue 14, storage/leases.py).

A worker claims what it is about to work on and releases it when done; while it lives it
renews everything it holds every third of ``lease_seconds``. A worker killed mid-work stops
renewing, and after ``lease_seconds`` its items are free for the others. With SQLite there
is one process per file: nothing is claimed (no write for it), and at start whatever an
earlier run held is freed at once. Lease times are each worker's clock: the hosts of
several workers keep their clocks in sync (NTP), as the README says.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Protocol, TypeVar

from bot.services.clock import Clock
from storage.leases import LeaseKind, LeaseRepo

log = logging.getLogger(__name__)

T = TypeVar("T")


def worker_name() -> str:
    """This process's name among the workers: host, pid and a random part (a pid may be
    reused by a restart on the same host)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def dead_here(name: str, mine: str) -> bool:
    """Whether the worker ``name`` ran on this host and is gone: its process is not running,
    or runs as this worker (a restart in a container often gets the same pid). A worker of
    another host cannot be asked: its leases lapse instead."""
    host, sep, rest = name.rpartition("-")[0].rpartition("-")
    if not sep or name == mine or host != socket.gethostname():
        return False
    pid = int(rest) if rest.isdigit() else 0
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process: alive
        return False
    return False


class Leases:
    """``alone`` (SQLite: one process per file): every claim is granted and nothing is
    stored, as no other worker can share the work; an earlier run's leases are cleared at
    start. Shared (PostgreSQL): a claim is granted only for items no other worker holds
    and that this one does not hold already (one task at a time: a second task of this
    worker, such as a take-over, never gets an item another of its tasks works on), and a
    release frees only what this worker holds."""

    def __init__(
        self,
        repo: LeaseRepo,
        clock: Clock,
        *,
        lease_seconds: float = 30.0,
        name: str | None = None,
        alone: bool = False,
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.name = name or worker_name()
        self.alone = alone
        self.started_at = clock()
        self._held: set[tuple[LeaseKind, int]] = set()
        self._renewing: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Say this worker is alive and keep saying it (alone: free an earlier run's
        leases, which lapse on their own otherwise)."""
        if self.alone:
            await self.repo.only(self.name)
            return
        # A predecessor on this host killed with kill -9: its work is taken at once, not
        # after its leases lapse (a restart must not keep people waiting that long).
        dead = [name for name in await self.repo.owners() if dead_here(name, self.name)]
        if dead:
            await self.repo.forget(dead)
            log.info("took over from %s, gone on this host", ", ".join(dead))
        await self.renew()
        self._renewing = asyncio.create_task(self._renew_forever(), name="lease-renewal")

    async def stop(self) -> None:
        """Stop renewing and free everything held: the others take it over at once."""
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing
            self._renewing = None
        self._held.clear()
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
        """Of ``ids``, those this worker may work on now (and must release)."""
        if self.alone:
            return set(ids)
        wanted = [i for i in ids if (kind, i) not in self._held]
        if not wanted:
            return set()
        now = self.clock()
        granted = await self.repo.claim(kind, wanted, self.name, now, now + self.lease_seconds)
        self._held.update((kind, i) for i in granted)
        return granted

    async def take(self, kind: LeaseKind, item_id: int) -> bool:
        """The item's lease for a task that goes on with what another task of this worker
        claimed (a poll hands a finished video to its delivery), or claimed now."""
        if self.alone or (kind, item_id) in self._held:
            return True
        return item_id in await self.claim(kind, [item_id])

    async def release(self, kind: LeaseKind, ids: Collection[int]) -> None:
        if self.alone:
            return
        mine = sorted(i for i in ids if (kind, i) in self._held)
        if not mine:
            return
        self._held.difference_update((kind, i) for i in mine)
        await self.repo.release(kind, mine, self.name)

    async def still_mine(self, kind: LeaseKind, item_id: int) -> bool:
        """Before a step that cannot be undone (a video sent): whether the lease is still
        this worker's, not lapsed (a stall past ``lease_seconds``) and taken over."""
        if self.alone:
            return True
        holder = await self.repo.holder(kind, item_id, self.clock())
        return (kind, item_id) in self._held and holder == self.name

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

    async def take(self, kind: LeaseKind, item_id: int) -> bool:
        return True

    async def still_mine(self, kind: LeaseKind, item_id: int) -> bool:
        return True

    @contextlib.asynccontextmanager
    async def holding(self, kind: LeaseKind, item_id: int) -> AsyncIterator[bool]:
        yield True


async def work_on_due(
    claims: Claims,
    kind: LeaseKind,
    read: Callable[[], Awaitable[list[T]]],
    key: Callable[[T], int],
    work: Callable[[list[T]], Awaitable[None]],
) -> None:
    """A polling round's step: claim the items ``read`` finds due (``key``: the leased id
    of each), read them again now that they are this worker's (another one may have
    worked on some between the first read and the claim, and put them off), ``work`` on
    those still due, and release them."""
    due = await read()
    mine = await claims.claim(kind, {key(item) for item in due})
    if not mine:
        return
    try:
        await work([item for item in await read() if key(item) in mine])
    finally:
        await claims.release(kind, mine)


class Claims(Protocol):
    """What the services ask of leases (:class:`Leases`, or :class:`Unshared`)."""

    async def claim(self, kind: LeaseKind, ids: Collection[int]) -> set[int]: ...

    async def release(self, kind: LeaseKind, ids: Collection[int]) -> None: ...

    async def take(self, kind: LeaseKind, item_id: int) -> bool: ...

    async def still_mine(self, kind: LeaseKind, item_id: int) -> bool: ...

    def holding(
        self, kind: LeaseKind, item_id: int
    ) -> contextlib.AbstractAsyncContextManager[bool]: ...
