"""Leases: which worker works on an item now, so that several workers sharing one database
never poll, deliver or tell the same thing at once (issue 14).

An item is a kind and a row id (``video`` 12). A worker claims the items it is about to
work on; the claim gets those not held by another worker, or held past their ``until``
(that worker stopped renewing: it died). Claims are one statement each: an upsert that takes a
row only if it is free or lapsed, atomic by its row lock, so two workers never both get an
item (ids are claimed in order, so two claims never deadlock). They do not queue behind
other writes (``write_rows``, storage/database.py): a busy worker still renews in time. A
worker renews all its leases while it lives and releases each when its work is done.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from enum import StrEnum

from storage.database import Conn, Database, Dialect


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


class LeaseRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self, kind: LeaseKind, ids: Collection[int], owner: str, now: float, until: float
    ) -> set[int]:
        """Of ``ids``, those now ``owner``'s until ``until``: free, lapsed, or its own."""
        if not ids:
            return set()
        async with self.db.write_rows() as conn:
            rows = await conn.fetchall(
                _CLAIM[conn.dialect], (kind.value, owner, until, _ids(conn, ids), now)
            )
        return {int(row[0]) for row in rows}

    async def release(self, kind: LeaseKind, ids: Collection[int], owner: str) -> None:
        if not ids:
            return
        async with self.db.write_rows() as conn:
            await conn.executemany(
                "DELETE FROM leases WHERE kind = ? AND item_id = ? AND owner = ?",
                [(kind.value, int(i), owner) for i in ids],
            )

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
        async with self.db.write_rows() as conn:
            await conn.execute("UPDATE leases SET until = ? WHERE owner = ?", (until, owner))
            # What dead workers held and nobody claimed since: long lapsed, so no one's.
            await conn.execute("DELETE FROM leases WHERE until < ?", (now - (until - now),))
            await conn.execute(
                """
                INSERT INTO workers (id, started_at, seen_at) VALUES (?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at
                """,
                (owner, started_at, now),
            )

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

    async def workers(self, since: float) -> list[str]:
        """The workers seen since ``since``."""
        rows = await self.db.fetchall(
            "SELECT id FROM workers WHERE seen_at >= ? ORDER BY id", (since,)
        )
        return [str(row[0]) for row in rows]
