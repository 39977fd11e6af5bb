"""The acting person of an update, worked out once per update and kept on its context."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.constants import ChatType

from bot.services.actors import Actor
from bot.telegram import i18n
from bot.telegram.admins import ANONYMOUS_ADMIN
from bot.telegram.context import Context


async def actor_of(update: Update, context: Context) -> Actor:
    """Who acts in this update. The first call asks (getChatMember, cached); later calls for
    the same update reuse the answer, since PTB hands every handler group one context."""
    known = context.__dict__.get("_actor")
    if isinstance(known, Actor):
        return known
    actor = replace(await _resolve(update, context), language=i18n.current())
    context.__dict__["_actor"] = actor
    return actor


async def _resolve(update: Update, context: Context) -> Actor:
    user = update.effective_user
    assert user is not None
    chat = update.effective_chat
    if chat is None:
        return Actor.inline(user.id)  # an inline query, a chosen result or an inline card
    if chat.type == ChatType.PRIVATE:
        return Actor.private(user.id)
    admins = context.bot_data.services.admins
    message = update.effective_message
    if update.callback_query is not None or message is None:
        # Buttons are pressed by real users (never anonymously): ask Telegram about them.
        return Actor.group(user.id, chat.id, is_admin=await admins.is_admin(chat.id, user.id))
    anonymous = message.sender_chat is not None and user.id == ANONYMOUS_ADMIN
    is_admin = await admins.message_from_admin(message)
    return Actor.group(user.id, chat.id, is_admin=is_admin, anonymous=anonymous and is_admin)
