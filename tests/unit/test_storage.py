import asyncio
import contextlib
import sqlite3
from pathlib import Path

from storage.assets import AssetRepo, IncomingFile
from storage.database import Database
from storage.faces import FaceRepo
from storage.history import changes
from storage.migrations import MIGRATIONS
from storage.models import AssetState, FaceStatus, Owner, OwnerKind


async def test_migrations_apply_once_and_set_wal(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with Database(path) as db:
        assert await db.user_version() == len(MIGRATIONS)
    async with Database(path) as db:  # reopening applies nothing twice
        assert await db.user_version() == len(MIGRATIONS)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {
        "users",
        "faces",
        "verification_links",
        "invites",
        "assets",
        "status_history",
    } <= tables


async def test_concurrent_writers_do_not_interleave(tmp_path: Path) -> None:
    async with Database(tmp_path / "db.sqlite3") as db:
        faces = FaceRepo(db)
        owner = Owner(OwnerKind.USER, 1)

        async def create(i: int) -> None:
            await faces.create(
                owner=owner,
                created_by=1,
                chat_id=1,
                name=f"f{i}",
                provider="token360",
                provider_group_id=f"g{i}",
                provider_session_id=None,
                now=float(i),
            )

        await asyncio.gather(*(create(i) for i in range(50)))
        listed = await faces.list_for_owner(owner)
        assert sorted(f.name for f in listed) == sorted(f"f{i}" for i in range(50))


async def test_transitions_are_guarded_and_recorded(tmp_path: Path) -> None:
    async with Database(tmp_path / "db.sqlite3") as db:
        faces, assets = FaceRepo(db), AssetRepo(db)
        face = await faces.create(
            owner=Owner(OwnerKind.USER, 1),
            created_by=1,
            chat_id=1,
            name="Anna",
            provider="token360",
            provider_group_id="g",
            provider_session_id=None,
            now=1.0,
        )
        assert await faces.transition(face.id, FaceStatus.ACTIVE, 2.0, expect=FaceStatus.PENDING)
        # A second, racing activation does nothing.
        assert not await faces.transition(
            face.id, FaceStatus.ACTIVE, 3.0, expect=FaceStatus.PENDING
        )
        file = IncomingFile("fid", "uid", None, "image/jpeg", 10, 600, 800)
        batch, asset, new = await assets.add_to_batch(
            chat_id=1,
            user_id=1,
            face_id=face.id,
            media_group_id="album",
            file=file,
            name_prefix="realface-1",
            now=4.0,
        )
        _, second, new2 = await assets.add_to_batch(
            chat_id=1,
            user_id=1,
            face_id=face.id,
            media_group_id="album",
            file=file,
            name_prefix="realface-1",
            now=4.0,
        )
        assert new and not new2 and second.batch_id == batch.id
        assert asset.name == f"realface-1-{asset.id}"
        assert await assets.transition(
            asset.id, AssetState.UPLOADING, 5.0, expect=[AssetState.RECEIVED]
        )
        assert not await assets.transition(
            asset.id, AssetState.UPLOADING, 5.0, expect=[AssetState.RECEIVED]
        )
        assert await assets.transition(
            asset.id,
            AssetState.PROCESSING,
            6.0,
            expect=[AssetState.UPLOADING],
            provider_asset_id="ta_1",
        )
        assert [c.status for c in await changes(db, "asset", asset.id)] == [
            "received",
            "uploading",
            "processing",
        ]
        assert [c.status for c in await changes(db, "face", face.id)] == ["pending", "active"]


async def test_a_write_cancelled_at_any_step_does_not_block_the_next(tmp_path: Path) -> None:
    """SIGTERM cancels a coroutine mid-write; BEGIN or COMMIT may still run on the thread."""
    async with Database(tmp_path / "db.sqlite3") as db:

        async def write(i: int) -> None:
            async with db.write() as conn:
                await conn.execute(
                    "INSERT INTO inbox (update_id, payload, received_at) VALUES (?, '{}', 0)", (i,)
                )

        for steps in range(12):
            task = asyncio.create_task(write(1000 + steps))
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await write(steps)  # must not fail with "within a transaction"
        rows = await db.fetchall("SELECT update_id FROM inbox WHERE update_id < 1000")
        assert sorted(r["update_id"] for r in rows) == list(range(12))


async def test_faces_verified_through_an_invite_before_consents_get_their_record(
    tmp_path: Path,
) -> None:
    """Migration 10 puts on record the consent of whoever passed through an invite before
    consents were recorded, so that the face is theirs to withdraw."""
    path = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(path)
    for statements in MIGRATIONS[:9]:
        for sql in statements:
            conn.execute(sql)
    conn.execute("PRAGMA user_version=9")
    face = (
        "INSERT INTO faces (id, owner_kind, owner_id, created_by, chat_id, name, provider, "
        "status, verifier_user_id, created_at, updated_at, activated_at) "
        "VALUES (?, 'user', 1, 1, 1, ?, 'token360', ?, ?, 10, 10, ?)"
    )
    conn.execute(face, (1, "by invite", "active", 2, 50.0))
    conn.execute(face, (2, "direct link", "active", None, 60.0))
    conn.execute(face, (3, "never passed", "expired", 2, None))
    conn.execute(face, (4, "ready, but the owner passed", "active", 2, 70.0))
    link = (
        "INSERT INTO verification_links (face_id, url, issued_at, expires_at, issued_to, state) "
        "VALUES (?, 'https://h5', ?, ?, ?, 'done')"
    )
    conn.execute(link, (1, 25.0, 145.0, 1))  # the owner's first link, then the invitee's
    conn.execute(link, (1, 31.0, 151.0, 2))
    conn.execute(link, (4, 35.0, 155.0, 2))  # the invitee's, then the owner's, which passed
    conn.execute(link, (4, 40.0, 160.0, 1))
    invite = (
        "INSERT INTO invites (token, face_id, created_by, created_at, expires_at, claimed_by, "
        "claimed_at) VALUES (?, ?, 1, 10, 99, ?, ?)"
    )
    conn.execute(invite, ("old", 1, 2, 20.0))
    conn.execute(invite, ("new", 1, 2, 30.0))
    conn.execute(invite, ("unused", 2, None, None))
    conn.execute(invite, ("t3", 3, 2, 40.0))
    conn.execute(invite, ("t4", 4, 2, 33.0))
    conn.commit()
    conn.close()
    async with Database(path) as db:
        assert await db.user_version() == len(MIGRATIONS)
        rows = await db.fetchall(
            "SELECT face_id, person_id, invite_token, consented_at, passed_at FROM consents"
        )
    assert [tuple(r) for r in rows] == [(1, 2, "new", 30.0, 50.0)]
