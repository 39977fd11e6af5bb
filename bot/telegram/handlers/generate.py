"""/generate, /settings, /videos and their buttons."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Update

from bot.services.errors import Refusal, ServiceRefused
from bot.services.user_text import normalize_prompt
from bot.services.video_options import apply_choice, estimate
from bot.telegram.actor import actor_of
from bot.telegram.callbacks import Action, decode
from bot.telegram.context import Context, Services
from bot.telegram.handlers.faces import plain
from bot.telegram.handlers.scope import Scope, scope_of
from bot.telegram.keyboards import videos as video_keyboards
from bot.telegram.texts import common as common_texts
from bot.telegram.texts import groups as group_texts
from bot.telegram.texts import videos as video_texts
from bot.telegram.texts.common import MAX_LISTED
from storage.models import AssetState, Awaiting, Owner, OwnerKind, VideoJob

log = logging.getLogger(__name__)


def refusal_text(refused: ServiceRefused) -> str:
    match refused.refusal:
        case Refusal.NO_USABLE_FACE:
            return video_texts.no_usable_face()
        case Refusal.BAD_PROMPT:
            return video_texts.bad_prompt()
        case Refusal.LIMIT_RUNNING:
            return video_texts.limit_running(refused.detail)
        case Refusal.LIMIT_DAILY:
            return video_texts.limit_daily(refused.detail)
        case Refusal.JOB_STARTED | Refusal.NO_SUCH_JOB:
            return video_texts.job_started()
        case Refusal.ASSET_NOT_ACTIVE:
            return "That photo or face can't be used any more. Start again with /generate."
        case Refusal.GROUP_ADMINS_ONLY | Refusal.GROUP_NOT_LISTED | Refusal.GROUP_QUOTA:
            return group_texts.group_refusal(refused.refusal.value, refused.detail)
        case Refusal.NOT_DELIVERED:
            return "That video was never delivered, so there is nothing to send again."
    return common_texts.refusal(refused.refusal, refused.detail)


async def cmd_generate(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    scope = await scope_of(update, context)
    if scope.is_group:
        if message.forward_origin is not None:
            return  # a forwarded command is nobody's request
        try:
            await svc.groups.check_may_generate(scope.chat_id, user.id, scope.is_admin)
        except ServiceRefused as refused:
            await message.reply_text(refusal_text(refused))
            return
    # Zero-width or blank characters only count as no prompt: ask for one.
    prompt = normalize_prompt(" ".join(context.args or ()))
    if not prompt:
        if not await svc.videos.usable_faces(scope.owner):
            await message.reply_text(video_texts.no_usable_face(in_group=scope.is_group))
            return
        if scope.is_group:
            await message.reply_text(video_texts.group_needs_prompt())
            return
        await svc.pending.ask(await actor_of(update, context), Awaiting.PROMPT)
        await message.reply_text(video_texts.ask_prompt())
        return
    await start_generation(update, context, prompt)


async def start_generation(update: Update, context: Context, prompt: str) -> None:
    svc = context.bot_data.services
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    assert user is not None and chat is not None and message is not None
    scope = await scope_of(update, context)
    if not normalize_prompt(prompt):  # an answer that looks empty: still waiting for one
        if scope.is_group:
            await message.reply_text(video_texts.group_needs_prompt())
            return
        await svc.pending.ask(await actor_of(update, context), Awaiting.PROMPT)
        await message.reply_text(video_texts.ask_prompt())
        return
    try:
        job = await svc.videos.start(
            user.id, chat.id, prompt, owner=scope.owner, request_key=f"u{update.update_id}"
        )
    except ServiceRefused as refused:
        keep_asking = refused.refusal is Refusal.BAD_PROMPT
        actor = await actor_of(update, context)
        if keep_asking:
            await svc.pending.ask(actor, Awaiting.PROMPT)
        else:
            await svc.pending.clear(actor)
        await message.reply_text(refusal_text(refused))
        return
    await svc.pending.clear(await actor_of(update, context))
    if job.message_id is not None:
        return  # this update was answered before a crash: its card is out already
    text, markup = await draft_view(svc, job)
    sent = await message.reply_text(text, reply_markup=markup)
    await svc.videos.videos.update_draft(job.id, message_id=sent.message_id)


async def draft_view(svc: Services, job: VideoJob) -> tuple[str, InlineKeyboardMarkup]:
    """The next question for a draft: which face, which photo, or the confirm step."""
    if job.face_id is None:
        faces = [face for face, _ in await svc.videos.usable_faces(svc.videos.owner_of(job))]
        return video_texts.choose_face(job.prompt), video_keyboards.choose_face(job, faces)
    face = await svc.videos.face_for(job, job.face_id)
    active = [a for a in await svc.assets.for_face(face.id) if a.state is AssetState.ACTIVE]
    if not job.asset_ids:
        most = svc.videos.max_assets(job)
        # The newest photos, within Telegram's 100 buttons a message.
        shown = active[-MAX_LISTED:]
        return (
            video_texts.choose_asset(face, most),
            video_keyboards.choose_asset(job, shown, most=most),
        )
    chosen = [a for a in active if a.id in job.asset_ids]
    return (
        video_texts.confirm(job, face, chosen, estimate(job.settings)),
        video_keyboards.confirm(job),
    )


async def cmd_settings(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    settings = await svc.videos.settings_for((await scope_of(update, context)).owner)
    await message.reply_text(
        video_texts.settings_intro(settings, for_draft=False),
        reply_markup=video_keyboards.settings_editor(settings),
    )


async def cmd_videos(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    jobs = await svc.videos.recent(user.id)
    names = {
        f.id: f.name for f in await svc.faces.faces.list_for_owner(Owner(OwnerKind.USER, user.id))
    }
    await message.reply_text(
        video_texts.videos_list(jobs, names), reply_markup=video_keyboards.videos_list(jobs)
    )


async def cb_generate(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    assert callback is not None
    try:
        await _action(update, context, svc, query, callback.action, callback.ints)
    except ServiceRefused as refused:
        text = (
            common_texts.button_not_for_you()
            if refused.refusal is Refusal.NOT_YOURS
            else plain(refusal_text(refused))
        )
        await query.answer(text, show_alert=True)


async def _action(
    update: Update,
    context: Context,
    svc: Services,
    query: CallbackQuery,
    action: Action,
    args: tuple[int, ...],
) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    job_id = args[0]
    match action:
        case Action.GEN_FACE:
            await _edit_draft(svc, query, await svc.videos.choose_face(job_id, user.id, args[1]))
        case Action.GEN_ASSET:
            job = await svc.videos.draft(job_id, user.id)
            if svc.videos.max_assets(job) > 1:
                job = await svc.videos.toggle_asset(job_id, user.id, args[1])
            else:
                job = await svc.videos.choose_asset(job_id, user.id, args[1])
            await _edit_draft(svc, query, job)
        case Action.GEN_PICKED:
            await _edit_draft(svc, query, await svc.videos.picked(job_id, user.id))
        case Action.GEN_CANCEL:
            await svc.videos.cancel(job_id, user.id)
            await query.answer()
            await query.edit_message_text(video_texts.cancelled_draft())
        case Action.GEN_SETTINGS:
            job = await svc.videos.draft(job_id, user.id)
            await query.answer()
            await query.edit_message_text(
                video_texts.settings_intro(job.settings, for_draft=True),
                reply_markup=video_keyboards.settings_editor(
                    job.settings, job.id, svc.videos.models(job)
                ),
            )
        case Action.SETTING:
            scope = await scope_of(update, context)
            if job_id == 0 and scope.is_group and not scope.is_admin:
                raise ServiceRefused(Refusal.NOT_YOURS)
            await _setting(svc, query, scope, job_id, args[1], args[2])
        case Action.SETTINGS_DONE:
            if job_id == 0:
                settings = await svc.videos.settings_for((await scope_of(update, context)).owner)
                await query.answer()
                await query.edit_message_text(video_texts.settings_saved(settings))
            else:
                await _edit_draft(svc, query, await svc.videos.draft(job_id, user.id))
        case Action.GEN_CONFIRM:
            job = await svc.videos.draft(job_id, user.id)
            if job.chat_id < 0:  # a group: its rules may have changed since the draft
                is_admin = await svc.admins.is_admin(job.chat_id, user.id)
                await svc.groups.check_may_generate(job.chat_id, user.id, is_admin)
            await _confirm(svc, query, user.id, job_id)
        case Action.GEN_AGAIN:
            job = await svc.videos.copy_as_draft(
                job_id, user.id, request_key=f"u{update.update_id}"
            )
            await query.answer()
            if job.message_id is not None:
                return  # this press was answered before a crash: its card is out already
            text, markup = await draft_view(svc, job)
            sent = await context.bot.send_message(chat.id, text, reply_markup=markup)
            await svc.videos.videos.update_draft(job.id, message_id=sent.message_id)
        case Action.GEN_FORGET:
            await svc.videos.forget(job_id, user.id)
            await query.answer("OK, forgotten.")
            await query.edit_message_reply_markup(None)
        case Action.VIDEO_SEND:
            job = await svc.videos.delivered(job_id, user.id)
            await query.answer()
            name = await svc.video_notifier.face_name(job)
            assert job.tg_file_id is not None
            await context.bot.send_video(
                chat.id,
                job.tg_file_id,
                caption=video_texts.video_caption(job, name),
                reply_markup=video_keyboards.under_video(job),
            )


async def _edit_draft(svc: Services, query: CallbackQuery, job: VideoJob) -> None:
    text, markup = await draft_view(svc, job)
    await query.answer()
    await query.edit_message_text(text, reply_markup=markup)


async def _setting(
    svc: Services, query: CallbackQuery, scope: Scope, job_id: int, field: int, value: int
) -> None:
    user_id = scope.user_id
    models = None
    if job_id == 0:
        owner = scope.owner
        current = await svc.videos.settings_for(owner)
        settings = await svc.videos.save_settings(owner, apply_choice(current, field, value))
    else:
        job = await svc.videos.draft(job_id, user_id)
        job = await svc.videos.change_draft_settings(
            job_id, user_id, apply_choice(job.settings, field, value)
        )
        settings = job.settings
        models = svc.videos.models(job)
    await query.answer()
    await query.edit_message_text(
        video_texts.settings_intro(settings, for_draft=job_id != 0),
        reply_markup=video_keyboards.settings_editor(settings, job_id, models),
    )


async def _confirm(svc: Services, query: CallbackQuery, user_id: int, job_id: int) -> None:
    await svc.videos.draft(job_id, user_id)  # someone else's card is refused with an alert
    # Answer at once (the provider may be slow); refusals go into the card itself.
    await query.answer("Starting…")
    try:
        await svc.videos.confirm(job_id, user_id)
    except ServiceRefused as refused:
        if refused.refusal is Refusal.NOT_YOURS:
            return
        if refused.refusal in (Refusal.LIMIT_RUNNING, Refusal.LIMIT_DAILY):
            job = await svc.videos.draft(job_id, user_id)
            text, markup = await draft_view(svc, job)
            await query.edit_message_text(
                f"{text}\n\n⛔ {refusal_text(refused)}", reply_markup=markup
            )
            return
        await query.edit_message_text(refusal_text(refused))
