"""What a service refuses, in domain terms; handlers turn these into messages."""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    NO_SUCH_FACE = "no_such_face"
    NOT_YOURS = "not_yours"
    BAD_NAME = "bad_name"
    ALREADY_ACTIVE = "already_active"
    FACE_DELETED = "face_deleted"
    FACE_WITHDRAWN = "face_withdrawn"  # the verified person withdrew their consent
    ALREADY_WITHDRAWN = "already_withdrawn"  # withdraw pressed again, or on an old list
    CONSENT_ON_RECORD = "consent_on_record"  # a take-over invite for a face whose consent stands
    NO_FACE_CHECK = "no_face_check"  # the provider checks no face: there is no person to invite
    ANONYMOUS_ADMIN = "anonymous_admin"  # something sent privately, asked anonymously
    PRIVATE_ONLY = "private_only"  # what is a person's own business, asked outside their chat
    INVITE_UNKNOWN = "invite_unknown"
    INVITE_EXPIRED = "invite_expired"
    INVITE_DECLINED = "invite_declined"
    INVITE_AGREED = "invite_agreed"  # No, thanks after I agree (two copies of the screen)
    INVITE_TAKEN = "invite_taken"
    INVITE_DONE = "invite_done"
    LINK_EXPIRED = "link_expired"
    NO_FACE = "no_face"
    FACE_NOT_ACTIVE = "face_not_active"
    NO_USABLE_FACE = "no_usable_face"
    BAD_PROMPT = "bad_prompt"
    NO_SUCH_JOB = "no_such_job"
    JOB_STARTED = "job_started"  # pressed Generate twice, or an old card
    ASSET_NOT_ACTIVE = "asset_not_active"
    # Issue 13: a mode the draft's provider lacks (detail: its name), and a face at another
    # provider than the video's other photos (detail: the video's provider).
    MODE_NOT_OFFERED = "mode_not_offered"
    OTHER_PROVIDER = "other_provider"
    LIMIT_RUNNING = "limit_running"
    LIMIT_DAILY = "limit_daily"
    NOT_DELIVERED = "not_delivered"
    PROVIDER_BUSY = "provider_busy"  # another face check is running there (detail: seconds)
    ADMINS_ONLY = "admins_only"  # an admin command from someone who is not one
    GROUP_ADMINS_ONLY = "group_admins_only"  # the group lets only admins generate
    GROUP_NOT_LISTED = "group_not_listed"
    GROUP_QUOTA = "group_quota"
    START_UNDER_WAY = "start_under_way"  # New link pressed again while the first is running
    OFFER_EXPIRED = "offer_expired"  # an inline result older than offers are kept
    NOT_ASKED = "not_asked"  # an answer or a button for a question not open (any more)
    NO_USABLE_GROUP_FACE = "no_usable_group_face"  # the group has no face to make a video of
    PROMPT_WITH_COMMAND = "prompt_with_command"  # /generate in a group without a prompt
    AGAIN_ELSEWHERE = "again_elsewhere"  # a group's video made again outside that group
    # A prompt given with /generate in a group that cannot be used (nothing is asked there).
    BAD_GROUP_PROMPT = "bad_group_prompt"
    PROVIDER_OFF = "provider_off"  # the face's provider is not enabled now (detail: its name)
    FORWARDED_COMMAND = "forwarded_command"  # a forwarded /generate in a group: nobody's request


class ServiceRefused(Exception):
    def __init__(self, refusal: Refusal, detail: str = "") -> None:
        super().__init__(refusal.value if not detail else f"{refusal.value}: {detail}")
        self.refusal = refusal
        self.detail = detail


class Failure(StrEnum):
    """Why a provider could not do what was asked, and whether trying again may help."""

    AUTH = "auth"  # our API key was refused: only the operator can fix it
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"  # timeouts, 5xx, unreadable answers
    REJECTED = "rejected"  # the provider said no to this request (detail: its words)
    UNKNOWN = "unknown"

    @property
    def retry_helps(self) -> bool:
        return self in (Failure.RATE_LIMITED, Failure.UNAVAILABLE, Failure.UNKNOWN)


class ServiceFailed(Exception):
    """A provider call failed; handlers render :class:`Failure`, never a provider error."""

    def __init__(self, failure: Failure, detail: str = "") -> None:
        super().__init__(failure.value if not detail else f"{failure.value}: {detail}")
        self.failure = failure
        self.detail = detail


def failure_of(exc: Exception) -> ServiceFailed:
    """The closed reason behind a provider error, for services to raise instead of it."""
    # Imported here: errors.py is imported by every layer, providers only by services.
    from bot.providers.base import (
        ProviderAuthError,
        ProviderRateLimited,
        ProviderRejected,
        ProviderUnavailable,
    )

    if isinstance(exc, ProviderAuthError):
        return ServiceFailed(Failure.AUTH)
    if isinstance(exc, ProviderRateLimited):
        return ServiceFailed(Failure.RATE_LIMITED)
    if isinstance(exc, ProviderUnavailable):
        return ServiceFailed(Failure.UNAVAILABLE)
    if isinstance(exc, ProviderRejected):
        return ServiceFailed(Failure.REJECTED, exc.message)
    return ServiceFailed(Failure.UNKNOWN)
