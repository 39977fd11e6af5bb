"""Users: who talks to the bot, and their current face."""

from __future__ import annotations

from collections import OrderedDict

from storage.database import Connection, Database, Row
from storage.models import User

# Who a person is, as last stored: (first_name, username, language_code).
Seen = tuple[str, str | None, str | None]


def _user(row: Row) -> User:
    return User(
        id=row["id"],
        first_name=row["first_name"],
        username=row["username"],
        language_code=row["language_code"],
        current_face_id=row["current_face_id"],
    )


class UserRepo:
    def __init__(self, db: Database, known: int = 10_000) -> None:
        self.db = db
        # What was last stored for the ``known`` people seen most recently. Only this repo
        # writes these columns, and it updates an entry once its write has committed.
        self._known = known
        self._stored: OrderedDict[int, Seen] = OrderedDict()

    async def remember(
        self,
        user_id: int,
        first_name: str,
        username: str | None,
        language_code: str | None,
        now: float,
    ) -> bool:
        """Store who talks to the bot, if they are new or their name, username or language
        changed: True if it wrote. A known person unchanged costs no write transaction (an
        update comes per keystroke of an inline query): answered from memory, else from one
        read of their row."""
        seen: Seen = (first_name, username, language_code)
        if self._stored.get(user_id) == seen:
            self._stored.move_to_end(user_id)
            return False
        row = await self.db.fetchone(
            "SELECT first_name, username, language_code FROM users WHERE id = ?", (user_id,)
        )
        if row is not None and (row[0], row[1], row[2]) == seen:
            if user_id not in self._stored:  # a write meanwhile put a newer entry there
                self._keep(user_id, seen)
            return False
        async with self.db.write() as conn:
            await self._upsert(conn, user_id, seen, now)
        # Only once committed (a failed write must be tried again), and before any other
        # write can run (nothing awaits in between), so entries follow the order of writes.
        self._keep(user_id, seen)
        return True

    def forget(self, user_id: int) -> None:
        """Their row was deleted (/forgetme): the next update stores them again."""
        self._stored.pop(user_id, None)

    def _keep(self, user_id: int, seen: Seen) -> None:
        self._stored[user_id] = seen
        self._stored.move_to_end(user_id)
        while len(self._stored) > self._known:
            self._stored.popitem(last=False)

    @staticmethod
    async def _upsert(conn: Connection, user_id: int, seen: Seen, now: float) -> None:
        await conn.execute(
            """
            INSERT INTO users (id, first_name, username, language_code, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                first_name = excluded.first_name, username = excluded.username,
                language_code = excluded.language_code, updated_at = excluded.updated_at
            WHERE users.first_name IS DISTINCT FROM excluded.first_name
               OR users.username IS DISTINCT FROM excluded.username
               OR users.language_code IS DISTINCT FROM excluded.language_code
            """,
            (user_id, *seen, now, now),
        )

    async def get(self, user_id: int) -> User | None:
        row = await self.db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

    async def set_current_face(self, user_id: int, face_id: int | None, now: float) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE users SET current_face_id = ?, updated_at = ? WHERE id = ?",
                (face_id, now, user_id),
            )
