"""Status history: every status a face, asset or video passed through, with when and why."""

from __future__ import annotations

from storage.database import Conn, Database
from storage.models import StatusChange


async def record(
    conn: Conn, kind: str, ref_id: int, status: str, detail: str | None, now: float
) -> None:
    """Append one change; call inside the write transaction that made the change."""
    await conn.execute(
        "INSERT INTO status_history (kind, ref_id, status, detail, at) VALUES (?, ?, ?, ?, ?)",
        (kind, ref_id, status, detail, now),
    )


async def changes(db: Database, kind: str, ref_id: int) -> list[StatusChange]:
    rows = await db.fetchall(
        "SELECT kind, ref_id, status, detail, at FROM status_history "
        "WHERE kind = ? AND ref_id = ? ORDER BY id",
        (kind, ref_id),
    )
    return [StatusChange(r["kind"], r["ref_id"], r["status"], r["detail"], r["at"]) for r in rows]
