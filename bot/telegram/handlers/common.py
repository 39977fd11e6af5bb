"""Start, help, cancel, the gatekeeper, fallbacks and the one error handler."""

from __future__ import annotations

import contextlib
import logging
from typing import assert_never

from telegram import Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest

from bot.services.errors import Refusal, ServiceFailed, ServiceRefused
from bot.services.invites import invite_token
from bot.telegram import i18n
from bot.telegram.actor import actor_of
from bot.telegram.context import Context
from bot.telegram.handlers import faces as faces_handlers
from bot.telegram.handlers import generate as generate_handlers
from bot.telegram.handlers import invite as invite_handlers
from bot.telegram.texts import common as texts
from bot.telegram.texts import faces as face_texts
from bot.telegram.texts.refusals import refusal_text
from storage.models import Awaiting

log = logging.getLogger(__name__)


async def on_any_update(update: Update, context: Context) -> None:
    """Gatekeeper (group -1): remember who talks to us, and answer in the chat's language
    (a group's, or the person's own) for the rest of the update."""
    user, chat = update.effective_user, update.effective_chat
    svc = context.bot_data.services
    if chat is not None and chat.type != ChatType.PRIVATE:
        # Also for an anonymous admin or a channel posting here (Telegram sends a bot).
        i18n.use(await svc.languages.of_group(chat.id))
    elif user is not None and not user.is_bot:
        i18n.use(await svc.languages.of_person(user.id, user.language_code))
    if user is None or user.is_bot:
        return
    await svc.faces.remember(user.id, user.first_name, user.username, user.language_code)


async def cmd_start(update: Update, context: Context) -> None:
    message = _message(update)
    user = update.effective_user
    assert user is not None
    if context.args:
        token = invite_token(context.args[0])
        if token is None:
            await message.reply_text(refusal_text(Refusal.INVITE_UNKNOWN))
            return
        await invite_handlers.open_invite(update, context, token)
        return
    svc = context.bot_data.services
    await message.reply_text(
        texts.sandbox(texts.welcome(user.first_name), svc.sandbox is not None)
    )


async def cmd_help(update: Update, context: Context) -> None:
    await _message(update).reply_text(texts.help_text(context.bot_data.services.bot_username))


async def cmd_privacy(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    minutes = max(1, round(svc.settings.media_ttl_seconds / 60))
    await _message(update).reply_text(texts.privacy(svc.providers.by_photo_deletion(), minutes))


async def cmd_cancel(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    waiting = await svc.pending.cancel(await actor_of(update, context))
    await _message(update).reply_text(texts.cancelled(waiting))


async def on_text(update: Update, context: Context) -> None:
    """Plain text answers whatever the bot asked this person in this chat; else a hint."""
    svc = context.bot_data.services
    message = _message(update)
    assert message.text is not None
    pending = await svc.pending.of(await actor_of(update, context))
    if pending is None:
        if message.chat.type == "private":
            await message.reply_text(texts.text_hint())
        return  # in a group: a reply to the bot that answers nothing it asked here
    match pending.kind:
        case Awaiting.FACE_NAME:
            await faces_handlers.answer_name(update, context, message.text)
        case Awaiting.PROVIDER:
            await message.reply_text(face_texts.pick_provider_first())
        case Awaiting.PROMPT:
            await generate_handlers.start_generation(update, context, message.text)
        case Awaiting.RENAME:
            await faces_handlers.answer_rename(update, context, message.text)
        case _:
            assert_never(pending.kind)


async def on_unknown_command(update: Update, context: Context) -> None:
    message = _message(update)
    command = (message.text or "").split()[0] if message.text else "/?"
    await message.reply_text(texts.unknown_command(command.split("@")[0]))


async def on_unexpected(update: Update, context: Context) -> None:
    await _message(update).reply_text(texts.unexpected())


async def on_error(update: object, context: Context) -> None:
    """The one error handler: log it, tell the person something went wrong."""
    error = context.error
    if isinstance(error, BadRequest) and "not modified" in error.message.lower():
        # Tapping the button that is already selected: nothing to change, nothing wrong.
        if isinstance(update, Update) and update.callback_query is not None:
            with contextlib.suppress(Exception):
                await update.callback_query.answer()
        return
    if isinstance(error, ServiceRefused | ServiceFailed):
        log.warning("unhandled refusal or failure: %s", error)
    else:
        log.error("error while handling an update", exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, texts.something_broke())
        except Exception:  # the error handler must never raise
            log.warning("could not tell chat about the error")
    if isinstance(update, Update) and update.callback_query is not None:
        with contextlib.suppress(Exception):
            await update.callback_query.answer()


async def typing(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_chat_action(chat.id, ChatAction.TYPING)


def _message(update: Update) -> Message:
    message = update.effective_message
    assert message is not None
    return message
