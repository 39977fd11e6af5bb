"""Typed rows: what the repositories take and return."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OwnerKind(StrEnum):
    USER = "user"
    CHAT = "chat"


class FaceStatus(StrEnum):
    # Written before the provider is asked to start a check, so a crash during that call
    # leaves a trace to reconcile (see FaceService.reconcile_interrupted).
    CREATING = "creating"
    # The start was cut off (crash or lost answer); reconciled, but no link is out: the
    # owner is told and gets a New link button.
    INTERRUPTED = "interrupted"
    PENDING = "pending"  # waiting for the person to pass the face check
    ACTIVE = "active"  # verified: photos can be uploaded
    EXPIRED = "expired"  # the verification never happened in time
    DELETED = "deleted"
    # The verified person withdrew their consent: no new video; kept, with its record.
    WITHDRAWN = "withdrawn"


class AssetState(StrEnum):
    RECEIVED = "received"  # stored, not yet checked or uploaded
    UPLOADING = "uploading"  # sent to the provider, answer not yet recorded
    PROCESSING = "processing"  # the provider has it and is registering it
    ACTIVE = "active"
    FAILED = "failed"  # the provider refused it
    REJECTED = "rejected"  # our own check refused it; never uploaded

    @property
    def final(self) -> bool:
        return self in (AssetState.ACTIVE, AssetState.FAILED, AssetState.REJECTED)


class LinkState(StrEnum):
    LIVE = "live"
    REPLACED = "replaced"
    EXPIRED = "expired"
    DONE = "done"  # the face became active while this link was out


class Awaiting(StrEnum):
    """What a person's next text in a chat answers."""

    FACE_NAME = "face_name"  # the name of a new face
    PROVIDER = "provider"  # a provider button for the face named in ``name``
    RENAME = "rename"  # the new name of face ``face_id``
    PROMPT = "prompt"  # the prompt of a new video


@dataclass(frozen=True)
class PendingInput:
    user_id: int
    chat_id: int
    kind: Awaiting
    face_id: int | None = None
    name: str | None = None


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    username: str | None
    language_code: str | None
    current_face_id: int | None


@dataclass(frozen=True)
class Owner:
    """Whose a face is: a user (private chat) or a group chat."""

    kind: OwnerKind
    id: int


@dataclass(frozen=True)
class Face:
    id: int
    owner: Owner
    created_by: int
    chat_id: int
    name: str
    provider: str
    provider_group_id: str | None
    provider_session_id: str | None
    status: FaceStatus
    verifier_user_id: int | None
    created_at: float
    updated_at: float
    activated_at: float | None
    next_poll_at: float | None
    poll_count: int
    outcome_notified: bool
    # Our reference for the latest start at the provider (in the group's name where the
    # provider creates a group at once), to find it again after a lost answer.
    start_ref: str | None = None


@dataclass(frozen=True)
class VerificationLink:
    id: int
    face_id: int
    url: str
    issued_at: float
    expires_at: float
    issued_to: int
    chat_id: int | None
    message_id: int | None
    state: LinkState

    def seconds_left(self, now: float) -> float:
        return max(0.0, self.expires_at - now)


@dataclass(frozen=True)
class Invite:
    token: str
    face_id: int
    created_by: int
    created_at: float
    expires_at: float
    claimed_by: int | None
    claimed_at: float | None
    declined_at: float | None = None  # the invited person said no: the invite is over
    # Asks only for consent: the face was verified through the direct link already.
    takeover: bool = False


@dataclass(frozen=True)
class ConsentedFace:
    """A face of a person, as that person sees it in /myfaces (issue 11)."""

    consent: Consent
    face_name: str
    face_status: FaceStatus
    owner_kind: OwnerKind
    chat_id: int
    owner_name: str | None  # the face's creator
    owner_username: str | None
    photos: int  # Active photos
    videos: int  # videos made (delivered)
    last_used: float | None  # the newest video asked for

    @property
    def in_group(self) -> bool:
        return self.owner_kind is OwnerKind.CHAT


class CleanupTarget(StrEnum):
    GROUP = "group"  # the face's group, photos and all
    ASSET = "asset"  # one photo


@dataclass(frozen=True)
class CleanupItem:
    """One thing to delete at a provider: a group, or a photo by its provider ids."""

    target: CleanupTarget
    group_id: str | None = None
    asset_id: str | None = None
    record_id: str | None = None


@dataclass(frozen=True)
class CleanupOrder:
    """A face's photos to delete at its provider, asked for with the face's own change;
    ``tell_chat_id`` hears when a delete that had to wait is done."""

    face_id: int
    provider: str
    items: tuple[CleanupItem, ...]
    tell_chat_id: int | None


@dataclass(frozen=True)
class Cleanup:
    id: int
    face_id: int
    provider: str
    item: CleanupItem
    tell_chat_id: int | None
    requested_at: float
    next_at: float
    attempts: int
    done_at: float | None


@dataclass(frozen=True)
class Consent:
    """A person's consent to their face being used, through an invite (issue 11)."""

    id: int
    face_id: int
    person_id: int  # their Telegram id
    invite_token: str
    consented_at: float
    passed_at: float | None
    withdrawn_at: float | None
    # Agreed to a face verified earlier through the direct link (passed_at: when they
    # agreed; the bot saw no face check of theirs).
    takeover: bool = False


@dataclass(frozen=True)
class UploadBatch:
    id: int
    chat_id: int
    user_id: int
    face_id: int
    media_group_id: str | None
    message_id: int | None
    created_at: float


@dataclass(frozen=True)
class Asset:
    id: int
    face_id: int
    batch_id: int
    user_id: int
    tg_file_id: str
    tg_file_unique_id: str
    file_name: str | None
    mime_type: str | None
    file_size: int | None
    width: int | None
    height: int | None
    name: str
    provider_asset_id: str | None
    provider_record_id: str | None
    state: AssetState
    error_code: str | None
    error_message: str | None
    created_at: float
    updated_at: float
    next_poll_at: float | None
    poll_count: int
    reported: bool


@dataclass(frozen=True)
class StatusChange:
    kind: str
    ref_id: int
    status: str
    detail: str | None
    at: float


class JobStatus(StrEnum):
    DRAFT = "draft"  # chosen but not confirmed: nothing charged
    SUBMITTING = "submitting"  # written before the provider is called
    QUEUED = "queued"
    RUNNING = "running"
    DOWNLOADING = "downloading"  # finished at the provider, on its way to the chat
    DELIVERED = "delivered"
    TOO_LARGE = "too_large"  # over Telegram's 50 MB: the link was sent instead
    FAILED = "failed"
    NEEDS_DECISION = "needs_decision"  # cut off mid-submit: the user decides, never us
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        return self in ACTIVE_JOBS

    @property
    def final(self) -> bool:
        return self in (
            JobStatus.DELIVERED,
            JobStatus.TOO_LARGE,
            JobStatus.FAILED,
            JobStatus.CANCELLED,
        )


ACTIVE_JOBS = frozenset(
    {JobStatus.SUBMITTING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DOWNLOADING}
)


class VideoMode(StrEnum):
    """How a video's photos are used (issue 13); which a provider offers is its capability."""

    FIRST_FRAME = "first_frame"  # one photo the video starts from
    FIRST_LAST = "first_last"  # two photos: the first frame and the last
    REFERENCES = "references"  # 1..9 photos, of one or more faces, the prompt names them


@dataclass(frozen=True)
class VideoSettings:
    model: str = "seedance-2.0"
    duration: int = 5
    resolution: str = "720p"
    ratio: str = "adaptive"
    audio: bool = False


@dataclass(frozen=True)
class VideoJob:
    id: int
    user_id: int
    chat_id: int
    face_id: int | None
    asset_ids: tuple[int, ...]
    provider: str | None
    prompt: str
    settings: VideoSettings
    status: JobStatus
    provider_task_id: str | None
    error_code: str | None
    error_message: str | None
    video_url: str | None
    url_expires_at: float | None
    size_bytes: int | None
    tg_file_id: str | None
    message_id: int | None
    inline_message_id: str | None
    retry_of: int | None
    created_at: float
    updated_at: float
    submitted_at: float | None
    finished_at: float | None
    next_poll_at: float | None
    poll_count: int
    outcome_notified: bool
    picking: tuple[int, ...] = ()
    # Made by an anonymous group admin: the group's admins may work on it and confirm it.
    anonymous: bool = False
    # Why a FAILED job failed, as the services decided it (bot.services.job_failures).
    failure: str | None = None
    mode: VideoMode = VideoMode.FIRST_FRAME
    # Every face the photos are of, in the order of their first photo (face_id is the one
    # being picked from while the draft is made).
    face_ids: tuple[int, ...] = ()
    # The secret in the URL the provider calls back when the task ends (None: no callback).
    callback_token: str | None = None


def faces_of(job: VideoJob) -> tuple[int, ...]:
    """Every face a video uses (one for videos made before issue 13 recorded them all)."""
    if job.face_ids:
        return job.face_ids
    return (job.face_id,) if job.face_id is not None else ()


def names_of(job: VideoJob, names: dict[int, str], unknown: str = "?") -> str:
    """A video's faces by name, as its cards and captions show them ("Anna & Ben")."""
    return " & ".join(names.get(face_id, unknown) for face_id in faces_of(job)) or unknown
