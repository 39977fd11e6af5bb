"""A draft's card: the faces, photos and modes it offers, and the photos as they will go to
the provider with every rule checked (:meth:`DraftCards.images`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.providers.registry import Providers
from bot.services.errors import Refusal, ServiceRefused
from bot.services.face_views import PAGE_SIZE
from bot.services.faces import FaceService
from bot.services.video_modes import (
    Picked,
    least_photos,
    modes_of,
    most_photos,
    provider_prompt,
    roles,
)
from bot.services.video_options import Estimate, estimate
from bot.services.video_rules import owner_of
from storage.assets import AssetRepo
from storage.face_lists import UsableFace
from storage.models import Asset, AssetState, Face, FaceStatus, Owner, VideoJob, VideoMode


@dataclass(frozen=True)
class DraftCard:
    """What a draft's card shows: the next question (face, photos) or the confirm step."""

    job: VideoJob
    # To choose from (the newest PAGE_SIZE): while no face is chosen, or to add another face
    # (then only those at the draft's provider).
    faces: list[Face]
    face: Face | None  # the face whose photos are shown
    photos: list[Asset]  # that face's Active photos, oldest first
    most: int  # how many photos this mode takes
    models: tuple[str, ...] | None  # what this draft's provider offers (None: no face yet)
    modes: tuple[VideoMode, ...] = ()  # what this draft's provider offers
    picked: tuple[Picked, ...] = ()  # chosen so far (or for good, once asset_ids is set)
    adding: bool = False  # ``faces`` lists faces to add to the video
    # Usable faces left out of ``faces`` because they are at another provider.
    elsewhere: int = 0
    sent_prompt: str = ""  # the prompt as the provider will get it
    provider_name: str = ""  # the draft's provider, as people know it
    choice: bool = False  # the owner has other faces: the face can be chosen again

    @property
    def chosen(self) -> list[Asset]:
        return [item.asset for item in self.picked]

    @property
    def estimate(self) -> Estimate:
        return estimate(self.job.settings)

    @property
    def more_faces(self) -> bool:
        """Whether photos of another face may still be added."""
        return self.job.mode is not VideoMode.FIRST_FRAME and len(self.picked) < self.most


class DraftCards:
    def __init__(self, *, faces: FaceService, assets: AssetRepo, providers: Providers) -> None:
        self.faces = faces
        self.assets = assets
        self.providers = providers

    async def usable_faces(
        self, owner: Owner, *, limit: int = PAGE_SIZE, skip: int = 0, newest_first: bool = False
    ) -> list[UsableFace]:
        """The owner's verified faces that have at least one Active asset, at providers that
        are enabled now, with their Active photo counts: ``limit`` of them after ``skip``,
        in id order (one bounded query)."""
        return await self.faces.lists.usable(
            owner,
            self.providers.names(),
            limit=limit,
            skip=skip,
            newest_first=newest_first,
        )

    async def face_for(self, job: VideoJob, face_id: int) -> Face:
        """A face this job may use: its owner's (the requester's, or the group's)."""
        face = await self.faces.faces.get(face_id)
        if face is None or face.owner != owner_of(job):
            raise ServiceRefused(Refusal.NOT_YOURS)
        if face.status is FaceStatus.DELETED:  # since the draft was made
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        return face

    async def card(self, job: VideoJob, *, adding: bool = False) -> DraftCard:
        if job.face_id is None:
            newest = await self.usable_faces(owner_of(job), newest_first=True)
            return DraftCard(job, [usable.face for usable in reversed(newest)], None, [], 1, None)
        face = await self.face_for(job, job.face_id)
        photos = await self.active(face.id)
        caps = self.providers.capabilities(face.provider)
        picked = await self.picked(job, list(job.asset_ids or job.picking))
        faces: list[Face] = []
        elsewhere = 0
        if adding:
            newest = await self.usable_faces(owner_of(job), newest_first=True)
            faces = [u.face for u in reversed(newest) if u.face.provider == face.provider]
            elsewhere = len(newest) - len(faces)
        return DraftCard(
            job,
            faces,
            face,
            photos,
            most_photos(job.mode, caps),
            self.models(job),
            modes_of(caps),
            tuple(picked),
            adding,
            elsewhere,
            provider_prompt(job.prompt, job.mode, picked, caps.image_tag),
            caps.display_name,
            len(await self.usable_faces(owner_of(job), limit=2)) > 1,
        )

    async def active(self, face_id: int) -> list[Asset]:
        return [a for a in await self.assets.for_face(face_id) if a.state is AssetState.ACTIVE]

    async def picked(self, job: VideoJob, asset_ids: list[int]) -> list[Picked]:
        """The chosen photos with their faces, in order; a photo no longer Active, or not of
        the draft owner's faces, is left out (a withdrawn face's is kept, for
        :meth:`images` to refuse by name)."""
        picked: list[Picked] = []
        photo_numbers: dict[int, dict[int, int]] = {}
        faces: dict[int, Face] = {}
        for number, (asset_id, role) in enumerate(
            zip(asset_ids, roles(job.mode, len(asset_ids)), strict=True), start=1
        ):
            asset = await self.assets.get(asset_id)
            if asset is None or asset.state is not AssetState.ACTIVE:
                continue
            if asset.face_id not in faces:
                found = await self.faces.faces.get(asset.face_id)
                if found is None or found.owner != owner_of(job):
                    continue
                faces[asset.face_id] = found
                active = await self.active(asset.face_id)
                photo_numbers[asset.face_id] = {a.id: i for i, a in enumerate(active, 1)}
            number_of = photo_numbers[asset.face_id].get(asset.id, 0)
            picked.append(Picked(number, asset, faces[asset.face_id], number_of, role))
        return picked

    async def images(self, job: VideoJob) -> list[Picked]:
        """A draft's photos as they go to the provider, every rule checked: the mode is the
        provider's, the count is the mode's, each photo Active at the provider and each face
        the draft owner's, Active, at the draft's provider (faces can't be mixed across
        providers: their photos exist at one provider only)."""
        if job.face_id is None or job.provider is None or not job.asset_ids:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        caps = self.providers.capabilities(job.provider)
        if job.mode not in modes_of(caps):
            raise ServiceRefused(Refusal.MODE_NOT_OFFERED, caps.display_name)
        picked = await self.picked(job, list(job.asset_ids))
        for item in picked:
            if item.face.status is FaceStatus.WITHDRAWN:
                raise ServiceRefused(Refusal.FACE_WITHDRAWN)
            if item.face.provider != job.provider:
                raise ServiceRefused(Refusal.OTHER_PROVIDER, caps.display_name)
        usable = [
            item
            for item in picked
            if item.face.status is FaceStatus.ACTIVE and item.asset.provider_asset_id
        ]
        count = len(job.asset_ids)
        if len(usable) != count or not least_photos(job.mode) <= count <= most_photos(
            job.mode, caps
        ):
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        return usable

    async def face_ids(self, asset_ids: list[int]) -> list[int]:
        """The faces of these photos, each once, in the order of its first photo."""
        face_ids: list[int] = []
        for asset_id in asset_ids:
            asset = await self.assets.get(asset_id)
            if asset is not None and asset.face_id not in face_ids:
                face_ids.append(asset.face_id)
        return face_ids

    # A draft's card still shows (and can be cancelled) when its provider is off since.

    def models(self, job: VideoJob) -> tuple[str, ...] | None:
        if job.provider is None:
            return None
        return self.providers.capabilities(job.provider).models
