"""Polling running video jobs: every due job asked in one round, side by side within the
provider's bound, and the person told only what changed (a new stage, the outcome)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from bot.providers.base import VideoState, VideoStatus
from bot.services.foreground import Foreground
from bot.services.video_polling import PAGE, limit_for
from bot.services.videos import VideoService
from storage.database import Database
from storage.models import JobStatus, VideoJob, VideoSettings
from storage.videos import VideoRepo
from tests.clock import FakeClock
from tests.services.conftest import ALICE, Actors, FakeProvider
from tests.services.test_videos_confirm import ready
from tests.services.test_videos_drafts import ALICES
from tests.services.video_fakes import FakeVideoNotifier, usable_face


@dataclass
class WatchingNotifier(FakeVideoNotifier):
    """Also remembers chat actions, in order with the progress edits."""

    events: list[str] = field(default_factory=list)

    async def job_progress(self, job: VideoJob, *, force: bool = False) -> None:
        await super().job_progress(job, force=force)
        self.events.append(f"progress {job.status}")

    async def working(self, job: VideoJob) -> None:
        self.events.append("working")

    async def send_video(self, job: VideoJob, path: Path, size: int) -> str:
        self.events.append("send_video")
        return await super().send_video(job, path, size)


async def test_a_job_whose_provider_says_the_same_twice_is_not_edited_again(
    video_service: VideoService, db: Database, actors: Actors, clock: FakeClock
) -> None:
    notifier = WatchingNotifier()
    video_service.jobs.notifier = notifier
    await usable_face(db, ALICES)
    job = await video_service.confirm(actors.alice, await ready(video_service, actors.alice))
    assert job.status is JobStatus.QUEUED
    await video_service.poll_due()  # the provider: running (a new stage, shown once)
    assert notifier.events == [f"progress {JobStatus.RUNNING}"]
    for _ in range(3):  # the provider: still running
        clock.advance(60)
        await video_service.poll_due()
    stored = await video_service.rules.job(job.id)
    assert stored.status is JobStatus.RUNNING and stored.poll_count == 3  # asked each time
    # Nothing new for the person: no second edit, and no "sending video…" while it runs.
    assert notifier.events == [f"progress {JobStatus.RUNNING}"]


@dataclass
class CountingProvider(FakeProvider):
    """Counts GETs per task and how many were in flight at once; the first ones wait until
    ``hold`` are in flight, so polling one job after another would never get past them."""

    hold: int = 1
    gets: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    most_in_flight: int = 0
    _enough: asyncio.Event = field(default_factory=asyncio.Event)

    async def get_video(self, task_id: str) -> VideoStatus:
        self.gets[task_id] = self.gets.get(task_id, 0) + 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight >= self.hold:
            self._enough.set()
        try:
            await self._enough.wait()
        finally:
            self.in_flight -= 1
        return VideoStatus(task_id, VideoState.RUNNING)


async def running_jobs(db: Database, count: int, now: float) -> list[str]:
    """``count`` jobs running at the fake provider, as an earlier run left them."""
    videos = VideoRepo(db)
    tasks = []
    for n in range(count):
        job = await videos.create_draft(
            user_id=ALICE,
            chat_id=ALICE,
            prompt=f"video {n}",
            settings=VideoSettings("seedance-2.0", 5, "720p", "16:9", False),
            now=now,
            provider="fake",
        )
        await videos.transition(
            job.id, JobStatus.SUBMITTING, now, expect=[JobStatus.DRAFT], submitted_at=now
        )
        tasks.append(f"task-{n}")
        await videos.transition(
            job.id,
            JobStatus.RUNNING,
            now,
            expect=[JobStatus.SUBMITTING],
            provider_task_id=tasks[-1],
            next_poll_at=now,
        )
    return tasks


async def test_one_round_asks_about_every_due_job_side_by_side_within_the_bound(
    video_service: VideoService, db: Database, clock: FakeClock
) -> None:
    bound = limit_for(video_service.jobs.providers, "fake").concurrency
    provider = CountingProvider(hold=bound)
    video_service.jobs.providers = type(video_service.jobs.providers)([provider])
    notifier = WatchingNotifier()
    video_service.jobs.notifier = notifier
    count = 2 * PAGE + 7  # more than a page of rows
    tasks = await running_jobs(db, count, clock())
    # One after another, the first GET would wait for the others forever.
    await asyncio.wait_for(video_service.poll_due(), timeout=30)
    assert provider.gets == dict.fromkeys(tasks, 1)  # each asked once
    assert provider.most_in_flight == bound  # side by side, never more than the bound
    rows = await VideoRepo(db).with_status([JobStatus.RUNNING])
    assert len(rows) == count
    assert all(r.poll_count == 1 and (r.next_poll_at or 0) >= clock() for r in rows)
    assert notifier.events == []  # all still running: nothing to show anybody


async def test_the_chat_action_goes_with_the_video_not_with_the_polls(
    video_service: VideoService, db: Database, actors: Actors, clock: FakeClock, tmp_path: Path
) -> None:
    notifier = WatchingNotifier()
    video_service.jobs.notifier = notifier
    await usable_face(db, ALICES)
    job = await video_service.confirm(actors.alice, await ready(video_service, actors.alice))
    mp4 = tmp_path / "v.mp4"
    mp4.write_bytes(b"\0" * 100)
    body = mp4.read_bytes()
    await VideoRepo(db).transition(
        job.id,
        JobStatus.DOWNLOADING,
        clock(),
        expect=[JobStatus.QUEUED],
        video_url=mp4.as_uri(),
        next_poll_at=None,
    )

    async def download(url: str, path: Path) -> int:
        await asyncio.to_thread(path.write_bytes, body)
        return len(body)

    video_service.jobs._download = download  # type: ignore[method-assign]
    await video_service.jobs.deliver(await video_service.rules.job(job.id))
    assert notifier.events == [
        f"progress {JobStatus.DOWNLOADING}",
        "working",
        "send_video",
    ]


@dataclass
class WatchedProvider(FakeProvider):
    """Notes, for each status request, whether an update was being handled when it went out."""

    foreground: Foreground = field(default_factory=Foreground)
    during_updates: list[bool] = field(default_factory=list)

    async def get_video(self, task_id: str) -> VideoStatus:
        self.during_updates.append(self.foreground.busy)
        return VideoStatus(task_id, VideoState.RUNNING)


async def test_a_round_makes_way_for_updates_being_handled(
    video_service: VideoService, db: Database, clock: FakeClock
) -> None:
    """A /faces during a resume of 1,000 jobs waited behind their requests; the round now
    starts no request while a young update is being handled."""
    foreground = Foreground(max_wait=30.0)
    provider = WatchedProvider(foreground=foreground)
    video_service.jobs.providers = type(video_service.jobs.providers)([provider])
    video_service.jobs.foreground = foreground
    tasks = await running_jobs(db, 20, clock())
    foreground.enter()  # an update is being handled
    round_ = asyncio.create_task(video_service.poll_due())
    bound = limit_for(video_service.jobs.providers, "fake").concurrency
    deadline = asyncio.get_running_loop().time() + 30
    while foreground.waiting < bound:  # every worker has reached its next request
        assert asyncio.get_running_loop().time() < deadline, "the workers never made way"
        await asyncio.sleep(0.01)
    foreground.leave()
    await asyncio.wait_for(round_, timeout=30)
    assert len(provider.during_updates) == len(tasks)
    assert not any(provider.during_updates)


async def test_an_update_waiting_on_io_or_a_stream_of_them_does_not_stop_the_polls() -> None:
    foreground = Foreground(max_wait=0.05)
    foreground.enter()  # never left: waiting on a provider, say
    await asyncio.wait_for(foreground.make_way(), timeout=30)
    assert foreground.busy and foreground.waiting == 0
    await asyncio.sleep(0.06)  # older than max_wait now: no wait at all
    waiting = asyncio.create_task(foreground.make_way())
    await asyncio.sleep(0)
    assert waiting.done()
