"""Photos waiting for a URL-only provider's fetch (bot/services/media.py), bytes included:
any worker sharing the database serves any URL, and a restart keeps them.

A photo goes by its ``key``, sha256 of its URL's token: the token itself is stored nowhere,
so reading the table gives nobody a URL. The limits on what the store holds are checked in
the write transaction that inserts (storage/database.py: one writer, across processes on
PostgreSQL too), so two workers publishing at once cannot both pass the check.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database, one


@dataclass(frozen=True)
class StoredMedia:
    mime_type: str
    size: int
    expires_at: float
    tag: str | None
    content: bytes | None  # None when only the facts were asked for (a HEAD)


@dataclass(frozen=True)
class MediaTotals:
    files: int
    size: int  # bytes, all photos together


@dataclass(frozen=True)
class NewMedia:
    key: str
    content: bytes
    mime_type: str
    expires_at: float
    tag: str | None = None


_TOTALS = "SELECT COUNT(*) AS files, COALESCE(SUM(size), 0) AS size FROM media"
_GET = {
    True: "SELECT mime_type, size, expires_at, tag, content FROM media "
    "WHERE key = ? AND expires_at > ?",
    False: "SELECT mime_type, size, expires_at, tag, NULL AS content FROM media "
    "WHERE key = ? AND expires_at > ?",
}


class MediaRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(
        self, photo: NewMedia, now: float, *, max_files: int, max_bytes: int
    ) -> MediaTotals | None:
        """Store ``photo`` if, once what expired by ``now`` is removed, there is room for it
        within ``max_files`` photos and ``max_bytes``: None. Otherwise nothing is stored and
        what the store holds is returned."""
        size = len(photo.content)
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM media WHERE expires_at <= ?", (now,))
            row = await one(conn, _TOTALS)
            held = MediaTotals(int(row["files"]), int(row["size"]))
            if held.files >= max_files or held.size + size > max_bytes:
                return held
            await conn.execute(
                """
                INSERT INTO media (key, tag, mime_type, size, expires_at, content)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                (photo.key, photo.tag, photo.mime_type, size, photo.expires_at, photo.content),
            )
        return None

    async def get(self, key: str, now: float, *, content: bool = True) -> StoredMedia | None:
        """The photo ``key`` names, unless it expired by ``now``; its bytes if ``content``."""
        row = await self.db.fetchone(_GET[content], (key, now))
        if row is None:
            return None
        found = row["content"]
        return StoredMedia(
            str(row["mime_type"]),
            int(row["size"]),
            float(row["expires_at"]),
            row["tag"],
            None if found is None else bytes(found),
        )

    async def retire(self, tag: str) -> int:
        """Remove the photos published under ``tag``; how many went."""
        # Most settled uploads published nothing (the provider took the bytes): no write.
        if await self.db.fetchone("SELECT 1 FROM media WHERE tag = ? LIMIT 1", (tag,)) is None:
            return 0
        async with self.db.write() as conn:
            return await conn.execute("DELETE FROM media WHERE tag = ?", (tag,))

    async def sweep(self, now: float) -> int:
        """Remove every photo expired by ``now``; how many went."""
        # Each worker sweeps every minute: when nothing expired, that costs no write.
        expired = "SELECT 1 FROM media WHERE expires_at <= ? LIMIT 1"
        if await self.db.fetchone(expired, (now,)) is None:
            return 0
        async with self.db.write() as conn:
            return await conn.execute("DELETE FROM media WHERE expires_at <= ?", (now,))

    async def totals(self) -> MediaTotals:
        """What the store holds (expired photos too, until they are swept)."""
        row = await self.db.fetchone(_TOTALS)
        if row is None:  # an aggregate has its row; this is for the type checker
            return MediaTotals(0, 0)
        return MediaTotals(int(row["files"]), int(row["size"]))
