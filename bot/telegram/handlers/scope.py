"""The admin gate in front of group admin commands.

``Scope``/``scope_of`` are deprecated: use ``await actor_of(update, context)``
(bot/telegram/actor.py) and pass the Actor to the service. They stay only until
handlers/generate.py stops importing them (HB); then they go.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.constants import ChatType

from bot.services.errors import ServiceRefused
from bot.telegram.actor import actor_of
from bot.telegram.context import Context
from bot.telegram.texts import groups as group_texts
from bot.telegram.texts.refusals import refusal_text
from storage.models import Owner, OwnerKind


@dataclass(frozen=True)
class Scope:
    user_id: int
    chat_id: int
    owner: Owner  # whose faces and settings this chat works with
    is_group: bool
    is_admin: bool  # in a private chat a user administers their own things

    @property
    def admin_of(self) -> int | None:
        """The group whose faces this actor may manage, if any."""
        return self.chat_id if self.is_group and self.is_admin else None


async def scope_of(update: Update, context: Context) -> Scope:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    if chat.type == ChatType.PRIVATE:
        return Scope(user.id, chat.id, Owner(OwnerKind.USER, user.id), False, True)
    admins = context.bot_data.services.admins
    if update.callback_query is not None:
        # Buttons are pressed by real users (never anonymously): ask Telegram about them.
        is_admin = await admins.is_admin(chat.id, user.id)
    else:
        message = update.effective_message
        is_admin = message is not None and await admins.message_from_admin(message)
    return Scope(user.id, chat.id, Owner(OwnerKind.CHAT, chat.id), True, is_admin)


Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def admin_only(handler: Handler) -> Handler:
    """In a group, only its admins (never a forwarded command) get past; private chats pass.

    A fast path that answers early; the services check admin rights again and are the
    authority: a refusal they raise is rendered here."""

    @functools.wraps(handler)
    async def gate(update: Update, context: Context) -> None:
        actor = await actor_of(update, context)
        message = update.effective_message
        if actor.in_group and not actor.is_admin:
            if message is not None:
                forwarded = message.forward_origin is not None
                await message.reply_text(
                    group_texts.forwarded_command() if forwarded else group_texts.admins_only()
                )
            return
        try:
            await handler(update, context)
        except ServiceRefused as refused:
            if message is None:
                raise
            await message.reply_text(refusal_text(refused.refusal, refused.detail))

    return gate
