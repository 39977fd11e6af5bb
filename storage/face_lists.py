"""Faces as lists show them: a bounded page with photo counts from the database.

/faces, the draft card's face choice and inline offers show a few dozen faces at most, so
these queries read a page of faces and count photos in SQL; they never load every face of
an owner or any photo row. Plans (``EXPLAIN QUERY PLAN``, checked in
tests/unit/test_face_lists.py): the owner's faces come from ``faces_owner`` (owner_kind,
owner_id, status), whose entries are in id order for one status, and photo counts from
``assets_face`` (face_id, status) without touching the assets table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from storage.database import Database
from storage.faces import face_from_row
from storage.models import AssetState, Face, FaceStatus, Owner

# One count column per photo state: "COUNT(a.id) FILTER (WHERE a.status = ?) AS n_active, ...".
_STATES = tuple(AssetState)
_STATE_COUNTS = ", ".join(
    f"COUNT(a.id) FILTER (WHERE a.status = ?) AS n_{state.value}" for state in _STATES
)


@dataclass(frozen=True)
class FaceCounts:
    """A face and how many of its photos are in each state."""

    face: Face
    photos: Mapping[AssetState, int]


@dataclass(frozen=True)
class FacePage:
    """Some of an owner's faces (oldest first) and how many they have in all."""

    faces: list[FaceCounts]
    total: int


@dataclass(frozen=True)
class UsableFace:
    """A verified face with its number of Active photos (at least one)."""

    face: Face
    photos: int


class FaceLists:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def page(self, owner: Owner, *, limit: int, skip: int = 0) -> FacePage:
        """The owner's faces (not deleted) ranked newest first: ``limit`` of them after the
        newest ``skip``, returned oldest first with per-state photo counts; and the total."""
        rows = await self.db.fetchall(
            f"""
            SELECT f.*, {_STATE_COUNTS}
            FROM (
                SELECT id FROM faces WHERE owner_kind = ? AND owner_id = ? AND status != ?
                ORDER BY id DESC LIMIT ? OFFSET ?
            ) AS page
            JOIN faces f ON f.id = page.id
            LEFT JOIN assets a ON a.face_id = f.id
            GROUP BY f.id ORDER BY f.id
            """,
            (*_STATES, owner.kind, owner.id, FaceStatus.DELETED, limit, skip),
        )
        total = await self.db.fetchone(
            "SELECT COUNT(*) AS n FROM faces WHERE owner_kind = ? AND owner_id = ? "
            "AND status != ?",
            (owner.kind, owner.id, FaceStatus.DELETED),
        )
        faces = [
            FaceCounts(face_from_row(r), {s: int(r[f"n_{s.value}"]) for s in _STATES})
            for r in rows
        ]
        return FacePage(faces, int(total["n"]) if total else 0)

    async def counts(self, face_id: int) -> dict[AssetState, int]:
        """How many of one face's photos are in each state."""
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) AS n FROM assets WHERE face_id = ? GROUP BY status",
            (face_id,),
        )
        counts = dict.fromkeys(_STATES, 0)
        counts.update({AssetState(r["status"]): int(r["n"]) for r in rows})
        return counts

    async def active_photo_ids(self, face_id: int, limit: int) -> list[str]:
        """The provider's ids of a face's first ``limit`` Active photos, oldest first."""
        rows = await self.db.fetchall(
            "SELECT provider_asset_id FROM assets WHERE face_id = ? AND status = ? "
            "AND provider_asset_id IS NOT NULL ORDER BY id LIMIT ?",
            (face_id, AssetState.ACTIVE, limit),
        )
        return [str(r["provider_asset_id"]) for r in rows]

    async def usable(
        self,
        owner: Owner,
        providers: Sequence[str],
        *,
        limit: int,
        skip: int = 0,
        newest_first: bool = False,
    ) -> list[UsableFace]:
        """The owner's Active faces at ``providers`` with at least one Active photo, in id
        order (oldest or newest first), ``limit`` of them after ``skip``, each with its
        number of Active photos. Stops reading once the page is full."""
        if not providers:
            return []
        marks = ",".join("?" * len(providers))
        order = "DESC" if newest_first else "ASC"
        rows = await self.db.fetchall(
            f"""
            SELECT f.*, COUNT(*) AS photos
            FROM faces f JOIN assets a ON a.face_id = f.id AND a.status = ?
            WHERE f.owner_kind = ? AND f.owner_id = ? AND f.status = ?
                AND f.provider IN ({marks})
            GROUP BY f.id ORDER BY f.id {order} LIMIT ? OFFSET ?
            """,
            (
                AssetState.ACTIVE,
                owner.kind,
                owner.id,
                FaceStatus.ACTIVE,
                *providers,
                limit,
                skip,
            ),
        )
        return [UsableFace(face_from_row(r), int(r["photos"])) for r in rows]

    async def newest(self, owner: Owner) -> Face | None:
        """The owner's newest Active face, else their newest face not deleted."""
        # The id is chosen in the index alone; one face row is read.
        row = await self.db.fetchone(
            "SELECT * FROM faces WHERE id = (SELECT id FROM faces WHERE owner_kind = ? "
            "AND owner_id = ? AND status != ? ORDER BY status = ? DESC, id DESC LIMIT 1)",
            (owner.kind, owner.id, FaceStatus.DELETED, FaceStatus.ACTIVE),
        )
        return face_from_row(row) if row else None
