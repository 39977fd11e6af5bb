"""Updates from Telegram, kept from the moment they arrive until they are handled.

Telegram forgets an update once the next getUpdates confirms it (or once a webhook call is
answered), and that happens while the update may still be in a handler: a kill -9 then
lost the request. Each update is written here before it is confirmed, and marked done when
its handling ends; the next start replays what a crash cut off. Done rows are kept for a
day because Telegram sends again what was handled but not yet confirmed when the process
died, and those must be recognised and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database

KEEP_DONE_SECONDS = 24 * 3600.0  # Telegram keeps unconfirmed updates for 24 hours


@dataclass(frozen=True)
class KeptUpdate:
    update_id: int
    payload: str  # the update's JSON as Telegram sent it
    attempts: int  # how many runs have started handling it


class InboxRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def keep(self, update_id: int, payload: str, now: float) -> bool:
        """Write an update before Telegram is told it arrived. False if it is known already
        (handled, or waiting to be handled by a replay)."""
        async with self.db.write() as conn:
            cur = await conn.execute(
                "INSERT OR IGNORE INTO inbox (update_id, payload, received_at, attempts) "
                "VALUES (?, ?, ?, 1)",
                (update_id, payload, now),
            )
            return cur.rowcount > 0

    async def done(self, update_id: int, now: float) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE inbox SET done_at = ? WHERE update_id = ? AND done_at IS NULL",
                (now, update_id),
            )

    async def unfinished(self, now: float) -> list[KeptUpdate]:
        """What earlier runs received and did not finish, oldest first, each counted as one
        more attempt (an update that kills the bot every time must not loop forever); done
        rows past their day are dropped."""
        async with self.db.write() as conn:
            await conn.execute(
                "DELETE FROM inbox WHERE done_at IS NOT NULL AND done_at < ?",
                (now - KEEP_DONE_SECONDS,),
            )
            await conn.execute("UPDATE inbox SET attempts = attempts + 1 WHERE done_at IS NULL")
            rows = await conn.execute_fetchall(
                "SELECT update_id, payload, attempts FROM inbox WHERE done_at IS NULL "
                "ORDER BY update_id"
            )
        return [KeptUpdate(r["update_id"], r["payload"], r["attempts"]) for r in rows]
