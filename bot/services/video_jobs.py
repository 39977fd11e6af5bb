"""Video jobs after the paid submit: polling, delivery of the MP4, telling the outcome.

Delivery downloads at once (provider URLs expire) to a temporary file and streams it on,
each in its own task so a 50 MB transfer never holds up other polls; failures are retried
with backoff while the URL lives, and then the user gets the link rather than a paid retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from pathlib import Path

import httpx

from bot.providers.base import Provider, ProviderError, VideoState, VideoStatus
from bot.providers.registry import Providers
from bot.services.bounded import KeyedLocks
from bot.services.clock import Clock
from bot.services.foreground import Foreground
from bot.services.job_failures import JobFailure, of_task
from bot.services.leases import Claims, Unshared
from bot.services.leftovers import TEMP_PREFIX
from bot.services.notify import DeliveryRefused, Undelivered, VideoNotifier
from bot.services.video_polling import Pace, VideoSchedule, limit_for, poll_provider
from bot.tls import tls_context
from storage.leases import LeaseKind
from storage.models import JobStatus, VideoJob
from storage.videos import VideoRepo

log = logging.getLogger(__name__)

TELEGRAM_VIDEO_LIMIT = 50 * 1024 * 1024  # sendVideo by upload (shared/TELEGRAM.md)
MAX_DELIVERY_ATTEMPTS = 5
POLLED_BATCH = 64  # "asked, still running" rows written in one transaction


class JobRunner:
    def __init__(
        self,
        *,
        videos: VideoRepo,
        providers: Providers,
        notifier: VideoNotifier,
        clock: Clock,
        schedule: VideoSchedule,
        download_timeout: float = 120.0,
        workdir: Path | None = None,
        foreground: Foreground | None = None,
        claims: Claims | None = None,
    ) -> None:
        # A job is polled, delivered and told by one worker at a time (bot/services/leases.py).
        self.claims: Claims = claims or Unshared()
        self.videos = videos
        self.foreground = foreground or Foreground()
        self.providers = providers
        self.notifier = notifier
        self.clock = clock
        self.schedule = schedule
        self.workdir = workdir
        self._outcome_locks: KeyedLocks[int] = KeyedLocks()
        self._deliveries: dict[int, asyncio.Task[None]] = {}
        # One polling round at a time; the tracker starts it and goes on with its own round.
        self._round_lock = asyncio.Lock()
        self._round: asyncio.Task[None] | None = None
        self._paces: dict[str, Pace] = {}
        self._stopping = False
        # Inside a round, "still running, ask again at ..." is written in batches.
        self._polled: list[tuple[int, float, JobStatus]] | None = None
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(download_timeout),
            follow_redirects=True,
            verify=tls_context(),  # shared with the providers, CAs loaded at first use
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _job(self, job_id: int) -> VideoJob | None:
        return await self.videos.get(job_id)

    async def end(
        self,
        job: VideoJob,
        to: JobStatus,
        code: str | None,
        message: str | None,
        *,
        expect: JobStatus,
        failure: JobFailure | None = None,
    ) -> None:
        """End ``job`` (or put it to the person); a FAILED job says why (``failure``), which
        is also what decides whether its card offers a Retry."""
        assert (to is JobStatus.FAILED) == (failure is not None)
        if await self.videos.transition(
            job.id,
            to,
            self.clock(),
            expect=[expect],
            detail=failure.value if failure is not None else None,
            error_code=code,
            error_message=message,
            failure=failure,
            finished_at=self.clock(),
            next_poll_at=None,
        ):
            await self.deliver_outcome(job.id)

    async def deliver_outcome(self, job_id: int) -> None:
        """Tell the user how a job ended, once (the tracker's sweep retries failures)."""
        async with (
            self._outcome_locks[job_id],
            self.claims.holding(LeaseKind.VIDEO_OUTCOME, job_id) as mine,
        ):
            if not mine:  # another worker is telling it now
                return
            job = await self._job(job_id)
            if job is None or job.outcome_notified:
                return
            await self.notifier.job_outcome(job)
            await self.videos.mark_notified(job.id)

    async def poll_soon(self) -> None:
        """Start a polling round in its own task unless one is under way: a round over
        1,000 due jobs must not hold up the rest of the tracker's round."""
        if self._stopping or (self._round is not None and not self._round.done()):
            return
        self._round = asyncio.create_task(self._background_round(), name="video-polls")

    async def _background_round(self) -> None:
        try:
            await self.poll_due()
        except Exception:
            log.exception("polling video jobs failed")

    async def poll_due(self) -> None:
        """One round: every due job asked at its provider, each provider's side by side within
        its limits (bot/services/video_polling.py). Nothing is sent to Telegram before a
        job's poll, and only what changed for the person: a new stage, the outcome."""
        async with self._round_lock:
            now = self.clock()
            self._polled = []
            claimed: set[int] = set()

            async def claim(ids: list[int]) -> set[int]:
                mine = await self.claims.claim(LeaseKind.VIDEO, ids)
                claimed.update(mine)
                return mine

            try:
                await asyncio.gather(
                    *(
                        poll_provider(
                            self.videos,
                            name,
                            now,
                            limit_for(self.providers, name),
                            self.poll_one,
                            claim,
                        )
                        for name in await self.videos.due_providers(now)
                    )
                )
            finally:
                while self._polled:  # what a poll outside the round added meanwhile, too
                    await self._flush_polled()
                self._polled = None
                # Held on by the deliveries the round started, until each ends.
                await self.claims.release(LeaseKind.VIDEO, claimed - set(self._deliveries))

    async def poll_now(self, job: VideoJob) -> None:
        """Ask about ``job`` now (its provider called back), unless another worker is on it."""
        if job.id not in await self.claims.claim(LeaseKind.VIDEO, [job.id]):
            return
        try:
            await self.poll_one(job, alone=True)
        finally:
            await self.let_go(job.id)

    async def let_go(self, job_id: int) -> None:
        """Release the job's lease, unless its delivery (which holds it) is under way."""
        if job_id not in self._deliveries:
            await self.claims.release(LeaseKind.VIDEO, [job_id])

    async def poll_one(self, job: VideoJob, *, alone: bool = False) -> None:
        """Ask the provider about one job in the making and act on the answer; ``alone``:
        outside a polling round (a callback), so "ask again later" is written at once."""
        if job.status is JobStatus.DOWNLOADING:
            self.spawn_delivery(job.id)
            return
        assert job.provider is not None and job.provider_task_id is not None
        try:
            provider: Provider = self.providers.get(job.provider)
        except LookupError:
            log.warning("job %d: provider %s is not enabled any more", job.id, job.provider)
            await self._later(job, alone=alone)
            return
        limit = limit_for(self.providers, job.provider)
        pace = self._paces.setdefault(job.provider, Pace(limit.per_second))
        await self.foreground.make_way()
        await pace.wait()
        try:
            status = await provider.get_video(job.provider_task_id)
        except ProviderError as exc:
            log.warning("polling video job %d failed: %s", job.id, exc)
            await self._later(job, alone=alone)
            return
        await self.apply(job, status, alone=alone)

    async def _flush_polled(self) -> None:
        if self._polled:
            batch = list(self._polled)
            self._polled.clear()
            await self.videos.polled_many(batch)

    def spawn_delivery(self, job_id: int) -> None:
        """Deliver in its own task: a 50 MB transfer must not hold up every other poll."""
        if job_id in self._deliveries:
            return
        task = asyncio.create_task(self._deliver_by_id(job_id), name=f"deliver-{job_id}")
        self._deliveries[job_id] = task
        task.add_done_callback(lambda _: self._deliveries.pop(job_id, None))

    async def _deliver_by_id(self, job_id: int) -> None:
        # The poll that found it done hands its lease over (the round does not release a
        # job being delivered); a delivery spawned otherwise takes it here, or leaves the
        # job to the worker delivering it.
        if not await self.claims.take(LeaseKind.VIDEO, job_id):
            return
        try:
            job = await self.videos.get(job_id)
            if job is not None and job.status is JobStatus.DOWNLOADING:
                await self.deliver(job)
        except Exception:
            log.exception("delivering job %d failed", job_id)
        finally:
            await self.claims.release(LeaseKind.VIDEO, [job_id])

    async def stop_deliveries(self) -> None:
        """At shutdown: the polling round and the deliveries under way stop (the rows say
        where each job is; the next start picks them up)."""
        self._stopping = True
        if self._round is not None:
            self._round.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._round
        for task in list(self._deliveries.values()):
            task.cancel()
        for task in list(self._deliveries.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _later(self, job: VideoJob, *, alone: bool = False) -> None:
        now = self.clock()
        if job.submitted_at is not None and now - job.submitted_at > self.schedule.timeout_seconds:
            await self.end(
                job, JobStatus.FAILED, None, None, expect=job.status, failure=JobFailure.TIMEOUT
            )
            return
        at = now + self.schedule.next_poll(job, job.poll_count + 1)
        if self._polled is None or alone:
            await self.videos.polled(job.id, at, job.status)
            return
        self._polled.append((job.id, at, job.status))
        if len(self._polled) >= POLLED_BATCH:
            await self._flush_polled()

    async def apply(self, job: VideoJob, status: VideoStatus, *, alone: bool = False) -> None:
        now = self.clock()
        if status.state is VideoState.FAILED:
            await self.end(
                job,
                JobStatus.FAILED,
                status.error_code,
                status.error_message,
                expect=job.status,
                failure=of_task(status.error_code, status.error_message),
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
                self.spawn_delivery(job.id)
        elif status.state is VideoState.RUNNING and job.status is JobStatus.QUEUED:
            await self.videos.transition(
                job.id,
                JobStatus.RUNNING,
                now,
                expect=[JobStatus.QUEUED],
                next_poll_at=now + self.schedule.next_poll(job, 0),
            )
            running = await self._job(job.id)
            if running is not None:
                await self.notifier.job_progress(running, force=True)
        else:
            # Still where it was: the card already says so (it shows the stage and when the
            # job was sent, not a ticking clock), so nothing is edited.
            await self._later(job, alone=alone)

    async def deliver(self, job: VideoJob) -> None:
        """Download at once (provider URLs expire) to a temporary file, then send it.

        A failure to download or send is tried again with backoff while the provider's URL
        lives (the notifier has retried Telegram's transient faults already); after
        MAX_DELIVERY_ATTEMPTS, or at once when Telegram refused the video or may already
        have it, the user gets the link (with the reason) rather than a paid retry.
        """
        assert job.video_url is not None
        await self.notifier.job_progress(job, force=True)
        with tempfile.TemporaryDirectory(dir=self.workdir, prefix=TEMP_PREFIX) as tmp:
            path = Path(tmp) / f"video-{job.id}.mp4"
            try:
                size = await self._download(job.video_url, path)
                if size is None:
                    await self.end(
                        job, JobStatus.TOO_LARGE, None, None, expect=JobStatus.DOWNLOADING
                    )
                    return
                if not await self.claims.still_mine(LeaseKind.VIDEO, job.id):
                    # This worker stalled past its lease: another one delivers it now.
                    log.warning("job %d: its lease lapsed before sending; not sent", job.id)
                    return
                # "Sending video…" in the chat's header while it really is being sent; not
                # while the provider works for minutes (it would need one every 5 s per chat).
                await self.notifier.working(job)
                file_id = await self.notifier.send_video(job, path, size)
            except DeliveryRefused as refused:
                log.warning("job %d: the link goes instead of the video: %s", job.id, refused)
                await self.end(
                    job,
                    JobStatus.TOO_LARGE,
                    refused.reason.value,
                    refused.detail[:200] or None,
                    expect=JobStatus.DOWNLOADING,
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
        if expired:
            log.warning("giving up delivering job %d, its link expired: %s", job.id, exc)
            await self.end(
                job,
                JobStatus.FAILED,
                None,
                str(exc)[:200],
                expect=JobStatus.DOWNLOADING,
                failure=JobFailure.DOWNLOAD_FAILED,
            )
            return
        if job.poll_count + 1 >= MAX_DELIVERY_ATTEMPTS:
            log.warning("giving up delivering job %d: %s", job.id, exc)
            # The link still works: it goes to the person, with who failed (not "too large").
            reason = (
                Undelivered.FETCH_FAILED
                if isinstance(exc, ProviderError)
                else Undelivered.SEND_FAILED
            )
            await self.end(
                job,
                JobStatus.TOO_LARGE,
                reason.value,
                str(exc)[:200],
                expect=JobStatus.DOWNLOADING,
            )
            return
        log.warning("delivering job %d failed, trying again: %s", job.id, exc)
        await self.videos.polled(
            job.id, now + self.schedule.backoff(job.poll_count + 1), JobStatus.DOWNLOADING
        )

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

    async def resume(self, before: float) -> None:
        """After a crash: submits it cut off wait for the user (never resent); finished
        jobs are delivered by the next polls; outcomes not yet told are told.

        Only rows last changed before ``before`` (this run's start, or a lease's length
        ago) and held by no live worker were cut off: anything newer, or leased, is a
        request some worker is handling right now.
        """
        cut_off = [
            job
            for job in await self.videos.with_status([JobStatus.SUBMITTING])
            if job.updated_at < before
        ]
        mine = await self.claims.claim(LeaseKind.VIDEO, [job.id for job in cut_off])
        try:
            for job in cut_off:
                if job.id in mine:
                    await self.end(
                        job,
                        JobStatus.NEEDS_DECISION,
                        "restarted_mid_submit",
                        None,
                        expect=JobStatus.SUBMITTING,
                    )
        finally:
            await self.claims.release(LeaseKind.VIDEO, mine)
        for job in await self.videos.with_status([JobStatus.DOWNLOADING]):
            if job.next_poll_at is None:
                await self.videos.polled(job.id, self.clock(), JobStatus.DOWNLOADING)
        await self.sweep()

    async def sweep(self) -> None:
        """Tell outcomes that a failed send left untold (each tick, and after a restart)."""
        for job in await self.videos.unnotified():
            try:
                await self.deliver_outcome(job.id)
            except Exception:
                log.exception("telling the outcome of job %d failed; will retry", job.id)
