"""Video generation up to the paid submit: drafts, choices, limits, the submit itself.

Never twice, never lost: a job row exists before the provider is called, the task id is
stored the moment it is known, and a job cut off between the two is never resubmitted
blindly: it waits for the user's decision. POSTs are not retried; GETs are (http.py).
What happens after the submit is bot.services.video_jobs.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from bot.providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    VideoRequest,
    VideoState,
)
from bot.providers.registry import Providers
from bot.services.bounded import KeyedLocks
from bot.services.clock import Clock, start_of_day
from bot.services.errors import Refusal, ServiceRefused
from bot.services.faces import FaceService
from bot.services.notify import VideoNotifier
from bot.services.user_text import clean_prompt
from bot.services.video_jobs import JobRunner, VideoSchedule
from bot.services.video_options import normalize
from storage.assets import AssetRepo
from storage.models import (
    Asset,
    AssetState,
    Face,
    FaceStatus,
    JobStatus,
    Owner,
    OwnerKind,
    VideoJob,
    VideoSettings,
)
from storage.videos import VideoRepo

# Writes of a paid task id are tried this often (backing off 0.2, 0.4, 0.8, 1.6 s).
TASK_WRITE_ATTEMPTS = 5

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    running_per_user: int = 2
    daily_per_user: int = 20


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
        download_timeout: float = 120.0,
        workdir: Path | None = None,
    ) -> None:
        self.videos = videos
        self.faces = faces
        self.assets = assets
        self.providers = providers
        self.notifier = notifier
        self.clock = clock
        self.limits = limits
        self.schedule = schedule
        self.jobs = JobRunner(
            videos=videos,
            providers=providers,
            notifier=notifier,
            clock=clock,
            schedule=schedule,
            download_timeout=download_timeout,
            workdir=workdir,
        )
        self._inline_locks: KeyedLocks[str] = KeyedLocks()

    async def aclose(self) -> None:
        await self.jobs.aclose()

    # The tracker drives the jobs through these.

    async def poll_due(self) -> None:
        await self.jobs.poll_due()

    async def resume(self, booted_at: float) -> None:
        await self.jobs.resume(booted_at)

    async def sweep(self) -> None:
        await self.jobs.sweep()

    async def stop_deliveries(self) -> None:
        await self.jobs.stop_deliveries()

    async def deliver_outcome(self, job_id: int) -> None:
        await self.jobs.deliver_outcome(job_id)

    # Settings

    async def settings_for(self, owner: Owner) -> VideoSettings:
        saved = await self.videos.settings(owner)
        return normalize(saved) if saved else VideoSettings()

    async def save_settings(self, owner: Owner, settings: VideoSettings) -> VideoSettings:
        settings = normalize(settings)
        await self.videos.save_settings(owner, settings, self.clock())
        return settings

    # Drafts: choices before anything is charged

    async def usable_faces(self, owner: Owner) -> list[tuple[Face, list[Asset]]]:
        """The owner's verified faces that have at least one Active asset, at providers that
        are enabled now."""
        usable = []
        enabled = set(self.providers.names())
        for summary in await self.faces.summaries(owner):
            if summary.face.provider not in enabled:
                continue
            active = [a for a in summary.assets if a.state is AssetState.ACTIVE]
            if summary.face.status is FaceStatus.ACTIVE and active:
                usable.append((summary.face, active))
        return usable

    async def start(
        self,
        user_id: int,
        chat_id: int,
        raw_prompt: str,
        *,
        owner: Owner | None = None,
        face_id: int | None = None,
        inline_message_id: str | None = None,
        request_key: str | None = None,
    ) -> VideoJob:
        """A draft with the prompt; the face is chosen now if there is no choice to make.

        ``owner`` is whose faces may be used (the user's, or the group chat's). The same
        ``request_key`` (an update handled again after a crash) gets the same draft back.
        """
        prompt = clean_prompt(raw_prompt)
        owner = owner or Owner(OwnerKind.USER, user_id)
        usable = await self.usable_faces(owner)
        if not usable:
            raise ServiceRefused(Refusal.NO_USABLE_FACE)
        await self.check_limits(user_id)
        settings = await self.settings_for(owner)
        draft = await self.videos.create_draft(
            user_id=user_id,
            chat_id=chat_id,
            prompt=prompt,
            settings=settings,
            now=self.clock(),
            inline_message_id=inline_message_id,
            request_key=request_key,
        )
        if draft.message_id is not None or draft.face_id is not None:
            return draft  # made by an earlier run of this same request
        if face_id is None and len(usable) == 1:
            face_id = usable[0][0].id
        if face_id is not None:
            draft = await self.choose_face(draft.id, user_id, face_id)
        return draft

    @staticmethod
    def owner_of(job: VideoJob) -> Owner:
        """Whose faces a job works with: a group chat's (negative ids) or the user's."""
        if job.chat_id < 0:
            return Owner(OwnerKind.CHAT, job.chat_id)
        return Owner(OwnerKind.USER, job.user_id)

    async def inline_placeholder(self, inline_message_id: str, user_id: int) -> VideoJob | None:
        """The draft already behind an inline placeholder, if it is this user's (under the
        placeholder's lock: one being made right now is returned only once it is whole)."""
        async with self._inline_locks[inline_message_id]:
            job = await self.videos.by_inline_message(inline_message_id)
        if job is not None and job.user_id != user_id:
            raise ServiceRefused(Refusal.NOT_YOURS)
        return job

    async def inline_draft(
        self, user_id: int, prompt: str, face_id: int, inline_message_id: str
    ) -> VideoJob:
        """The one draft behind an inline placeholder (chosen_inline_result and the button
        press may both arrive, in either order, at the same time)."""
        async with self._inline_locks[inline_message_id]:
            existing = await self.videos.by_inline_message(inline_message_id)
            if existing is not None:
                if existing.user_id != user_id:
                    raise ServiceRefused(Refusal.NOT_YOURS)
                return existing
            return await self.start(
                user_id, user_id, prompt, face_id=face_id, inline_message_id=inline_message_id
            )

    async def face_for(self, job: VideoJob, face_id: int) -> Face:
        """A face this job may use: the requester's own, or the group's it was asked in."""
        face = await self.faces.faces.get(face_id)
        allowed = (Owner(OwnerKind.USER, job.user_id), Owner(OwnerKind.CHAT, job.chat_id))
        if face is None or face.status is FaceStatus.DELETED or face.owner not in allowed:
            raise ServiceRefused(Refusal.NOT_YOURS)
        return face

    async def draft(self, job_id: int, user_id: int) -> VideoJob:
        job = await self.videos.get(job_id)
        if job is None or job.user_id != user_id:
            raise ServiceRefused(Refusal.NO_SUCH_JOB if job is None else Refusal.NOT_YOURS)
        if job.status is not JobStatus.DRAFT:
            raise ServiceRefused(Refusal.JOB_STARTED)
        return job

    async def choose_face(self, job_id: int, user_id: int, face_id: int) -> VideoJob:
        job = await self.draft(job_id, user_id)
        face = await self.face_for(job, face_id)
        active = [a for a in await self.assets.for_face(face.id) if a.state is AssetState.ACTIVE]
        if face.status is not FaceStatus.ACTIVE or not active:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        chosen = [active[0].id] if len(active) == 1 else []
        job = await self.draft(job_id, user_id)
        models = self.providers.get(face.provider).capabilities.models
        return await self.videos.update_draft(
            job_id,
            face_id=face.id,
            provider=face.provider,
            asset_ids=chosen,
            settings=normalize(job.settings, models),
        )

    async def choose_asset(self, job_id: int, user_id: int, asset_id: int) -> VideoJob:
        job = await self.draft(job_id, user_id)
        asset = await self.assets.get(asset_id)
        if asset is None or asset.face_id != job.face_id:
            raise ServiceRefused(Refusal.NOT_YOURS)
        if asset.state is not AssetState.ACTIVE:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        return await self.videos.update_draft(job_id, asset_ids=[asset.id])

    @staticmethod
    def normalized(settings: VideoSettings, models: tuple[str, ...]) -> VideoSettings:
        return normalize(settings, models)

    def models(self, job: VideoJob) -> tuple[str, ...] | None:
        """The models this draft's provider offers (None before a face is chosen)."""
        if job.provider is None:
            return None
        return self.providers.get(job.provider).capabilities.models

    def max_assets(self, job: VideoJob) -> int:
        if job.provider is None:
            return 1
        return self.providers.get(job.provider).capabilities.max_video_assets

    async def toggle_asset(self, job_id: int, user_id: int, asset_id: int) -> VideoJob:
        """Add or remove a reference photo, up to what the provider takes in one video."""
        job = await self.draft(job_id, user_id)
        asset = await self.assets.get(asset_id)
        if asset is None or asset.face_id != job.face_id:
            raise ServiceRefused(Refusal.NOT_YOURS)
        if asset.state is not AssetState.ACTIVE:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        chosen = list(job.picking)
        if asset.id in chosen:
            chosen.remove(asset.id)
        elif len(chosen) < self.max_assets(job):
            chosen.append(asset.id)
        return await self.videos.update_draft(job_id, picking=chosen)

    async def picked(self, job_id: int, user_id: int) -> VideoJob:
        job = await self.draft(job_id, user_id)
        if not job.picking:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        return await self.videos.update_draft(job_id, asset_ids=list(job.picking), picking=[])

    async def change_draft_settings(
        self, job_id: int, user_id: int, settings: VideoSettings
    ) -> VideoJob:
        job = await self.draft(job_id, user_id)
        return await self.videos.update_draft(
            job_id, settings=normalize(settings, self.models(job))
        )

    async def cancel(self, job_id: int, user_id: int) -> VideoJob:
        job = await self.draft(job_id, user_id)
        await self.videos.transition(
            job.id, JobStatus.CANCELLED, self.clock(), expect=[JobStatus.DRAFT]
        )
        return await self._job(job.id)

    async def copy_as_draft(
        self, job_id: int, user_id: int, *, request_key: str | None = None
    ) -> VideoJob:
        """Again with these settings / Retry: a new draft, confirmed again before charging
        (one per ``request_key``: a press handled again after a crash gets the same one)."""
        job = await self._job(job_id)
        if job.user_id != user_id:
            raise ServiceRefused(Refusal.NOT_YOURS)
        await self.check_limits(user_id)
        return await self.videos.create_draft(
            user_id=user_id,
            chat_id=job.chat_id,
            prompt=job.prompt,
            settings=job.settings,
            now=self.clock(),
            face_id=job.face_id,
            asset_ids=job.asset_ids,
            provider=job.provider,
            retry_of=job.id,
            request_key=request_key,
        )

    async def forget(self, job_id: int, user_id: int) -> VideoJob:
        job = await self._job(job_id)
        if job.user_id != user_id:
            raise ServiceRefused(Refusal.NOT_YOURS)
        await self.videos.transition(
            job.id,
            JobStatus.CANCELLED,
            self.clock(),
            expect=[JobStatus.NEEDS_DECISION],
            detail="user forgot it",
        )
        return await self._job(job.id)

    async def check_limits(self, user_id: int) -> None:
        if await self.videos.count_active(user_id) >= self.limits.running_per_user:
            raise ServiceRefused(Refusal.LIMIT_RUNNING, str(self.limits.running_per_user))
        today = await self.videos.count_submitted_since(user_id, start_of_day(self.clock()))
        if today >= self.limits.daily_per_user:
            raise ServiceRefused(Refusal.LIMIT_DAILY, str(self.limits.daily_per_user))

    async def _job(self, job_id: int) -> VideoJob:
        job = await self.videos.get(job_id)
        if job is None:
            raise ServiceRefused(Refusal.NO_SUCH_JOB)
        return job

    # The paid step

    async def confirm(self, job_id: int, user_id: int) -> VideoJob:
        """Submit a draft. The row is SUBMITTING before the provider hears of it."""
        job = await self.draft(job_id, user_id)
        if job.face_id is None or not job.asset_ids:
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        face = await self.face_for(job, job.face_id)
        assets = [await self.assets.get(a) for a in job.asset_ids]
        refs = [
            a.provider_asset_id
            for a in assets
            if a is not None
            and a.face_id == face.id
            and a.state is AssetState.ACTIVE
            and a.provider_asset_id
        ]
        if face.status is not FaceStatus.ACTIVE or len(refs) != len(job.asset_ids):
            raise ServiceRefused(Refusal.ASSET_NOT_ACTIVE)
        await self.check_limits(user_id)
        now = self.clock()
        if not await self.videos.transition(
            job.id, JobStatus.SUBMITTING, now, expect=[JobStatus.DRAFT], submitted_at=now
        ):
            raise ServiceRefused(Refusal.JOB_STARTED)
        provider = self.providers.get(face.provider)
        request = VideoRequest(
            prompt=job.prompt,
            asset_ids=refs,
            model=job.settings.model,
            duration=job.settings.duration,
            resolution=job.settings.resolution,
            ratio=job.settings.ratio,
            audio=job.settings.audio,
        )
        try:
            status = await provider.submit_video(request)
        except Exception as exc:  # every failure is sorted into charged-or-not below
            await self._submit_failed(job, exc)
            return await self._job(job.id)
        await self._record_task(job, status.task_id)
        job = await self._job(job.id)
        await self.notifier.job_progress(job, force=True)
        if status.state is not VideoState.QUEUED:
            await self.jobs.apply(job, status)
        return await self._job(job.id)

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
                    next_poll_at=self.clock() + self.schedule.poll_seconds,
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
        job as failed, with a Retry; anything else may have started (and charged) it, so the
        user decides."""
        if isinstance(exc, ProviderError) and _not_taken(exc):
            await self.jobs.end(
                job, JobStatus.FAILED, _error_code(exc), exc.message, expect=JobStatus.SUBMITTING
            )
            return
        if not isinstance(exc, ProviderError):
            log.exception("submitting job %d failed unexpectedly", job.id, exc_info=exc)
        message = exc.message if isinstance(exc, ProviderError) else type(exc).__name__
        await self.jobs.end(
            job, JobStatus.NEEDS_DECISION, "lost_answer", message, expect=JobStatus.SUBMITTING
        )

    # Past videos

    async def recent(self, user_id: int) -> list[VideoJob]:
        return await self.videos.recent(user_id)

    async def delivered(self, job_id: int, user_id: int) -> VideoJob:
        job = await self._job(job_id)
        if job.user_id != user_id:
            raise ServiceRefused(Refusal.NOT_YOURS)
        if job.tg_file_id is None:
            raise ServiceRefused(Refusal.NOT_DELIVERED)
        return job


def _not_taken(exc: ProviderError) -> bool:
    """The provider certainly did not start the job: it refused, or was never reached."""
    if isinstance(exc, ProviderRejected | ProviderRateLimited | ProviderAuthError):
        return True
    return isinstance(exc, ProviderUnavailable) and exc.code == "not_connected"


def _error_code(exc: ProviderError) -> str:
    if isinstance(exc, ProviderAuthError):
        return "auth"
    if isinstance(exc, ProviderRateLimited):
        return "rate_limited"
    if isinstance(exc, ProviderRejected):
        return exc.code or exc.reason.value
    return exc.code or "provider_error"
