"""Upload batches (one progress message per photo or album) and the assets in them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.database import Database, Row, one
from storage.history import record
from storage.models import Asset, AssetState, UploadBatch


def _batch(row: Row) -> UploadBatch:
    return UploadBatch(
        id=row["id"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        face_id=row["face_id"],
        media_group_id=row["media_group_id"],
        message_id=row["message_id"],
        created_at=row["created_at"],
    )


def _asset(row: Row) -> Asset:
    return Asset(
        id=row["id"],
        face_id=row["face_id"],
        batch_id=row["batch_id"],
        user_id=row["user_id"],
        tg_file_id=row["tg_file_id"],
        tg_file_unique_id=row["tg_file_unique_id"],
        file_name=row["file_name"],
        mime_type=row["mime_type"],
        file_size=row["file_size"],
        width=row["width"],
        height=row["height"],
        name=row["name"],
        provider_asset_id=row["provider_asset_id"],
        provider_record_id=row["provider_record_id"],
        state=AssetState(row["status"]),
        error_code=row["error_code"],
        error_message=row["error_message"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        next_poll_at=row["next_poll_at"],
        poll_count=row["poll_count"],
        reported=bool(row["reported"]),
    )


@dataclass(frozen=True)
class IncomingFile:
    """A photo or document as Telegram described it, before we fetch its bytes."""

    tg_file_id: str
    tg_file_unique_id: str
    file_name: str | None
    mime_type: str | None
    file_size: int | None
    width: int | None
    height: int | None


class AssetRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_to_batch(
        self,
        *,
        chat_id: int,
        user_id: int,
        face_id: int,
        media_group_id: str | None,
        file: IncomingFile,
        name_prefix: str,
        now: float,
        request_key: str | None = None,
    ) -> tuple[UploadBatch, Asset, bool]:
        """Store one incoming file; albums share a batch. Returns (batch, asset, new_batch).

        With ``request_key`` (the update that brought it), the same update stored again
        after a crash returns the photo it already stored.
        """
        async with self.db.write() as conn:
            if request_key is not None:
                known = list(
                    await conn.fetchall(
                        "SELECT * FROM assets WHERE request_key = ?", (request_key,)
                    )
                )
                if known:
                    asset = _asset(known[0])
                    batch_id = asset.batch_id
                    sql = "SELECT * FROM upload_batches WHERE id = ?"
                    return _batch(await one(conn, sql, (batch_id,))), asset, False
            batch_row = None
            if media_group_id is not None:
                batch_row = await conn.fetchone(
                    "SELECT * FROM upload_batches WHERE chat_id = ? AND media_group_id = ?",
                    (chat_id, media_group_id),
                )
            new_batch = batch_row is None
            if batch_row is None:
                inserted = await one(
                    conn,
                    "INSERT INTO upload_batches (chat_id, user_id, face_id, media_group_id,"
                    " created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                    (chat_id, user_id, face_id, media_group_id, now),
                )
                batch_id = int(inserted["id"])
            else:
                batch_id = batch_row["id"]
            inserted = await one(
                conn,
                """
                INSERT INTO assets (face_id, batch_id, user_id, tg_file_id, tg_file_unique_id,
                    file_name, mime_type, file_size, width, height, name, status,
                    created_at, updated_at, request_key)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)
                RETURNING id
                """,
                (
                    face_id,
                    batch_id,
                    user_id,
                    file.tg_file_id,
                    file.tg_file_unique_id,
                    file.file_name,
                    file.mime_type,
                    file.file_size,
                    file.width,
                    file.height,
                    AssetState.RECEIVED,
                    now,
                    now,
                    request_key,
                ),
            )
            asset_id = int(inserted["id"])
            # The provider-side name carries our row id so a lost upload answer can be
            # found again by listing the group after a restart.
            await conn.execute(
                "UPDATE assets SET name = ? WHERE id = ?", (f"{name_prefix}-{asset_id}", asset_id)
            )
            await record(conn, "asset", asset_id, AssetState.RECEIVED, None, now)
            batch = _batch(
                await one(conn, "SELECT * FROM upload_batches WHERE id = ?", (batch_id,))
            )
            asset = _asset(await one(conn, "SELECT * FROM assets WHERE id = ?", (asset_id,)))
        return batch, asset, new_batch

    async def get_batch(self, batch_id: int) -> UploadBatch | None:
        row = await self.db.fetchone("SELECT * FROM upload_batches WHERE id = ?", (batch_id,))
        return _batch(row) if row else None

    async def set_batch_message(self, batch_id: int, message_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE upload_batches SET message_id = ? WHERE id = ?", (message_id, batch_id)
            )

    async def get(self, asset_id: int) -> Asset | None:
        row = await self.db.fetchone("SELECT * FROM assets WHERE id = ?", (asset_id,))
        return _asset(row) if row else None

    async def in_batch(self, batch_id: int) -> list[Asset]:
        rows = await self.db.fetchall(
            "SELECT * FROM assets WHERE batch_id = ? ORDER BY id", (batch_id,)
        )
        return [_asset(r) for r in rows]

    async def for_face(self, face_id: int) -> list[Asset]:
        rows = await self.db.fetchall(
            "SELECT * FROM assets WHERE face_id = ? ORDER BY id", (face_id,)
        )
        return [_asset(r) for r in rows]

    async def with_states(self, states: Sequence[AssetState]) -> list[Asset]:
        marks = ",".join("?" * len(states))
        rows = await self.db.fetchall(
            f"SELECT * FROM assets WHERE status IN ({marks}) ORDER BY id", tuple(states)
        )
        return [_asset(r) for r in rows]

    async def due_processing(self, now: float) -> list[Asset]:
        """Every processing photo of each face that has one due for a poll by ``now``: a
        provider that lists a group reports them all in one request."""
        rows = await self.db.fetchall(
            "SELECT * FROM assets WHERE status = ? AND face_id IN ("
            " SELECT face_id FROM assets WHERE status = ? AND next_poll_at <= ?"
            ") ORDER BY face_id, id",
            (AssetState.PROCESSING, AssetState.PROCESSING, now),
        )
        return [_asset(r) for r in rows]

    async def processing_load(self) -> dict[str, tuple[int, int]]:
        """Per provider: (faces with a processing photo, processing photos)."""
        rows = await self.db.fetchall(
            "SELECT f.provider AS provider, COUNT(DISTINCT a.face_id) AS faces,"
            " COUNT(*) AS photos FROM assets a JOIN faces f ON f.id = a.face_id"
            " WHERE a.status = ? GROUP BY f.provider",
            (AssetState.PROCESSING,),
        )
        return {r["provider"]: (r["faces"], r["photos"]) for r in rows}

    async def next_processing_poll(self) -> float | None:
        """When the soonest processing photo is due for a poll (None: none is processing)."""
        row = await self.db.fetchone(
            "SELECT MIN(next_poll_at) AS due FROM assets WHERE status = ?",
            (AssetState.PROCESSING,),
        )
        return None if row is None or row["due"] is None else float(row["due"])

    async def due_upload_rechecks(self, now: float) -> list[Asset]:
        rows = await self.db.fetchall(
            "SELECT * FROM assets WHERE status = ? AND next_poll_at <= ? ORDER BY id",
            (AssetState.UPLOADING, now),
        )
        return [_asset(r) for r in rows]

    async def recheck_upload_at(self, asset_id: int, at: float) -> None:
        """An upload whose answer was lost: look for it at the provider at ``at``."""
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE assets SET next_poll_at = ?, poll_count = poll_count + 1 "
                "WHERE id = ? AND status = ?",
                (at, asset_id, AssetState.UPLOADING),
            )

    async def unreported_batches(self) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT batch_id FROM assets WHERE reported = 0 AND status IN (?, ?, ?)",
            (AssetState.ACTIVE, AssetState.FAILED, AssetState.REJECTED),
        )
        return [r["batch_id"] for r in rows]

    async def mark_reported(self, asset_ids: Sequence[int]) -> None:
        if not asset_ids:
            return
        marks = ",".join("?" * len(asset_ids))
        async with self.db.write() as conn:
            await conn.execute(
                f"UPDATE assets SET reported = 1 WHERE id IN ({marks})", tuple(asset_ids)
            )

    async def transition(
        self,
        asset_id: int,
        to: AssetState,
        now: float,
        *,
        expect: Sequence[AssetState] = (),
        provider_asset_id: str | None = None,
        provider_record_id: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        width: int | None = None,
        height: int | None = None,
        next_poll_at: float | None = None,
    ) -> bool:
        """Move an asset to ``to`` (only from one of ``expect`` when given). True if moved."""
        async with self.db.write() as conn:
            sql = (
                "UPDATE assets SET status = ?, updated_at = ?, "
                "provider_asset_id = COALESCE(?, provider_asset_id), "
                "provider_record_id = COALESCE(?, provider_record_id), "
                "error_code = ?, error_message = ?, "
                "width = COALESCE(?, width), height = COALESCE(?, height), "
                "next_poll_at = ?, poll_count = 0 WHERE id = ?"
            )
            params: list[object] = [
                to,
                now,
                provider_asset_id,
                provider_record_id,
                error_code,
                error_message,
                width,
                height,
                next_poll_at,
                asset_id,
            ]
            if expect:
                sql += f" AND status IN ({','.join('?' * len(expect))})"
                params.extend(expect)
            changed = await conn.execute(sql, params)
            moved = changed > 0
            if moved:
                detail = error_code or provider_asset_id
                await record(conn, "asset", asset_id, to, detail, now)
        return moved

    async def set_provider_asset_id(self, asset_id: int, provider_asset_id: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE assets SET provider_asset_id = ? WHERE id = ?",
                (provider_asset_id, asset_id),
            )

    async def schedule_polls(self, schedule: Sequence[tuple[int, float]]) -> None:
        """Set the next poll of still-processing assets, (asset_id, next_poll_at) each, in
        one write transaction for a whole tracker round."""
        if not schedule:
            return
        async with self.db.write() as conn:
            await conn.executemany(
                "UPDATE assets SET next_poll_at = ?, poll_count = poll_count + 1 "
                "WHERE id = ? AND status = ?",
                [(at, asset_id, AssetState.PROCESSING) for asset_id, at in schedule],
            )
