"""Drafts: a prompt, a face, its photos and settings, chosen before anything is charged.

Every step takes the :class:`Actor` and goes through :class:`VideoRules`, so no entry point
(command, button, inline card, a prompt typed as an answer) can skip a rule. The prompt a
person is asked for is recorded here, as the question is asked.
"""

from __future__ import annotations

from bot.providers.base import Provider
from bot.providers.registry import Providers
from bot.services.actors import Actor, Place
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.face_views import PAGE_SIZE
from bot.services.faces import FaceService
from bot.services.pending import PendingInputs
from bot.services.user_text import clean_prompt
from bot.services.video_cards import DraftCard, DraftCards
from bot.services.video_decisions import Decisions
from bot.services.video_modes import (
    MODES,
    least_photos,
    mentioned,
    mode_for,
    modes_of,
    most_photos,
)
from bot.services.video_options import apply_choice, normalize
from bot.services.video_rules import VideoRules
from storage.assets import AssetRepo
from storage.face_lists import UsableFace
from storage.models import (
    AssetState,
    Awaiting,
    Face,
    FaceStatus,
    JobStatus,
    Owner,
    VideoJob,
    VideoMode,
    VideoSettings,
)
from storage.videos import VideoRepo

# How many of the owner's newest faces a prompt's names are looked for among.
NAMED_FACES = 200


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
        self.cards = DraftCards(faces=faces, assets=assets, providers=providers)
        self.decisions = Decisions(
            videos=videos, rules=rules, cards=self.cards, assets=assets, clock=clock
        )

    async def settings_for(self, owner: Owner) -> VideoSettings:
        saved = await self.videos.settings(owner)
        return normalize(saved) if saved else VideoSettings()

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
        # Without a face given, the newest faces are read once: is there one, is there a
        # choice, and which does the prompt name.
        usable = await self._has_usable_face(actor, 2 if face_id is not None else NAMED_FACES)
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
        if face_id is None:
            named = mentioned(prompt, [u.face for u in usable])
            if len(named) == 1:
                face_id = named[0].id
            elif named:
                return await self._cast(draft, named)
        if face_id is not None:
            return await self._choose_face(draft, face_id)
        return await self._card(draft)

    async def _cast(self, job: VideoJob, named: list[Face]) -> DraftCard:
        """A prompt naming two or more faces ("Anna hugs Ben"): a references video of them,
        each with their first photo, where one provider has them all and takes that many;
        else the face question, as for any prompt."""
        providers = {face.provider for face in named}
        caps = self.providers.capabilities(named[0].provider)
        if len(providers) > 1 or VideoMode.REFERENCES not in modes_of(caps):
            return await self._card(job)
        if len(named) > most_photos(VideoMode.REFERENCES, caps):
            return await self._card(job)
        photos = [(await self.cards.active(face.id))[0].id for face in named]
        job = await self.videos.update_draft(  # in one write: a crash leaves all or nothing
            job.id,
            face_id=named[0].id,
            provider=named[0].provider,
            mode=VideoMode.REFERENCES,
            settings=normalize(job.settings, caps.models),
            asset_ids=photos,
            face_ids=[face.id for face in named],
            picking=[],
        )
        return await self._card(job)

    @staticmethod
    def _not_forwarded_in_group(actor: Actor, forwarded: bool) -> None:
        """A forwarded /generate in a group is nobody's request there: whoever forwarded it
        did not write it, and its author may not even be in the group. (In a private chat
        the person forwards to themselves.)"""
        if forwarded and actor.in_group:
            raise ServiceRefused(Refusal.FORWARDED_COMMAND)

    async def _has_usable_face(self, actor: Actor, limit: int = 2) -> list[UsableFace]:
        """The newest ``limit`` usable faces (two: enough to know there is one, or a choice
        to make)."""
        usable = await self.usable_faces(actor.owner, limit=limit, newest_first=True)
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

    async def _card(self, job: VideoJob, *, adding: bool = False) -> DraftCard:
        return await self.cards.card(job, adding=adding)

    async def usable_faces(
        self, owner: Owner, *, limit: int = PAGE_SIZE, skip: int = 0, newest_first: bool = False
    ) -> list[UsableFace]:
        return await self.cards.usable_faces(
            owner, limit=limit, skip=skip, newest_first=newest_first
        )

    async def face_for(self, job: VideoJob, face_id: int) -> Face:
        return await self.cards.face_for(job, face_id)

    def provider(self, name: str) -> Provider:
        """The provider a draft's face is at, if it is still enabled: the operator may have
        turned it off since the draft was made."""
        try:
            return self.providers.get(name)
        except LookupError:
            display = self.providers.capabilities(name).display_name
            raise ServiceRefused(Refusal.PROVIDER_OFF, display) from None

    async def _chosen(self, job: VideoJob, asset_ids: list[int]) -> DraftCard:
        """The photos are chosen: on to the confirm step."""
        job = await self.videos.update_draft(
            job.id, asset_ids=asset_ids, face_ids=await self.cards.face_ids(asset_ids), picking=[]
        )
        return await self._card(job)

    async def choose_face(self, actor: Actor, job_id: int, face_id: int) -> DraftCard:
        return await self._choose_face(await self.rules.draft(job_id, actor), face_id)

    async def _choose_face(self, job: VideoJob, face_id: int) -> DraftCard:
        face = await self.face_for(job, face_id)
        if face.status is FaceStatus.WITHDRAWN:
            raise ServiceRefused(Refusal.FACE_WITHDRAWN)
        active = await self.cards.active(face.id)
        if face.status is not FaceStatus.ACTIVE or not active:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        provider = self.provider(face.provider)
        if job.picking and job.face_id is not None:
            # Another face for the same video: only one at the same provider will do.
            if face.provider != job.provider:
                ours = self.providers.capabilities(job.provider or face.provider)
                raise ServiceRefused(Refusal.OTHER_PROVIDER, ours.display_name)
            return await self._card(await self.videos.update_draft(job.id, face_id=face.id))
        caps = provider.capabilities
        mode = mode_for(job.mode, caps)
        job = await self.videos.update_draft(
            job.id,
            face_id=face.id,
            provider=face.provider,
            mode=mode,
            asset_ids=[],
            face_ids=[],
            picking=[],
            settings=normalize(job.settings, caps.models),
        )
        if len(active) == 1 and least_photos(mode) == 1:
            return await self._chosen(job, [active[0].id])
        return await self._card(job)

    async def add_face(self, actor: Actor, job_id: int) -> DraftCard:
        """The faces whose photos may join the video: the owner's, at the draft's provider."""
        job = await self.rules.draft(job_id, actor)
        if job.face_id is None or job.mode is VideoMode.FIRST_FRAME:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        if not job.picking:
            job = await self.videos.update_draft(job.id, picking=list(job.asset_ids), asset_ids=[])
        return await self._card(job, adding=True)

    async def choose_mode(self, actor: Actor, job_id: int, index: int) -> DraftCard:
        """A mode the provider offers; the photos picked so far stay as far as it takes them."""
        job = await self.rules.draft(job_id, actor)
        if job.provider is None or not 0 <= index < len(MODES):
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        caps = self.provider(job.provider).capabilities
        mode = MODES[index]
        if mode not in modes_of(caps):
            raise ServiceRefused(Refusal.MODE_NOT_OFFERED, caps.display_name)
        kept = list(job.asset_ids or job.picking)[: most_photos(mode, caps)]
        job = await self.videos.update_draft(
            job.id, mode=mode, picking=kept, asset_ids=[], face_ids=[]
        )
        return await self._card(job)

    async def change_face(self, actor: Actor, job_id: int) -> DraftCard:
        """Back to the face question (a face picked from the prompt by mistake, say)."""
        job = await self.rules.draft(job_id, actor)
        job = await self.videos.update_draft(
            job.id, face_id=None, provider=None, asset_ids=[], face_ids=[], picking=[]
        )
        return await self._card(job)

    async def change_photos(self, actor: Actor, job_id: int) -> DraftCard:
        """Back from the confirm step to the photos, with the chosen ones still picked."""
        job = await self.rules.draft(job_id, actor)
        if job.face_id is None:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        if job.asset_ids:
            job = await self.videos.update_draft(
                job.id, picking=list(job.asset_ids), asset_ids=[], face_ids=[]
            )
        return await self._card(job)

    async def pick_photo(self, actor: Actor, job_id: int, asset_id: int) -> DraftCard:
        """A photo of the face on show: the one to start from (first frame), or one more (or
        one less) of the two frames or of the references, up to what the mode takes."""
        job = await self.rules.draft(job_id, actor)
        asset = await self.assets.get(asset_id)
        if asset is None or asset.face_id != job.face_id or job.provider is None:
            raise ServiceRefused(Refusal.NOT_YOURS)
        if asset.state is not AssetState.ACTIVE:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        most = most_photos(job.mode, self.providers.capabilities(job.provider))
        if most == 1:
            return await self._chosen(job, [asset.id])
        chosen = list(job.picking or job.asset_ids)  # what the card shows as picked
        if asset.id in chosen:
            chosen.remove(asset.id)
        elif len(chosen) < most:
            chosen.append(asset.id)
        elif job.mode is VideoMode.FIRST_LAST:
            chosen[-1] = asset.id  # both frames were picked: this one ends the video now
        if job.mode is VideoMode.FIRST_LAST and len(chosen) == most:
            return await self._chosen(job, chosen)  # both frames: nothing left to ask
        job = await self.videos.update_draft(job.id, picking=chosen, asset_ids=[], face_ids=[])
        return await self._card(job)

    async def picked(self, actor: Actor, job_id: int) -> DraftCard:
        job = await self.rules.draft(job_id, actor)
        if len(job.picking) < least_photos(job.mode):
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        return await self._chosen(job, list(job.picking))

    async def change_settings(
        self, actor: Actor, job_id: int, field: int, value: int
    ) -> DraftCard:
        """One choice of the settings editor, for this draft only."""
        job = await self.rules.draft(job_id, actor)
        settings = normalize(apply_choice(job.settings, field, value), self.cards.models(job))
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

    # After a submit: the requester decides (bot.services.video_decisions)

    async def again(
        self,
        actor: Actor,
        job_id: int,
        *,
        request_key: str | None = None,
        inline_message_id: str | None = None,
    ) -> DraftCard:
        return await self.decisions.again(
            actor, job_id, request_key=request_key, inline_message_id=inline_message_id
        )

    async def forget(
        self, actor: Actor, job_id: int, *, inline_message_id: str | None = None
    ) -> VideoJob:
        return await self.decisions.forget(actor, job_id, inline_message_id=inline_message_id)
