"""The paid step: a confirmed draft goes to the provider.

Never twice, never lost: a job row is SUBMITTING before the provider is called, the task id
is stored the moment it is known, and a job cut off between the two is never resubmitted
blindly: it waits for the user's decision. POSTs are not retried; GETs are (http.py).
What happens after the submit is bot.services.video_jobs.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from bot.providers.base import ProviderError, VideoImage, VideoRequest, VideoState
from bot.services.actors import Actor
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.job_failures import of_submit_error
from bot.services.notify import VideoNotifier
from bot.services.video_drafts import DraftService
from bot.services.video_jobs import JobRunner
from bot.services.video_modes import provider_prompt
from bot.services.video_polling import VideoSchedule
from bot.services.video_rules import VideoRules
from storage.assets import AssetRepo
from storage.leases import LeaseKind
from storage.models import FaceStatus, JobStatus, VideoJob
from storage.videos import VideoRepo

# Writes of a paid task id are tried this often (backing off 0.2, 0.4, 0.8, 1.6 s).
TASK_WRITE_ATTEMPTS = 5

log = logging.getLogger(__name__)


class Submitter:
    def __init__(
        self,
        *,
        videos: VideoRepo,
        rules: VideoRules,
        drafts: DraftService,
        assets: AssetRepo,
        notifier: VideoNotifier,
        jobs: JobRunner,
        clock: Clock,
        schedule: VideoSchedule,
        callbacks: str | None = None,
    ) -> None:
        self.videos = videos
        self.rules = rules
        self.drafts = drafts
        self.assets = assets
        self.notifier = notifier
        self.jobs = jobs
        self.clock = clock
        self.schedule = schedule
        # Where providers that call back are told to (REALFACE_PUBLIC_URL + /hooks/video): the
        # secret of each task is added. None: no public URL, so every video is polled.
        self.callbacks = callbacks

    async def confirm(self, actor: Actor, job_id: int) -> VideoJob:
        """Submit a draft for ``actor``, who becomes its requester (a draft an anonymous
        admin made is the confirming admin's from now on). The job's lease is held from
        before it leaves its draft until its submit is settled: another worker neither
        submits it too nor takes it for one cut off (bot/services/leases.py)."""
        if job_id not in await self.jobs.claims.claim(LeaseKind.VIDEO, [job_id]):
            raise ServiceRefused(Refusal.JOB_STARTED)  # a second tap, on another worker now
        try:
            return await self._confirm(actor, job_id)
        finally:
            await self.jobs.let_go(job_id)  # a video ready at once is being delivered

    async def _confirm(self, actor: Actor, job_id: int) -> VideoJob:
        job = await self.rules.draft(job_id, actor)
        picked = await self.drafts.cards.images(job)
        assert job.provider is not None  # images() refuses a draft without one
        # Before the job leaves its draft: a provider turned off since is a refusal, never
        # a job stuck on its way to nowhere.
        provider = self.drafts.provider(job.provider)
        # The group's rules may have changed since the draft, and the limits are the
        # confirmer's (not GroupAnonymousBot's).
        await self.rules.may_generate(actor)
        caps = provider.capabilities
        token = secrets.token_urlsafe(24) if caps.video_callbacks and self.callbacks else None
        now = self.clock()
        if not await self.videos.transition(
            job.id,
            JobStatus.SUBMITTING,
            now,
            expect=[JobStatus.DRAFT],
            submitted_at=now,
            user_id=actor.user_id,  # the same, or the admin taking an anonymous draft
            anonymous=False,  # from now on it is that admin's own
            face_active=True,  # withdrawn or deleted since the check above: nothing goes
            callback_token=token,
        ):
            for item in picked:
                face = await self.drafts.face_for(job, item.face.id)
                if face.status is not FaceStatus.ACTIVE:
                    raise ServiceRefused(Refusal.FACE_WITHDRAWN)
            raise ServiceRefused(Refusal.JOB_STARTED)
        job = await self.rules.job(job.id)
        request = VideoRequest(
            prompt=provider_prompt(job.prompt, job.mode, picked, caps.image_tag),
            images=[VideoImage(item.asset.provider_asset_id or "", item.role) for item in picked],
            model=job.settings.model,
            duration=job.settings.duration,
            resolution=job.settings.resolution,
            ratio=job.settings.ratio,
            audio=job.settings.audio,
            callback_url=f"{self.callbacks}/{token}" if token and self.callbacks else None,
        )
        try:
            status = await provider.submit_video(request)
        except Exception as exc:  # every failure is sorted into charged-or-not below
            await self._submit_failed(job, exc)
            return await self.rules.job(job.id)
        await self._record_task(job, status.task_id)
        job = await self.rules.job(job.id)
        await self.notifier.job_progress(job, force=True)
        if status.state is not VideoState.QUEUED:
            await self.jobs.apply(job, status, alone=True)
        return await self.rules.job(job.id)

    async def _record_task(self, job: VideoJob, task_id: str) -> None:
        """Store the task id of a paid submit. Even if a restart meanwhile put the job aside
        for the user, the provider took it: keep its id and follow it. A failing write is
        tried again, and if it never succeeds the id goes to the log at ERROR level, the
        one place left from which the paid video can still be traced."""
        for attempt in range(TASK_WRITE_ATTEMPTS):
            try:
                if not await self.videos.transition(
                    job.id,
                    JobStatus.QUEUED,
                    self.clock(),
                    expect=[JobStatus.SUBMITTING, JobStatus.NEEDS_DECISION],
                    provider_task_id=task_id,
                    next_poll_at=self.clock() + self.schedule.next_poll(job, 0),
                ):
                    # The user forgot it meanwhile: the provider still has it (and charged).
                    log.warning("job %d: provider task %s came back too late", job.id, task_id)
                return
            except Exception:
                if attempt == TASK_WRITE_ATTEMPTS - 1:
                    log.error(
                        "job %d: provider task %s was submitted but could not be stored",
                        job.id,
                        task_id,
                    )
                    raise
                log.warning("job %d: storing task %s failed; trying again", job.id, task_id)
                await asyncio.sleep(0.2 * 2**attempt)

    async def _submit_failed(self, job: VideoJob, exc: Exception) -> None:
        """Only an answer that says "not taken" (4xx, 429, a refused connection) may end the
        job as failed (saying why, and so whether a Retry helps); anything else may have
        started (and charged) it, so the user decides."""
        if isinstance(exc, ProviderError) and exc.not_taken:
            await self.jobs.end(
                job,
                JobStatus.FAILED,
                exc.code,
                exc.message,
                expect=JobStatus.SUBMITTING,
                failure=of_submit_error(exc),
            )
            return
        if not isinstance(exc, ProviderError):
            log.exception("submitting job %d failed unexpectedly", job.id, exc_info=exc)
        message = exc.message if isinstance(exc, ProviderError) else type(exc).__name__
        await self.jobs.end(
            job, JobStatus.NEEDS_DECISION, "lost_answer", message, expect=JobStatus.SUBMITTING
        )
