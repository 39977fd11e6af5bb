"""Invites: the person to be verified opens one, reads what they are asked to agree to, and
gets their own link only once they consent (issue 11); no link is minted before.

An invite serves one person: the first to open it claims it. Declining ends it. Who may hand
out an invite (the face's manager) is FaceService's to decide before it asks for one here.

A take-over invite (``Invite.takeover``) is for a face already verified through the direct
link, whose person the bot does not know: it asks only for consent, mints no link, and the
person who agrees can see and withdraw the face in /myfaces like anyone verified through an
invite. The bot cannot tell that they are the person in the photos (no check is run): their
consent is recorded as a take-over, and the owner chose whom to send it to.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.verification import LinkIssued, Verifier, provider_failures
from storage.consents import ConsentRepo
from storage.faces import FaceRepo
from storage.links import InviteRepo
from storage.models import Face, FaceStatus, Invite, OwnerKind, User
from storage.users import UserRepo

INVITE_PREFIX = "v-"


@dataclass(frozen=True)
class InviteView:
    """What the invited person is asked to agree to."""

    face: Face
    invite: Invite
    creator: User | None
    provider_name: str  # who will keep the photos and make the videos
    for_group: bool  # the face belongs to a group chat, not to the creator alone


def invite_payload(invite: Invite) -> str:
    return INVITE_PREFIX + invite.token


def invite_token(payload: str) -> str | None:
    if payload.startswith(INVITE_PREFIX) and len(payload) > len(INVITE_PREFIX):
        return payload[len(INVITE_PREFIX) :]
    return None


class InviteService:
    def __init__(
        self,
        *,
        invites: InviteRepo,
        faces: FaceRepo,
        users: UserRepo,
        consents: ConsentRepo,
        verifier: Verifier,
        clock: Clock,
        ttl: float,
    ) -> None:
        self.invites = invites
        self.consents = consents
        self.faces = faces
        self.users = users
        self.verifier = verifier
        self.clock = clock
        self.ttl = ttl

    async def create(self, face: Face, created_by: int, now: float) -> Invite:
        return await self.invites.create(
            secrets.token_urlsafe(24), face.id, created_by, now, now + self.ttl
        )

    async def current(self, face: Face, user_id: int, *, takeover: bool = False) -> Invite:
        """The face's open invite (of that kind), or a new one where it expired or was
        claimed."""
        invite = await self.invites.for_face(face.id)
        now = self.clock()
        if (
            invite is None
            or invite.expires_at <= now
            or invite.claimed_by is not None
            or invite.declined_at is not None
            or invite.takeover is not takeover
        ):
            invite = await self.invites.create(
                secrets.token_urlsafe(24),
                face.id,
                user_id,
                now,
                now + self.ttl,
                takeover=takeover,
            )
        return invite

    async def open(self, token: str, user_id: int) -> InviteView:
        """The person being verified opened the invite: claim it for them."""
        invite, face = await self._invite(token)
        if invite.claimed_by not in (None, user_id):
            raise ServiceRefused(Refusal.INVITE_TAKEN)
        if invite.claimed_by is None and not await self.invites.claim(
            token, user_id, self.clock()
        ):
            raise ServiceRefused(Refusal.INVITE_TAKEN)
        creator = await self.users.get(invite.created_by)
        provider = self.verifier.providers.capabilities(face.provider).display_name
        return InviteView(face, invite, creator, provider, face.owner.kind is OwnerKind.CHAT)

    async def ready(
        self,
        token: str,
        user_id: int,
        *,
        request_key: str | None = None,
        language: str | None = None,
    ) -> LinkIssued:
        """The invited person consents and is ready: their consent is recorded, then a link
        is minted, so their 120 seconds start now."""
        invite, face = await self._invite(token)
        if invite.claimed_by != user_id:
            raise ServiceRefused(Refusal.INVITE_TAKEN)
        if invite.takeover:  # a forged Ready on a consent-only invite
            raise ServiceRefused(Refusal.INVITE_DONE)
        await self.consents.record(face.id, user_id, token, self.clock())
        await self.faces.set_verifier(face.id, user_id)
        face = await self.verifier.face(face.id)
        with provider_failures():
            return await self.verifier.fresh_link(face, user_id, request_key, language)

    async def take_over(self, token: str, user_id: int) -> Face:
        """The invited person agrees to a face verified earlier: their consent is on record
        and theirs to withdraw."""
        invite, face = await self._invite(token)
        if invite.claimed_by != user_id:
            raise ServiceRefused(Refusal.INVITE_TAKEN)
        if not invite.takeover:  # a forged press: this invite wants a face check
            raise ServiceRefused(Refusal.NOT_ASKED)
        if not await self.consents.take_over(face.id, user_id, token, self.clock()):
            raise ServiceRefused(Refusal.INVITE_DONE)  # someone's consent stands already
        await self.faces.set_verifier(face.id, user_id)
        return face

    async def decline(self, token: str, user_id: int) -> Face:
        """The invited person says no: the invite is over (its creator may send a new one)."""
        invite, face = await self._invite(token)
        if invite.claimed_by != user_id:
            raise ServiceRefused(Refusal.INVITE_TAKEN)
        if await self.consents.for_invite(token) is not None:  # agreed on another screen
            raise ServiceRefused(Refusal.INVITE_AGREED)
        await self.invites.decline(token, user_id, self.clock())
        return face

    async def consent_stands(self, face: Face) -> bool:
        """Someone's consent to ``face`` is on record (their check passed, or they took it
        over) and not withdrawn."""
        consent = await self.consents.for_face(face.id)
        return (
            consent is not None and consent.passed_at is not None and consent.withdrawn_at is None
        )

    async def _invite(self, token: str) -> tuple[Invite, Face]:
        invite = await self.invites.get(token)
        if invite is None:
            raise ServiceRefused(Refusal.INVITE_UNKNOWN)
        face = await self.faces.get(invite.face_id)
        if face is None or face.status is FaceStatus.DELETED:
            raise ServiceRefused(Refusal.INVITE_UNKNOWN)
        if face.status is FaceStatus.WITHDRAWN:
            raise ServiceRefused(Refusal.FACE_WITHDRAWN)
        # A face check is for a face not verified yet; a take-over, for one verified.
        if (face.status is FaceStatus.ACTIVE) is not invite.takeover:
            raise ServiceRefused(Refusal.INVITE_DONE)
        if invite.takeover and await self.consent_stands(face):
            raise ServiceRefused(Refusal.INVITE_DONE)
        if invite.declined_at is not None:
            raise ServiceRefused(Refusal.INVITE_DECLINED)
        if invite.expires_at <= self.clock():
            raise ServiceRefused(Refusal.INVITE_EXPIRED)
        return invite, face
