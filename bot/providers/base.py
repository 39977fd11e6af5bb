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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class ProviderName(StrEnum):
    TOKEN360 = "token360"
    SUNRA = "sunra"
    ORCAROUTER = "orcarouter"
    POWERTOKENS = "powertokens"
    TOAPIS = "toapis"


class FreshLink(StrEnum):
    """How a provider replaces an expired verification link."""

    SAME_GROUP = "same_group"  # ask again for the same group/session
    NEW_SESSION = "new_session"  # start a new session; the group appears after verification
    NONE = "none"  # no verification step at all (Sunra)


@dataclass(frozen=True)
class Capabilities:
    display_name: str
    verification: bool = True
    fresh_link: FreshLink = FreshLink.SAME_GROUP
    upload_by_url: bool = False
    lists_assets: bool = True  # one request can report many assets of a group
    lists_groups: bool = True


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
class ImageUpload:
    data: bytes
    file_name: str
    mime_type: str


@dataclass(frozen=True)
class AssetInfo:
    asset_id: str
    state: RemoteAssetState
    group_id: str | None = None
    name: str | None = None
    record_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


class ProviderError(Exception):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ProviderAuthError(ProviderError):
    pass


class ProviderRateLimited(ProviderError):
    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    pass


class RejectReason(StrEnum):
    GROUP_NOT_ACTIVE = "group_not_active"
    QUOTA = "quota"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    TOO_LARGE = "too_large"
    OTHER = "other"


class ProviderRejected(ProviderError):
    def __init__(self, message: str, *, reason: RejectReason, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.reason = reason


class Provider(Protocol):
    """What the services need from a provider, whatever its API looks like."""

    name: ProviderName
    capabilities: Capabilities

    async def start_verification(self, face_name: str) -> VerificationSession:
        """Create the group/session and return a live link (its 120 s start now)."""
        ...

    async def refresh_verification(
        self, group_id: str | None, session_id: str | None
    ) -> VerificationSession | None:
        """A fresh link for the same verification, or None where only a new one will do."""
        ...

    async def get_group(self, group_id: str) -> GroupInfo: ...

    async def find_groups(self, group_ids: set[str]) -> dict[str, GroupInfo]:
        """Look many groups up cheaply (a list endpoint); ids not found are left out."""
        ...

    async def upload_asset(self, group_id: str, image: ImageUpload, name: str) -> AssetInfo: ...

    async def get_asset(self, asset_id: str) -> AssetInfo: ...

    async def list_assets(self, group_id: str) -> list[AssetInfo]: ...

    async def aclose(self) -> None: ...
