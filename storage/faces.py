"""Faces: a Real Face group at a provider, owned by a user or a group chat."""

from __future__ import annotations

from storage.cleanups import order_cleanup
from storage.database import Database, Row, one
from storage.history import record
from storage.models import CleanupOrder, Face, FaceStatus, Owner, OwnerKind


def face_from_row(row: Row) -> Face:
    return Face(
        id=row["id"],
        owner=Owner(OwnerKind(row["owner_kind"]), row["owner_id"]),
        created_by=row["created_by"],
        chat_id=row["chat_id"],
        name=row["name"],
        provider=row["provider"],
        provider_group_id=row["provider_group_id"],
        provider_session_id=row["provider_session_id"],
        status=FaceStatus(row["status"]),
        verifier_user_id=row["verifier_user_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        activated_at=row["activated_at"],
        next_poll_at=row["next_poll_at"],
        poll_count=row["poll_count"],
        outcome_notified=bool(row["outcome_notified"]),
        start_ref=row["start_ref"],
    )


class FaceRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        *,
        owner: Owner,
        created_by: int,
        chat_id: int,
        name: str,
        provider: str,
        provider_group_id: str | None,
        provider_session_id: str | None,
        now: float,
        status: FaceStatus = FaceStatus.PENDING,
        start_ref: str | None = None,
        request_key: str | None = None,
    ) -> Face:
        async with self.db.write() as conn:
            inserted = await one(
                conn,
                """
                INSERT INTO faces (owner_kind, owner_id, created_by, chat_id, name, provider,
                    provider_group_id, provider_session_id, status, created_at, updated_at,
                    next_poll_at, start_ref, request_key, activated_at, outcome_notified)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING id
                """,
                (
                    owner.kind,
                    owner.id,
                    created_by,
                    chat_id,
                    name,
                    provider,
                    provider_group_id,
                    provider_session_id,
                    status,
                    now,
                    now,
                    now if status is FaceStatus.PENDING else None,
                    start_ref,
                    request_key,
                    # Active from the start (no face check): nothing to tell later.
                    now if status is FaceStatus.ACTIVE else None,
                    int(status is FaceStatus.ACTIVE),
                ),
            )
            face_id = int(inserted["id"])
            await record(conn, "face", face_id, status, "created", now)
            return face_from_row(await one(conn, "SELECT * FROM faces WHERE id = ?", (face_id,)))

    async def by_request(self, request_key: str) -> Face | None:
        row = await self.db.fetchone("SELECT * FROM faces WHERE request_key = ?", (request_key,))
        return face_from_row(row) if row else None

    async def begin_start(self, face_id: int, start_ref: str, now: float) -> bool:
        """Record, before asking the provider, that a new start is under way for a face
        still waiting for its check. False if it is not waiting any more."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                "UPDATE faces SET status = ?, start_ref = ?, updated_at = ?, next_poll_at = NULL "
                "WHERE id = ? AND status IN (?, ?, ?)",
                (
                    FaceStatus.CREATING,
                    start_ref,
                    now,
                    face_id,
                    FaceStatus.PENDING,
                    FaceStatus.EXPIRED,
                    FaceStatus.INTERRUPTED,
                ),
            )
            if changed == 0:
                return False
            await record(conn, "face", face_id, FaceStatus.CREATING, start_ref, now)
        return True

    async def started(
        self, face_id: int, group_id: str | None, session_id: str | None, now: float
    ) -> Face | None:
        """The provider answered a start: store its ids the moment they are known and wait
        for the check. None if the face was not being started. Polling starts once its link
        is recorded (a poll before that would find no live link and expire the face)."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                "UPDATE faces SET status = ?, provider_group_id = ?, provider_session_id = ?, "
                "updated_at = ?, next_poll_at = NULL, poll_count = 0 WHERE id = ? AND status = ?",
                (FaceStatus.PENDING, group_id, session_id, now, face_id, FaceStatus.CREATING),
            )
            if changed == 0:
                return None
            await record(conn, "face", face_id, FaceStatus.PENDING, f"group {group_id}", now)
            return face_from_row(await one(conn, "SELECT * FROM faces WHERE id = ?", (face_id,)))

    async def start_failed(
        self, face_id: int, to: FaceStatus, group_id: str | None, detail: str, now: float
    ) -> bool:
        """A start that did not (or may not have) worked: a face never started is deleted,
        one that had a check before is interrupted and keeps its old references unless the
        provider's new group was found (``group_id``)."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                "UPDATE faces SET status = ?, updated_at = ?, outcome_notified = 0, "
                "next_poll_at = NULL, provider_group_id = COALESCE(?, provider_group_id), "
                "provider_session_id = CASE WHEN CAST(? AS TEXT) IS NULL "
                "THEN provider_session_id END, "
                # A face that never started is gone: the same request may try again.
                "request_key = CASE WHEN ? = 'deleted' THEN NULL ELSE request_key END "
                "WHERE id = ? AND status = ?",
                (to, now, group_id, group_id, to, face_id, FaceStatus.CREATING),
            )
            if changed == 0:
                return False
            await record(conn, "face", face_id, to, detail, now)
        return True

    async def creating(self, before: float) -> list[Face]:
        """Faces whose start at the provider a crash cut off (last touched before ``before``)."""
        rows = await self.db.fetchall(
            "SELECT * FROM faces WHERE status = ? AND updated_at < ? ORDER BY id",
            (FaceStatus.CREATING, before),
        )
        return [face_from_row(r) for r in rows]

    async def get(self, face_id: int) -> Face | None:
        row = await self.db.fetchone("SELECT * FROM faces WHERE id = ?", (face_id,))
        return face_from_row(row) if row else None

    async def list_for_owner(self, owner: Owner) -> list[Face]:
        rows = await self.db.fetchall(
            "SELECT * FROM faces WHERE owner_kind = ? AND owner_id = ? AND status != ? "
            "ORDER BY id",
            (owner.kind, owner.id, FaceStatus.DELETED),
        )
        return [face_from_row(r) for r in rows]

    async def due_pending(self, now: float) -> list[Face]:
        rows = await self.db.fetchall(
            "SELECT * FROM faces WHERE status = ? AND next_poll_at IS NOT NULL "
            "AND next_poll_at <= ? ORDER BY next_poll_at",
            (FaceStatus.PENDING, now),
        )
        return [face_from_row(r) for r in rows]

    async def set_callback(self, face_id: int, token: str) -> None:
        """The secret in the URL a verification page (or its provider) calls back on."""
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE faces SET callback_token = ? WHERE id = ?", (token, face_id)
            )

    async def pending_by_callback(self, token: str) -> Face | None:
        row = await self.db.fetchone(
            "SELECT * FROM faces WHERE callback_token = ? AND status IN (?, ?, ?)",
            (token, FaceStatus.CREATING, FaceStatus.PENDING, FaceStatus.EXPIRED),
        )
        return face_from_row(row) if row else None

    async def pending_by_session(self, provider: str, session_id: str) -> Face | None:
        row = await self.db.fetchone(
            "SELECT * FROM faces WHERE provider = ? AND provider_session_id = ? "
            "AND status IN (?, ?)",
            (provider, session_id, FaceStatus.PENDING, FaceStatus.EXPIRED),
        )
        return face_from_row(row) if row else None

    async def create_active(
        self,
        *,
        owner: Owner,
        created_by: int,
        chat_id: int,
        name: str,
        provider: str,
        now: float,
        request_key: str | None = None,
    ) -> Face:
        """A face at a provider with no face check (Sunra): usable at once, in one write."""
        return await self.create(
            owner=owner,
            created_by=created_by,
            chat_id=chat_id,
            name=name,
            provider=provider,
            provider_group_id=None,
            provider_session_id=None,
            now=now,
            status=FaceStatus.ACTIVE,
            request_key=request_key,
        )

    async def group_ids(self, provider: str) -> set[str]:
        """Every provider group already bound to a face (deleted ones too)."""
        rows = await self.db.fetchall(
            "SELECT provider_group_id FROM faces WHERE provider = ? "
            "AND provider_group_id IS NOT NULL",
            (provider,),
        )
        return {r["provider_group_id"] for r in rows}

    async def unnotified_outcomes(self) -> list[Face]:
        rows = await self.db.fetchall(
            "SELECT * FROM faces WHERE status IN (?, ?, ?) AND outcome_notified = 0",
            (FaceStatus.ACTIVE, FaceStatus.EXPIRED, FaceStatus.INTERRUPTED),
        )
        return [face_from_row(r) for r in rows]

    async def schedule_poll(self, face_id: int, at: float | None, *, polled: bool) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE faces SET next_poll_at = ?, poll_count = poll_count + ? WHERE id = ?",
                (at, 1 if polled else 0, face_id),
            )

    async def restart_polling(self, face_id: int, at: float) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE faces SET next_poll_at = ?, poll_count = 0 WHERE id = ?", (at, face_id)
            )

    async def set_provider_refs(
        self, face_id: int, group_id: str | None, session_id: str | None, now: float
    ) -> bool:
        """Point a face still waiting for its check at a new group/session. False if it is
        no longer waiting (it passed meanwhile: its refs must not change)."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                "UPDATE faces SET provider_group_id = ?, provider_session_id = ?, updated_at = ? "
                "WHERE id = ? AND status IN (?, ?, ?)",
                (
                    group_id,
                    session_id,
                    now,
                    face_id,
                    FaceStatus.PENDING,
                    FaceStatus.EXPIRED,
                    FaceStatus.INTERRUPTED,
                ),
            )
            if changed == 0:
                return False
            await record(conn, "face", face_id, FaceStatus.PENDING, f"group {group_id}", now)
        return True

    async def transition(
        self,
        face_id: int,
        to: FaceStatus,
        now: float,
        *,
        expect: FaceStatus | None = None,
        group_id: str | None = None,
        detail: str | None = None,
        cleanup: CleanupOrder | None = None,
    ) -> bool:
        """Move a face to ``to``; with ``expect``, only from that status. True if it moved.
        ``cleanup``: deletes owed at the provider, written with the move."""
        async with self.db.write() as conn:
            sql = (
                "UPDATE faces SET status = ?, updated_at = ?, outcome_notified = 0, "
                "next_poll_at = NULL, "
                "activated_at = CASE WHEN ? = 'active' THEN ? ELSE activated_at END, "
                "provider_group_id = COALESCE(?, provider_group_id) WHERE id = ?"
            )
            params: list[object] = [to, now, to, now, group_id, face_id]
            if expect is not None:
                sql += " AND status = ?"
                params.append(expect)
            changed = await conn.execute(sql, params)
            moved = changed > 0
            if moved:
                await record(conn, "face", face_id, to, detail, now)
                if cleanup is not None:
                    await order_cleanup(conn, cleanup, now)
        return moved

    async def mark_notified(self, face_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute("UPDATE faces SET outcome_notified = 1 WHERE id = ?", (face_id,))

    async def set_verifier(self, face_id: int, user_id: int | None) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE faces SET verifier_user_id = ? WHERE id = ?", (user_id, face_id)
            )

    async def rename(self, face_id: int, name: str, now: float) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE faces SET name = ?, updated_at = ? WHERE id = ?", (name, now, face_id)
            )
