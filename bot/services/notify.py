"""What services tell the outside world; the Telegram side implements it."""

from __future__ import annotations

from typing import Protocol

from storage.models import Face, VerificationLink


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
