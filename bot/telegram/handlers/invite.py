"""The invite: the person being verified opens it, and gets a link when they are ready."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction

from bot.services.errors import ServiceFailed, ServiceRefused
from bot.telegram import i18n
from bot.telegram.callbacks import Action, decode
from bot.telegram.context import Context
from bot.telegram.handlers.faces import plain, send_card
from bot.telegram.keyboards import faces as keyboards
from bot.telegram.texts import common as texts
from bot.telegram.texts import consent as consent_texts
from bot.telegram.texts.refusals import failure_text, refusal_text
from bot.telegram.titles import group_title


async def open_invite(update: Update, context: Context, token: str) -> None:
    svc = context.bot_data.services
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    try:
        view = await svc.faces.invites.open(token, user.id)
    except ServiceRefused as refused:
        await message.reply_text(refusal_text(refused.refusal, refused.detail))
        return
    title = await group_title(context.bot, view.face.chat_id) if view.for_group else None
    await message.reply_text(
        texts.sandbox(consent_texts.invite_intro(view, title), svc.sandbox is not None),
        reply_markup=keyboards.invite_intro(token, takeover=view.invite.takeover),
    )


async def cb_invite(update: Update, context: Context) -> None:
    """I agree / No, thanks / New link, pressed by the invited person."""
    svc = context.bot_data.services
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    assert query is not None and user is not None and chat is not None
    callback = decode(query.data)
    assert callback is not None
    token = callback.arg
    try:
        if callback.action is Action.DECLINE:
            face = await svc.faces.invites.decline(token, user.id)
            await query.answer()
            await query.edit_message_text(consent_texts.invite_declined_invitee())
            await svc.notifier.tell(
                face.chat_id, lambda: consent_texts.invite_declined_creator(face, user.first_name)
            )
            return
        if callback.action is Action.TAKE_OVER:
            face = await svc.faces.invites.take_over(token, user.id)
            await query.answer()
            await query.edit_message_text(
                consent_texts.took_over(face), reply_markup=keyboards.my_faces()
            )
            await svc.notifier.tell(
                face.chat_id, lambda: consent_texts.took_over_owner(face, user.first_name)
            )
            return
        await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_PHOTO)
        issued = await svc.faces.invites.ready(
            token, user.id, request_key=f"u{update.update_id}", language=i18n.current()
        )
    except ServiceRefused as refused:
        await query.answer(plain(refusal_text(refused.refusal, refused.detail)), show_alert=True)
        return
    except ServiceFailed as failed:
        await query.answer(plain(failure_text(failed.failure, failed.detail)), show_alert=True)
        return
    await query.answer()
    if issued.repeat and issued.link.message_id is not None:
        return  # handled before a crash: the card and the creator's news are out already
    if callback.action is Action.READY:
        await query.edit_message_reply_markup(None)
        if issued.face.chat_id != chat.id:
            await svc.notifier.tell(
                issued.face.chat_id,
                lambda: consent_texts.invite_opened_creator(issued.face, user.first_name),
            )
    await send_card(svc, context, chat.id, issued, None, invite_token=token)
