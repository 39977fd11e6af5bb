"""Every way a finished video reaches the chat as a link has its own, true text."""

from __future__ import annotations

import pytest

from bot.services.notify import Undelivered
from bot.telegram.texts.videos import link_instead
from storage.models import JobStatus, VideoJob, VideoSettings

URL = "https://cdn.example/v.mp4?sig=a&b=<c>"


def job(code: str | None, message: str | None = None) -> VideoJob:
    return VideoJob(
        id=7,
        user_id=1,
        chat_id=1,
        face_id=1,
        asset_ids=(1,),
        provider="token360",
        prompt="waves",
        settings=VideoSettings(),
        status=JobStatus.TOO_LARGE,
        provider_task_id="t",
        error_code=code,
        error_message=message,
        video_url=URL,
        url_expires_at=1_900_000_000.0,
        size_bytes=None,
        tg_file_id=None,
        message_id=5,
        inline_message_id=None,
        retry_of=None,
        created_at=0.0,
        updated_at=0.0,
        submitted_at=0.0,
        finished_at=0.0,
        next_poll_at=None,
        poll_count=0,
        outcome_notified=False,
    )


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (None, "over the 50 MB"),
        (Undelivered.TOO_LARGE, "over the 50 MB"),
        (Undelivered.NO_PRIVATE_CHAT, "started a chat with me (https://t.me/rf_bot)"),
        (Undelivered.FORBIDDEN, "doesn't let me post videos in this chat (Forbidden: kicked)"),
        (Undelivered.REFUSED, "Telegram refused the file (Forbidden: kicked)"),
        (Undelivered.SEND_FAILED, "Telegram kept failing to take the upload"),
        (Undelivered.FETCH_FAILED, "couldn't fetch it from the provider"),
        (Undelivered.UNCERTAIN, "never confirmed that it arrived"),
        ("a_code_from_an_old_release", "Telegram kept failing"),
    ],
)
def test_each_reason_says_why_and_gives_the_escaped_link(code: str | None, says: str) -> None:
    text = link_instead(job(code, "Forbidden: kicked"), "Anna", "rf_bot")
    assert says in text
    assert "https://cdn.example/v.mp4?sig=a&amp;b=&lt;c&gt;" in text
    assert "until" in text
    if code not in (None, Undelivered.TOO_LARGE):
        assert "50 MB" not in text
