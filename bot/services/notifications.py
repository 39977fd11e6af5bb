"""The use cases' notifiers: decide who hears what, read what a message shows, record what
was sent. Rendering and sending is the outbound ports' job (:mod:`bot.services.notify`).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from bot.services.bounded import KeyedLocks
from bot.services.notify import FaceMessages, VideoMessages
from bot.services.upload_prompts import UploadPrompts
from storage.assets import AssetRepo
from storage.chats import ChatRepo
from storage.faces import FaceRepo
from storage.links import InviteRepo, LinkRepo
from storage.models import (
    Face,
    FaceStatus,
    OwnerKind,
    VerificationLink,
    VideoJob,
    faces_of,
    names_of,
)

UNKNOWN_FACE = "?"  # a job whose face was deleted meanwhile


class FaceNotifications:
    """:class:`bot.services.notify.Notifier`, on top of a :class:`FaceMessages` port."""

    def __init__(
        self,
        messages: FaceMessages,
        *,
        faces: FaceRepo,
        links: LinkRepo,
        invites: InviteRepo,
        assets: AssetRepo,
        chats: ChatRepo,
        prompts: UploadPrompts | None = None,
    ) -> None:
        self.messages = messages
        self.faces = faces
        self.links = links
        self.invites = invites
        self.assets = assets
        self.chats = chats
        self.prompts = prompts or UploadPrompts(chats)
        self._batch_locks: KeyedLocks[int] = KeyedLocks()

    async def face_outcome(self, face: Face) -> None:
        if face.status is FaceStatus.ACTIVE:
            for link in await self.links.shown_for_face(face.id):
                await self.messages.verified_card(face, link)
            recipients = [face.chat_id]
            if face.verifier_user_id is not None and face.verifier_user_id not in recipients:
                recipients.append(face.verifier_user_id)
        elif face.status in (FaceStatus.EXPIRED, FaceStatus.INTERRUPTED):
            recipients = [face.chat_id]  # the one who can ask for a new link
        else:
            return
        for chat_id in recipients:
            group_news = face.owner.kind is OwnerKind.CHAT and chat_id == face.chat_id
            if face.status is FaceStatus.ACTIVE and group_news:
                # In a group, the news doubles as the upload prompt photos reply to.
                send = partial(self.messages.face_outcome, face, chat_id)
                await self.prompts.post(chat_id, face.id, face.updated_at, send)
            else:
                await self.messages.face_outcome(face, chat_id)

    async def link_expired(self, face: Face, link: VerificationLink) -> None:
        if link.chat_id is None or link.message_id is None:
            return
        invite_token = None
        if link.issued_to != face.created_by:
            invite = await self.invites.for_face(face.id)
            if invite is not None and invite.claimed_by == link.issued_to:
                invite_token = invite.token
        await self.messages.link_expired(face, link, invite_token)

    async def batch_changed(self, batch_id: int) -> None:
        # One at a time per batch: two first reports would each send a progress message.
        async with self._batch_locks[batch_id]:
            batch = await self.assets.get_batch(batch_id)
            if batch is None:
                return
            face = await self.faces.get(batch.face_id)
            assets = await self.assets.in_batch(batch_id)
            if face is None or not assets:
                return
            sent = await self.messages.batch_progress(
                batch.chat_id, batch.message_id, face, assets
            )
            if batch.message_id is None and sent is not None:
                await self.assets.set_batch_message(batch_id, sent)

    async def photos_deleted(self, face: Face, chat_id: int, provider_name: str) -> None:
        await self.messages.photos_deleted(face, chat_id, provider_name)


class VideoNotifications:
    """:class:`bot.services.notify.VideoNotifier`, on top of a :class:`VideoMessages` port:
    adds the face's name that every card and caption shows."""

    def __init__(self, messages: VideoMessages, *, faces: FaceRepo) -> None:
        self.messages = messages
        self.faces = faces

    async def face_name(self, job: VideoJob) -> str:
        """The names of the video's faces ("Anna & Ben")."""
        names = {}
        for face_id in faces_of(job):
            face = await self.faces.get(face_id)
            if face is not None:
                names[face_id] = face.name
        return names_of(job, names, UNKNOWN_FACE)

    async def job_progress(self, job: VideoJob, *, force: bool = False) -> None:
        await self.messages.job_progress(job, await self.face_name(job), force=force)

    async def job_outcome(self, job: VideoJob) -> None:
        await self.messages.job_outcome(job, await self.face_name(job))

    async def working(self, job: VideoJob) -> None:
        await self.messages.working(job)

    async def send_video(self, job: VideoJob, path: Path, size: int) -> str:
        return await self.messages.send_video(job, await self.face_name(job), path, size)
