"""What the face use cases show: a page of faces and one face's card, with photo counts and
who consented (read by the Telegram side to render)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from storage.models import AssetState, Consent, Face, FaceStatus, User

# How many faces one list shows (a message keeps under Telegram's 4096 characters and 100
# buttons); the rest are a page away, and counted.
PAGE_SIZE = 30
MAX_PAGE = 10**9


@dataclass(frozen=True)
class FaceSummary:
    """A face and how many of its photos are in each state."""

    face: Face
    photos: Mapping[AssetState, int]

    def count(self, state: AssetState) -> int:
        return self.photos.get(state, 0)


@dataclass(frozen=True)
class FaceList:
    summaries: list[FaceSummary]  # this page of faces, oldest first
    current_id: int | None  # where a person's plain photos go (private chats only)
    in_group: bool
    total: int = 0  # faces in all
    page: int = 0  # 0: the newest PAGE_SIZE, 1: the ones before them, ...
    page_size: int = PAGE_SIZE

    @property
    def first(self) -> int:
        """The rank (1 = newest) of the newest face shown."""
        return self.page * self.page_size + 1

    @property
    def last(self) -> int:
        """The rank of the oldest face shown."""
        return self.page * self.page_size + len(self.summaries)

    @property
    def older(self) -> bool:
        return self.last < self.total


@dataclass(frozen=True)
class FaceDetail:
    summary: FaceSummary
    current_id: int | None
    in_group: bool
    # The provider's ids of its first PAGE_SIZE Active photos (summary counts them all).
    active_ids: list[str] = field(default_factory=list)
    # Who consented to the face, and when (issue 11); None: verified through the direct
    # link, or at a provider with no face check, so the bot knows no person.
    consent: Consent | None = None
    consenter: User | None = None
    face_check: bool = True  # the provider checks the person's face (else no one is known)

    @property
    def takeover_possible(self) -> bool:
        """Verified through the direct link, no consent on record: the owner may invite
        the person to take it over."""
        consent = self.consent
        standing = (
            consent is not None and consent.passed_at is not None and consent.withdrawn_at is None
        )
        return self.face_check and self.summary.face.status is FaceStatus.ACTIVE and not standing
