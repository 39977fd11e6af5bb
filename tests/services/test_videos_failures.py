"""Why a video failed, decided by the service when it fails and stored with the job: the
paid request refused or never taken, the provider giving up on a job it took, the bot
giving up waiting or fetching. Whether a Retry helps is the reason's, not a text's."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    RejectReason,
    VideoState,
    VideoStatus,
)
from bot.services.job_failures import JobFailure, job_failure
from bot.services.videos import VideoService
from storage.database import Database
from storage.models import JobStatus
from storage.videos import VideoRepo
from tests.clock import FakeClock
from tests.services.conftest import Actors, FakeProvider
from tests.services.test_videos_confirm import ready
from tests.services.test_videos_drafts import ALICES
from tests.services.video_fakes import FakeVideoNotifier, usable_face


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (ProviderUnavailable("refused", code="not_connected"), JobFailure.UNAVAILABLE),
        (ProviderRateLimited("slow down"), JobFailure.RATE_LIMITED),
        (ProviderAuthError("bad key", status=401), JobFailure.AUTH),
        (
            ProviderRejected("no", reason=RejectReason.INVALID, code="InvalidParameter"),
            JobFailure.INVALID,
        ),
        (
            ProviderRejected(
                "no", reason=RejectReason.OTHER, code="InputTextSensitiveContentDetected"
            ),
            JobFailure.MODERATION,
        ),
        (ProviderRejected("top up", reason=RejectReason.QUOTA), JobFailure.QUOTA),
        (ProviderRejected("gone", reason=RejectReason.NOT_FOUND), JobFailure.REJECTED),
    ],
)
async def test_a_paid_request_not_taken_fails_with_its_reason(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    fake_provider: FakeProvider,
    video_notifier: FakeVideoNotifier,
    error: ProviderError,
    failure: JobFailure,
) -> None:
    await usable_face(db, ALICES)
    job_id = await ready(video_service, actors.alice)
    fake_provider.fail = error
    job = await video_service.confirm(actors.alice, job_id)
    assert (job.status, job.failure) == (JobStatus.FAILED, failure.value)
    assert job_failure(job) is failure
    (told,) = video_notifier.outcomes
    assert job_failure(told) is failure


@pytest.mark.parametrize(
    ("code", "message", "failure"),
    [
        ("OutputVideoSensitiveContentDetected", None, JobFailure.MODERATION),
        ("InputImageSensitiveContentDetected.PrivacyInformation", None, JobFailure.REAL_PERSON),
        ("InvalidParameter", "duration", JobFailure.INVALID),
        ("failed", "moderation", JobFailure.MODERATION),  # the reason only in the prose
        ("InternalServiceError", None, JobFailure.PROVIDER_FAILED),
        (None, None, JobFailure.PROVIDER_FAILED),
    ],
)
async def test_a_job_the_provider_gave_up_on_fails_with_its_reason(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    code: str | None,
    message: str | None,
    failure: JobFailure,
) -> None:
    await usable_face(db, ALICES)
    job = await video_service.confirm(actors.alice, await ready(video_service, actors.alice))
    assert job.provider_task_id is not None
    status = VideoStatus(
        job.provider_task_id, VideoState.FAILED, error_code=code, error_message=message
    )
    await video_service.jobs.apply(job, status)
    failed = await video_service.rules.job(job.id)
    assert (failed.status, job_failure(failed)) == (JobStatus.FAILED, failure)
    assert failed.error_code == code  # the vendor's own code is kept for whoever debugs


async def test_a_job_running_too_long_fails_as_a_timeout(
    video_service: VideoService, db: Database, actors: Actors, clock: FakeClock
) -> None:
    await usable_face(db, ALICES)
    job = await video_service.confirm(actors.alice, await ready(video_service, actors.alice))
    clock.advance(video_service.jobs.schedule.timeout_seconds + 1)
    for _ in range(2):  # queued -> running, then still running past the deadline
        await video_service.poll_due()
    failed = await video_service.rules.job(job.id)
    assert job_failure(failed) is JobFailure.TIMEOUT and failed.status is JobStatus.FAILED


async def test_a_video_whose_link_expired_before_the_download_fails_as_such(
    video_service: VideoService, db: Database, actors: Actors, clock: FakeClock
) -> None:
    await usable_face(db, ALICES)
    job = await video_service.confirm(actors.alice, await ready(video_service, actors.alice))
    # Made at the provider; its link (nobody listens there) expired a moment ago.
    await VideoRepo(db).transition(
        job.id,
        JobStatus.DOWNLOADING,
        clock(),
        expect=[JobStatus.QUEUED],
        video_url="http://127.0.0.1:9/never.mp4",
        url_expires_at=clock() - 1,
    )
    await video_service.jobs.deliver(await video_service.rules.job(job.id))
    failed = await video_service.rules.job(job.id)
    assert (failed.status, job_failure(failed)) == (JobStatus.FAILED, JobFailure.DOWNLOAD_FAILED)


@pytest.mark.parametrize("failure", list(JobFailure))
def test_retry_helps_where_the_same_request_may_succeed(failure: JobFailure) -> None:
    passing = {
        JobFailure.RATE_LIMITED,
        JobFailure.UNAVAILABLE,
        JobFailure.PROVIDER_FAILED,
        JobFailure.TIMEOUT,
        JobFailure.DOWNLOAD_FAILED,
    }
    assert failure.retry_helps is (failure in passing)


async def test_a_job_failed_before_reasons_were_stored_is_read_from_its_code(
    video_service: VideoService, db: Database, actors: Actors, fake_provider: FakeProvider
) -> None:
    await usable_face(db, ALICES)
    fake_provider.fail = ProviderRateLimited("slow down")
    job = await video_service.confirm(actors.alice, await ready(video_service, actors.alice))
    old = replace(job, failure=None, error_code="OutputVideoSensitiveContentDetected")
    assert job_failure(old) is JobFailure.MODERATION
    unknown = replace(job, failure="a reason of a later release", error_code=None)
    assert job_failure(unknown) is JobFailure.PROVIDER_FAILED
