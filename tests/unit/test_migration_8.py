"""Migration 8: a draft an anonymous admin made before the ``anonymous`` flag existed is
still the group's admins' to confirm after the upgrade; nothing else is flagged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.database import Database
from storage.migrations import MIGRATIONS
from storage.videos import VideoRepo

GROUP_ANONYMOUS_BOT = 1087968824  # the id Telegram sent anonymous admins' messages under


def version_7(path: Path) -> None:
    conn = sqlite3.connect(path)
    for statements in MIGRATIONS[:7]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version=7")
    for user_id, status in [(GROUP_ANONYMOUS_BOT, "draft"), (7, "draft"), (8, "failed")]:
        conn.execute(
            "INSERT INTO videos (user_id, chat_id, prompt, model, duration, resolution, ratio, "
            "audio, status, created_at, updated_at) "
            "VALUES (?, -100, 'hi', 'seedance-2.0', 5, '720p', 'adaptive', 0, ?, 1, 1)",
            (user_id, status),
        )
    conn.commit()
    conn.close()


async def test_anonymous_drafts_of_before_keep_belonging_to_the_groups_admins(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite3"
    version_7(path)
    async with Database(path) as db:
        assert await db.user_version() == len(MIGRATIONS)
        videos = VideoRepo(db)
        jobs = [await videos.get(job_id) for job_id in (1, 2, 3)]
    assert [(j.anonymous, j.failure) for j in jobs if j is not None] == [
        (True, None),
        (False, None),
        (False, None),
    ]
