"""/forgetme: a person's data removed, after one confirmation (issue 11)."""

from __future__ import annotations

from functools import partial

from telegram import Update

from bot.services.errors import Refusal, ServiceRefused
from bot.telegram.actor import actor_of
from bot.telegram.callbacks import Action, pressed
from bot.telegram.context import Context
from bot.telegram.keyboards import faces as keyboards
from bot.telegram.texts import common as texts
from bot.telegram.texts import consent as consent_texts
from bot.telegram.texts import privacy as privacy_texts
from bot.telegram.texts.refusals import refusal_text


async def cmd_forgetme(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    message = update.effective_message
    assert message is not None
    actor = await actor_of(update, context)
    preview = await svc.forget.preview(actor)
    await message.reply_text(
        privacy_texts.confirm_forget(preview),
        reply_markup=keyboards.confirm_forget(actor.user_id),
    )


async def cb_forget(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    query, callback = pressed(update)
    actor = await actor_of(update, context)
    if callback.action is Action.FORGET_NO:
        await query.answer()
        await query.edit_message_text(privacy_texts.kept())
        return
    try:
        done = await svc.forget.forget(actor, callback.int_arg)
    except ServiceRefused as refused:
        if refused.refusal is Refusal.NOT_YOURS:
            await query.answer(texts.button_not_for_you(), show_alert=True)
        else:
            await query.answer(refusal_text(refused.refusal, refused.detail), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(privacy_texts.forgotten(done))
    user = update.effective_user
    who = user.first_name if user else "The person"
    for face in done.made_of_them:
        await svc.notifier.tell(face.chat_id, partial(consent_texts.withdrawn_owner, face, who))
