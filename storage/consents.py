"""The record of a verified person's consent (issue 11): when and through which invite they
agreed, when their face check passed, when they withdrew. It outlives the face's photos: a
withdrawn face keeps its record."""

from __future__ import annotations

from typing import Any

from storage.cleanups import order_cleanup
from storage.database import Database
from storage.history import record
from storage.models import CleanupOrder, Consent, ConsentedFace, FaceStatus, LinkState, OwnerKind
from storage.videos import uses_face

# Videos that went to the provider: a draft never did.
_ASKED = f"{uses_face('v', 'f.id')} AND v.status != 'draft'"


class ConsentRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, face_id: int, person_id: int, invite_token: str, now: float) -> None:
        """``person_id`` agreed through the invite; pressed again, the first time stands."""
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO consents (face_id, person_id, invite_token, consented_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (face_id, invite_token) DO NOTHING",
                (face_id, person_id, invite_token, now),
            )

    async def take_over(self, face_id: int, person_id: int, invite_token: str, now: float) -> bool:
        """``person_id`` agreed to a face already verified through the direct link: their
        consent stands from now (passed_at), unless someone's already does."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                "INSERT INTO consents (face_id, person_id, invite_token, consented_at, "
                "passed_at, takeover) SELECT ?, ?, ?, ?, ?, 1 WHERE NOT EXISTS ("
                "SELECT 1 FROM consents WHERE face_id = ? AND withdrawn_at IS NULL "
                "AND passed_at IS NOT NULL) "
                "ON CONFLICT (face_id, invite_token) DO NOTHING",
                (face_id, person_id, invite_token, now, now, face_id),
            )
            return changed > 0

    async def passed(self, face_id: int, person_id: int, now: float) -> None:
        """``person_id``'s face check passed (they hold the face's last link)."""
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE consents SET passed_at = ? WHERE id = ("
                "SELECT id FROM consents WHERE face_id = ? AND person_id = ? "
                "AND withdrawn_at IS NULL ORDER BY consented_at DESC, id DESC LIMIT 1) "
                "AND passed_at IS NULL",
                (now, face_id, person_id),
            )

    async def for_invite(self, invite_token: str) -> Consent | None:
        row = await self.db.fetchone(
            "SELECT * FROM consents WHERE invite_token = ? LIMIT 1", (invite_token,)
        )
        return _consent(row) if row else None

    async def get(self, consent_id: int) -> Consent | None:
        row = await self.db.fetchone("SELECT * FROM consents WHERE id = ?", (consent_id,))
        return _consent(row) if row else None

    async def withdraw(
        self, consent: Consent, now: float, cleanup: CleanupOrder | None = None
    ) -> bool:
        """The person withdraws: their face is withdrawn, the record says when and the
        face's photos are owed a delete at the provider, in one transaction (a face still
        usable with its consent withdrawn must never be seen). True if this call did it."""
        async with self.db.write() as conn:
            changed = await conn.execute(
                "UPDATE consents SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
                (now, consent.id),
            )
            if changed == 0:
                return False
            changed = await conn.execute(
                "UPDATE faces SET status = ?, updated_at = ?, next_poll_at = NULL "
                "WHERE id = ? AND status != ?",
                (FaceStatus.WITHDRAWN, now, consent.face_id, FaceStatus.DELETED),
            )
            if changed:
                await record(conn, "face", consent.face_id, FaceStatus.WITHDRAWN, "consent", now)
                if cleanup is not None:
                    await order_cleanup(conn, cleanup, now)
            # A link still out can verify nothing any more: no "link expired" news later.
            await conn.execute(
                "UPDATE verification_links SET state = ? WHERE face_id = ? AND state = ?",
                (LinkState.DONE, consent.face_id, LinkState.LIVE),
            )
        return True

    async def for_face(self, face_id: int) -> Consent | None:
        """The face's latest consent."""
        row = await self.db.fetchone(
            "SELECT * FROM consents WHERE face_id = ? ORDER BY consented_at DESC, id DESC LIMIT 1",
            (face_id,),
        )
        return _consent(row) if row else None

    async def of_person(self, person_id: int, limit: int) -> list[ConsentedFace]:
        """The faces ``person_id`` consented to, newest first, with what was made of them."""
        rows = await self.db.fetchall(
            f"""
            SELECT c.*, f.name AS face_name, f.status AS face_status, f.owner_kind, f.chat_id,
                u.first_name AS owner_name, u.username AS owner_username,
                (SELECT COUNT(*) FROM assets a WHERE a.face_id = f.id AND a.status = 'active')
                    AS photos,
                (SELECT COUNT(*) FROM videos v WHERE {_ASKED}
                    AND v.status IN ('delivered', 'too_large'))
                    AS videos,
                (SELECT MAX(v.created_at) FROM videos v WHERE {_ASKED}) AS last_used
            FROM consents c JOIN faces f ON f.id = c.face_id
            LEFT JOIN users u ON u.id = f.created_by
            WHERE c.person_id = ?
            ORDER BY c.consented_at DESC, c.id DESC LIMIT ?
            """,
            (person_id, limit),
        )
        return [
            ConsentedFace(
                consent=_consent(row),
                face_name=row["face_name"],
                face_status=FaceStatus(row["face_status"]),
                owner_kind=OwnerKind(row["owner_kind"]),
                chat_id=row["chat_id"],
                owner_name=row["owner_name"],
                owner_username=row["owner_username"],
                photos=row["photos"],
                videos=row["videos"],
                last_used=row["last_used"],
            )
            for row in rows
        ]


def _consent(row: Any) -> Consent:
    return Consent(
        id=row["id"],
        face_id=row["face_id"],
        person_id=row["person_id"],
        invite_token=row["invite_token"],
        consented_at=row["consented_at"],
        passed_at=row["passed_at"],
        withdrawn_at=row["withdrawn_at"],
        takeover=bool(row["takeover"]),
    )
