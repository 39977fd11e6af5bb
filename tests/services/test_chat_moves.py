"""A group that becomes a supergroup: its rows move to the new id, but for those the new id
already has (a member allowed in both keeps the new row; nothing fails)."""

from __future__ import annotations

from storage.chats import ChatRepo
from storage.database import Database

OLD, NEW = -100, -1000000000100


async def test_rows_move_unless_the_new_id_has_them(db: Database) -> None:
    chats = ChatRepo(db)
    await chats.allow(OLD, 1, "Ann (old)")
    await chats.allow(OLD, 2, "Bo")
    await chats.allow(NEW, 1, "Ann (new)")
    await chats.migrate(OLD, NEW)
    assert [(m.user_id, m.name) for m in await chats.allowed(NEW)] == [
        (1, "Ann (new)"),
        (2, "Bo"),
    ]
    assert [(m.user_id, m.name) for m in await chats.allowed(OLD)] == [(1, "Ann (old)")]
