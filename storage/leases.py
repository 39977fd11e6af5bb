"""Leases: which worker works on an item now, so that several workers sharing one database
never poll, deliver or tell the same thing at once (issue 14).

An item is a kind and a row id (``video`` 12). A worker claims the items it is about to
work on; the claim gets those not held by another worker, or held past their ``until``
(that worker stopped renewing: it died). A claim is one statement, an upsert that takes a
row only if it is free or lapsed, atomic by its row lock: two workers never both get an
item. Ids are claimed and released in key order; a deadlock with a renewal (which locks a
worker's rows as they lie) is broken by the database and the statement run again. Lease
statements do not queue behind other writes (``write_rows``, storage/database.py), so a
busy worker still renews in time. A worker renews all its leases while it lives and
releases each when its work is done.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection, Iterable
from enum import StrEnum
from typing import TypeVar

from storage.database import Conflict, Conn, Database, Dialect


class LeaseKind(StrEnum):
    FACE_POLL = "face_poll"  # a verification's status at the provider
    PHOTOS_POLL = "photos_poll"  # a face's photos processing (one request per face)
    UPLOAD = "upload"  # a photo's check and upload, or its recheck
    VIDEO = "video"  # a video job's submit, its polls and its delivery
    FACE_START = "face_start"  # a face's check being started at the provider
    UPDATE = "update"  # a Telegram update being handled (the inbox's row)
    FACE_OUTCOME = "face_outcome"  # telling how a face check ended
    BATCH_REPORT = "batch_report"  # an album's status message
    VIDEO_OUTCOME = "video_outcome"  # telling how a video ended


_CLAIM = {
    Dialect.SQLITE: """
        INSERT INTO leases (kind, item_id, owner, until)
        SELECT ?1, value, ?2, ?3 FROM json_each(?4) WHERE true
        ON CONFLICT (kind, item_id) DO UPDATE SET owner = excluded.owner, until = excluded.until
        WHERE leases.until <= ?5 OR leases.owner = excluded.owner
        RETURNING item_id
    """,
    Dialect.POSTGRESQL: """
        INSERT INTO leases (kind, item_id, owner, until)
        SELECT ?1, item, ?2, ?3 FROM unnest(CAST(?4 AS BIGINT[])) AS item
        ON CONFLICT (kind, item_id) DO UPDATE SET owner = excluded.owner, until = excluded.until
        WHERE leases.until <= ?5 OR leases.owner = excluded.owner
        RETURNING item_id
    """,
}


def _ids(conn: Conn, ids: Iterable[int]) -> object:
    """A list of ids as one parameter: JSON text for SQLite's json_each, an array for
    PostgreSQL."""
    listed = sorted({int(i) for i in ids})
    return json.dumps(listed) if conn.dialect is Dialect.SQLITE else listed


T = TypeVar("T")
ATTEMPTS = 3


async def _again_on_conflict(work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` again when the database broke a deadlock with another worker's lease
    statement by aborting this one (PostgreSQL): it holds no lock after the abort."""
    for attempt in range(ATTEMPTS):
        try:
            return await work()
        except Conflict:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


class LeaseRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self, kind: LeaseKind, ids: Collection[int], owner: str, now: float, until: float
    ) -> set[int]:
        """Of ``ids``, those now ``owner``'s until ``until``: free, lapsed, or its own."""
        if not ids:
            return set()

        async def claim() -> set[int]:
            async with self.db.write_rows() as conn:
                rows = await conn.fetchall(
                    _CLAIM[conn.dialect], (kind.value, owner, until, _ids(conn, ids), now)
                )
            return {int(row[0]) for row in rows}

        return await _again_on_conflict(claim)

    async def release(self, kind: LeaseKind, ids: Collection[int], owner: str) -> None:
        if not ids:
            return

        async def release() -> None:
            async with self.db.write_rows() as conn:
                await conn.executemany(  # in key order, as claims lock them
                    "DELETE FROM leases WHERE kind = ? AND item_id = ? AND owner = ?",
                    [(kind.value, i, owner) for i in sorted({int(i) for i in ids})],
                )

        await _again_on_conflict(release)

    async def holder(self, kind: LeaseKind, item_id: int, now: float) -> str | None:
        """Who holds the item's lease now, if anyone."""
        row = await self.db.fetchone(
            "SELECT owner FROM leases WHERE kind = ? AND item_id = ? AND until > ?",
            (kind.value, item_id, now),
        )
        return None if row is None else str(row[0])

    async def held(self, kind: LeaseKind, now: float) -> set[int]:
        """The items of ``kind`` some worker holds now."""
        rows = await self.db.fetchall(
            "SELECT item_id FROM leases WHERE kind = ? AND until > ?", (kind.value, now)
        )
        return {int(row[0]) for row in rows}

    async def alive(self, owner: str, now: float, until: float, *, started_at: float) -> None:
        """``owner`` is alive: its leases last until ``until``, and it is seen at ``now``."""

        async def alive() -> None:
            async with self.db.write_rows() as conn:
                await conn.execute("UPDATE leases SET until = ? WHERE owner = ?", (until, owner))
                # What dead workers held and nobody claimed since, long lapsed: no one's;
                # and the dead workers themselves.
                lapsed = now - (until - now)
                await conn.execute("DELETE FROM leases WHERE until < ?", (lapsed,))
                await conn.execute("DELETE FROM workers WHERE seen_at < ?", (lapsed,))
                await conn.execute(
                    """
                    INSERT INTO workers (id, started_at, seen_at) VALUES (?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at
                    """,
                    (owner, started_at, now),
                )

        await _again_on_conflict(alive)

    async def gone(self, owner: str) -> None:
        """``owner`` stops: its leases are free at once, and it is no longer listed."""
        async with self.db.write_rows() as conn:
            await conn.execute("DELETE FROM leases WHERE owner = ?", (owner,))
            await conn.execute("DELETE FROM workers WHERE id = ?", (owner,))

    async def only(self, owner: str) -> None:
        """``owner`` is the only worker there can be (SQLite: one process per file): what
        an earlier run held is free now, without waiting for it to lapse."""
        async with self.db.write_rows() as conn:
            await conn.execute("DELETE FROM leases WHERE owner <> ?", (owner,))
            await conn.execute("DELETE FROM workers WHERE id <> ?", (owner,))

    async def owners(self) -> list[str]:
        """Every worker holding leases or listed as alive, in name order."""
        rows = await self.db.fetchall(
            "SELECT owner FROM leases UNION SELECT id FROM workers ORDER BY 1"
        )
        return [str(row[0]) for row in rows]

    async def forget(self, owners: Collection[str]) -> None:
        """These workers are gone: their leases are free at once."""
        async with self.db.write_rows() as conn:
            for owner in sorted(owners):
                await conn.execute("DELETE FROM leases WHERE owner = ?", (owner,))
                await conn.execute("DELETE FROM workers WHERE id = ?", (owner,))

    async def workers(self, since: float) -> list[str]:
        """The workers seen since ``since``."""
        rows = await self.db.fetchall(
            "SELECT id FROM workers WHERE seen_at >= ? ORDER BY id", (since,)
        )
        return [str(row[0]) for row in rows]
