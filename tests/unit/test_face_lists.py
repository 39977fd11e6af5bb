"""The face list queries read through indexes: no table scan of faces or assets, however
many an owner has (EXPLAIN QUERY PLAN of each statement storage/face_lists.py runs)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from storage.database import Database
from storage.face_lists import FaceLists
from storage.models import Owner, OwnerKind


class PlanRecorder:
    """A Database stand-in that answers nothing and keeps each statement's query plan."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)
        self.plans: list[list[str]] = []

    def _plan(self, sql: str, params: Any) -> list[Any]:
        rows = self.conn.execute(f"EXPLAIN QUERY PLAN {sql}", tuple(params)).fetchall()
        self.plans.append([row[3] for row in rows])
        return []

    async def fetchall(self, sql: str, params: Any = ()) -> list[Any]:
        return self._plan(sql, params)

    async def fetchone(self, sql: str, params: Any = ()) -> Any:
        self._plan(sql, params)
        return None


async def test_face_lists_search_indexes_and_never_scan(tmp_path: Path) -> None:
    path = tmp_path / "plans.sqlite3"
    async with Database(path):
        pass  # migrated
    recorder = PlanRecorder(path)
    lists = FaceLists(recorder)  # type: ignore[arg-type]
    owner = Owner(OwnerKind.USER, 1)
    await lists.page(owner, limit=30, skip=30)
    await lists.usable(owner, ["token360", "sunra"], limit=51, skip=50)
    await lists.usable(owner, ["token360"], limit=30, newest_first=True)
    await lists.newest(owner)
    await lists.counts(7)
    await lists.active_photo_ids(7, 30)
    assert len(recorder.plans) == 7  # page: the faces and their total
    for plan in recorder.plans:
        steps = " | ".join(plan)
        assert "SCAN faces" not in steps and "SCAN assets" not in steps, steps
        assert "SCAN f " not in steps + " " and "SCAN a " not in steps + " ", steps
    page, total, usable, newest_usable, newest, counts, ids = recorder.plans
    assert any("faces_owner" in step for step in page + total + usable + newest)
    assert any("assets_face" in step for step in page + usable + counts + ids)
    # The usable faces come in index order: no sort of all of them before the LIMIT.
    assert not any("TEMP B-TREE" in step for step in usable + newest_usable)
    recorder.conn.close()
