"""The media store: repeatable, expiring, unguessable URLs whose photos, bytes included, live
in the database, so that any worker sharing it serves any URL and a restart keeps them."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.services.media import MediaFull, MediaStore, MediaTotals
from storage.database import Database
from storage.media import MediaRepo
from tests.clock import FakeClock


def token_of(url: str) -> str:
    return url.rsplit("/media/", 1)[1]


def store(db: Database, clock: FakeClock, **caps: int) -> MediaStore:
    return MediaStore(MediaRepo(db), ttl=600, clock=clock, **caps)


@asynccontextmanager
async def worker(database: str, clock: FakeClock, **caps: int) -> AsyncIterator[MediaStore]:
    """Another process's store on the same database (its own connections)."""
    async with Database(database) as db:
        yield store(db, clock, **caps)


async def rows(db: Database) -> list[dict[str, Any]]:
    found = await db.fetchall("SELECT * FROM media ORDER BY expires_at")
    return [dict(zip(row.keys(), tuple(row), strict=True)) for row in found]


async def test_a_url_serves_every_fetch_until_it_expires(db: Database) -> None:
    clock = FakeClock()
    media = store(db, clock)
    media.base_url = "http://bot.example"
    url = await media.publish(b"photo", "image/jpeg", "jpg")
    assert re.fullmatch(r"http://bot\.example/media/[A-Za-z0-9_-]{43}\.jpg", url)
    token = token_of(url)
    for _ in range(5):  # a retry, a HEAD, a check and then a fetch...
        item = await media.get(token)
        assert item is not None and item.content == b"photo"
        assert item.mime_type == "image/jpeg" and item.size == 5
    head = await media.get(token, content=False)  # a HEAD: the facts, not the bytes
    assert head is not None and head.content is None
    assert (head.mime_type, head.size) == ("image/jpeg", 5)
    assert await media.get("A" * 43 + ".jpg") is None
    clock.advance(600)
    assert await media.get(token) is None
    assert await media.sweep() == 1
    assert await rows(db) == []  # expired: gone from the database too


async def test_only_the_hash_of_a_token_is_stored(db: Database) -> None:
    media = store(db, FakeClock())
    token = token_of(await media.publish(b"photo", "image/png", "png", tag="asset-3"))
    (row,) = await rows(db)
    assert row["key"] == hashlib.sha256(token.encode()).hexdigest()
    assert bytes(row["content"]) == b"photo"
    stored = "".join(str(v) for name, v in row.items() if name != "content")
    assert token.split(".")[0] not in stored


async def test_photos_survive_a_restart_and_expired_ones_do_not(
    database: str, db: Database
) -> None:
    clock = FakeClock()
    first = store(db, clock)
    kept = token_of(await first.publish(b"kept", "image/jpeg", "jpg", tag="asset-1"))
    clock.advance(400)
    later = token_of(await first.publish(b"later", "image/jpeg", "jpg"))
    clock.advance(300)  # the first is past its 600 s, the second is not
    await db.close()
    async with worker(database, clock) as restarted:
        assert await restarted.get(kept) is None
        item = await restarted.get(later)
        assert item is not None and item.content == b"later"
        assert await restarted.sweep() == 1
        assert await restarted.totals() == MediaTotals(1, 5)  # the live photo only


async def test_retire_removes_a_settled_uploads_photos(database: str, db: Database) -> None:
    media = store(db, FakeClock())
    a = token_of(await media.publish(b"a", "image/jpeg", "jpg", tag="asset-1"))
    again = token_of(await media.publish(b"a2", "image/jpeg", "jpg", tag="asset-1"))
    b = token_of(await media.publish(b"b", "image/jpeg", "jpg", tag="asset-2"))
    assert await media.retire("asset-1") == 2
    assert await media.get(a) is None and await media.get(again) is None
    assert await media.get(b) is not None
    assert await media.totals() == MediaTotals(1, 1)
    assert await media.retire("asset-1") == 0
    # A restart does not bring retired photos back.
    await db.close()
    async with worker(database, FakeClock()) as restarted:
        assert await restarted.get(a) is None


async def test_full_store_refuses_until_room_is_made(db: Database) -> None:
    clock = FakeClock()
    media = store(db, clock, max_files=2, max_bytes=10)
    await media.publish(b"12345", "image/jpeg", "jpg", tag="t1")
    with pytest.raises(MediaFull):
        await media.publish(b"123456", "image/jpeg", "jpg")  # 11 bytes > 10
    await media.publish(b"12345", "image/jpeg", "jpg")
    with pytest.raises(MediaFull):
        await media.publish(b"1", "image/jpeg", "jpg")  # 3 files > 2
    assert await media.totals() == MediaTotals(2, 10)  # what was refused is not stored
    await media.retire("t1")
    await media.publish(b"1", "image/jpeg", "jpg")
    clock.advance(601)
    for _ in range(10):  # expired photos make room without anyone retiring them
        await media.publish(b"1", "image/jpeg", "jpg")
        clock.advance(601)
    assert await media.totals() == MediaTotals(1, 1)


async def test_the_row_records_expiry_in_wall_clock_time(db: Database) -> None:
    clock = FakeClock(start=1_000_000.0)
    media = store(db, clock)
    await media.publish(b"x", "image/webp", "webp", tag="asset-7")
    (row,) = await rows(db)
    assert {k: v for k, v in row.items() if k not in ("key", "content")} == {
        "expires_at": 1_000_600.0,
        "mime_type": "image/webp",
        "size": 1,
        "tag": "asset-7",
    }


async def test_a_url_one_worker_publishes_another_serves_and_retires(
    database: str, db: Database
) -> None:
    clock = FakeClock()
    one = store(db, clock)
    async with worker(database, clock) as other:
        url = await one.publish(b"photo", "image/jpeg", "jpg", tag="asset-1")
        token = token_of(url)
        for _ in range(3):  # the provider's fetches land on the other worker
            item = await other.get(token)
            assert item is not None and item.content == b"photo"
            assert item.mime_type == "image/jpeg"
        assert await other.totals() == await one.totals() == MediaTotals(1, 5)
        # The upload settles on the other worker: the URL is gone for both.
        assert await other.retire("asset-1") == 1
        assert await one.get(token) is None and await other.get(token) is None
        # What expires is swept by whichever worker sweeps first, and only once.
        late = token_of(await other.publish(b"late", "image/png", "png"))
        assert (await one.get(late)) is not None
        clock.advance(600)
        assert await one.get(late) is None
        assert await other.sweep() == 1 and await one.sweep() == 0
        assert await one.totals() == MediaTotals(0, 0)


async def publish(media: MediaStore, data: bytes, tag: str) -> bool:
    try:
        await media.publish(data, "image/jpeg", "jpg", tag=tag)
    except MediaFull:
        return False
    return True


async def test_workers_publishing_at_once_never_pass_the_limits_together(
    database: str, db: Database
) -> None:
    clock = FakeClock()
    one = store(db, clock, max_files=3)
    async with worker(database, clock, max_files=3) as other:
        stores = [one, other] * 6
        published = await asyncio.gather(*(publish(m, b"x", "race") for m in stores))
        assert published.count(True) == 3  # checked and inserted in one transaction
        assert await other.totals() == MediaTotals(3, 3)
        assert await one.retire("race") == 3
    one = store(db, clock, max_bytes=1000)
    async with worker(database, clock, max_bytes=1000) as other:
        stores = [one, other] * 3
        published = await asyncio.gather(*(publish(m, b"x" * 400, "big") for m in stores))
        assert published.count(True) == 2  # 800 bytes; a third would make 1200
        assert await one.totals() == MediaTotals(2, 800)
