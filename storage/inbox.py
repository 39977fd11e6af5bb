"""Updates from Telegram that were still being handled when Telegram was told they arrived.

Telegram forgets an update once the next getUpdates confirms it (or once a webhook call is
answered), and that may happen while the update is still in a handler: a kill -9 then lost
the request. An update still being handled at that moment is written here first (the
Telegram side batches them: one transaction per getUpdates), and marked done when its
handling ends; the next start replays what a crash cut off. An update handled before it is
confirmed is never written. Done rows are kept for a day, by id only (the update's text is
dropped), so that one Telegram sends again (it was kept and done, but the confirmation never
reached Telegram) can be recognised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.database import Database
from storage.leases import LeaseKind

KEEP_DONE_SECONDS = 24 * 3600.0  # Telegram keeps unconfirmed updates for 24 hours

# An update's lease (storage/leases.py): whose it is while it is handled; never taken from
# a live worker (Telegram may send an update again, to another worker, while one has it).
_LEASE = """
    INSERT INTO leases (kind, item_id, owner, until) VALUES (?, ?, ?, ?)
    ON CONFLICT (kind, item_id) DO UPDATE SET owner = excluded.owner, until = excluded.until
    WHERE leases.until <= ? OR leases.owner = excluded.owner
"""


@dataclass(frozen=True)
class KeptUpdate:
    update_id: int
    payload: str  # the update's JSON as Telegram sent it
    attempts: int  # how many runs have started handling it


class InboxRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def keep(
        self, updates: Sequence[tuple[int, str]], now: float, owner: str, until: float
    ) -> None:
        """Write updates (id, JSON) still being handled before Telegram is told they
        arrived, in one transaction; a row that exists already is left as it is. Each is
        ``owner``'s (leased until ``until``, renewed while it lives): no other worker
        replays it unless ``owner`` dies."""
        async with self.db.write() as conn:
            await conn.executemany(
                "INSERT INTO inbox (update_id, payload, received_at, attempts) "
                "VALUES (?, ?, ?, 1) ON CONFLICT (update_id) DO NOTHING",
                [(update_id, payload, now) for update_id, payload in updates],
            )
            await conn.executemany(
                _LEASE,
                [
                    (LeaseKind.UPDATE.value, update_id, owner, until, now)
                    for update_id, _ in updates
                ],
            )

    async def done(self, update_ids: Sequence[int], now: float, owner: str) -> None:
        """Mark kept updates handled, in one transaction. A handled update is needed by its
        id only (not to run it twice): its text, with people's names, is dropped."""
        async with self.db.write() as conn:
            await conn.executemany(
                "UPDATE inbox SET done_at = ?, payload = '' WHERE update_id = ? "
                "AND done_at IS NULL",
                [(now, update_id) for update_id in update_ids],
            )
            await conn.executemany(
                "DELETE FROM leases WHERE kind = ? AND item_id = ? AND owner = ?",
                [(LeaseKind.UPDATE.value, update_id, owner) for update_id in update_ids],
            )

    async def recently_done(self, limit: int) -> list[int]:
        """The ids of the newest ``limit`` updates kept and handled (within the day)."""
        rows = await self.db.fetchall(
            "SELECT update_id FROM inbox WHERE done_at IS NOT NULL "
            "ORDER BY update_id DESC LIMIT ?",
            (limit,),
        )
        return [row["update_id"] for row in rows]

    async def unfinished(self, now: float, owner: str, until: float) -> list[KeptUpdate]:
        """What dead runs received and did not finish (no live worker holds it), oldest
        first, each now ``owner``'s and counted as one more attempt (an update that kills
        the bot every time must not loop forever); done rows past their day are dropped."""
        async with self.db.write() as conn:
            await conn.execute(
                "DELETE FROM inbox WHERE done_at IS NOT NULL AND done_at < ?",
                (now - KEEP_DONE_SECONDS,),
            )
            rows = await conn.fetchall(
                """
                SELECT update_id, payload, attempts FROM inbox i
                WHERE done_at IS NULL AND NOT EXISTS (
                    SELECT 1 FROM leases l
                    WHERE l.kind = ? AND l.item_id = i.update_id AND l.until > ?)
                ORDER BY update_id
                """,
                (LeaseKind.UPDATE.value, now),
            )
            ids = [int(r["update_id"]) for r in rows]
            await conn.executemany(
                "UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ?",
                [(update_id,) for update_id in ids],
            )
            await conn.executemany(
                _LEASE,
                [(LeaseKind.UPDATE.value, update_id, owner, until, now) for update_id in ids],
            )
        return [KeptUpdate(r["update_id"], r["payload"], r["attempts"] + 1) for r in rows]
