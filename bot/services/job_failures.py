"""Why a video failed, as a closed set the services decide when a job fails.

The reason is stored with the job (``videos.failure``) and the Telegram side renders it with
an exhaustive ``match``; whether a Retry is offered is :attr:`JobFailure.retry_helps`, never
a guess from the text or the vendor's code. Vendor codes are read here, once: when the
provider refuses the paid request, and when it gives up on a job it took.
"""

from __future__ import annotations

from enum import StrEnum

from bot.providers.base import ProviderError, ProviderRejected, RejectReason
from bot.services.errors import Failure, failure_of
from storage.models import VideoJob


class JobFailure(StrEnum):
    MODERATION = "moderation"  # the provider's content moderation blocked it
    REAL_PERSON = "real_person"  # the provider's real-person rules refused the photo
    INVALID = "invalid"  # the provider refused the request as invalid (settings, photo)
    QUOTA = "quota"  # the provider account has no credit or quota left
    REJECTED = "rejected"  # the provider said no for another reason (its words kept)
    AUTH = "auth"  # our API key was refused: only the operator can fix it
    RATE_LIMITED = "rate_limited"  # the provider turned the request away for now
    UNAVAILABLE = "unavailable"  # the provider could not be reached: it never took the job
    PROVIDER_FAILED = "provider_failed"  # the provider took the job, then gave up on it
    TIMEOUT = "timeout"  # it ran longer than the bot waits
    DOWNLOAD_FAILED = "download_failed"  # made, but its link expired before it was fetched

    @property
    def retry_helps(self) -> bool:
        """Whether the same request, confirmed again, may well succeed."""
        return self in _PASSING


_PASSING = frozenset(
    {
        JobFailure.RATE_LIMITED,
        JobFailure.UNAVAILABLE,
        JobFailure.PROVIDER_FAILED,
        JobFailure.TIMEOUT,
        JobFailure.DOWNLOAD_FAILED,
    }
)

# Words in vendors' codes (Seedance's OutputVideoSensitiveContentDetected,
# InputImageRealPersonPrivacyRisk, InvalidParameter, ...), most specific first.
_CODE_WORDS: tuple[tuple[tuple[str, ...], JobFailure], ...] = (
    (("privacy", "realperson", "real_person"), JobFailure.REAL_PERSON),
    (("sensitive", "moderation", "unsafe", "risk"), JobFailure.MODERATION),
    (("invalid",), JobFailure.INVALID),
)


def _by_code(code: str | None) -> JobFailure | None:
    lowered = (code or "").lower()
    for words, failure in _CODE_WORDS:
        if any(word in lowered for word in words):
            return failure
    return None


def of_submit_error(exc: ProviderError) -> JobFailure:
    """The paid request was certainly not taken (``exc.not_taken``): why."""
    match failure_of(exc).failure:
        case Failure.AUTH:
            return JobFailure.AUTH
        case Failure.RATE_LIMITED:
            return JobFailure.RATE_LIMITED
        case Failure.UNAVAILABLE | Failure.UNKNOWN:
            return JobFailure.UNAVAILABLE
        case Failure.REJECTED:
            assert isinstance(exc, ProviderRejected)
            by_code = _by_code(exc.code)
            if by_code is not None:
                return by_code
            if exc.reason is RejectReason.INVALID:
                return JobFailure.INVALID
            if exc.reason is RejectReason.QUOTA:
                return JobFailure.QUOTA
            return JobFailure.REJECTED


def of_task(code: str | None, message: str | None = None) -> JobFailure:
    """The provider took the job and reported it failed. Some vendors give only a status
    word as the code (``failed``) and the reason in prose (``moderation``): both are read."""
    return _by_code(code) or _by_code(message) or JobFailure.PROVIDER_FAILED


def job_failure(job: VideoJob) -> JobFailure:
    """Why a FAILED job failed: as decided when it failed. A job that failed before the
    reason was stored (migration 8) is read from its code, as a task failure."""
    if job.failure is not None:
        try:
            return JobFailure(job.failure)
        except ValueError:  # written by a later release: its code still says something
            pass
    return of_task(job.error_code, job.error_message)
