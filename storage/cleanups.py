"""Deletes owed at a provider: a withdrawn or deleted face's group or photos (issue 11).

A delete is asked for in the transaction that withdraws or deletes the face
(:func:`order_cleanup`), so a kill -9 right after cannot lose it; the rows then wait for the
face's running videos and are retried until the provider answers.
"""

from __future__ import annotations

from typing import Any

from storage.database import Conn, Database
from storage.models import Cleanup, CleanupItem, CleanupOrder, CleanupTarget
from storage.videos import uses_face

# A video that may still be in the making at the provider may need the face's photos: a
# submit whose answer was lost (needs_decision) may be running there too.
_MAKING = "('submitting', 'queued', 'running', 'downloading', 'needs_decision')"


async def order_cleanup(conn: Conn, order: CleanupOrder, now: float) -> None:
    """Write ``order``'s deletes; call inside the transaction that changes the face."""
    await conn.executemany(
        "INSERT INTO provider_cleanups (face_id, provider, target, group_id, asset_id, "
        "record_id, tell_chat_id, requested_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                order.face_id,
                order.provider,
                item.target,
                item.group_id,
                item.asset_id,
                item.record_id,
                order.tell_chat_id,
                now,
                now,
            )
            for item in order.items
        ],
    )


class CleanupRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, order: CleanupOrder, now: float) -> None:
        """Order deletes on their own (not with a change of the face)."""
        async with self.db.write() as conn:
            await order_cleanup(conn, order, now)

    async def due(self, now: float, limit: int = 50) -> list[Cleanup]:
        rows = await self.db.fetchall(
            "SELECT * FROM provider_cleanups WHERE done_at IS NULL AND next_at <= ? "
            "ORDER BY next_at LIMIT ?",
            (now, limit),
        )
        return [_cleanup(row) for row in rows]

    async def of_face(self, face_id: int) -> list[Cleanup]:
        rows = await self.db.fetchall(
            "SELECT * FROM provider_cleanups WHERE face_id = ? ORDER BY id", (face_id,)
        )
        return [_cleanup(row) for row in rows]

    async def claim(self, cleanup_id: int, now: float, until: float) -> bool:
        """Take a due, owed delete for one attempt (its next try moves to ``until``)."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                "UPDATE provider_cleanups SET next_at = ? "
                "WHERE id = ? AND done_at IS NULL AND next_at <= ?",
                (until, cleanup_id, now),
            )
            return changed > 0

    async def videos_making(self, face_id: int) -> bool:
        """Whether a video of the face may still be in the making at the provider."""
        row = await self.db.fetchone(
            f"SELECT 1 FROM videos v WHERE {uses_face('v', '?')} AND status IN {_MAKING} LIMIT 1",
            (face_id, face_id),
        )
        return row is not None

    async def done(self, cleanup_id: int, now: float) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE provider_cleanups SET done_at = ?, attempts = attempts + 1, "
                "last_error = NULL WHERE id = ?",
                (now, cleanup_id),
            )

    async def later(self, cleanup_id: int, at: float, error: str | None = None) -> None:
        """Try again at ``at``; ``error`` counts a failed attempt, None a wait."""
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE provider_cleanups SET next_at = ?, "
                "attempts = attempts + CASE WHEN CAST(? AS TEXT) IS NULL THEN 0 ELSE 1 END, "
                "last_error = COALESCE(?, last_error) "
                "WHERE id = ?",
                (at, error, error, cleanup_id),
            )

    async def open_for(self, face_id: int) -> int:
        """How many of the face's deletes are still owed."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n FROM provider_cleanups WHERE face_id = ? AND done_at IS NULL",
            (face_id,),
        )
        return int(row["n"]) if row else 0


def _cleanup(row: Any) -> Cleanup:
    return Cleanup(
        id=row["id"],
        face_id=row["face_id"],
        provider=row["provider"],
        item=CleanupItem(
            target=CleanupTarget(row["target"]),
            group_id=row["group_id"],
            asset_id=row["asset_id"],
            record_id=row["record_id"],
        ),
        tell_chat_id=row["tell_chat_id"],
        requested_at=row["requested_at"],
        next_at=row["next_at"],
        attempts=row["attempts"],
        done_at=row["done_at"],
    )
