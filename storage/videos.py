"""Video jobs and the video settings each user (or group chat) keeps."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from storage.database import Connection, Database, Row, one
from storage.history import record
from storage.models import ACTIVE_JOBS, JobStatus, Owner, VideoJob, VideoMode, VideoSettings


def uses_face(video: str, face: str) -> str:
    """SQL: the video row ``video`` uses the face ``face`` (an SQL expression)."""
    return (
        f"({video}.face_id = {face} OR EXISTS (SELECT 1 FROM video_faces uf "
        f"WHERE uf.video_id = {video}.id AND uf.face_id = {face}))"
    )


# A job any of whose faces is not active (withdrawn or deleted since it was chosen).
_FACE_GONE = (
    "EXISTS (SELECT 1 FROM video_faces vf JOIN faces f ON f.id = vf.face_id "
    "WHERE vf.video_id = videos.id AND f.status != 'active') "
    "OR EXISTS (SELECT 1 FROM faces f WHERE f.id = videos.face_id AND f.status != 'active')"
)


def _job(row: Row) -> VideoJob:
    return VideoJob(
        id=row["id"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        face_id=row["face_id"],
        asset_ids=tuple(json.loads(row["asset_ids"])),
        provider=row["provider"],
        prompt=row["prompt"],
        settings=VideoSettings(
            row["model"], row["duration"], row["resolution"], row["ratio"], bool(row["audio"])
        ),
        status=JobStatus(row["status"]),
        provider_task_id=row["provider_task_id"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        video_url=row["video_url"],
        url_expires_at=row["url_expires_at"],
        size_bytes=row["size_bytes"],
        tg_file_id=row["tg_file_id"],
        message_id=row["message_id"],
        inline_message_id=row["inline_message_id"],
        retry_of=row["retry_of"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        submitted_at=row["submitted_at"],
        finished_at=row["finished_at"],
        next_poll_at=row["next_poll_at"],
        poll_count=row["poll_count"],
        outcome_notified=bool(row["outcome_notified"]),
        picking=tuple(json.loads(row["picking"])),
        anonymous=bool(row["anonymous"]),
        failure=row["failure"],
        mode=VideoMode(row["mode"]),
        face_ids=tuple(json.loads(row["face_ids"])),
        callback_token=row["callback_token"],
    )


async def _set_faces(conn: Connection, job_id: int, face_ids: Sequence[int]) -> None:
    """The job's faces in ``video_faces`` too, in the same transaction: ``face_ids`` keeps
    their order for reading, the table lets SQL find a face's videos (on any backend)."""
    await conn.execute("DELETE FROM video_faces WHERE video_id = ?", (job_id,))
    await conn.executemany(
        "INSERT INTO video_faces (video_id, face_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(job_id, face_id) for face_id in face_ids],
    )


class VideoRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def settings(self, owner: Owner) -> VideoSettings | None:
        row = await self.db.fetchone(
            "SELECT * FROM video_settings WHERE owner_kind = ? AND owner_id = ?",
            (owner.kind, owner.id),
        )
        if row is None:
            return None
        return VideoSettings(
            row["model"], row["duration"], row["resolution"], row["ratio"], bool(row["audio"])
        )

    async def save_settings(self, owner: Owner, s: VideoSettings, now: float) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                """
                INSERT INTO video_settings (owner_kind, owner_id, model, duration, resolution,
                    ratio, audio, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (owner_kind, owner_id) DO UPDATE SET model = excluded.model,
                    duration = excluded.duration, resolution = excluded.resolution,
                    ratio = excluded.ratio, audio = excluded.audio,
                    updated_at = excluded.updated_at
                """,
                (
                    owner.kind,
                    owner.id,
                    s.model,
                    s.duration,
                    s.resolution,
                    s.ratio,
                    int(s.audio),
                    now,
                ),
            )

    async def create_draft(
        self,
        *,
        user_id: int,
        chat_id: int,
        prompt: str,
        settings: VideoSettings,
        now: float,
        face_id: int | None = None,
        asset_ids: Sequence[int] = (),
        face_ids: Sequence[int] = (),
        mode: VideoMode = VideoMode.FIRST_FRAME,
        provider: str | None = None,
        retry_of: int | None = None,
        inline_message_id: str | None = None,
        request_key: str | None = None,
        anonymous: bool = False,
    ) -> VideoJob:
        """A new draft; with ``request_key`` (the update that asked), the draft that update
        already made if it was handled before. ``anonymous``: made by an anonymous group
        admin, so the group's admins may work on it."""
        async with self.db.write() as conn:
            if request_key is not None:
                sql = "SELECT * FROM videos WHERE request_key = ?"
                known = list(await conn.fetchall(sql, (request_key,)))
                if known:
                    return _job(known[0])
            inserted = await one(
                conn,
                """
                INSERT INTO videos (user_id, chat_id, face_id, asset_ids, face_ids, mode,
                    provider, prompt, model, duration, resolution, ratio, audio, status,
                    retry_of, created_at, updated_at, inline_message_id, request_key, anonymous)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING id
                """,
                (
                    user_id,
                    chat_id,
                    face_id,
                    json.dumps(list(asset_ids)),
                    json.dumps(list(face_ids)),
                    mode,
                    provider,
                    prompt,
                    settings.model,
                    settings.duration,
                    settings.resolution,
                    settings.ratio,
                    int(settings.audio),
                    JobStatus.DRAFT,
                    retry_of,
                    now,
                    now,
                    inline_message_id,
                    request_key,
                    int(anonymous),
                ),
            )
            job_id = int(inserted["id"])
            await _set_faces(conn, job_id, face_ids)
            return await self._read(conn, job_id)

    async def get(self, job_id: int) -> VideoJob | None:
        row = await self.db.fetchone("SELECT * FROM videos WHERE id = ?", (job_id,))
        return _job(row) if row else None

    @staticmethod
    async def _read(conn: Connection, job_id: int) -> VideoJob:
        """The job as the caller's own write transaction left it."""
        return _job(await one(conn, "SELECT * FROM videos WHERE id = ?", (job_id,)))

    async def update_draft(self, job_id: int, **fields: Any) -> VideoJob:
        """Change a draft's choices (face, assets and their faces, mode, provider, prompt,
        settings)."""
        columns = {
            "face_id",
            "mode",
            "provider",
            "prompt",
            "model",
            "duration",
            "resolution",
            "ratio",
            "audio",
            "message_id",
        }
        values: dict[str, Any] = {}
        for key, value in fields.items():
            if key == "settings":
                s: VideoSettings = value
                values.update(
                    model=s.model,
                    duration=s.duration,
                    resolution=s.resolution,
                    ratio=s.ratio,
                    audio=int(s.audio),
                )
            elif key in ("asset_ids", "picking", "face_ids"):
                values[key] = json.dumps(list(value))
            elif key in columns:
                values[key] = value
            else:
                raise ValueError(f"not a draft field: {key}")
        sets = ", ".join(f"{k} = ?" for k in values)
        async with self.db.write() as conn:
            changed = await conn.execute(
                f"UPDATE videos SET {sets} WHERE id = ? AND status = ?",
                (*values.values(), job_id, JobStatus.DRAFT),
            )
            if "face_ids" in fields and changed > 0:
                await _set_faces(conn, job_id, fields["face_ids"])
            return await self._read(conn, job_id)

    async def transition(
        self,
        job_id: int,
        to: JobStatus,
        now: float,
        *,
        expect: Sequence[JobStatus],
        detail: str | None = None,
        face_active: bool = False,
        **fields: Any,
    ) -> bool:
        """Move a job from one of ``expect`` to ``to``, setting ``fields``. True if it moved.
        ``face_active``: only while every face it uses is active, checked in the same
        statement (a withdrawal or delete between a check and this move must win)."""
        allowed = {
            "provider_task_id",
            "error_code",
            "error_message",
            "video_url",
            "url_expires_at",
            "size_bytes",
            "tg_file_id",
            "message_id",
            "submitted_at",
            "finished_at",
            "next_poll_at",
            "inline_message_id",
            # A draft an anonymous admin made becomes the confirming admin's, in the same
            # guarded step that submits it.
            "user_id",
            "anonymous",
            "failure",
            "callback_token",
        }
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"not job fields: {bad}")
        sets = "".join(f", {k} = ?" for k in fields)
        marks = ",".join("?" * len(expect))
        face = f" AND videos.face_id IS NOT NULL AND NOT ({_FACE_GONE})" if face_active else ""
        async with self.db.write() as conn:
            changed = await conn.execute(
                f"UPDATE videos SET status = ?, updated_at = ?, poll_count = 0, "
                f"outcome_notified = 0{sets} WHERE id = ? AND status IN ({marks}){face}",
                (to, now, *fields.values(), job_id, *expect),
            )
            moved = changed > 0
            if moved:
                await record(conn, "video", job_id, to, detail or fields.get("error_code"), now)
        return moved

    async def set_fields(self, job_id: int, **fields: Any) -> None:
        """Bookkeeping that is not a status change (message ids, poll schedule)."""
        allowed = {"message_id", "next_poll_at", "inline_message_id", "tg_file_id"}
        if set(fields) - allowed:
            raise ValueError(f"not bookkeeping fields: {set(fields) - allowed}")
        sets = ", ".join(f"{k} = ?" for k in fields)
        async with self.db.write() as conn:
            await conn.execute(
                f"UPDATE videos SET {sets} WHERE id = ?", (*fields.values(), job_id)
            )

    async def polled(self, job_id: int, next_poll_at: float, status: JobStatus) -> None:
        """Asked, nothing new: the next ask at ``next_poll_at`` if the job is still at
        ``status`` (an answer that came in meanwhile, from a callback, wins)."""
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE videos SET next_poll_at = ?, poll_count = poll_count + 1 "
                "WHERE id = ? AND status = ?",
                (next_poll_at, job_id, status),
            )

    async def mark_notified(self, job_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute("UPDATE videos SET outcome_notified = 1 WHERE id = ?", (job_id,))

    async def with_status(self, statuses: Sequence[JobStatus]) -> list[VideoJob]:
        marks = ",".join("?" * len(statuses))
        rows = await self.db.fetchall(
            f"SELECT * FROM videos WHERE status IN ({marks}) ORDER BY id", tuple(statuses)
        )
        return [_job(r) for r in rows]

    async def due(
        self,
        now: float,
        *,
        provider: str | None = None,
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[VideoJob]:
        """Jobs to poll at the provider, and finished ones still to deliver, by id; a page
        of them (``provider``'s only, ids above ``after_id``, at most ``limit``) so a round
        over 1,000 due jobs never holds all their rows at once."""
        where = "status IN (?, ?, ?) AND next_poll_at <= ? AND id > ?"
        params: list[Any] = [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DOWNLOADING, now]
        params.append(after_id)
        if provider is not None:
            where += " AND provider = ?"
            params.append(provider)
        page = ""
        if limit is not None:
            page = " LIMIT ?"
            params.append(limit)
        rows = await self.db.fetchall(
            f"SELECT * FROM videos WHERE {where} ORDER BY id{page}", tuple(params)
        )
        return [_job(r) for r in rows]

    async def due_providers(self, now: float) -> list[str]:
        """The providers with jobs due (see :meth:`due`): each is polled on its own."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT provider FROM videos WHERE status IN (?, ?, ?) "
            "AND next_poll_at <= ? AND provider IS NOT NULL ORDER BY provider",
            (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DOWNLOADING, now),
        )
        return [str(r[0]) for r in rows]

    async def polled_many(self, next_polls: Sequence[tuple[int, float, JobStatus]]) -> None:
        """:meth:`polled` for many jobs in one transaction: (job id, next poll at, status)."""
        if not next_polls:
            return
        async with self.db.write() as conn:
            await conn.executemany(
                "UPDATE videos SET next_poll_at = ?, poll_count = poll_count + 1 "
                "WHERE id = ? AND status = ?",
                [(at, job_id, status) for job_id, at, status in next_polls],
            )

    async def unnotified(self) -> list[VideoJob]:
        rows = await self.db.fetchall(
            "SELECT * FROM videos WHERE outcome_notified = 0 AND status IN (?, ?, ?, ?)",
            (JobStatus.DELIVERED, JobStatus.TOO_LARGE, JobStatus.FAILED, JobStatus.NEEDS_DECISION),
        )
        return [_job(r) for r in rows]

    async def count_active(self, user_id: int) -> int:
        marks = ",".join("?" * len(ACTIVE_JOBS))
        row = await self.db.fetchone(
            f"SELECT COUNT(*) FROM videos WHERE user_id = ? AND status IN ({marks})",
            (user_id, *ACTIVE_JOBS),
        )
        return int(row[0]) if row else 0

    async def count_submitted_since(self, user_id: int, since: float) -> int:
        """Jobs that reached the provider (or tried to) since ``since``: the daily quota."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM videos WHERE user_id = ? AND submitted_at >= ?",
            (user_id, since),
        )
        return int(row[0]) if row else 0

    async def by_callback(self, token: str) -> VideoJob | None:
        """The job whose provider callback carries ``token``."""
        row = await self.db.fetchone("SELECT * FROM videos WHERE callback_token = ?", (token,))
        return _job(row) if row else None

    async def by_inline_message(self, inline_message_id: str) -> VideoJob | None:
        row = await self.db.fetchone(
            "SELECT * FROM videos WHERE inline_message_id = ? ORDER BY id DESC LIMIT 1",
            (inline_message_id,),
        )
        return _job(row) if row else None

    async def count_in_chat_since(self, chat_id: int, user_id: int, since: float) -> int:
        """A member's videos in one group chat since ``since``: the group's quota."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM videos WHERE chat_id = ? AND user_id = ? AND submitted_at >= ?",
            (chat_id, user_id, since),
        )
        return int(row[0]) if row else 0

    async def recent_in_chat(self, chat_id: int, limit: int = 10) -> list[VideoJob]:
        rows = await self.db.fetchall(
            "SELECT * FROM videos WHERE chat_id = ? AND status NOT IN (?, ?) "
            "ORDER BY id DESC LIMIT ?",
            (chat_id, JobStatus.DRAFT, JobStatus.CANCELLED, limit),
        )
        return [_job(r) for r in rows]

    async def recent(self, user_id: int, limit: int = 10) -> list[VideoJob]:
        rows = await self.db.fetchall(
            "SELECT * FROM videos WHERE user_id = ? AND status NOT IN (?, ?) "
            "ORDER BY id DESC LIMIT ?",
            (user_id, JobStatus.DRAFT, JobStatus.CANCELLED, limit),
        )
        return [_job(r) for r in rows]
