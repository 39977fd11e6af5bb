"""What services tell the outside world; the Telegram side implements it."""

from __future__ import annotations

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


class DeliveryRefused(Exception):
    """Telegram will not take the video for this chat (e.g. the user never started the bot)."""


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
        """Send the MP4 file; return Telegram's file_id."""
        ...
