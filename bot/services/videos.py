"""Videos: every use case a person has, each taking the :class:`Actor` who acts.

The use cases live in their own modules, composed here:
- ``drafts`` (video_drafts): /generate, the choices on a draft's card, cancel, again, forget;
- ``inline`` (video_inline): inline offers and the draft behind an inline card;
- :meth:`confirm` (video_submit): the paid step;
- settings and past videos, below; what happens after the submit is video_jobs.
Every rule (ownership, group access and quota, limits) is in video_rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.providers.registry import Providers
from bot.services.actors import Actor
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.faces import FaceService
from bot.services.foreground import Foreground
from bot.services.leases import Claims
from bot.services.notify import VideoNotifier
from bot.services.pending import PendingInputs
from bot.services.video_callbacks import VideoCallbacks
from bot.services.video_cards import DraftCard
from bot.services.video_drafts import DraftService
from bot.services.video_inline import InlineVideos
from bot.services.video_jobs import JobRunner
from bot.services.video_options import apply_choice, normalize
from bot.services.video_polling import VideoSchedule
from bot.services.video_rules import GroupGate, Limits, VideoRules, made_again_here
from bot.services.video_submit import Submitter
from storage.assets import AssetRepo
from storage.chats import InlineOfferRepo
from storage.models import VideoJob, VideoSettings, faces_of, names_of
from storage.videos import VideoRepo

__all__ = ["DraftCard", "Limits", "PastVideos", "SentAgain", "VideoService"]


@dataclass(frozen=True)
class PastVideos:
    jobs: list[VideoJob]
    face_names: dict[int, str]
    # The jobs the person may make again from here (Again with the same choices).
    again: frozenset[int] = frozenset()


@dataclass(frozen=True)
class SentAgain:
    job: VideoJob
    file_id: str
    face_name: str


class VideoService:
    def __init__(
        self,
        *,
        videos: VideoRepo,
        faces: FaceService,
        assets: AssetRepo,
        providers: Providers,
        notifier: VideoNotifier,
        clock: Clock,
        limits: Limits,
        schedule: VideoSchedule,
        groups: GroupGate,
        pending: PendingInputs,
        inline_offers: InlineOfferRepo,
        download_timeout: float = 120.0,
        workdir: Path | None = None,
        foreground: Foreground | None = None,
        callback_base: str | None = None,
        claims: Claims | None = None,
    ) -> None:
        """``callback_base``: the public URL providers call back on when a video task ends
        (None: no public URL, every video is polled)."""
        self.videos = videos
        self.faces = faces
        self.clock = clock
        self.jobs = JobRunner(
            videos=videos,
            providers=providers,
            notifier=notifier,
            clock=clock,
            schedule=schedule,
            download_timeout=download_timeout,
            workdir=workdir,
            foreground=foreground,
            claims=claims,
        )
        self.rules = VideoRules(videos=videos, groups=groups, clock=clock, limits=limits)
        self.drafts = DraftService(
            videos=videos,
            rules=self.rules,
            faces=faces,
            assets=assets,
            providers=providers,
            pending=pending,
            clock=clock,
        )
        self.inline = InlineVideos(
            videos=videos, offers=inline_offers, rules=self.rules, drafts=self.drafts, clock=clock
        )
        self._submitter = Submitter(
            videos=videos,
            rules=self.rules,
            drafts=self.drafts,
            assets=assets,
            notifier=notifier,
            jobs=self.jobs,
            clock=clock,
            schedule=schedule,
            callbacks=callback_base,
        )
        self.callbacks = VideoCallbacks(videos=videos, jobs=self.jobs)

    async def aclose(self) -> None:
        await self.callbacks.aclose()
        await self.jobs.aclose()

    # The tracker drives the jobs through these.

    async def poll_due(self) -> None:
        await self.jobs.poll_due()

    async def poll_soon(self) -> None:
        """Start a polling round in its own task (the tracker's step); returns at once."""
        await self.jobs.poll_soon()

    async def resume(self, before: float) -> None:
        await self.jobs.resume(before)

    async def sweep(self) -> None:
        await self.jobs.sweep()

    async def stop_deliveries(self) -> None:
        await self.jobs.stop_deliveries()

    async def deliver_outcome(self, job_id: int) -> None:
        await self.jobs.deliver_outcome(job_id)

    # The paid step

    async def confirm(self, actor: Actor, job_id: int) -> VideoJob:
        return await self._submitter.confirm(actor, job_id)

    # Default settings: a person's own, or (set by its admins) a group's

    async def settings(self, actor: Actor) -> VideoSettings:
        if actor.in_group and not actor.is_admin:
            raise ServiceRefused(Refusal.ADMINS_ONLY)
        return await self.drafts.settings_for(actor.owner)

    async def change_settings(self, actor: Actor, field: int, value: int) -> VideoSettings:
        """One choice of the defaults editor; a group's editor is for its admins."""
        if actor.in_group and not actor.is_admin:
            raise ServiceRefused(Refusal.NOT_YOURS)
        current = await self.drafts.settings_for(actor.owner)
        settings = normalize(apply_choice(current, field, value))
        await self.videos.save_settings(actor.owner, settings, self.clock())
        return settings

    # Past videos

    async def past(self, actor: Actor) -> PastVideos:
        """/videos: the person's recent videos, wherever they were made, and which of them
        may be made again from here."""
        jobs = await self.videos.recent(actor.user_id)
        again = frozenset(
            job.id
            for job in jobs
            if job.face_id is not None and job.asset_ids and made_again_here(job, actor)
        )
        return PastVideos(jobs, await self._face_names(jobs), again)

    async def send_again(self, actor: Actor, job_id: int) -> SentAgain:
        """A delivered video of the person's own, to send again by its file id."""
        job = await self.rules.own_job(job_id, actor)
        if job.tg_file_id is None:
            raise ServiceRefused(Refusal.NOT_DELIVERED)
        names = await self._face_names([job])
        return SentAgain(job, job.tg_file_id, names_of(job, names))

    async def _face_names(self, jobs: list[VideoJob]) -> dict[int, str]:
        names = {}
        for face_id in {f for j in jobs for f in faces_of(j)}:
            face = await self.faces.faces.get(face_id)
            if face is not None:
                names[face_id] = face.name
        return names
