"""Group chats: their rules for generating, allowed members, upload prompts; and moving all
of a group's rows when Telegram upgrades it to a supergroup."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.database import Database, one


def _move(table: str, other_key: str | None = None) -> str:
    """SQL moving ``table``'s rows from one chat id (the second ``?``) to another (the
    first), but for rows whose key the new id already has."""
    clash = f" AND t2.{other_key} = {table}.{other_key}" if other_key else ""
    return (
        f"UPDATE {table} SET chat_id = ?1 WHERE chat_id = ?2 AND NOT EXISTS "
        f"(SELECT 1 FROM {table} t2 WHERE t2.chat_id = ?1{clash})"
    )


class Access(StrEnum):
    EVERYONE = "everyone"
    ADMINS = "admins"
    LISTED = "listed"


@dataclass(frozen=True)
class ChatRules:
    chat_id: int
    provider: str | None = None
    access: Access = Access.EVERYONE
    daily_quota: int | None = None


@dataclass(frozen=True)
class AllowedMember:
    user_id: int
    name: str


class ChatRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def rules(self, chat_id: int) -> ChatRules:
        row = await self.db.fetchone("SELECT * FROM chat_settings WHERE chat_id = ?", (chat_id,))
        if row is None:
            return ChatRules(chat_id)
        return ChatRules(chat_id, row["provider"], Access(row["access"]), row["daily_quota"])

    async def save_rules(self, rules: ChatRules, now: float) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                """
                INSERT INTO chat_settings (chat_id, provider, access, daily_quota, updated_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (chat_id) DO UPDATE SET provider = excluded.provider,
                    access = excluded.access, daily_quota = excluded.daily_quota,
                    updated_at = excluded.updated_at
                """,
                (rules.chat_id, rules.provider, rules.access, rules.daily_quota, now),
            )

    async def allowed(self, chat_id: int) -> list[AllowedMember]:
        rows = await self.db.fetchall(
            "SELECT user_id, name FROM chat_allowed WHERE chat_id = ? ORDER BY name", (chat_id,)
        )
        return [AllowedMember(r["user_id"], r["name"]) for r in rows]

    async def is_allowed(self, chat_id: int, user_id: int) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM chat_allowed WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
        )
        return row is not None

    async def allow(self, chat_id: int, user_id: int, name: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO chat_allowed (chat_id, user_id, name) VALUES (?, ?, ?) "
                "ON CONFLICT (chat_id, user_id) DO UPDATE SET name = excluded.name",
                (chat_id, user_id, name),
            )

    async def disallow(self, chat_id: int, user_id: int) -> bool:
        async with self.db.write() as conn:
            changed = await conn.execute(
                "DELETE FROM chat_allowed WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
            )
            return changed > 0

    async def add_upload_prompt(
        self, chat_id: int, message_id: int, face_id: int, now: float
    ) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO upload_prompts (chat_id, message_id, face_id, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, message_id) DO UPDATE SET"
                " face_id = excluded.face_id, created_at = excluded.created_at",
                (chat_id, message_id, face_id, now),
            )

    async def upload_prompt_face(self, chat_id: int, message_id: int) -> int | None:
        row = await self.db.fetchone(
            "SELECT face_id FROM upload_prompts WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return int(row["face_id"]) if row else None

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup (a new chat id): its faces, jobs and rules move."""
        async with self.db.write() as conn:
            for sql in (
                "UPDATE faces SET owner_id = ? WHERE owner_kind = 'chat' AND owner_id = ?",
                "UPDATE faces SET chat_id = ? WHERE chat_id = ?",
                "UPDATE videos SET chat_id = ? WHERE chat_id = ?",
                "UPDATE upload_batches SET chat_id = ? WHERE chat_id = ?",
                "UPDATE verification_links SET chat_id = ? WHERE chat_id = ?",
                "UPDATE video_settings SET owner_id = ? WHERE owner_kind = 'chat' "
                "AND owner_id = ?",
                # Rows the new id already has stay as they are (the old ones stay behind):
                # the same as SQLite's UPDATE OR IGNORE, in SQL PostgreSQL takes too.
                _move("chat_settings"),
                _move("chat_allowed", "user_id"),
                _move("upload_prompts", "message_id"),
                _move("pending_inputs", "user_id"),
            ):
                await conn.execute(sql, (new_chat_id, old_chat_id))


class InlineOfferRepo:
    """The prompt behind an inline query's results, so a chosen result can become a job."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, user_id: int, prompt: str, now: float) -> int:
        """The offer for this prompt: the same user typing the same prompt again reuses it
        (a query comes per keystroke, and clients repeat them)."""
        async with self.db.write() as conn:
            rows = list(
                await conn.fetchall(
                    "SELECT id FROM inline_offers WHERE user_id = ? AND prompt = ? "
                    "ORDER BY id DESC LIMIT 1",
                    (user_id, prompt),
                )
            )
            if rows:
                offer_id = int(rows[0]["id"])
                await conn.execute(
                    "UPDATE inline_offers SET created_at = ? WHERE id = ?", (now, offer_id)
                )
                return offer_id
            inserted = await one(
                conn,
                "INSERT INTO inline_offers (user_id, prompt, created_at) VALUES (?, ?, ?)"
                " RETURNING id",
                (user_id, prompt, now),
            )
            return int(inserted["id"])

    async def prune(self, before: float) -> int:
        """Forget offers last shown before ``before``; how many. A placeholder posted from
        one keeps working: its draft is found by the placeholder, not by the offer."""
        async with self.db.write() as conn:
            return await conn.execute("DELETE FROM inline_offers WHERE created_at < ?", (before,))

    async def get(self, offer_id: int) -> tuple[int, str] | None:
        row = await self.db.fetchone(
            "SELECT user_id, prompt FROM inline_offers WHERE id = ?", (offer_id,)
        )
        return (int(row["user_id"]), str(row["prompt"])) if row else None
