"""/newface, /faces and the buttons that manage a face and its verification links.

Each handler parses, makes one service call with the acting person, and renders; the
rules (who may create or manage which face, what is asked when) are FaceService's.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Awaitable, Callable
from functools import partial

from telegram import ForceReply, InputFile, Message, Update
from telegram.constants import ChatAction

from bot.services.actors import Actor
from bot.services.errors import Refusal, ServiceFailed, ServiceRefused
from bot.services.face_creation import NewFace, NewFaceStep
from bot.services.invites import invite_payload
from bot.services.verification import LinkIssued
from bot.telegram.actor import actor_of
from bot.telegram.callbacks import Action, Callback, decode, pressed
from bot.telegram.context import Context, Services
from bot.telegram.keyboards import faces as keyboards
from bot.telegram.qr import qr_png
from bot.telegram.texts import common as texts
from bot.telegram.texts import consent as consent_texts
from bot.telegram.texts import faces as face_texts
from bot.telegram.texts import groups as group_texts
from bot.telegram.texts.refusals import failure_text, refusal_text
from bot.telegram.titles import group_titles
from storage.models import Face


def _request_key(update: Update) -> str:
    # The same update handled again after a crash must not start a second face or link.
    return f"u{update.update_id}"


async def cmd_newface(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    raw_name = " ".join(context.args) if context.args else None
    actor = await actor_of(update, context)
    await _new_face_step(
        update,
        context,
        partial(svc.faces.begin_new_face, actor, raw_name, request_key=_request_key(update)),
        starts=raw_name is not None,
    )


async def answer_name(update: Update, context: Context, text: str) -> None:
    """The next text after "what should this face be called?"."""
    svc = context.bot_data.services
    actor = await actor_of(update, context)
    await _new_face_step(
        update,
        context,
        partial(svc.faces.answer_name, actor, text, request_key=_request_key(update)),
    )


async def cb_provider(update: Update, context: Context) -> None:
    """The provider for the face named in this person's pending /newface here."""
    svc = context.bot_data.services
    query, callback = pressed(update)
    actor = await actor_of(update, context)
    try:
        step = await svc.faces.choose_provider(
            actor, callback.int_arg, request_key=_request_key(update)
        )
    except ServiceRefused as refused:
        await query.answer(plain(refusal_text(refused.refusal, refused.detail)), show_alert=True)
        return
    except ServiceFailed as failed:
        await query.answer()
        await query.edit_message_reply_markup(None)
        await _reply(update, failure_text(failed.failure, failed.detail))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await _render_new_face(update, context, svc, step)


async def _new_face_step(
    update: Update,
    context: Context,
    step: Callable[[], Awaitable[NewFace]],
    *,
    starts: bool = True,
) -> None:
    """Run one step of /newface (``step``, the service call) and render where it stands."""
    svc = context.bot_data.services
    chat = update.effective_chat
    assert chat is not None
    if starts:  # a face check may start now, with a provider call: show that it is coming
        await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_PHOTO)
    try:
        done = await step()
    except ServiceRefused as refused:
        await _reply(update, refusal_text(refused.refusal, refused.detail))
        return
    except ServiceFailed as failed:
        await _reply(update, failure_text(failed.failure, failed.detail))
        return
    await _render_new_face(update, context, svc, done)


async def _render_new_face(update: Update, context: Context, svc: Services, step: NewFace) -> None:
    chat = update.effective_chat
    assert chat is not None
    sandbox = svc.sandbox is not None
    match step.step:
        case NewFaceStep.ASK_NAME:
            await _reply(update, face_texts.ask_face_name())
        case NewFaceStep.NAME_WITH_COMMAND:
            await _reply(update, group_texts.group_needs_name())
        case NewFaceStep.ASK_PROVIDER:
            assert step.name is not None
            capabilities = [svc.providers.get(n).capabilities for n in step.providers]
            await _reply(
                update,
                face_texts.choose_provider(step.name, capabilities, svc.providers.unavailable),
                reply_markup=keyboards.choose_provider([c.display_name for c in capabilities]),
            )
        case NewFaceStep.CREATED:
            created = step.created
            assert created is not None
            if created.repeat and created.link is None:
                return  # handled before the crash; what is still to tell, the tracker tells
            if created.link is None or created.invite is None:
                label = svc.providers.label(created.face.provider)
                text = face_texts.face_without_check(created.face, label)
                await _reply(update, texts.sandbox(text, sandbox))
                return
            issued = LinkIssued(created.face, created.link, new_group=False)
            invite_url = svc.invite_url(invite_payload(created.invite))
            await send_card(svc, context, chat.id, issued, invite_url)


async def _reply(update: Update, text: str, **kwargs: object) -> None:
    message = update.effective_message
    chat = update.effective_chat
    assert chat is not None
    if message is not None and update.callback_query is None:
        await message.reply_text(text, **kwargs)  # type: ignore[arg-type]
        return
    await chat.send_message(text, **kwargs)  # type: ignore[arg-type]


async def send_card(
    svc: Services,
    context: Context,
    chat_id: int,
    issued: LinkIssued,
    invite_url: str | None,
    invite_token: str | None = None,
) -> Message:
    """The verification card: QR code, the link as a button, how long it lives."""
    for_invitee = invite_token is not None
    caption = face_texts.verification_card(
        issued.face,
        issued.link.expires_at,
        invite_url or "",
        new_group=issued.new_group,
        for_invitee=for_invitee,
    )
    if invite_token is not None:
        markup = keyboards.invitee_card(issued.link.url, invite_token)
    else:
        markup = keyboards.verification_card(
            issued.face, issued.link.url, invite_url, sandbox=svc.sandbox is not None
        )
    # Drawn off the event loop (the first one also loads qrcode and Pillow).
    png = await asyncio.to_thread(qr_png, issued.link.url)
    sent = await context.bot.send_photo(
        chat_id,
        InputFile(png, filename="verification-qr.png"),
        caption=texts.sandbox(caption, svc.sandbox is not None),
        reply_markup=markup,
    )
    await svc.faces.attach_card(issued.link, chat_id, sent.message_id)
    return sent


async def cmd_faces(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    message = update.effective_message
    assert message is not None
    try:
        listing = await svc.faces.listing(await actor_of(update, context))
    except ServiceRefused as refused:
        await message.reply_text(refusal_text(refused.refusal, refused.detail))
        return
    await message.reply_text(
        face_texts.faces_list(listing), reply_markup=keyboards.faces_list(listing)
    )


async def cmd_myfaces(update: Update, context: Context) -> None:
    """The faces made of the person asking, as they consented to them (issue 11)."""
    svc = context.bot_data.services
    message = update.effective_message
    assert message is not None
    mine = await svc.consents.mine(await actor_of(update, context))
    titles = await group_titles(context.bot, (f.chat_id for f in mine if f.in_group))
    await message.reply_text(
        face_texts.my_faces(mine, titles), reply_markup=keyboards.my_faces_list(mine)
    )


async def cb_myfaces(update: Update, context: Context) -> None:
    """Faces made of me, and withdrawing a consent from that list (with a confirmation)."""
    svc = context.bot_data.services
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    callback = decode(query.data)
    assert callback is not None
    actor = await actor_of(update, context)
    try:
        if callback.action is Action.WITHDRAW:
            face = await svc.consents.to_withdraw(actor, callback.int_arg)
            await query.answer()
            await query.edit_message_text(
                consent_texts.confirm_withdraw(face),
                reply_markup=keyboards.confirm_withdraw(callback.int_arg),
            )
            return
        if callback.action is Action.WITHDRAW_YES:
            withdrawal = await svc.consents.withdraw(actor, callback.int_arg)
            await query.answer()
            await query.edit_message_text(consent_texts.withdrawn(withdrawal))
            user = update.effective_user
            who = user.first_name if user else "The person"
            await svc.notifier.tell(
                withdrawal.face.chat_id,
                lambda: consent_texts.withdrawn_owner(withdrawal.face, who),
            )
            return
    except ServiceRefused as refused:
        if refused.refusal is Refusal.NOT_YOURS:
            await query.answer(texts.button_not_for_you(), show_alert=True)
        else:
            text = plain(refusal_text(refused.refusal, refused.detail))
            await query.answer(text, show_alert=True)
        return
    mine = await svc.consents.mine(actor)
    titles = await group_titles(context.bot, (f.chat_id for f in mine if f.in_group))
    await query.answer()
    await context.bot.send_message(
        chat.id, face_texts.my_faces(mine, titles), reply_markup=keyboards.my_faces_list(mine)
    )


async def cb_faces(update: Update, context: Context) -> None:
    """Every face-management button: show, list, use, rename, delete, new link."""
    svc = context.bot_data.services
    query, callback = pressed(update)
    try:
        await _face_action(update, context, svc, callback)
    except ServiceRefused as refused:
        if refused.refusal is Refusal.NOT_YOURS:
            await query.answer(texts.button_not_for_you(), show_alert=True)
        else:
            text = refusal_text(refused.refusal, refused.detail)
            await query.answer(plain(text), show_alert=True)
    except ServiceFailed as failed:
        await query.answer(plain(failure_text(failed.failure, failed.detail)), show_alert=True)


async def _face_action(update: Update, context: Context, svc: Services, cb: Callback) -> None:
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    actor = await actor_of(update, context)
    match cb.action:
        case Action.FACE_LIST | Action.FACE_PAGE:
            page = cb.int_arg if cb.action is Action.FACE_PAGE else 0
            listing = await svc.faces.listing(actor, page)
            await query.answer()
            await query.edit_message_text(
                face_texts.faces_list(listing), reply_markup=keyboards.faces_list(listing)
            )
        case Action.FACE_SHOW:
            await _show_face(update, svc, actor, cb.int_arg)
        case Action.FACE_USE if actor.in_group:
            await query.answer()

            async def prompt(face: Face) -> int:
                # In a group the bot sees only replies to it: photos come as replies to this.
                sent = await context.bot.send_message(
                    chat.id, group_texts.group_upload_prompt(face)
                )
                return sent.message_id

            await svc.faces.post_upload_prompt(actor, cb.int_arg, prompt)
        case Action.FACE_USE:
            face = await svc.faces.use(actor, cb.int_arg)
            notice = plain(face_texts.now_using(face))
            await _show_face(update, svc, actor, face.id, notice=notice)
        case Action.FACE_RENAME:
            face = await svc.faces.ask_rename(actor, cb.int_arg)
            await query.answer()
            # In a group only a reply reaches the bot (privacy mode): ask for one.
            markup = ForceReply(selective=True) if actor.in_group else None
            await context.bot.send_message(
                chat.id, face_texts.ask_rename(face), reply_markup=markup
            )
        case Action.FACE_DELETE:
            face, deletion = await svc.faces.delete_preview(actor, cb.int_arg)
            await query.answer()
            await query.edit_message_text(
                face_texts.confirm_delete(face, deletion),
                reply_markup=keyboards.confirm_delete(face),
            )
        case Action.FACE_DELETE_YES:
            face, photos = await svc.faces.delete(actor, cb.int_arg)
            await query.answer()
            await query.edit_message_text(face_texts.deleted(face, photos))
        case Action.NEW_LINK:
            await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_PHOTO)
            issued = await svc.faces.new_link(actor, cb.int_arg, request_key=_request_key(update))
            await query.answer()
            if issued.repeat and issued.link.message_id is not None:
                return  # handled before a crash: its card is out already
            assert issued.invite is not None
            invite_url = svc.invite_url(invite_payload(issued.invite))
            await send_card(svc, context, chat.id, issued, invite_url)
        case Action.SIM_PASS:
            await _sim_pass(update, svc, actor, cb.int_arg)
        case Action.FACE_CONSENT_INVITE:
            face, invite = await svc.faces.consent_invite(actor, cb.int_arg)
            url = svc.invite_url(invite_payload(invite))
            # Privately, even from a group: whoever opens it first is taken for the person.
            sent = await svc.notifier.tell(  # their private chat: in their own language
                actor.user_id,
                lambda: consent_texts.consent_invite(face, url),
                lambda: keyboards.consent_invite(face, url),
            )
            if sent is None:
                await query.answer(consent_texts.start_me_first(svc.bot_username), show_alert=True)
            elif actor.in_group:
                await query.answer(consent_texts.invite_sent_privately())
            else:
                await query.answer()


async def _show_face(
    update: Update, svc: Services, actor: Actor, face_id: int, notice: str | None = None
) -> None:
    query = update.callback_query
    assert query is not None
    detail = await svc.faces.detail(actor, face_id)
    face = detail.summary.face
    provider = svc.providers.label(face.provider)
    await query.answer(notice)
    await query.edit_message_text(
        face_texts.face_detail(detail, provider),
        reply_markup=keyboards.face_detail(
            face,
            detail.current_id,
            in_group=detail.in_group,
            consent_invite=detail.takeover_possible,
        ),
    )


async def _sim_pass(update: Update, svc: Services, actor: Actor, face_id: int) -> None:
    query = update.callback_query
    assert query is not None
    if svc.sandbox is None:
        await query.answer(texts.button_outdated(), show_alert=True)
        return
    face, link = await svc.faces.live_link(actor, face_id)
    if not await svc.sandbox.pass_link(link.url):
        raise ServiceRefused(Refusal.LINK_EXPIRED)
    await query.answer(plain(face_texts.sim_passed(face)))


async def answer_rename(update: Update, context: Context, text: str) -> None:
    """The next text after "send the new name"."""
    svc = context.bot_data.services
    message = update.effective_message
    assert message is not None
    try:
        face, remote = await svc.faces.answer_rename(await actor_of(update, context), text)
    except ServiceRefused as refused:
        await message.reply_text(refusal_text(refused.refusal, refused.detail))
        return
    await message.reply_text(face_texts.renamed(face, remote))


def plain(html_text: str) -> str:
    """Alerts (answerCallbackQuery) take plain text of at most 200 characters."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", html_text))
    return plain if len(plain) <= 200 else plain[:199] + "…"
