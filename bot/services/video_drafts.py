"""Drafts: a prompt, a face, its photos and settings, chosen before anything is charged.

Every step takes the :class:`Actor` and goes through :class:`VideoRules`, so no entry point
(command, button, inline card, a prompt typed as an answer) can skip a rule. The prompt a
person is asked for is recorded here, as the question is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.providers.base import Provider
from bot.providers.registry import Providers
from bot.services.actors import Actor, Place
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.face_views import PAGE_SIZE
from bot.services.faces import FaceService
from bot.services.pending import PendingInputs
from bot.services.user_text import clean_prompt
from bot.services.video_options import Estimate, apply_choice, estimate, normalize
from bot.services.video_rules import VideoRules, made_again_here, owner_of
from storage.assets import AssetRepo
from storage.face_lists import UsableFace
from storage.models import (
    Asset,
    AssetState,
    Awaiting,
    Face,
    FaceStatus,
    JobStatus,
    Owner,
    VideoJob,
    VideoSettings,
)
from storage.videos import VideoRepo


@dataclass(frozen=True)
class DraftCard:
    """What a draft's card shows: the next question (face, photos) or the confirm step."""

    job: VideoJob
    faces: list[Face]  # to choose from, while no face is chosen (the newest PAGE_SIZE)
    face: Face | None
    photos: list[Asset]  # the chosen face's Active photos, oldest first
    most: int  # how many photos one video of this provider takes
    models: tuple[str, ...] | None  # what this draft's provider offers (None: no face yet)

    @property
    def chosen(self) -> list[Asset]:
        return [a for a in self.photos if a.id in self.job.asset_ids]

    @property
    def estimate(self) -> Estimate:
        return estimate(self.job.settings)


class DraftService:
    def __init__(
        self,
        *,
        videos: VideoRepo,
        rules: VideoRules,
        faces: FaceService,
        assets: AssetRepo,
        providers: Providers,
        pending: PendingInputs,
        clock: Clock,
    ) -> None:
        self.videos = videos
        self.rules = rules
        self.faces = faces
        self.assets = assets
        self.providers = providers
        self.pending = pending
        self.clock = clock

    async def settings_for(self, owner: Owner) -> VideoSettings:
        saved = await self.videos.settings(owner)
        return normalize(saved) if saved else VideoSettings()

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

    # Starting

    async def ask_prompt(self, actor: Actor, *, forwarded: bool = False) -> None:
        """/generate without a prompt: ask for one (in a private chat; a group's prompt
        comes with the command), if a video could be made at all."""
        self._not_forwarded_in_group(actor, forwarded)
        await self.rules.group_allows(actor)
        await self._has_usable_face(actor)
        if actor.in_group:
            raise ServiceRefused(Refusal.PROMPT_WITH_COMMAND)
        await self.pending.ask(actor, Awaiting.PROMPT)

    async def start(
        self,
        actor: Actor,
        raw_prompt: str,
        *,
        request_key: str | None = None,
        face_id: int | None = None,
        inline_message_id: str | None = None,
        forwarded: bool = False,
    ) -> DraftCard:
        """A draft with the prompt; the face is chosen now if there is no choice to make.

        The same ``request_key`` (an update handled again after a crash) gets the same draft
        back. A prompt that cannot be used is asked for again in a private chat (in a group
        it comes with the command, so nothing is asked there); any other answer closes the
        question. ``forwarded``: the command came in a forwarded message."""
        self._not_forwarded_in_group(actor, forwarded)
        try:
            card = await self._start(actor, raw_prompt, request_key, face_id, inline_message_id)
        except ServiceRefused as refused:
            if actor.place is Place.INLINE:
                raise
            if refused.refusal is Refusal.BAD_PROMPT and actor.place is Place.PRIVATE:
                await self.pending.ask(actor, Awaiting.PROMPT)
                raise
            await self.pending.clear(actor)
            if refused.refusal is Refusal.BAD_PROMPT:
                raise ServiceRefused(Refusal.BAD_GROUP_PROMPT, refused.detail) from None
            raise
        if actor.place is not Place.INLINE:
            await self.pending.clear(actor)
        return card

    async def _start(
        self,
        actor: Actor,
        raw_prompt: str,
        request_key: str | None,
        face_id: int | None,
        inline_message_id: str | None,
    ) -> DraftCard:
        await self.rules.group_allows(actor)
        prompt = clean_prompt(raw_prompt)
        usable = await self._has_usable_face(actor)
        await self.rules.limits_allow(actor)
        settings = await self.settings_for(actor.owner)
        draft = await self.videos.create_draft(
            user_id=actor.user_id,
            chat_id=actor.conversation,
            prompt=prompt,
            settings=settings,
            now=self.clock(),
            inline_message_id=inline_message_id,
            request_key=request_key,
            anonymous=actor.anonymous,
        )
        if draft.message_id is not None or draft.face_id is not None:
            return await self._card(draft)  # made by an earlier run of this same request
        if face_id is None and len(usable) == 1:
            face_id = usable[0].face.id
        if face_id is not None:
            return await self._choose_face(draft, face_id)
        return await self._card(draft)

    @staticmethod
    def _not_forwarded_in_group(actor: Actor, forwarded: bool) -> None:
        """A forwarded /generate in a group is nobody's request there: whoever forwarded it
        did not write it, and its author may not even be in the group. (In a private chat
        the person forwards to themselves.)"""
        if forwarded and actor.in_group:
            raise ServiceRefused(Refusal.FORWARDED_COMMAND)

    async def _has_usable_face(self, actor: Actor) -> list[UsableFace]:
        """The first two usable faces (enough to know there is one, or a choice to make)."""
        usable = await self.usable_faces(actor.owner, limit=2)
        if not usable:
            group = actor.in_group
            raise ServiceRefused(Refusal.NO_USABLE_GROUP_FACE if group else Refusal.NO_USABLE_FACE)
        return usable

    async def card_posted(self, job: VideoJob, message_id: int) -> None:
        """The draft's card is out: progress and the outcome go to that message."""
        await self.videos.update_draft(job.id, message_id=message_id)

    # Choosing

    async def card(self, actor: Actor, job_id: int) -> DraftCard:
        return await self._card(await self.rules.draft(job_id, actor))

    async def _card(self, job: VideoJob) -> DraftCard:
        if job.face_id is None:
            newest = await self.usable_faces(owner_of(job), newest_first=True)
            faces = [usable.face for usable in reversed(newest)]
            return DraftCard(job, faces, None, [], 1, None)
        face = await self.face_for(job, job.face_id)
        photos = [a for a in await self.assets.for_face(face.id) if a.state is AssetState.ACTIVE]
        return DraftCard(job, [], face, photos, self._max_assets(job), self._models(job))

    def provider(self, name: str) -> Provider:
        """The provider a draft's face is at, if it is still enabled: the operator may have
        turned it off since the draft was made."""
        try:
            return self.providers.get(name)
        except LookupError:
            display = self.providers.capabilities(name).display_name
            raise ServiceRefused(Refusal.PROVIDER_OFF, display) from None

    # A draft's card still shows (and can be cancelled) when its provider is off since.

    def _models(self, job: VideoJob) -> tuple[str, ...] | None:
        if job.provider is None:
            return None
        return self.providers.capabilities(job.provider).models

    def _max_assets(self, job: VideoJob) -> int:
        if job.provider is None:
            return 1
        return self.providers.capabilities(job.provider).max_video_assets

    async def choose_face(self, actor: Actor, job_id: int, face_id: int) -> DraftCard:
        return await self._choose_face(await self.rules.draft(job_id, actor), face_id)

    async def _choose_face(self, job: VideoJob, face_id: int) -> DraftCard:
        face = await self.face_for(job, face_id)
        if face.status is FaceStatus.WITHDRAWN:
            raise ServiceRefused(Refusal.FACE_WITHDRAWN)
        active = [a for a in await self.assets.for_face(face.id) if a.state is AssetState.ACTIVE]
        if face.status is not FaceStatus.ACTIVE or not active:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        chosen = [active[0].id] if len(active) == 1 else []
        models = self.provider(face.provider).capabilities.models
        job = await self.videos.update_draft(
            job.id,
            face_id=face.id,
            provider=face.provider,
            asset_ids=chosen,
            settings=normalize(job.settings, models),
        )
        return await self._card(job)

    async def pick_photo(self, actor: Actor, job_id: int, asset_id: int) -> DraftCard:
        """The photo to start from; where the provider takes several, add or remove one
        (up to what it takes in one video)."""
        job = await self.rules.draft(job_id, actor)
        asset = await self.assets.get(asset_id)
        if asset is None or asset.face_id != job.face_id:
            raise ServiceRefused(Refusal.NOT_YOURS)
        if asset.state is not AssetState.ACTIVE:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        most = self._max_assets(job)
        if most == 1:
            return await self._card(await self.videos.update_draft(job.id, asset_ids=[asset.id]))
        chosen = list(job.picking)
        if asset.id in chosen:
            chosen.remove(asset.id)
        elif len(chosen) < most:
            chosen.append(asset.id)
        return await self._card(await self.videos.update_draft(job.id, picking=chosen))

    async def picked(self, actor: Actor, job_id: int) -> DraftCard:
        job = await self.rules.draft(job_id, actor)
        if not job.picking:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        job = await self.videos.update_draft(job.id, asset_ids=list(job.picking), picking=[])
        return await self._card(job)

    async def change_settings(
        self, actor: Actor, job_id: int, field: int, value: int
    ) -> DraftCard:
        """One choice of the settings editor, for this draft only."""
        job = await self.rules.draft(job_id, actor)
        settings = normalize(apply_choice(job.settings, field, value), self._models(job))
        return await self._card(await self.videos.update_draft(job.id, settings=settings))

    async def cancel(self, actor: Actor, job_id: int) -> VideoJob:
        """Drop a draft. A Generate pressed meanwhile (by another admin, or on another
        device) wins: the video runs, so the cancel is refused rather than said to work."""
        job = await self.rules.draft(job_id, actor)
        if not await self.videos.transition(
            job.id, JobStatus.CANCELLED, self.clock(), expect=[JobStatus.DRAFT]
        ):
            raise ServiceRefused(Refusal.JOB_STARTED)
        return await self.rules.job(job.id)

    # After a submit: the requester decides

    async def again(
        self,
        actor: Actor,
        job_id: int,
        *,
        request_key: str | None = None,
        inline_message_id: str | None = None,
    ) -> DraftCard:
        """Again with these settings / Retry / Generate again: a new draft with the same
        choices, confirmed again before anything is charged (one per ``request_key``: a
        press handled again after a crash gets the same one). Pressed on an inline card,
        the new draft takes over that card."""
        job = await self._decided_here(actor, job_id, inline_message_id)
        await self.rules.may_generate(actor)
        draft = await self.videos.create_draft(
            user_id=actor.user_id,
            chat_id=job.chat_id,
            prompt=job.prompt,
            settings=job.settings,
            now=self.clock(),
            face_id=job.face_id,
            asset_ids=job.asset_ids,
            provider=job.provider,
            retry_of=job.id,
            inline_message_id=inline_message_id,
            request_key=request_key,
        )
        return await self._card(draft)

    async def forget(
        self, actor: Actor, job_id: int, *, inline_message_id: str | None = None
    ) -> VideoJob:
        """A cut-off submit the requester lets go: the bot stops waiting for it."""
        job = await self._decided_here(actor, job_id, inline_message_id)
        if not await self.videos.transition(
            job.id,
            JobStatus.CANCELLED,
            self.clock(),
            expect=[JobStatus.NEEDS_DECISION],
            detail="user forgot it",
        ):
            raise ServiceRefused(Refusal.JOB_STARTED)
        return await self.rules.job(job.id)

    async def _decided_here(
        self, actor: Actor, job_id: int, inline_message_id: str | None
    ) -> VideoJob:
        """The requester's job, pressed on its own card or in its own chat (a group's video
        is made again in the group, where its faces are)."""
        job = await self.rules.own_job(job_id, actor, inline_message_id=inline_message_id)
        if inline_message_id is None and not made_again_here(job, actor):
            raise ServiceRefused(Refusal.AGAIN_ELSEWHERE)
        return job
