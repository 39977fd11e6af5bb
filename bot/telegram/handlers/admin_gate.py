"""The admin gate in front of group admin commands: a fast path that answers members (and
forwarded commands) early. The services check admin rights again and are the authority:
a refusal they raise is rendered here."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from bot.services.errors import ServiceRefused
from bot.telegram.actor import actor_of
from bot.telegram.context import Context
from bot.telegram.texts import groups as group_texts
from bot.telegram.texts.refusals import refusal_text

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def admin_only(handler: Handler) -> Handler:
    """In a group, only its admins (never a forwarded command) get past; private chats pass."""

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
