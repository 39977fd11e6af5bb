"""Migrations 12 and 13: a video made before modes keeps the mode its provider's client
sent then (a first frame at Token360 and for one photo at PowerTokens, references elsewhere),
and its face is one of its faces, found by SQL like the faces of newer videos."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.cleanups import CleanupRepo
from storage.database import Database
from storage.migrations import MIGRATIONS
from storage.models import VideoMode
from storage.videos import VideoRepo

BEFORE = [("token360", "[1]"), ("powertokens", "[1]"), ("powertokens", "[1,2]"), ("sunra", "[1]")]


def version_11(path: Path) -> None:
    conn = sqlite3.connect(path)
    for statements in MIGRATIONS[:11]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version=11")
    conn.execute(
        "INSERT INTO faces (id, owner_kind, owner_id, created_by, chat_id, name, provider, "
        "status, created_at, updated_at) VALUES (5, 'user', 7, 7, 7, 'Anna', 'x', 'active', 1, 1)"
    )
    for provider, assets in BEFORE:
        conn.execute(
            "INSERT INTO videos (user_id, chat_id, face_id, asset_ids, provider, prompt, model, "
            "duration, resolution, ratio, audio, status, created_at, updated_at) "
            "VALUES (7, 7, 5, ?, ?, 'hi', 'seedance-2.0', 5, '720p', 'adaptive', 0, 'queued', "
            "1, 1)",
            (assets, provider),
        )
    conn.commit()
    conn.close()


async def test_videos_of_before_keep_their_mode_and_face(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    version_11(path)
    async with Database(path) as db:
        assert await db.user_version() == len(MIGRATIONS)
        videos = VideoRepo(db)
        jobs = [await videos.get(job_id) for job_id in range(1, len(BEFORE) + 1)]
        assert [(j.mode, j.face_ids) for j in jobs if j is not None] == [
            (VideoMode.FIRST_FRAME, (5,)),
            (VideoMode.FIRST_FRAME, (5,)),
            (VideoMode.REFERENCES, (5,)),
            (VideoMode.REFERENCES, (5,)),
        ]
        assert await CleanupRepo(db).videos_making(5)
        rows = await db.fetchall("SELECT video_id FROM video_faces WHERE face_id = 5")
        assert sorted(r["video_id"] for r in rows) == [1, 2, 3, 4]
