"""What services tell the outside world; the Telegram side implements it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Protocol

from storage.models import Face, VerificationLink, VideoJob


class Notifier(Protocol):
    async def face_outcome(self, face: Face) -> None:
        """The face became active, or its verification expired: tell creator and verifier."""
        ...

    async def link_expired(self, face: Face, link: VerificationLink) -> None:
        """A link shown in a card is no longer valid: update the card."""
        ...

    async def batch_changed(self, batch_id: int) -> None:
        """An upload in the batch changed status: update its progress message."""
        ...


class Undelivered(StrEnum):
    """Why a finished video reached the chat as the provider's link instead of the file
    (the job's error_code; its status is JobStatus.TOO_LARGE, "the link was sent instead")."""

    TOO_LARGE = "too_large"  # over the 50 MB a bot may upload (Telegram's 413)
    NO_PRIVATE_CHAT = "no_private_chat"  # the person never started the bot, or blocked it
    FORBIDDEN = "send_forbidden"  # any other 403: e.g. the bot was removed from the group
    REFUSED = "send_refused"  # a 400: Telegram refused this file
    SEND_FAILED = "send_failed"  # Telegram's faults outlasted every retry
    FETCH_FAILED = "fetch_failed"  # the provider's download kept failing (its link still works)
    # The upload went out whole and its answer never came: Telegram may have the video, and
    # a second upload could show it twice, so the person gets the link in case it is not there.
    UNCERTAIN = "send_uncertain"


class DeliveryRefused(Exception):
    """Telegram did not take the video (or may not have): the link goes instead."""

    def __init__(self, reason: Undelivered, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


class VideoNotifier(Protocol):
    async def job_progress(self, job: VideoJob, *, force: bool = False) -> None:
        """Show where a job is (throttled unless ``force``)."""
        ...

    async def job_outcome(self, job: VideoJob) -> None:
        """The job ended (delivered, too large, failed) or needs the user's decision."""
        ...

    async def working(self, job: VideoJob) -> None:
        """Show that a video is being made (the chat action), within rate limits."""
        ...

    async def send_video(self, job: VideoJob, path: Path, size: int) -> str:
        """Send the MP4 file; return Telegram's file_id. Raises DeliveryRefused when the
        link must go instead, anything else when a later try may succeed."""
        ...
