"""The Telegram side of :class:`bot.services.notify.Notifier`: renders and sends."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot.services.bounded import KeyedLocks
from bot.telegram.keyboards import faces as keyboards
from bot.telegram.texts import common as texts
from bot.telegram.texts import groups as group_texts
from bot.telegram.texts import uploads as upload_texts
from storage.assets import AssetRepo
from storage.chats import ChatRepo
from storage.faces import FaceRepo
from storage.links import InviteRepo, LinkRepo
from storage.models import Face, FaceStatus, OwnerKind, VerificationLink

log = logging.getLogger(__name__)


class TelegramNotifier:
    def __init__(
        self,
        bot: Bot,
        *,
        faces: FaceRepo,
        links: LinkRepo,
        invites: InviteRepo,
        assets: AssetRepo,
        sandbox: bool,
        chats: ChatRepo | None = None,
    ) -> None:
        self.bot = bot
        self.faces = faces
        self.links = links
        self.invites = invites
        self.assets = assets
        self.sandbox = sandbox
        self.chats = chats
        self._batch_locks: KeyedLocks[int] = KeyedLocks()

    async def send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> int | None:
        """Send; a chat that blocked the bot is logged, not retried forever."""
        try:
            message = await self.bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except Forbidden:
            log.info("chat %d blocked the bot; message dropped", chat_id)
            return None
        return message.message_id

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        caption: bool = False,
    ) -> None:
        try:
            if caption:
                await self.bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=message_id,
                    caption=text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            else:
                await self.bot.edit_message_text(
                    text,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
        except BadRequest as exc:
            if "not modified" in exc.message:
                return
            log.info("edit of message %d in %d refused: %s", message_id, chat_id, exc.message)
        except Forbidden:
            log.info("chat %d blocked the bot; edit dropped", chat_id)

    async def face_outcome(self, face: Face) -> None:
        recipients = [face.chat_id]
        if face.verifier_user_id is not None and face.verifier_user_id not in recipients:
            recipients.append(face.verifier_user_id)
        if face.status is FaceStatus.ACTIVE:
            for link in await self.links.shown_for_face(face.id):
                assert link.chat_id is not None and link.message_id is not None
                await self.edit(
                    link.chat_id, link.message_id, texts.link_done_card(face), caption=True
                )
            for chat_id in recipients:
                if face.owner.kind is OwnerKind.CHAT and chat_id == face.chat_id:
                    # In a group, the news doubles as the upload prompt photos reply to.
                    message_id = await self.send(chat_id, group_texts.face_active_in_group(face))
                    if message_id is not None and self.chats is not None:
                        await self.chats.add_upload_prompt(
                            chat_id, message_id, face.id, face.updated_at
                        )
                    continue
                await self.send(chat_id, texts.face_active(face, chat_id == face.chat_id))
        elif face.status is FaceStatus.EXPIRED:
            await self.send(face.chat_id, texts.face_expired(face), keyboards.new_link_only(face))
        elif face.status is FaceStatus.INTERRUPTED:
            await self.send(
                face.chat_id, texts.face_interrupted(face), keyboards.new_link_only(face)
            )

    async def link_expired(self, face: Face, link: VerificationLink) -> None:
        if link.chat_id is None or link.message_id is None:
            return
        markup = keyboards.new_link_only(face)
        if link.issued_to != face.created_by:
            invite = await self.invites.for_face(face.id)
            if invite is not None and invite.claimed_by == link.issued_to:
                markup = keyboards.invitee_new_link(invite.token)
        await self.edit(
            link.chat_id, link.message_id, texts.link_expired_card(face), markup, caption=True
        )

    async def batch_changed(self, batch_id: int) -> None:
        async with self._batch_locks[batch_id]:
            batch = await self.assets.get_batch(batch_id)
            if batch is None:
                return
            face = await self.faces.get(batch.face_id)
            assets = await self.assets.in_batch(batch_id)
            if face is None or not assets:
                return
            text = upload_texts.batch_progress(face, assets)
            if batch.message_id is None:
                message_id = await self.send(batch.chat_id, text)
                if message_id is not None:
                    await self.assets.set_batch_message(batch_id, message_id)
            else:
                await self.edit(batch.chat_id, batch.message_id, text)
