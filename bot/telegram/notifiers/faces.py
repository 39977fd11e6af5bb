"""The Telegram side of :class:`bot.services.notify.FaceMessages`: renders and sends, and
returns what it sent; what to tell whom, and what to record, the services decide."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot.services.languages import LanguageService
from bot.telegram import i18n
from bot.telegram.keyboards import faces as keyboards
from bot.telegram.texts import common as texts
from bot.telegram.texts import faces as face_texts
from bot.telegram.texts import groups as group_texts
from bot.telegram.texts import uploads as upload_texts
from storage.models import Asset, Face, FaceStatus, OwnerKind, VerificationLink

log = logging.getLogger(__name__)


class TelegramNotifier:
    def __init__(self, bot: Bot, languages: LanguageService | None = None) -> None:
        self.bot = bot
        self.languages = languages

    async def language(self, chat_id: int) -> str:
        """What is sent to ``chat_id`` is read in its language (its person's, or the
        group's), whatever update or round is sending it."""
        if self.languages is None:
            return i18n.SOURCE
        return await self.languages.of_chat(chat_id)

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

    async def tell(
        self,
        chat_id: int,
        text: Callable[[], str],
        markup: Callable[[], InlineKeyboardMarkup] | None = None,
    ) -> int | None:
        """Send to someone else than the one acting (an invite's owner, a group): rendered in
        ``chat_id``'s language, not the current update's."""
        with i18n.speaking(await self.language(chat_id)):
            rendered, buttons = text(), markup() if markup is not None else None
        return await self.send(chat_id, rendered, buttons)

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

    async def verified_card(self, face: Face, link: VerificationLink) -> None:
        if link.chat_id is not None and link.message_id is not None:
            with i18n.speaking(await self.language(link.chat_id)):
                text = texts.link_done_card(face)
            await self.edit(link.chat_id, link.message_id, text, caption=True)

    async def face_outcome(self, face: Face, chat_id: int) -> int | None:
        with i18n.speaking(await self.language(chat_id)):
            return await self._face_outcome(face, chat_id)

    async def _face_outcome(self, face: Face, chat_id: int) -> int | None:
        if face.status is FaceStatus.ACTIVE:
            if face.owner.kind is OwnerKind.CHAT and chat_id == face.chat_id:
                return await self.send(chat_id, group_texts.face_active_in_group(face))
            for_creator = chat_id == face.chat_id
            return await self.send(
                chat_id,
                texts.face_active(face, for_creator),
                None if for_creator else keyboards.my_faces(),  # the verified person's
            )
        if face.status is FaceStatus.EXPIRED:
            return await self.send(
                chat_id, texts.face_expired(face), keyboards.new_link_only(face)
            )
        if face.status is FaceStatus.INTERRUPTED:
            return await self.send(
                chat_id, texts.face_interrupted(face), keyboards.new_link_only(face)
            )
        return None

    async def link_expired(
        self, face: Face, link: VerificationLink, invite_token: str | None
    ) -> None:
        if link.chat_id is None or link.message_id is None:
            return
        with i18n.speaking(await self.language(link.chat_id)):
            await self._link_expired(face, link, link.chat_id, link.message_id, invite_token)

    async def _link_expired(
        self,
        face: Face,
        link: VerificationLink,
        chat_id: int,
        message_id: int,
        invite_token: str | None,
    ) -> None:
        markup = (
            keyboards.new_link_only(face)
            if invite_token is None
            else keyboards.invitee_new_link(invite_token)
        )
        await self.edit(chat_id, message_id, texts.link_expired_card(face), markup, caption=True)

    async def batch_progress(
        self, chat_id: int, message_id: int | None, face: Face, assets: Sequence[Asset]
    ) -> int | None:
        with i18n.speaking(await self.language(chat_id)):
            text = upload_texts.batch_progress(face, list(assets))
        if message_id is None:
            return await self.send(chat_id, text)
        await self.edit(chat_id, message_id, text)
        return message_id

    async def photos_deleted(self, face: Face, chat_id: int, provider_name: str) -> None:
        with i18n.speaking(await self.language(chat_id)):
            text = face_texts.photos_deleted_later(face, provider_name)
        await self.send(chat_id, text)
