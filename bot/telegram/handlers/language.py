"""/language: the language a person is answered in, or (admins) a group's (issue 12)."""

from __future__ import annotations

from telegram import Update

from bot.services.errors import ServiceRefused
from bot.telegram import i18n
from bot.telegram.actor import actor_of
from bot.telegram.callbacks import pressed
from bot.telegram.context import Context
from bot.telegram.handlers.faces import plain
from bot.telegram.keyboards import language as keyboards
from bot.telegram.texts import language as texts
from bot.telegram.texts.refusals import refusal_text


async def cmd_language(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    message = update.effective_message
    assert message is not None
    actor = await actor_of(update, context)
    code = context.args[0] if context.args else None
    if code is None or not svc.languages.recognised(code):
        text = texts.choose(actor.in_group) if code is None else texts.unknown(code)
        await message.reply_text(text, reply_markup=keyboards.languages())
        return
    try:
        language = await svc.languages.choose(actor, code)
    except ServiceRefused as refused:
        await message.reply_text(refusal_text(refused.refusal, refused.detail))
        return
    i18n.use(language)  # the answer is in the new language already
    await message.reply_text(texts.chosen(actor.in_group))


async def cb_language(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    query, callback = pressed(update)
    actor = await actor_of(update, context)
    if callback.arg not in i18n.languages():  # a button from before a catalog was removed
        await query.answer()
        await query.edit_message_text(
            texts.choose(actor.in_group), reply_markup=keyboards.languages()
        )
        return
    try:
        language = await svc.languages.choose(actor, callback.arg)
    except ServiceRefused as refused:
        await query.answer(plain(refusal_text(refused.refusal, refused.detail)), show_alert=True)
        return
    i18n.use(language)
    await query.answer()
    await query.edit_message_text(texts.chosen(actor.in_group))
