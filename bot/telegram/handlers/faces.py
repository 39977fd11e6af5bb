"""/newface, /faces and the buttons that manage a face and its verification links."""

from __future__ import annotations

import html
import logging
import re

from telegram import ForceReply, InputFile, Message, Update
from telegram.constants import ChatAction

from bot.providers.base import ProviderError
from bot.services.errors import Refusal, ServiceRefused
from bot.services.faces import LinkIssued, clean_name, invite_payload
from bot.telegram.actor import actor_of
from bot.telegram.callbacks import Action, Callback, decode
from bot.telegram.context import Context, Services
from bot.telegram.handlers.scope import Scope, scope_of
from bot.telegram.keyboards import faces as keyboards
from bot.telegram.qr import qr_png
from bot.telegram.texts import common as texts
from bot.telegram.texts import groups as group_texts
from storage.models import Awaiting, Face

log = logging.getLogger(__name__)


async def cmd_newface(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    if not context.args:
        if (await scope_of(update, context)).is_group:
            # Privacy mode hides a plain answer in a group: the name comes with the command.
            await message.reply_text(group_texts.group_needs_name())
            return
        await svc.pending.ask(await actor_of(update, context), Awaiting.FACE_NAME)
        await message.reply_text(texts.ask_face_name())
        return
    await create_face(update, context, " ".join(context.args))


async def create_face(
    update: Update, context: Context, raw_name: str, provider: str | None = None
) -> None:
    svc = context.bot_data.services
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    assert user is not None and chat is not None and message is not None
    scope = await scope_of(update, context)
    names = svc.providers.names()
    if provider is None and scope.is_group:
        provider = await svc.groups.provider_for_new_faces(chat.id)
    if provider is None and len(names) > 1:
        await _ask_provider(svc, update, context, raw_name, names)
        return
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_PHOTO)
    try:
        created = await svc.faces.create(
            scope.owner,
            user.id,
            chat.id,
            raw_name,
            provider,
            # The same update handled again after a crash must not start a second face.
            request_key=f"u{update.update_id}",
        )
    except ServiceRefused as refused:
        # A bad name keeps the question open: the next text is the next try.
        await svc.pending.ask(await actor_of(update, context), Awaiting.FACE_NAME)
        await message.reply_text(texts.refusal(refused.refusal, refused.detail))
        return
    except ProviderError as exc:
        log.warning("creating a face failed: %s", exc)
        await svc.pending.clear(await actor_of(update, context))
        await message.reply_text(texts.provider_error(exc))
        return
    await svc.pending.clear(await actor_of(update, context))
    if created.repeat and created.link is None:
        return  # handled before the crash; what is still to tell, the tracker tells
    if created.link is None or created.invite is None:
        label = svc.providers.label(created.face.provider)
        await message.reply_text(
            texts.sandbox(texts.face_without_check(created.face, label), svc.sandbox is not None)
        )
        return
    invite_url = svc.invite_url(invite_payload(created.invite))
    issued = LinkIssued(created.face, created.link, new_group=False)
    await send_card(svc, context, chat.id, issued, invite_url)


async def _ask_provider(
    svc: Services, update: Update, context: Context, raw_name: str, names: list[str]
) -> None:
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    try:
        name = clean_name(raw_name)
    except ServiceRefused as refused:
        await svc.pending.ask(await actor_of(update, context), Awaiting.FACE_NAME)
        await message.reply_text(texts.refusal(refused.refusal, refused.detail))
        return
    await svc.pending.ask(await actor_of(update, context), Awaiting.PROVIDER, name=name)
    labels = [svc.providers.get(n).capabilities for n in names]
    await message.reply_text(
        texts.choose_provider(name, labels, svc.providers.unavailable),
        reply_markup=keyboards.choose_provider([c.display_name for c in labels]),
    )


async def cb_provider(update: Update, context: Context) -> None:
    """The provider for the face named in the user's pending /newface."""
    svc = context.bot_data.services
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    callback = decode(query.data)
    assert callback is not None
    pending = await svc.pending.of(await actor_of(update, context))
    names = svc.providers.names()
    if (
        pending is None
        or pending.kind is not Awaiting.PROVIDER
        or pending.name is None
        or not callback.int_arg < len(names)
    ):
        await query.answer(texts.button_outdated(), show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await create_face(update, context, pending.name, names[callback.int_arg])


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
    caption = texts.verification_card(
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
    sent = await context.bot.send_photo(
        chat_id,
        InputFile(qr_png(issued.link.url), filename="verification-qr.png"),
        caption=texts.sandbox(caption, svc.sandbox is not None),
        reply_markup=markup,
    )
    await svc.faces.attach_card(issued.link, chat_id, sent.message_id)
    return sent


async def cmd_faces(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    scope = await scope_of(update, context)
    summaries = await svc.faces.summaries(scope.owner)
    current_id = await _current_id(svc, scope)
    await message.reply_text(
        texts.faces_list(summaries, current_id, in_group=scope.is_group),
        reply_markup=keyboards.faces_list(summaries),
    )


async def _current_id(svc: Services, scope: Scope) -> int | None:
    """Where a user's plain photos go (private chats only; groups use upload prompts)."""
    if scope.is_group:
        return None
    current = await svc.faces.current_face(scope.user_id)
    return current.id if current else None


async def cb_faces(update: Update, context: Context) -> None:
    """Every face-management button: show, list, use, rename, delete, new link."""
    svc = context.bot_data.services
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    callback = decode(query.data)
    assert callback is not None
    try:
        await _face_action(update, context, svc, callback)
    except ServiceRefused as refused:
        if refused.refusal is Refusal.NOT_YOURS:
            await query.answer(texts.button_not_for_you(), show_alert=True)
        else:
            await query.answer(
                plain(texts.refusal(refused.refusal, refused.detail)), show_alert=True
            )
    except ProviderError as exc:
        log.warning("face action %s failed: %s", callback.action, exc)
        await query.answer(plain(texts.provider_error(exc)), show_alert=True)


async def _face_action(update: Update, context: Context, svc: Services, cb: Callback) -> None:
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    assert query is not None and user is not None and chat is not None
    scope = await scope_of(update, context)
    admin_of = scope.admin_of
    if scope.is_group and not scope.is_admin:
        raise ServiceRefused(Refusal.NOT_YOURS)
    match cb.action:
        case Action.FACE_LIST:
            summaries = await svc.faces.summaries(scope.owner)
            await query.answer()
            await query.edit_message_text(
                texts.faces_list(
                    summaries, await _current_id(svc, scope), in_group=scope.is_group
                ),
                reply_markup=keyboards.faces_list(summaries),
            )
        case Action.FACE_SHOW:
            await _show_face(update, svc, scope, cb.int_arg)
        case Action.FACE_USE if scope.is_group:
            face = await svc.faces.managed(cb.int_arg, user.id, admin_of=admin_of)
            await query.answer()
            await post_upload_prompt(svc, context, chat.id, face)
        case Action.FACE_USE:
            face = await svc.faces.use(cb.int_arg, user.id)
            await _show_face(update, svc, scope, face.id, notice=plain(texts.now_using(face)))
        case Action.FACE_RENAME:
            face = await svc.faces.managed(cb.int_arg, user.id, admin_of=admin_of)
            await svc.pending.ask(
                await actor_of(update, context), Awaiting.RENAME, face_id=face.id
            )
            await query.answer()
            # In a group only a reply reaches the bot (privacy mode): ask for one.
            markup = ForceReply(selective=True) if scope.is_group else None
            await context.bot.send_message(chat.id, texts.ask_rename(face), reply_markup=markup)
        case Action.FACE_DELETE:
            face = await svc.faces.managed(cb.int_arg, user.id, admin_of=admin_of)
            await query.answer()
            await query.edit_message_text(
                texts.confirm_delete(face, svc.faces.deletes_at_provider(face)),
                reply_markup=keyboards.confirm_delete(face),
            )
        case Action.FACE_DELETE_YES:
            face, remote = await svc.faces.delete(cb.int_arg, user.id, admin_of=admin_of)
            await query.answer()
            await query.edit_message_text(texts.deleted(face, remote))
        case Action.NEW_LINK:
            await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_PHOTO)
            issued = await svc.faces.new_link(
                cb.int_arg, user.id, admin_of=admin_of, request_key=f"u{update.update_id}"
            )
            await query.answer()
            if issued.repeat and issued.link.message_id is not None:
                return  # handled before a crash: its card is out already
            invite = await svc.faces.invite_for(issued.face.id, user.id, admin_of=admin_of)
            await send_card(svc, context, chat.id, issued, svc.invite_url(invite_payload(invite)))
        case Action.SIM_PASS:
            await _sim_pass(update, svc, cb.int_arg, admin_of)


async def _show_face(
    update: Update, svc: Services, scope: Scope, face_id: int, notice: str | None = None
) -> None:
    query = update.callback_query
    assert query is not None
    summary = await svc.faces.summary(face_id, scope.user_id, admin_of=scope.admin_of)
    current_id = await _current_id(svc, scope)
    provider = svc.providers.label(summary.face.provider)
    await query.answer(notice)
    await query.edit_message_text(
        texts.face_detail(summary, current_id, provider),
        reply_markup=keyboards.face_detail(summary.face, current_id, in_group=scope.is_group),
    )


async def post_upload_prompt(svc: Services, context: Context, chat_id: int, face: Face) -> None:
    """In a group the bot sees only replies to it: photos come as replies to this message."""
    sent = await context.bot.send_message(chat_id, group_texts.group_upload_prompt(face))
    await svc.groups.chats.add_upload_prompt(chat_id, sent.message_id, face.id, svc.clock())


async def _sim_pass(update: Update, svc: Services, face_id: int, admin_of: int | None) -> None:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    face = await svc.faces.managed(face_id, user.id, admin_of=admin_of)
    if svc.sandbox is None:
        await query.answer(texts.button_outdated(), show_alert=True)
        return
    link = await svc.faces.links.latest(face.id)
    if link is None or not await svc.sandbox.pass_link(link.url):
        raise ServiceRefused(Refusal.LINK_EXPIRED)
    await query.answer(plain(texts.sim_passed(face)))


async def rename_face(update: Update, context: Context, face_id: int, raw_name: str) -> None:
    svc = context.bot_data.services
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    scope = await scope_of(update, context)
    try:
        face, remote = await svc.faces.rename(face_id, user.id, raw_name, admin_of=scope.admin_of)
    except ServiceRefused as refused:
        if refused.refusal is not Refusal.BAD_NAME:
            await svc.pending.clear(await actor_of(update, context))
        await message.reply_text(texts.refusal(refused.refusal, refused.detail))
        return
    await svc.pending.clear(await actor_of(update, context))
    await message.reply_text(texts.renamed(face, remote))


def plain(html_text: str) -> str:
    """Alerts (answerCallbackQuery) take plain text of at most 200 characters."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", html_text))
    return plain if len(plain) <= 200 else plain[:199] + "…"
