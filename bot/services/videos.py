"""Video generation: drafts, the paid submit, polling, and delivery of the MP4.

Never twice, never lost: a job row exists before the provider is called, the task id is
stored the moment it is known, and a job cut off between the two is never resubmitted
blindly: it waits for the user's decision. POSTs are not retried; GETs are (http.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bot.providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    VideoRequest,
    VideoState,
    VideoStatus,
)
from bot.providers.registry import Providers
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.faces import FaceService
from bot.services.notify import DeliveryRefused, VideoNotifier
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

log = logging.getLogger(__name__)

RESOLUTIONS = {"seedance-2.0": ("480p", "720p", "1080p"), "seedance-2.0-fast": ("480p", "720p")}
RATIOS = ("adaptive", "16:9", "9:16", "1:1", "4:3", "3:4", "21:9")
DURATIONS = tuple(range(4, 16))
MAX_PROMPT = 2000
TELEGRAM_VIDEO_LIMIT = 50 * 1024 * 1024  # sendVideo by upload (shared/TELEGRAM.md)
# Pixels per frame at each resolution (other ratios spread about the same area).
_PIXELS = {"480p": 864 * 496, "720p": 1280 * 720, "1080p": 1920 * 1080}
USD_PER_MILLION_TOKENS = 7.0
MAX_DELIVERY_ATTEMPTS = 5  # PROVIDERS.md: 108,900 tokens ~ USD 0.76 at list price


# The settings editor's choices, by field: a button carries (field index, value index).
SETTING_FIELDS = ("model", "duration", "resolution", "ratio", "audio")
SETTING_CHOICES: dict[str, tuple[object, ...]] = {
    "model": ("seedance-2.0", "seedance-2.0-fast"),
    "duration": (4, 5, 6, 8, 10, 12, 15),
    "resolution": ("480p", "720p", "1080p"),
    "ratio": RATIOS,
    "audio": (False, True),
}


def apply_choice(settings: VideoSettings, field_index: int, value_index: int) -> VideoSettings:
    """Settings with one choice changed; out-of-range choices (old buttons) change nothing."""
    if not 0 <= field_index < len(SETTING_FIELDS):
        return settings
    name = SETTING_FIELDS[field_index]
    choices = SETTING_CHOICES[name]
    if not 0 <= value_index < len(choices):
        return settings
    changes: dict[str, Any] = {name: choices[value_index]}
    return normalize(replace(settings, **changes))


@dataclass(frozen=True)
class Limits:
    running_per_user: int = 2
    daily_per_user: int = 20


@dataclass(frozen=True)
class VideoSchedule:
    poll_seconds: float = 3.0
    max_poll_seconds: float = 10.0
    timeout_seconds: float = 1800.0  # a job running longer than this is given up

    def backoff(self, polls: int) -> float:
        return min(self.max_poll_seconds, self.poll_seconds * 1.5**polls)


@dataclass(frozen=True)
class Estimate:
    tokens: int
    usd: float


def normalize(s: VideoSettings, models: tuple[str, ...] | None = None) -> VideoSettings:
    """Settings the model (and the provider, if ``models`` says which it has) accepts.

    The fast model has no 1080p, so it gets 720p; a model the provider lacks becomes its
    first one.
    """
    allowed = [m for m in (models or tuple(RESOLUTIONS)) if m in RESOLUTIONS] or ["seedance-2.0"]
    model = s.model if s.model in allowed else allowed[0]
    resolution = s.resolution if s.resolution in RESOLUTIONS[model] else "720p"
    duration = min(max(s.duration, DURATIONS[0]), DURATIONS[-1])
    ratio = s.ratio if s.ratio in RATIOS else "adaptive"
    return VideoSettings(model, duration, resolution, ratio, s.audio)


def estimate(s: VideoSettings) -> Estimate:
    """Tokens ~ width x height x frames / 1024 at 24 fps (matches 108,900 for 5 s 720p)."""
    frames = s.duration * 24
    tokens = int(_PIXELS[s.resolution] * frames / 1024)
    return Estimate(tokens, tokens * USD_PER_MILLION_TOKENS / 1_000_000)


def clean_prompt(raw: str) -> str:
    prompt = raw.strip()
    if not prompt or len(prompt) > MAX_PROMPT:
        raise ServiceRefused(Refusal.BAD_PROMPT, str(len(prompt)))
    return prompt


def start_of_day(now: float) -> float:
    day = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp()


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
        self.workdir = workdir
        self._outcome_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._deliveries: dict[int, asyncio.Task[None]] = {}
        self._inline_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(download_timeout), follow_redirects=True
        )

    async def aclose(self) -> None:
        await self.http.aclose()

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
        """The owner's verified faces that have at least one Active asset."""
        usable = []
        for summary in await self.faces.summaries(owner):
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
    ) -> VideoJob:
        """A draft with the prompt; the face is chosen now if there is no choice to make.

        ``owner`` is whose faces may be used (the user's, or the group chat's).
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
        )
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

    async def copy_as_draft(self, job_id: int, user_id: int) -> VideoJob:
        """Again with these settings / Retry: a new draft, confirmed again before charging."""
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
        # Even if a restart meanwhile put the job aside for the user, the provider took it:
        # keep its task id and follow it.
        await self.videos.transition(
            job.id,
            JobStatus.QUEUED,
            self.clock(),
            expect=[JobStatus.SUBMITTING, JobStatus.NEEDS_DECISION],
            provider_task_id=status.task_id,
            next_poll_at=self.clock() + self.schedule.poll_seconds,
        )
        job = await self._job(job.id)
        await self.notifier.job_progress(job, force=True)
        if status.state is not VideoState.QUEUED:
            await self._apply(job, status)
        return await self._job(job.id)

    async def _submit_failed(self, job: VideoJob, exc: Exception) -> None:
        """Only an answer that says "not taken" (4xx, 429, a refused connection) may end the
        job as failed, with a Retry; anything else may have started (and charged) it, so the
        user decides."""
        if isinstance(exc, ProviderError) and _not_taken(exc):
            await self._end(
                job, JobStatus.FAILED, _error_code(exc), exc.message, expect=JobStatus.SUBMITTING
            )
            return
        if not isinstance(exc, ProviderError):
            log.exception("submitting job %d failed unexpectedly", job.id, exc_info=exc)
        message = exc.message if isinstance(exc, ProviderError) else type(exc).__name__
        await self._end(
            job, JobStatus.NEEDS_DECISION, "lost_answer", message, expect=JobStatus.SUBMITTING
        )

    async def _end(
        self,
        job: VideoJob,
        to: JobStatus,
        code: str | None,
        message: str | None,
        *,
        expect: JobStatus,
    ) -> None:
        if await self.videos.transition(
            job.id,
            to,
            self.clock(),
            expect=[expect],
            error_code=code,
            error_message=message,
            finished_at=self.clock(),
            next_poll_at=None,
        ):
            await self.deliver_outcome(job.id)

    async def deliver_outcome(self, job_id: int) -> None:
        """Tell the user how a job ended, once (the tracker's sweep retries failures)."""
        async with self._outcome_locks[job_id]:
            job = await self._job(job_id)
            if job.outcome_notified:
                return
            await self.notifier.job_outcome(job)
            await self.videos.mark_notified(job.id)
        self._outcome_locks.pop(job_id, None)

    # Polling and delivery

    async def poll_due(self) -> None:
        for job in await self.videos.due(self.clock()):
            if job.status is JobStatus.DOWNLOADING:
                self._spawn_delivery(job.id)
                continue
            await self.notifier.working(job)
            assert job.provider is not None and job.provider_task_id is not None
            try:
                provider = self.providers.get(job.provider)
            except LookupError:
                log.warning("job %d: provider %s is not enabled any more", job.id, job.provider)
                await self._later(job)
                continue
            try:
                status = await provider.get_video(job.provider_task_id)
            except ProviderError as exc:
                log.warning("polling video job %d failed: %s", job.id, exc)
                await self._later(job)
                continue
            await self._apply(job, status)

    def _spawn_delivery(self, job_id: int) -> None:
        """Deliver in its own task: a 50 MB transfer must not hold up every other poll."""
        if job_id in self._deliveries:
            return
        task = asyncio.create_task(self._deliver_by_id(job_id), name=f"deliver-{job_id}")
        self._deliveries[job_id] = task
        task.add_done_callback(lambda _: self._deliveries.pop(job_id, None))

    async def _deliver_by_id(self, job_id: int) -> None:
        job = await self.videos.get(job_id)
        if job is not None and job.status is JobStatus.DOWNLOADING:
            try:
                await self.deliver(job)
            except Exception:
                log.exception("delivering job %d failed", job_id)

    async def stop_deliveries(self) -> None:
        for task in list(self._deliveries.values()):
            task.cancel()
        for task in list(self._deliveries.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _later(self, job: VideoJob) -> None:
        now = self.clock()
        if job.submitted_at is not None and now - job.submitted_at > self.schedule.timeout_seconds:
            await self._end(job, JobStatus.FAILED, "timeout", None, expect=job.status)
            return
        await self.videos.polled(job.id, now + self.schedule.backoff(job.poll_count + 1))

    async def _apply(self, job: VideoJob, status: VideoStatus) -> None:
        now = self.clock()
        if status.state is VideoState.FAILED:
            await self._end(
                job,
                JobStatus.FAILED,
                status.error_code or "failed",
                status.error_message,
                expect=job.status,
            )
        elif status.state is VideoState.COMPLETED:
            if await self.videos.transition(
                job.id,
                JobStatus.DOWNLOADING,
                now,
                expect=[job.status],
                video_url=status.video_url,
                url_expires_at=status.url_expires_at,
                next_poll_at=now,
            ):
                self._spawn_delivery(job.id)
        elif status.state is VideoState.RUNNING and job.status is JobStatus.QUEUED:
            await self.videos.transition(
                job.id,
                JobStatus.RUNNING,
                now,
                expect=[JobStatus.QUEUED],
                next_poll_at=now + self.schedule.poll_seconds,
            )
            await self.notifier.job_progress(await self._job(job.id), force=True)
        else:
            await self._later(job)
            await self.notifier.job_progress(job)

    async def deliver(self, job: VideoJob) -> None:
        """Download at once (provider URLs expire) to a temporary file, then send it.

        A failure to download or send is tried again with backoff while the provider's URL
        lives; after that the user gets the link rather than a paid retry.
        """
        assert job.video_url is not None
        await self.notifier.job_progress(job, force=True)
        with tempfile.TemporaryDirectory(dir=self.workdir, prefix="realface-") as tmp:
            path = Path(tmp) / f"video-{job.id}.mp4"
            try:
                size = await self._download(job.video_url, path)
                if size is None:
                    await self._end(
                        job, JobStatus.TOO_LARGE, None, None, expect=JobStatus.DOWNLOADING
                    )
                    return
                file_id = await self.notifier.send_video(job, path, size)
            except DeliveryRefused:
                await self._end(
                    job, JobStatus.TOO_LARGE, "no_private_chat", None, expect=JobStatus.DOWNLOADING
                )
                return
            except Exception as exc:
                await self._delivery_failed(job, exc)
                return
        now = self.clock()
        await self.videos.transition(
            job.id,
            JobStatus.DELIVERED,
            now,
            expect=[JobStatus.DOWNLOADING],
            tg_file_id=file_id,
            size_bytes=size,
            finished_at=now,
        )
        await self.deliver_outcome(job.id)

    async def _delivery_failed(self, job: VideoJob, exc: Exception) -> None:
        now = self.clock()
        expired = job.url_expires_at is not None and now >= job.url_expires_at
        if expired or job.poll_count >= MAX_DELIVERY_ATTEMPTS:
            log.warning("giving up delivering job %d: %s", job.id, exc)
            code = "download_failed" if expired else "send_failed"
            to = JobStatus.FAILED if expired else JobStatus.TOO_LARGE
            await self._end(job, to, code, str(exc)[:200], expect=JobStatus.DOWNLOADING)
            return
        log.warning("delivering job %d failed, trying again: %s", job.id, exc)
        await self.videos.polled(job.id, now + self.schedule.backoff(job.poll_count + 1))

    async def _download(self, url: str, path: Path) -> int | None:
        """Stream to ``path``; None (and nothing kept) when it is over Telegram's limit."""
        try:
            async with self.http.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise ProviderError(f"video download answered {response.status_code}")
                declared = response.headers.get("Content-Length")
                if declared is not None and int(declared) > TELEGRAM_VIDEO_LIMIT:
                    return None
                size = 0
                with path.open("wb") as out:
                    async for chunk in response.aiter_bytes(1024 * 1024):
                        size += len(chunk)
                        if size > TELEGRAM_VIDEO_LIMIT:
                            return None
                        out.write(chunk)
                return size
        except httpx.HTTPError as exc:
            raise ProviderError(f"video download failed: {type(exc).__name__}") from exc

    # Restart

    async def resume(self, booted_at: float) -> None:
        """After a restart: submits cut off by it wait for the user (never resent); finished
        jobs are delivered by the next polls; outcomes not yet told are told.

        Only rows last changed before ``booted_at`` are the old run's: anything newer is a
        request this run is handling right now.
        """
        for job in await self.videos.with_status([JobStatus.SUBMITTING]):
            if job.updated_at < booted_at:
                await self._end(
                    job,
                    JobStatus.NEEDS_DECISION,
                    "restarted_mid_submit",
                    None,
                    expect=JobStatus.SUBMITTING,
                )
        for job in await self.videos.with_status([JobStatus.DOWNLOADING]):
            if job.next_poll_at is None:
                await self.videos.polled(job.id, self.clock())
        await self.sweep()

    async def sweep(self) -> None:
        """Tell outcomes that a failed send left untold (each tick, and after a restart)."""
        for job in await self.videos.unnotified():
            try:
                await self.deliver_outcome(job.id)
            except Exception:
                log.exception("telling the outcome of job %d failed; will retry", job.id)

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
