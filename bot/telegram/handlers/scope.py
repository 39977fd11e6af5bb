"""Where an update happens and with what rights: a private chat, or a group and its admins."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.constants import ChatType

from bot.telegram.context import Context
from bot.telegram.texts import groups as group_texts
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
    """In a group, only its admins (never a forwarded command) get past; private chats pass."""

    @functools.wraps(handler)
    async def gate(update: Update, context: Context) -> None:
        scope = await scope_of(update, context)
        if scope.is_group and not scope.is_admin:
            message = update.effective_message
            if message is not None:
                forwarded = message.forward_origin is not None
                await message.reply_text(
                    group_texts.forwarded_command() if forwarded else group_texts.admins_only()
                )
            return
        await handler(update, context)

    return gate
