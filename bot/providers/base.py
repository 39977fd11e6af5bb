"""The one provider interface: dataclasses, capabilities and the error hierarchy.

Every vendor module turns its own requests and responses into these types; nothing
vendor-specific leaks past it. Errors:

- :class:`ProviderError` — base of everything a provider call can raise.
  - :class:`ProviderAuthError` — the key was refused (401/403 on auth). Not retried.
  - :class:`ProviderRateLimited` — 429 after retries; ``retry_after`` seconds if known.
  - :class:`ProviderUnavailable` — 5xx, timeouts, connection errors after retries.
  - :class:`ProviderRejected` — the provider understood and said no (4xx): ``code`` says
    why (e.g. ``group_not_active``, ``quota``, ``invalid``, ``not_found``).

"The HTTP call failed" (these errors) is kept apart from "the job failed" (a status with
an error code in :class:`AssetInfo`).

For a call that creates something or costs money, :attr:`ProviderError.not_taken` says
whether the provider certainly did not act on it (refused it, limited it, or was never
reached: ``ProviderUnavailable`` with code :data:`NOT_CONNECTED`); False means it may have
(a 5xx, a timeout or a connection dropped after sending, or an answer we could not read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NewType, Protocol

# A vendor's name as stored with each face ("token360"); the vendors are those declared in
# bot.providers.registry, so adding one needs no new member anywhere else.
ProviderName = NewType("ProviderName", str)


class FreshLink(StrEnum):
    """How a provider replaces an expired verification link."""

    SAME_GROUP = "same_group"  # ask again for the same group/session
    NEW_SESSION = "new_session"  # start a new session; the group appears after verification
    NONE = "none"  # no verification step at all (Sunra)


class PhotoDeletion(StrEnum):
    """What a provider's documents offer to delete a face's photos (issue 11)."""

    NONE = "none"  # nothing documented: the photos stay at the provider
    GROUP = "group"  # deleting the face's group deletes its photos (Token360, PowerTokens)
    # Each photo is removed from the account (soft delete); the provider says its own
    # upstream registration stays (Sunra's Ark assets).
    ASSET_SOFT = "asset_soft"


@dataclass(frozen=True)
class Capabilities:
    display_name: str
    verification: bool = True  # False: no face check (Sunra); a face is usable at once
    fresh_link: FreshLink = FreshLink.SAME_GROUP
    upload_by_url: bool = False  # the provider fetches a public URL instead of taking bytes
    lists_assets: bool = True  # one request can report many assets of a group
    lists_groups: bool = True
    models: tuple[str, ...] = ("seedance-2.0", "seedance-2.0-fast")
    # What one video request can carry (issue 13): a photo as its first frame; a last frame
    # with it; up to ``reference_images`` reference photos (0: none), of one face or several,
    # which the prompt names as ``image_tag`` (with ``{n}``: 1 for the first reference).
    first_frame: bool = True
    last_frame: bool = False
    reference_images: int = 0
    image_tag: str = "[Image {n}]"
    # A video task takes a URL the provider calls when the task ends.
    video_callbacks: bool = False
    asset_quota: int | None = None  # assets per account, where the provider caps it
    # One live verification per account at a time: the provider's new group cannot be told
    # apart otherwise (PowerTokens lists it with nothing linking it to its link).
    serial_verification: bool = False
    # Starting a check creates a lasting group at once (Token360): its name carries our
    # reference so a start whose answer was lost can be found again (find_group_named).
    start_creates_group: bool = False
    # The provider documents renaming a group, so the bot mirrors a face's new name there.
    renames_groups: bool = False
    photo_deletion: PhotoDeletion = PhotoDeletion.NONE
    # The languages the verification page is documented to take (a request's ``locale``);
    # empty where it takes none.
    verification_locales: tuple[str, ...] = ()
    # The documented limit on status requests (polls), per second, where there is one.
    status_requests_per_second: float | None = None


def verification_locale(capabilities: Capabilities, language: str | None) -> str | None:
    """The page language for a person reading ``language``: theirs where the provider's page
    takes it, else the first it takes (English where offered)."""
    offered = capabilities.verification_locales
    if not offered:
        return None
    return language if language in offered else offered[0]


class GroupState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    FAILED = "failed"


class RemoteAssetState(StrEnum):
    PROCESSING = "processing"
    ACTIVE = "active"
    FAILED = "failed"


@dataclass(frozen=True)
class VerificationSession:
    """A live face-check link. ``group_id`` is None where the group exists only afterwards."""

    h5_link: str
    group_id: str | None
    session_id: str | None
    expires_in: float | None = None  # seconds, if the provider says
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class GroupInfo:
    group_id: str
    state: GroupState
    name: str | None = None
    h5_link: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class PendingVerification:
    """A face waiting for its check, as a provider needs it to find the outcome."""

    key: int  # our face id
    name: str
    group_id: str | None
    session_id: str | None
    started_at: float  # unix time the current session began


@dataclass(frozen=True)
class ImageUpload:
    data: bytes
    file_name: str
    mime_type: str
    # Where URL-only providers fetch the bytes; set by the bot's media server.
    public_url: str | None = None


class VideoState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class ImageRole(StrEnum):
    """What a photo is to a video; frames and references are never mixed in one request."""

    FIRST_FRAME = "first_frame"
    LAST_FRAME = "last_frame"  # only with a first frame
    REFERENCE = "reference_image"  # the prompt names it by position (image_tag)


@dataclass(frozen=True)
class VideoImage:
    asset_id: str  # the provider's asset id (asset://...)
    role: ImageRole


@dataclass(frozen=True)
class VideoRequest:
    prompt: str  # references already named with the provider's image_tag where the user did
    images: Sequence[VideoImage]  # in order: first frame then last, or references 1..n
    model: str  # "seedance-2.0" | "seedance-2.0-fast"; vendors map to their own names
    duration: int
    resolution: str
    ratio: str
    audio: bool
    # Where the provider should call when the task ends, where it takes one (video_callbacks).
    callback_url: str | None = None

    @property
    def asset_ids(self) -> list[str]:
        return [image.asset_id for image in self.images]

    def of_role(self, role: ImageRole) -> list[str]:
        return [image.asset_id for image in self.images if image.role is role]


@dataclass(frozen=True)
class VideoStatus:
    task_id: str
    state: VideoState
    video_url: str | None = None
    url_expires_at: float | None = None  # unix time, where the provider says
    error_code: str | None = None
    error_message: str | None = None
    queue_position: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class AssetRef:
    """What we stored about an uploaded asset, enough for any provider to look it up."""

    asset_id: str | None  # the id a video references (asset://...); None until known
    record_id: str | None  # the provider's handle for the upload (record, task or job id)
    group_id: str | None


@dataclass(frozen=True)
class AssetInfo:
    asset_id: str | None  # None while the provider has not assigned it yet (PowerTokens)
    state: RemoteAssetState
    group_id: str | None = None
    name: str | None = None
    record_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


# ProviderUnavailable.code when no connection was made, so the request never left.
NOT_CONNECTED = "not_connected"


class ProviderError(Exception):
    """``code`` is the provider's own error code where it gives one (e.g. InvalidParameter)."""

    def __init__(
        self, message: str, *, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    @property
    def not_taken(self) -> bool:
        """True when the provider certainly did not act on the request (nothing created,
        nothing charged); False when it may have."""
        return False


class ProviderAuthError(ProviderError):
    @property
    def not_taken(self) -> bool:
        return True


class ProviderRateLimited(ProviderError):
    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int = 429,
        code: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after

    @property
    def not_taken(self) -> bool:
        return True


class ProviderUnavailable(ProviderError):
    @property
    def not_taken(self) -> bool:
        return self.code == NOT_CONNECTED


class RejectReason(StrEnum):
    GROUP_NOT_ACTIVE = "group_not_active"
    QUOTA = "quota"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    TOO_LARGE = "too_large"
    OTHER = "other"


class ProviderRejected(ProviderError):
    def __init__(
        self,
        message: str,
        *,
        reason: RejectReason,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.reason = reason

    @property
    def not_taken(self) -> bool:
        return True


class Provider(Protocol):
    """What the services need from a provider, whatever its API looks like."""

    name: ProviderName
    capabilities: Capabilities

    async def start_verification(
        self, face_name: str, *, return_url: str | None = None, locale: str | None = None
    ) -> VerificationSession:
        """Create the group/session and return a live link (its 120 s start now).

        ``return_url`` is where the person's browser may be sent afterwards, where the
        provider supports one (OrcaRouter). ``locale``: the page's language, one of
        ``capabilities.verification_locales`` (providers without one ignore it).
        """
        ...

    async def refresh_verification(
        self, group_id: str | None, session_id: str | None
    ) -> VerificationSession | None:
        """A fresh link for the same verification, or None where only a new one will do."""
        ...

    async def get_group(self, group_id: str) -> GroupInfo: ...

    async def find_group_named(self, text: str) -> GroupInfo | None:
        """The newest group whose name contains ``text``, where starting a check creates a
        group (``start_creates_group``) and the API can list groups; None otherwise."""
        ...

    async def check_verifications(
        self, pending: Sequence[PendingVerification], known_groups: set[str]
    ) -> dict[int, GroupInfo]:
        """Which pending verifications have passed, by face key, as cheaply as the API allows.

        ``known_groups`` are group ids already taken by other faces, for providers where a
        new group must be told apart from old ones.
        """
        ...

    async def upload_asset(self, group_id: str | None, image: ImageUpload, name: str) -> AssetInfo:
        """Upload one image (bytes, or ``image.public_url`` for URL-only providers)."""
        ...

    async def get_asset(self, ref: AssetRef) -> AssetInfo: ...

    async def list_assets(self, group_id: str) -> list[AssetInfo]:
        """Every asset of a group (with its name), for batch polling and lost uploads."""
        ...

    async def rename_group(self, group_id: str, name: str) -> bool:
        """Rename at the provider; False where the provider has no such operation."""
        ...

    async def delete_group(self, group_id: str) -> bool:
        """Delete at the provider, with its photos; False where the provider has no such
        operation. A group already gone counts as deleted."""
        ...

    async def delete_asset(self, ref: AssetRef) -> bool:
        """Delete one photo at the provider; False where the provider has no such
        operation. A photo already gone counts as deleted."""
        ...

    async def submit_video(self, request: VideoRequest) -> VideoStatus:
        """Start a generation (charged). Never retried automatically."""
        ...

    async def get_video(self, task_id: str) -> VideoStatus: ...

    async def aclose(self) -> None: ...
