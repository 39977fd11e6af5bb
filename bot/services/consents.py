"""The verified person's side of a face (issue 11): the faces made of them, who owns each and
what was made with it, and withdrawing their consent. Known only for faces verified through
an invite, whose person consented on the invite's screen; a face verified through the direct
link knows no person.

Withdrawing is final: the face becomes "withdrawn" (kept, with its record of consent), so no
new video can be made with it (drafts and inline offers are refused before anything reaches
the provider). A video the provider is already making is finished and delivered: no provider
documents a cancel, and it was asked for while the consent stood. The face's photos are
deleted at the provider where its API offers that, once that video is done
(:mod:`bot.services.cleanups`); elsewhere they stay, and the person is told so.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.actors import Actor
from bot.services.cleanups import PhotoCleanups, PhotosOutcome
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from storage.consents import ConsentRepo
from storage.faces import FaceRepo
from storage.models import Consent, ConsentedFace, Face, FaceStatus

MY_FACES_LIMIT = 30  # Telegram shows about as many lines on a screen


@dataclass(frozen=True)
class Withdrawal:
    face: Face
    photos: PhotosOutcome  # at the provider


class ConsentService:
    def __init__(
        self, consents: ConsentRepo, faces: FaceRepo, cleanups: PhotoCleanups, clock: Clock
    ) -> None:
        self.consents = consents
        self.faces = faces
        self.cleanups = cleanups
        self.clock = clock

    async def mine(self, actor: Actor) -> list[ConsentedFace]:
        """The faces ``actor`` consented to through an invite, newest first."""
        return await self.consents.of_person(actor.user_id, MY_FACES_LIMIT)

    async def to_withdraw(self, actor: Actor, consent_id: int) -> Face:
        """The face ``actor`` is about to withdraw (only the person who consented may)."""
        consent = await self._own(actor, consent_id)
        return await self._face(consent)

    async def withdraw(self, actor: Actor, consent_id: int) -> Withdrawal:
        consent = await self._own(actor, consent_id)
        face = await self._face(consent)
        photos = await self.cleanups.removing(
            face,
            actor.user_id,  # told in their private chat
            lambda order: self.consents.withdraw(consent, self.clock(), order),
        )
        if photos is None:
            raise ServiceRefused(Refusal.ALREADY_WITHDRAWN)
        return Withdrawal(face, photos)

    async def _own(self, actor: Actor, consent_id: int) -> Consent:
        consent = await self.consents.get(consent_id)
        if consent is None or consent.person_id != actor.user_id:
            raise ServiceRefused(Refusal.NOT_YOURS)
        if consent.withdrawn_at is not None:
            raise ServiceRefused(Refusal.ALREADY_WITHDRAWN)
        if consent.passed_at is None:  # agreed, but the face was verified by someone else
            raise ServiceRefused(Refusal.NOT_YOURS)
        return consent

    async def _face(self, consent: Consent) -> Face:
        face = await self.faces.get(consent.face_id)
        if face is None or face.status is FaceStatus.DELETED:
            raise ServiceRefused(Refusal.FACE_DELETED)
        if face.status is FaceStatus.WITHDRAWN:  # its owner left (/forgetme): nothing to stop
            raise ServiceRefused(Refusal.ALREADY_WITHDRAWN)
        return face
