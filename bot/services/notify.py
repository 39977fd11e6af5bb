"""What services tell the outside world.

Two levels: :class:`Notifier` and :class:`VideoNotifier` are what the use cases call ("this
face's check ended", "job 7 changed"); :mod:`bot.services.notifications` implements them,
reading and recording what it needs (who hears it, which cards show a link, the message a
batch's progress lives in). It renders nothing: it hands each message to an outbound port,
:class:`FaceMessages` or :class:`VideoMessages`, which the Telegram side implements
(``bot.telegram.notifiers``) and which only renders, sends, and returns what it sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from storage.models import Asset, Face, VerificationLink, VideoJob


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

    async def photos_deleted(self, face: Face, chat_id: int, provider_name: str) -> None:
        """A withdrawn or deleted face's photos, whose delete had to wait, are now gone at
        the provider: tell the one who asked."""
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
    # The upload went out whole and no clear answer came (lost, a 5xx, unreadable): Telegram
    # may have the video, and a second upload could show it twice, so the person gets the link
    # in case it is not there.
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


class FaceMessages(Protocol):
    """Outbound port of the face use cases: render and send, nothing else."""

    async def verified_card(self, face: Face, link: VerificationLink) -> None:
        """A card that showed ``link`` now says the face is verified."""
        ...

    async def face_outcome(self, face: Face, chat_id: int) -> int | None:
        """How the face's check ended, told in ``chat_id``; the message id, None if the
        chat would not take it."""
        ...

    async def link_expired(
        self, face: Face, link: VerificationLink, invite_token: str | None
    ) -> None:
        """The card showing ``link`` says it expired; ``invite_token``: the invitee it was
        shown to asks for a new one through the invite."""
        ...

    async def batch_progress(
        self, chat_id: int, message_id: int | None, face: Face, assets: Sequence[Asset]
    ) -> int | None:
        """Show an upload batch's progress: edit ``message_id``, or send a new message
        (its id is returned) when there is none yet."""
        ...

    async def photos_deleted(self, face: Face, chat_id: int, provider_name: str) -> None:
        """The face's photos, whose delete had to wait, are now gone at the provider."""
        ...


class VideoMessages(Protocol):
    """Outbound port of the video use cases: render and send, nothing else."""

    async def job_progress(self, job: VideoJob, face_name: str, *, force: bool = False) -> None:
        """Show where a job is (throttled unless ``force``)."""
        ...

    async def job_outcome(self, job: VideoJob, face_name: str) -> None:
        """Show how the job ended, or that it needs the person's decision."""
        ...

    async def working(self, job: VideoJob) -> None:
        """Show that a video is being made (the chat action), within rate limits."""
        ...

    async def send_video(self, job: VideoJob, face_name: str, path: Path, size: int) -> str:
        """Send the MP4 file; Telegram's file_id. Raises as :meth:`VideoNotifier.send_video`."""
        ...
