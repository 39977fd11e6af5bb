"""Who may do what with a video, and how often: the rules every video use case goes through.

- A draft is worked on by its requester, with the buttons of its card: in the chat it was
  made in, or on its inline card (never one from the other). Buttons are pressed by real
  people, never anonymously. A draft an anonymous group admin made (stored with
  ``anonymous``) belongs to the group's admins: any of them may work on it, and the one
  who confirms it becomes its requester (limits count for them, the video is theirs to
  send again).
- A job past its draft (again, forget, send again) is its requester's alone; on an inline
  card, only through that card's own buttons.
- In a group, the group's access mode and member quota apply when a draft is made and
  again when it is confirmed (the rules may have changed in between).
- Per person: at most ``running_per_user`` videos at once and ``daily_per_user`` a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.services.actors import Actor, Place
from bot.services.clock import Clock, start_of_day
from bot.services.errors import Refusal, ServiceRefused
from storage.models import JobStatus, Owner, OwnerKind, VideoJob
from storage.videos import VideoRepo


@dataclass(frozen=True)
class Limits:
    running_per_user: int = 2
    daily_per_user: int = 20


class GroupGate(Protocol):
    """The group's say on generating (bot.services.groups.GroupService)."""

    async def may_generate(self, actor: Actor) -> None:
        """Refuse (ServiceRefused) a member the group's rules do not let generate now."""


def owner_of(job: VideoJob) -> Owner:
    """Whose faces a job works with: the requester's own (asked in their private chat or
    on an inline card, both kept under their own chat id), else the group's it was made in."""
    if job.chat_id == job.user_id:
        return Owner(OwnerKind.USER, job.user_id)
    return Owner(OwnerKind.CHAT, job.chat_id)


def made_again_here(job: VideoJob, actor: Actor) -> bool:
    """Whether ``actor`` may make ``job`` again where they are: in the chat it was made in
    (a group's video uses the group's face, so it is made again in the group), or on its
    own inline card (kept under the requester's own chat id, like their private chat)."""
    return job.chat_id == actor.conversation


class VideoRules:
    def __init__(
        self, *, videos: VideoRepo, groups: GroupGate, clock: Clock, limits: Limits
    ) -> None:
        self.videos = videos
        self.groups = groups
        self.clock = clock
        self.limits = limits

    async def job(self, job_id: int) -> VideoJob:
        job = await self.videos.get(job_id)
        if job is None:
            raise ServiceRefused(Refusal.NO_SUCH_JOB)
        return job

    @staticmethod
    def may_work_on(job: VideoJob, actor: Actor) -> bool:
        """Whether ``actor`` may change or confirm this draft (see the module docstring)."""
        if job.chat_id != actor.conversation:
            return False  # a draft's buttons are on its card, in its own chat
        if (job.inline_message_id is not None) != (actor.place is Place.INLINE):
            # An inline card's draft is kept under its requester's own chat id, as inline
            # actors are: its buttons are on the card, never in the private chat.
            return False
        if actor.anonymous:
            # Buttons are pressed by real people: whoever works on a draft or confirms it
            # is someone the limits can count (never an anonymous admin).
            return False
        if job.anonymous:
            return actor.in_group and actor.is_admin
        return job.user_id == actor.user_id

    async def draft(self, job_id: int, actor: Actor) -> VideoJob:
        """A draft ``actor`` may work on, still undecided."""
        job = await self.job(job_id)
        if not self.may_work_on(job, actor):
            raise ServiceRefused(Refusal.NOT_YOURS)
        if job.status is not JobStatus.DRAFT:
            raise ServiceRefused(Refusal.JOB_STARTED)
        return job

    async def own_job(
        self, job_id: int, actor: Actor, *, inline_message_id: str | None = None
    ) -> VideoJob:
        """A job of ``actor``'s own. Pressed on an inline card (``inline_message_id``), the
        card must be the job's: buttons of one card never act on another's job."""
        job = await self.job(job_id)
        if job.user_id != actor.user_id or job.anonymous:
            raise ServiceRefused(Refusal.NOT_YOURS)
        if inline_message_id is not None and job.inline_message_id != inline_message_id:
            raise ServiceRefused(Refusal.NOT_YOURS)
        return job

    async def may_generate(self, actor: Actor) -> None:
        """The group's rules, where the actor is in a group; then the person's own limits."""
        await self.group_allows(actor)
        await self.limits_allow(actor)

    async def group_allows(self, actor: Actor) -> None:
        if actor.in_group:
            await self.groups.may_generate(actor)

    async def limits_allow(self, actor: Actor) -> None:
        """An anonymous admin has no limits of their own: whoever confirms is counted."""
        if not actor.anonymous:
            await self.check_limits(actor.user_id)

    async def check_limits(self, user_id: int) -> None:
        if await self.videos.count_active(user_id) >= self.limits.running_per_user:
            raise ServiceRefused(Refusal.LIMIT_RUNNING, str(self.limits.running_per_user))
        today = await self.videos.count_submitted_since(user_id, start_of_day(self.clock()))
        if today >= self.limits.daily_per_user:
            raise ServiceRefused(Refusal.LIMIT_DAILY, str(self.limits.daily_per_user))
