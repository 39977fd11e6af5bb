"""Users: who talks to the bot, and their current face."""

from __future__ import annotations

from storage.database import Database, Row, one
from storage.models import User


def _user(row: Row) -> User:
    return User(
        id=row["id"],
        first_name=row["first_name"],
        username=row["username"],
        language_code=row["language_code"],
        current_face_id=row["current_face_id"],
    )


class UserRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def upsert(
        self,
        user_id: int,
        first_name: str,
        username: str | None,
        language_code: str | None,
        now: float,
    ) -> User:
        async with self.db.write() as conn:
            await conn.execute(
                """
                INSERT INTO users (id, first_name, username, language_code, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    first_name = excluded.first_name, username = excluded.username,
                    language_code = excluded.language_code, updated_at = excluded.updated_at
                WHERE first_name IS NOT excluded.first_name
                   OR username IS NOT excluded.username
                   OR language_code IS NOT excluded.language_code
                """,
                (user_id, first_name, username, language_code, now, now),
            )
            return _user(await one(conn, "SELECT * FROM users WHERE id = ?", (user_id,)))

    async def get(self, user_id: int) -> User | None:
        row = await self.db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

    async def set_current_face(self, user_id: int, face_id: int | None, now: float) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE users SET current_face_id = ?, updated_at = ? WHERE id = ?",
                (face_id, now, user_id),
            )
