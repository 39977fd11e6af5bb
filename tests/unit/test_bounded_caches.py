"""What the bot keeps in memory or on disk per user, chat or group stays bounded."""

from __future__ import annotations

import asyncio
import gc
import os
import time
from pathlib import Path
from typing import Any

from telegram import ChatMemberMember, ChatMemberOwner, Update, User

from bot.providers.powertokens.matching import note_listing
from bot.services.bounded import KeyedLocks, RecentTimes
from bot.services.leftovers import remove_file_media, remove_leftover_tempdirs
from bot.telegram.admins import AdminCache
from tests.clock import FakeClock


class MembersBot:
    """The one Bot API call AdminCache makes, answered with real PTB objects."""

    def __init__(self, owners: set[int]) -> None:
        self.owners = owners
        self.calls = 0

    async def get_chat_member(self, chat_id: int, user_id: int) -> Any:
        self.calls += 1
        user = User(user_id, f"u{user_id}", False)
        return ChatMemberOwner(user, False) if user_id in self.owners else ChatMemberMember(user)


def member_update(update_id: int, chat_id: int, user_id: int) -> Update:
    user = {"id": user_id, "is_bot": False, "first_name": f"u{user_id}"}
    data = {
        "update_id": update_id,
        "chat_member": {
            "chat": {"id": chat_id, "type": "supergroup", "title": "g"},
            "from": user,
            "date": 0,
            "old_chat_member": {"status": "left", "user": user},
            "new_chat_member": {"status": "member", "user": user},
        },
    }
    update = Update.de_json(data, None)
    assert update is not None
    return update


async def test_admin_cache_keeps_at_most_its_cap() -> None:
    clock = FakeClock()
    bot = MembersBot(owners={7})
    cache = AdminCache(bot, ttl=60, clock=clock, max_entries=100)  # type: ignore[arg-type]
    for user_id in range(5000):  # a busy group: everyone who ever wrote there
        await cache.is_admin(-100, user_id)
    for i in range(5000):  # and every membership change in it
        await cache.on_chat_member(member_update(i, -200, i))
    assert len(cache) == 100
    # The newest entries are the ones kept, and a cached answer is still used.
    calls = bot.calls
    assert await cache.is_admin(-200, 4999) is False
    assert bot.calls == calls


async def test_admin_cache_drops_expired_entries() -> None:
    clock = FakeClock()
    bot = MembersBot(owners={7})
    cache = AdminCache(bot, ttl=60, clock=clock)  # type: ignore[arg-type]
    for user_id in range(50):
        await cache.is_admin(-100, user_id)
    assert len(cache) == 50
    clock.advance(61)
    assert await cache.is_admin(-100, 7) is True  # asked again: the old answer expired
    assert len(cache) == 1
    assert bot.calls == 51


def test_seen_groups_keep_every_listed_group_and_drop_deleted_ones() -> None:
    seen: dict[str, float] = {}
    note_listing(seen, ["a", "b", "c"], 1.0, complete=True)
    note_listing(seen, ["a", "c", "d"], 2.0, complete=True)
    # b was deleted; a keeps its first sighting (it must never look new again).
    assert seen == {"a": 1.0, "c": 1.0, "d": 2.0}


def test_seen_groups_stay_bounded_when_listings_are_cut_short() -> None:
    seen: dict[str, float] = {}
    for n in range(200):  # groups come and go; each listing shows the latest 50 of them
        listed = [f"g{i}" for i in range(n * 10, n * 10 + 50)]
        note_listing(seen, listed, float(n), complete=False, cap=120)
        assert len(seen) <= 120
        assert all(g in seen for g in listed)  # never forget one still listed
    # A cut-short listing larger than the cap keeps all it lists, and nothing else.
    big = [f"h{i}" for i in range(300)]
    note_listing(seen, big, 999.0, complete=False, cap=120)
    assert set(seen) == set(big)


def make_dir(path: Path, mtime: float) -> None:
    path.mkdir()
    (path / "video-1.mp4").write_bytes(b"x" * 10)
    os.utime(path / "video-1.mp4", (mtime, mtime))
    os.utime(path, (mtime, mtime))


def test_leftover_delivery_folders_are_removed_at_start(tmp_path: Path) -> None:
    started = time.time()
    make_dir(tmp_path / "realface-old1", started - 3600)
    make_dir(tmp_path / "realface-old2", started - 5)
    make_dir(tmp_path / "realface-running", started + 1)  # a live process's delivery
    make_dir(tmp_path / "media", started - 3600)  # not a delivery folder
    (tmp_path / "realface.sqlite3").write_bytes(b"db")
    os.utime(tmp_path / "realface.sqlite3", (started - 3600, started - 3600))
    assert remove_leftover_tempdirs(tmp_path, started) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "media",
        "realface-running",
        "realface.sqlite3",
    ]
    assert remove_leftover_tempdirs(tmp_path / "missing", started) == 0


def test_photos_kept_on_disk_by_a_bot_of_before_are_removed(tmp_path: Path) -> None:
    """They live in the database now; the old folder goes, and nothing else in it."""
    media = tmp_path / "media"
    media.mkdir()
    digest = "ab" * 32
    for name in (digest, f"{digest}.json", f"{digest}.partial", f"{digest}.json.partial"):
        (media / name).write_bytes(b"x")
    assert remove_file_media(tmp_path) == 4
    assert not media.exists()
    media.mkdir()
    (media / digest).write_bytes(b"x")
    (media / "holiday.jpg").write_bytes(b"the operator's")  # not one the bot wrote
    assert remove_file_media(tmp_path) == 1
    assert [p.name for p in media.iterdir()] == ["holiday.jpg"]
    assert remove_file_media(tmp_path / "missing") == 0


async def test_keyed_locks_serialise_per_key_and_forget_idle_keys() -> None:
    locks: KeyedLocks[str] = KeyedLocks()
    order: list[str] = []

    async def work(key: str, tag: str) -> None:
        async with locks[key]:
            order.append(f"{tag} in")
            await asyncio.sleep(0)
            order.append(f"{tag} out")

    await asyncio.gather(work("m1", "a"), work("m1", "b"))
    assert order == ["a in", "a out", "b in", "b out"]  # one at a time for one key
    for i in range(10_000):  # one inline message after another
        async with locks[f"message-{i}"]:
            pass
    gc.collect()
    assert len(locks) == 0


def test_recent_times_forget_what_can_no_longer_hold_anything_back() -> None:
    last: RecentTimes[int] = RecentTimes(horizon=5.0, cap=100)
    for i in range(10_000):  # a chat action per chat, one chat after another
        last[i] = float(i)
        assert len(last) <= 5
    assert last.get(9_999) == 9_999.0 and last.get(1) == 0.0
    crowded: RecentTimes[int] = RecentTimes(horizon=1e9, cap=100)
    for i in range(10_000):
        crowded[i] = float(i)
    assert len(crowded) == 100 and crowded.get(9_999) == 9_999.0
    assert crowded.pop(9_999) == 9_999.0 and crowded.pop(9_999) is None
