"""/forgetme (issue 11): a person's rows removed in one transaction, but the records of
withdrawn faces.

What stays is what someone else may need to know: a face the person owned, now withdrawn
(or deleted before), with its name, provider ids, status history and the consent rows of
whoever verified it, its owner and chat now "someone who has left" (0); and the person's own
passed consents to other people's faces, now withdrawn, so those owners keep the record of
who agreed and withdrew. Everything else naming them goes: their user
row, videos, photos and upload batches of their faces, links, unused invites, settings,
pending questions, inline offers, group allow-lists. In a group they leave the group's faces
and photos to the group, with "someone who left" (0) where their id was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.cleanups import order_cleanup
from storage.database import Database
from storage.models import CleanupOrder, FaceStatus, LinkState

LEFT = 0  # stands for "someone who has left" where a group keeps what they made

_OWNED = "SELECT id FROM faces WHERE owner_kind = 'user' AND owner_id = :u"
# A face that can still be used, or become usable: withdrawn now (a deleted one stays so).
_LIVE = "('creating', 'interrupted', 'pending', 'active', 'expired')"
# Faces whose record survives: the person's own, and those they verified and now withdraw.
_RECORDS = f"""
    SELECT id FROM faces WHERE id IN ({_OWNED}) OR id IN (
        SELECT face_id FROM consents WHERE person_id = :u AND passed_at IS NOT NULL)
"""
_THEIR_VIDEOS = (
    f"SELECT id FROM videos WHERE user_id = :u OR face_id IN ({_OWNED}) OR EXISTS ("
    f"SELECT 1 FROM video_faces vf WHERE vf.video_id = videos.id AND vf.face_id IN ({_OWNED}))"
)
_THEIR_ASSETS = f"SELECT id FROM assets WHERE face_id IN ({_OWNED})"


@dataclass(frozen=True)
class Forgotten:
    owned_faces: list[int]  # withdrawn now
    withdrawn_consents: list[int]  # others' faces withdrawn now, with their consent
    videos: int  # erased
    asset_ids: list[int]  # erased photos (their published copies go too)


class ForgetRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def consented_faces(self, user_id: int) -> list[int]:
        """Other people's faces whose check this person passed, consent still standing,
        that can still be used."""
        rows = await self.db.fetchall(
            f"SELECT c.face_id FROM consents c JOIN faces f ON f.id = c.face_id "
            f"WHERE c.person_id = ? AND c.passed_at IS NOT NULL AND c.withdrawn_at IS NULL "
            f"AND f.status IN {_LIVE} ORDER BY c.id",
            (user_id,),
        )
        return [row["face_id"] for row in rows]

    async def owned_faces(self, user_id: int) -> list[int]:
        """This person's faces that can still be used."""
        rows = await self.db.fetchall(
            f"SELECT id FROM faces WHERE owner_kind = 'user' AND owner_id = ? "
            f"AND status IN {_LIVE} ORDER BY id",
            (user_id,),
        )
        return [row["id"] for row in rows]

    async def counts(self, user_id: int) -> tuple[int, int]:
        """(videos, photos) that /forgetme would erase."""
        row = await self.db.fetchone(
            f"SELECT (SELECT COUNT(*) FROM videos WHERE id IN ({_THEIR_VIDEOS})) AS v, "
            f"(SELECT COUNT(*) FROM assets WHERE id IN ({_THEIR_ASSETS})) AS a",
            {"u": user_id},
        )
        return (row["v"], row["a"]) if row else (0, 0)

    async def forget(self, user_id: int, now: float, orders: Sequence[CleanupOrder]) -> Forgotten:
        p = {"u": user_id, "now": now, "left": LEFT}
        async with self.db.write() as conn:

            async def ids(sql: str) -> list[int]:
                return [row[0] for row in await conn.fetchall(sql, p)]

            live = f"SELECT id FROM faces WHERE status IN {_LIVE} AND id IN "
            owned = await ids(f"{live} ({_OWNED}) ORDER BY id")
            consented = await ids(
                f"{live} (SELECT face_id FROM consents WHERE person_id = :u "
                f"AND passed_at IS NOT NULL AND withdrawn_at IS NULL) ORDER BY id"
            )
            videos = await ids(_THEIR_VIDEOS)
            assets = await ids(_THEIR_ASSETS)
            # Withdrawn: their consents to others' faces, and every usable face of theirs.
            await conn.execute(
                "UPDATE consents SET withdrawn_at = :now WHERE person_id = :u "
                "AND passed_at IS NOT NULL AND withdrawn_at IS NULL",
                p,
            )
            for face_id in [*consented, *owned]:
                await conn.execute(
                    "UPDATE faces SET status = ?, updated_at = ?, next_poll_at = NULL "
                    "WHERE id = ?",
                    (FaceStatus.WITHDRAWN, now, face_id),
                )
                why = "owner forgotten" if face_id in owned else "consent: person forgotten"
                await conn.execute(
                    "INSERT INTO status_history (kind, ref_id, status, detail, at) "
                    "VALUES ('face', ?, ?, ?, ?)",
                    (face_id, FaceStatus.WITHDRAWN, why, now),
                )
            await conn.execute(
                f"UPDATE verification_links SET state = '{LinkState.DONE}' "
                f"WHERE state = '{LinkState.LIVE}' AND face_id IN ({_RECORDS})",
                p,
            )
            for order in orders:
                await order_cleanup(conn, order, now)
            await conn.execute(
                "UPDATE provider_cleanups SET tell_chat_id = NULL WHERE tell_chat_id = :u", p
            )
            # Their videos and the photos of their faces.
            await conn.execute(
                f"DELETE FROM status_history WHERE kind = 'video' AND ref_id IN ({_THEIR_VIDEOS})",
                p,
            )
            await conn.execute(f"DELETE FROM videos WHERE id IN ({_THEIR_VIDEOS})", p)
            await conn.execute(
                f"DELETE FROM status_history WHERE kind = 'asset' AND ref_id IN ({_THEIR_ASSETS})",
                p,
            )
            await conn.execute(f"DELETE FROM assets WHERE id IN ({_THEIR_ASSETS})", p)
            await conn.execute(f"DELETE FROM upload_batches WHERE face_id IN ({_OWNED})", p)
            await conn.execute(
                f"DELETE FROM upload_prompts WHERE face_id IN ({_OWNED}) OR chat_id = :u", p
            )
            # What they did in groups stays the group's, without their id.
            await conn.execute("UPDATE assets SET user_id = :left WHERE user_id = :u", p)
            await conn.execute("UPDATE upload_batches SET user_id = :left WHERE user_id = :u", p)
            await conn.execute(
                "UPDATE faces SET created_by = :left "
                "WHERE created_by = :u AND owner_kind = 'chat'",
                p,
            )
            await conn.execute(
                f"UPDATE faces SET verifier_user_id = NULL WHERE verifier_user_id = :u "
                f"AND id NOT IN ({_RECORDS})",
                p,
            )
            # Links and invites: what a record of consent needs stays.
            await conn.execute(
                f"DELETE FROM verification_links WHERE issued_to = :u OR face_id IN ({_OWNED})",
                p,
            )
            await conn.execute(
                "DELETE FROM consents WHERE person_id = :u AND passed_at IS NULL", p
            )
            await conn.execute(
                f"DELETE FROM invites WHERE (face_id IN ({_OWNED}) OR created_by = :u "
                f"OR claimed_by = :u) AND token NOT IN (SELECT invite_token FROM consents)",
                p,
            )
            await conn.execute("UPDATE invites SET created_by = :left WHERE created_by = :u", p)
            # Their faces' records stay, owned by "someone who has left".
            await conn.execute(
                "UPDATE faces SET owner_id = :left, created_by = :left, chat_id = :left "
                "WHERE owner_kind = 'user' AND owner_id = :u",
                p,
            )
            # Theirs alone.
            for sql in (
                "DELETE FROM pending_inputs WHERE user_id = :u OR chat_id = :u",
                "DELETE FROM video_settings WHERE owner_kind = 'user' AND owner_id = :u",
                "DELETE FROM inline_offers WHERE user_id = :u",
                "DELETE FROM chat_allowed WHERE user_id = :u",
                "DELETE FROM chat_settings WHERE chat_id = :u",
                "DELETE FROM users WHERE id = :u",
                # Handled updates are needed by id only; their text, names included, goes.
                "UPDATE inbox SET payload = '' WHERE done_at IS NOT NULL",
            ):
                await conn.execute(sql, p)
        return Forgotten(owned, consented, len(videos), assets)
