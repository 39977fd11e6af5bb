"""Verification links (the provider's 120-second H5 links) and invites to verify."""

from __future__ import annotations

from storage.database import Database, Row, one
from storage.models import Invite, LinkState, VerificationLink


def _link(row: Row) -> VerificationLink:
    return VerificationLink(
        id=row["id"],
        face_id=row["face_id"],
        url=row["url"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        issued_to=row["issued_to"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        state=LinkState(row["state"]),
    )


def _invite(row: Row) -> Invite:
    return Invite(
        token=row["token"],
        face_id=row["face_id"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        claimed_by=row["claimed_by"],
        claimed_at=row["claimed_at"],
        declined_at=row["declined_at"],
        takeover=bool(row["takeover"]),
    )


class LinkRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def by_request(self, request_key: str) -> VerificationLink | None:
        row = await self.db.fetchone(
            "SELECT * FROM verification_links WHERE request_key = ?", (request_key,)
        )
        return _link(row) if row else None

    async def issue(
        self,
        face_id: int,
        url: str,
        issued_to: int,
        now: float,
        expires_at: float,
        request_key: str | None = None,
    ) -> VerificationLink:
        """Record a new live link; every earlier live link of the face is replaced.
        ``request_key``: the update that asked for it (see FaceService.new_link)."""
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE verification_links SET state = ? WHERE face_id = ? AND state = ?",
                (LinkState.REPLACED, face_id, LinkState.LIVE),
            )
            inserted = await one(
                conn,
                "INSERT INTO verification_links (face_id, url, issued_at, expires_at, issued_to,"
                " state, request_key) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (face_id, url, now, expires_at, issued_to, LinkState.LIVE, request_key),
            )
            link_id = int(inserted["id"])
            return _link(
                await one(conn, "SELECT * FROM verification_links WHERE id = ?", (link_id,))
            )

    async def busy_until(
        self, provider: str, except_face: int | None, link_ttl: float
    ) -> float | None:
        """When the last link out for a face not yet verified at ``provider`` expires; a
        face whose start is under way counts as a link issued when it began: creating, or
        started (pending) with its link not written yet."""
        row = await self.db.fetchone(
            "SELECT MAX(until) FROM ("
            " SELECT l.expires_at AS until FROM verification_links l"
            " JOIN faces f ON f.id = l.face_id"
            " WHERE f.provider = ? AND f.status NOT IN ('active', 'deleted')"
            " AND f.id IS DISTINCT FROM ?"
            " UNION ALL"
            " SELECT updated_at + ? FROM faces f"
            " WHERE provider = ? AND id IS DISTINCT FROM ? AND (status = 'creating'"
            " OR (status = 'pending' AND NOT EXISTS ("
            " SELECT 1 FROM verification_links l WHERE l.face_id = f.id)))) AS busy",
            (provider, except_face, link_ttl, provider, except_face),
        )
        return float(row[0]) if row and row[0] is not None else None

    async def get(self, link_id: int) -> VerificationLink | None:
        row = await self.db.fetchone("SELECT * FROM verification_links WHERE id = ?", (link_id,))
        return _link(row) if row else None

    async def attach_message(self, link_id: int, chat_id: int, message_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE verification_links SET chat_id = ?, message_id = ? WHERE id = ?",
                (chat_id, message_id, link_id),
            )

    async def latest(self, face_id: int) -> VerificationLink | None:
        row = await self.db.fetchone(
            "SELECT * FROM verification_links WHERE face_id = ? ORDER BY id DESC LIMIT 1",
            (face_id,),
        )
        return _link(row) if row else None

    async def live_expired(self, now: float) -> list[VerificationLink]:
        rows = await self.db.fetchall(
            "SELECT * FROM verification_links WHERE state = ? AND expires_at <= ?",
            (LinkState.LIVE, now),
        )
        return [_link(r) for r in rows]

    async def live_for_face(self, face_id: int) -> list[VerificationLink]:
        rows = await self.db.fetchall(
            "SELECT * FROM verification_links WHERE face_id = ? AND state = ?",
            (face_id, LinkState.LIVE),
        )
        return [_link(r) for r in rows]

    async def shown_for_face(self, face_id: int) -> list[VerificationLink]:
        """Links whose card is still on screen (to edit when the face changes)."""
        rows = await self.db.fetchall(
            "SELECT * FROM verification_links WHERE face_id = ? AND message_id IS NOT NULL "
            "ORDER BY id",
            (face_id,),
        )
        return [_link(r) for r in rows]

    async def set_state(self, link_id: int, state: LinkState, *, expect: LinkState) -> bool:
        async with self.db.write() as conn:
            changed = await conn.execute(
                "UPDATE verification_links SET state = ? WHERE id = ? AND state = ?",
                (state, link_id, expect),
            )
            return changed > 0

    async def close_face(self, face_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE verification_links SET state = ? WHERE face_id = ? AND state = ?",
                (LinkState.DONE, face_id, LinkState.LIVE),
            )


class InviteRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        token: str,
        face_id: int,
        created_by: int,
        now: float,
        expires_at: float,
        *,
        takeover: bool = False,
    ) -> Invite:
        async with self.db.write() as conn:
            await conn.execute(
                "INSERT INTO invites (token, face_id, created_by, created_at, expires_at, "
                "takeover) VALUES (?, ?, ?, ?, ?, ?)",
                (token, face_id, created_by, now, expires_at, int(takeover)),
            )
        return Invite(token, face_id, created_by, now, expires_at, None, None, takeover=takeover)

    async def get(self, token: str) -> Invite | None:
        row = await self.db.fetchone("SELECT * FROM invites WHERE token = ?", (token,))
        return _invite(row) if row else None

    async def for_face(self, face_id: int) -> Invite | None:
        row = await self.db.fetchone(
            "SELECT * FROM invites WHERE face_id = ? ORDER BY created_at DESC LIMIT 1", (face_id,)
        )
        return _invite(row) if row else None

    async def decline(self, token: str, user_id: int, now: float) -> None:
        """``user_id``, who claimed the invite, said no: it is over."""
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE invites SET declined_at = ? "
                "WHERE token = ? AND claimed_by = ? AND declined_at IS NULL",
                (now, token, user_id),
            )

    async def claim(self, token: str, user_id: int, now: float) -> bool:
        """Claim an unclaimed invite for ``user_id``; True if it is (now or already) theirs."""
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE invites SET claimed_by = ?, claimed_at = ? "
                "WHERE token = ? AND claimed_by IS NULL",
                (user_id, now, token),
            )
            row = await conn.fetchone("SELECT claimed_by FROM invites WHERE token = ?", (token,))
        return row is not None and row[0] == user_id
