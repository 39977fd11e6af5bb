"""The media store: repeatable, expiring, unguessable URLs whose bytes live on disk."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from bot.services.media import MediaFull, MediaStore
from tests.clock import FakeClock


def token_of(url: str) -> str:
    return url.rsplit("/media/", 1)[1]


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def texts(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.iterdir())


def store(folder: Path, clock: FakeClock, **caps: int) -> MediaStore:
    media = MediaStore(folder, ttl=600, clock=clock, **caps)
    media.open()
    return media


async def test_a_url_serves_every_fetch_until_it_expires(tmp_path: Path) -> None:
    clock = FakeClock()
    media = store(tmp_path / "media", clock)
    media.base_url = "http://bot.example"
    url = await media.publish(b"photo", "image/jpeg", "jpg")
    assert re.fullmatch(r"http://bot\.example/media/[A-Za-z0-9_-]{43}\.jpg", url)
    token = token_of(url)
    for _ in range(5):  # a retry, a HEAD, a check and then a fetch...
        item = media.get(token)
        assert item is not None and item.path.read_bytes() == b"photo"
        assert item.mime_type == "image/jpeg"
    assert media.get("A" * 43 + ".jpg") is None
    clock.advance(600)
    assert media.get(token) is None
    assert names(tmp_path / "media") == []  # expired: gone from disk too


async def test_only_the_hash_of_a_token_is_on_disk(tmp_path: Path) -> None:
    media = store(tmp_path, FakeClock())
    token = token_of(await media.publish(b"photo", "image/png", "png"))
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert names(tmp_path) == [digest, f"{digest}.json"]
    assert token.split(".")[0] not in texts(tmp_path)


async def test_photos_survive_a_restart_and_expired_ones_do_not(tmp_path: Path) -> None:
    clock = FakeClock()
    first = store(tmp_path, clock)
    kept = token_of(await first.publish(b"kept", "image/jpeg", "jpg", tag="asset-1"))
    clock.advance(400)
    later = token_of(await first.publish(b"later", "image/jpeg", "jpg"))
    clock.advance(300)  # the first is past its 600 s, the second is not
    # A crash left half-written files and bytes without metadata.
    (tmp_path / "abc.partial").write_bytes(b"x")
    (tmp_path / ("0" * 64)).write_bytes(b"orphan")
    (tmp_path / ("1" * 64 + ".json")).write_text("{not json")
    restarted = store(tmp_path, clock)
    assert restarted.get(kept) is None
    item = restarted.get(later)
    assert item is not None and item.path.read_bytes() == b"later"
    assert len(restarted) == 1
    assert len(names(tmp_path)) == 2  # the live photo and its metadata only


async def test_retire_removes_a_settled_uploads_photos(tmp_path: Path) -> None:
    media = store(tmp_path, FakeClock())
    a = token_of(await media.publish(b"a", "image/jpeg", "jpg", tag="asset-1"))
    again = token_of(await media.publish(b"a2", "image/jpeg", "jpg", tag="asset-1"))
    b = token_of(await media.publish(b"b", "image/jpeg", "jpg", tag="asset-2"))
    assert media.retire("asset-1") == 2
    assert media.get(a) is None and media.get(again) is None
    assert media.get(b) is not None
    assert len(names(tmp_path)) == 2
    # A restart does not bring retired photos back.
    assert store(tmp_path, FakeClock()).get(a) is None


async def test_full_store_refuses_until_room_is_made(tmp_path: Path) -> None:
    clock = FakeClock()
    media = store(tmp_path, clock, max_files=2, max_bytes=10)
    await media.publish(b"12345", "image/jpeg", "jpg", tag="t1")
    with pytest.raises(MediaFull):
        await media.publish(b"123456", "image/jpeg", "jpg")  # 11 bytes > 10
    await media.publish(b"12345", "image/jpeg", "jpg")
    with pytest.raises(MediaFull):
        await media.publish(b"1", "image/jpeg", "jpg")  # 3 files > 2
    media.retire("t1")
    await media.publish(b"1", "image/jpeg", "jpg")
    clock.advance(601)
    for _ in range(10):  # expired photos make room without anyone retiring them
        await media.publish(b"1", "image/jpeg", "jpg")
        clock.advance(601)
    assert len(media) == 1 and media.used_bytes == 1


async def test_metadata_records_expiry_in_wall_clock_time(tmp_path: Path) -> None:
    clock = FakeClock(start=1_000_000.0)
    media = store(tmp_path, clock)
    await media.publish(b"x", "image/webp", "webp", tag="asset-7")
    (meta_name,) = [n for n in names(tmp_path) if n.endswith(".json")]
    assert json.loads((tmp_path / meta_name).read_bytes()) == {
        "expires_at": 1_000_600.0,
        "mime_type": "image/webp",
        "size": 1,
        "tag": "asset-7",
    }
