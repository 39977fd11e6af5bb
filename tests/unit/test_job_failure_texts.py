"""Every reason a video fails has its own text, in words (never a code), within Telegram's
limits however long the provider's message; the card offers Retry exactly where it helps."""

from __future__ import annotations

import pytest

from bot.services.job_failures import JobFailure
from bot.telegram.keyboards import videos as video_keyboards
from bot.telegram.texts import videos as video_texts
from storage.models import JobStatus, VideoJob, VideoSettings
from tests.unit.test_texts_and_options import LONG, build, within_limits


@pytest.mark.parametrize("failure", list(JobFailure))
@pytest.mark.parametrize("message", [None, LONG])
def test_each_failure_reads_as_words_within_limits(
    failure: JobFailure, message: str | None
) -> None:
    job = build(
        VideoJob,
        status=JobStatus.FAILED,
        prompt="p" * 2000,
        settings=VideoSettings(),
        error_code="not_connected",
        error_message=message,
        failure=failure.value,
    )
    plain = within_limits(video_texts.failed(job, "Anna"))
    assert "not_connected" not in plain and "None" not in plain
    assert "_" not in plain.replace(LONG, "")  # no code (rate_limited, provider_failed, ...)
    markup = video_keyboards.outcome(job, retry=failure.retry_helps)
    buttons = [b.text for row in markup.inline_keyboard for b in row] if markup else []
    assert (buttons == ["🔁 Retry"]) is failure.retry_helps


def test_no_two_failures_read_alike() -> None:
    texts = {video_texts.failure_reason(failure) for failure in JobFailure}
    assert len(texts) == len(JobFailure)
