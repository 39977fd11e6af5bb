"""Languages chosen with /language: a person's own (over their Telegram app's), a group's."""

from __future__ import annotations

from storage.database import Database


class LanguageRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def of_user(self, user_id: int) -> tuple[str | None, str | None]:
        """(their /language choice, their Telegram app's language as last seen)."""
        row = await self.db.fetchone(
            "SELECT language, language_code FROM users WHERE id = ?", (user_id,)
        )
        return (row["language"], row["language_code"]) if row else (None, None)

    async def set_user(self, user_id: int, language: str | None, now: float) -> None:
        """Their choice (None: follow Telegram's); their row exists (they are talking)."""
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE users SET language = ?, updated_at = ? WHERE id = ?",
                (language, now, user_id),
            )

    async def of_chat(self, chat_id: int) -> str | None:
        row = await self.db.fetchone(
            "SELECT language FROM chat_settings WHERE chat_id = ?", (chat_id,)
        )
        return row["language"] if row else None

    async def set_chat(
        self, chat_id: int, language: str, now: float, *, unless_set: bool = False
    ) -> bool:
        """The group's language; ``unless_set``: only where none was chosen yet. True if it
        was written."""
        keep = " WHERE chat_settings.language IS NULL" if unless_set else ""
        async with self.db.write() as conn:
            changed = await conn.execute(
                "INSERT INTO chat_settings (chat_id, language, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (chat_id) DO UPDATE SET language = excluded.language, "
                f"updated_at = excluded.updated_at{keep}",
                (chat_id, language, now),
            )
            return changed > 0
