"""After a submit, the requester decides: the same video again (with the same mode, faces,
photos and settings, confirmed again before anything is charged), or let a cut-off submit
go."""

from __future__ import annotations

from bot.services.actors import Actor
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.video_cards import DraftCard, DraftCards
from bot.services.video_modes import mode_for, most_photos
from bot.services.video_rules import VideoRules, made_again_here
from storage.assets import AssetRepo
from storage.models import JobStatus, VideoJob
from storage.videos import VideoRepo


class Decisions:
    def __init__(
        self,
        *,
        videos: VideoRepo,
        rules: VideoRules,
        cards: DraftCards,
        assets: AssetRepo,
        clock: Clock,
    ) -> None:
        self.videos = videos
        self.rules = rules
        self.cards = cards
        self.assets = assets
        self.clock = clock

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
            face_ids=job.face_ids,
            mode=job.mode,
            provider=job.provider,
            retry_of=job.id,
            inline_message_id=inline_message_id,
            request_key=request_key,
        )
        caps = self.cards.providers.capabilities(draft.provider) if draft.provider else None
        if caps is not None and draft.asset_ids:
            mode = mode_for(draft.mode, caps)
            if mode is not draft.mode or len(draft.asset_ids) > most_photos(mode, caps):
                # The provider no longer takes this mode or this many photos: they are
                # picked again, in what it takes, starting from the first one's face.
                kept = list(draft.asset_ids)[: most_photos(mode, caps)]
                first = await self.assets.get(kept[0])
                draft = await self.videos.update_draft(
                    draft.id,
                    mode=mode,
                    face_id=first.face_id if first is not None else draft.face_id,
                    picking=kept,
                    asset_ids=[],
                    face_ids=[],
                )
        return await self.cards.card(draft)

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
