"""What several workers must agree on beyond the work items (issue 14): whether a group's
member is an admin (as Telegram last said), and when a group may next be sent a message.
With one worker these live in its memory (bot/telegram/admins.py, PTB's rate limiter); with
several on PostgreSQL they live here, so a demotion one worker hears of holds for all, and
the group's limit is the bot's, not each worker's."""

from __future__ import annotations

from storage.database import Database


class AdminRightsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def known(self, chat_id: int, user_id: int, now: float) -> bool | None:
        """Whether the user is the group's admin, if known and not older than its expiry."""
        row = await self.db.fetchone(
            "SELECT is_admin FROM admin_rights WHERE chat_id = ? AND user_id = ? AND until > ?",
            (chat_id, user_id, now),
        )
        return None if row is None else bool(row[0])

    async def remember(self, chat_id: int, user_id: int, admin: bool, until: float) -> None:
        async with self.db.write_rows() as conn:
            await conn.execute(
                """
                INSERT INTO admin_rights (chat_id, user_id, is_admin, until) VALUES (?, ?, ?, ?)
                ON CONFLICT (chat_id, user_id) DO UPDATE SET
                    is_admin = excluded.is_admin, until = excluded.until
                """,
                (chat_id, user_id, int(admin), until),
            )

    async def forget_chat(self, chat_id: int) -> None:
        async with self.db.write_rows() as conn:
            await conn.execute("DELETE FROM admin_rights WHERE chat_id = ?", (chat_id,))

    async def prune(self, now: float) -> None:
        async with self.db.write_rows() as conn:
            await conn.execute("DELETE FROM admin_rights WHERE until <= ?", (now,))


class PacingRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def next_send(self, chat_id: int, now: float, interval: float) -> float:
        """Book the chat's next send and return its theoretical time (GCRA): the moment the
        chat's allowance is next spent, ``interval`` after the later of the last booking
        and ``now``. The caller may send once that, less its burst, has come."""
        async with self.db.write_rows() as conn:
            row = await conn.fetchone(
                """
                INSERT INTO chat_pacing (chat_id, next_at) VALUES (?1, ?4)
                ON CONFLICT (chat_id) DO UPDATE SET next_at = CASE
                    WHEN chat_pacing.next_at > ?2 THEN chat_pacing.next_at + ?3 ELSE ?4 END
                RETURNING next_at
                """,
                (chat_id, now, interval, now + interval),
            )
        assert row is not None
        return float(row[0])
