"""What the bot waits for from a person in a chat: one row per (user, chat)."""

from __future__ import annotations

from storage.database import Database, Row
from storage.models import Awaiting, PendingInput


def _pending(row: Row) -> PendingInput:
    return PendingInput(
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        kind=Awaiting(row["kind"]),
        face_id=row["face_id"],
        name=row["name"],
    )


class PendingRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, user_id: int, chat_id: int) -> PendingInput | None:
        row = await self.db.fetchone(
            "SELECT * FROM pending_inputs WHERE user_id = ? AND chat_id = ?", (user_id, chat_id)
        )
        return _pending(row) if row else None

    async def put(self, pending: PendingInput, now: float) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                """
                INSERT INTO pending_inputs (user_id, chat_id, kind, face_id, name, updated_at,
                    seq)
                VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM pending_inputs))
                ON CONFLICT (user_id, chat_id) DO UPDATE SET
                    kind = excluded.kind, face_id = excluded.face_id, name = excluded.name,
                    updated_at = excluded.updated_at, seq = excluded.seq
                """,
                (
                    pending.user_id,
                    pending.chat_id,
                    pending.kind.value,
                    pending.face_id,
                    pending.name,
                    now,
                ),
            )

    async def latest_in_chat(self, chat_id: int, kind: Awaiting) -> PendingInput | None:
        """The newest open question of ``kind`` in the chat, whoever it was asked of."""
        row = await self.db.fetchone(
            """
            SELECT * FROM pending_inputs WHERE chat_id = ? AND kind = ?
            ORDER BY updated_at DESC, seq DESC LIMIT 1
            """,
            (chat_id, kind.value),
        )
        return _pending(row) if row else None

    async def clear(self, user_id: int, chat_id: int, kind: Awaiting | None = None) -> bool:
        """Forget the question (only if it is of ``kind``, when given); whether there was one."""
        sql = "DELETE FROM pending_inputs WHERE user_id = ? AND chat_id = ?"
        params: tuple[object, ...] = (user_id, chat_id)
        if kind is not None:
            sql, params = sql + " AND kind = ?", (*params, kind.value)
        async with self.db.write() as conn:
            changed = await conn.execute(sql, params)
            return changed > 0
