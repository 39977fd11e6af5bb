"""/forgetme (issue 11): a person's data removed from the bot, in their private chat and
after one confirmation.

Their faces are withdrawn (kept as records, as a withdrawal keeps them) and their photos
deleted at the provider where it allows that; their consent to other people's faces is
withdrawn, and those owners are told. Their videos, photos, settings, questions, links and
user row are erased (``storage/forget.py`` lists what stays and why). A video still being
made for them is not delivered: the row that would deliver it is gone, so nothing waits for
it and its face's photos go at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.actors import Actor, Place
from bot.services.cleanups import PhotoCleanups, PhotosAtProvider, PhotosOutcome
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.languages import LanguageService
from bot.services.media import MediaStore, media_tag
from storage.faces import FaceRepo
from storage.forget import ForgetRepo, Forgotten
from storage.models import CleanupOrder, Face
from storage.users import UserRepo


@dataclass(frozen=True)
class ForgetPreview:
    faces: int  # their own, to be withdrawn
    made_of_them: int  # other people's faces of them, consent to be withdrawn
    videos: int
    photos: int


@dataclass(frozen=True)
class ForgetDone:
    faces: int
    made_of_them: list[Face]  # their owners are told
    videos: int
    photos: list[PhotosOutcome]  # one per provider and outcome


class ForgetService:
    def __init__(
        self,
        repo: ForgetRepo,
        *,
        faces: FaceRepo,
        users: UserRepo,
        cleanups: PhotoCleanups,
        clock: Clock,
        media: MediaStore | None = None,
        languages: LanguageService | None = None,
    ) -> None:
        self.repo = repo
        self.faces = faces
        self.users = users
        self.cleanups = cleanups
        self.clock = clock
        self.media = media
        self.languages = languages

    async def preview(self, actor: Actor) -> ForgetPreview:
        _private(actor)
        owned = await self.repo.owned_faces(actor.user_id)
        consented = await self.repo.consented_faces(actor.user_id)
        videos, photos = await self.repo.counts(actor.user_id)
        return ForgetPreview(len(owned), len(consented), videos, photos)

    async def forget(self, actor: Actor, confirmed_for: int) -> ForgetDone:
        """Forget ``actor``, who pressed the confirmation shown to ``confirmed_for``."""
        _private(actor)
        if confirmed_for != actor.user_id:  # a forwarded confirmation, say
            raise ServiceRefused(Refusal.NOT_YOURS)
        user_id = actor.user_id
        ids = [
            *await self.repo.owned_faces(user_id),
            *await self.repo.consented_faces(user_id),
        ]
        faces = [face for i in ids if (face := await self.faces.get(i)) is not None]
        forgotten: list[Forgotten] = []

        async def change(orders: list[CleanupOrder]) -> None:
            forgotten.append(await self.repo.forget(user_id, self.clock(), orders))

        outcomes = await self.cleanups.removing_all(faces, change)
        (done,) = forgotten
        self.users.forget(user_id)
        if self.languages is not None:
            self.languages.forget(user_id)
        if self.media is not None:
            for asset_id in done.asset_ids:
                await self.media.retire(media_tag(asset_id))
        told = [o for o in dict.fromkeys(outcomes) if o.state is not PhotosAtProvider.NOTHING]
        others = [f for f in faces if f.id in set(done.withdrawn_consents)]
        return ForgetDone(len(done.owned_faces), others, done.videos, told)


def _private(actor: Actor) -> None:
    if actor.place is not Place.PRIVATE:
        raise ServiceRefused(Refusal.PRIVATE_ONLY)
