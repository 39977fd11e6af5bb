"""/generate, /settings, /videos and their buttons: parse, one service call, render.

Every rule (who may press what, group access and quota, limits) is VideoService's; the
buttons work the same on a chat's card and on an inline card (which has no chat: its
``inline_message_id`` is edited instead, and a new draft takes over the same card).
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Update

from bot.services.actors import Actor
from bot.services.errors import Refusal, ServiceRefused
from bot.services.user_text import normalize_prompt
from bot.services.videos import DraftCard
from bot.telegram.actor import actor_of
from bot.telegram.callbacks import Action, pressed
from bot.telegram.context import Context, Services
from bot.telegram.handlers.faces import plain
from bot.telegram.keyboards import videos as video_keyboards
from bot.telegram.texts import common as common_texts
from bot.telegram.texts import drafts as draft_texts
from bot.telegram.texts import videos as video_texts
from bot.telegram.texts.common import MAX_LISTED
from bot.telegram.texts.refusals import refusal_text

log = logging.getLogger(__name__)


def _refusal(refused: ServiceRefused) -> str:
    return refusal_text(refused.refusal, refused.detail)


async def cmd_generate(update: Update, context: Context) -> None:
    await start_generation(update, context, " ".join(context.args or ()))


async def start_generation(update: Update, context: Context, prompt: str) -> None:
    """A prompt with /generate, or typed as the answer to "What should the video show?"."""
    svc = context.bot_data.services
    message = update.effective_message
    assert message is not None
    actor = await actor_of(update, context)
    forwarded = message.forward_origin is not None
    try:
        # Zero-width or blank characters only count as no prompt: ask for one.
        if not normalize_prompt(prompt):
            await svc.videos.drafts.ask_prompt(actor, forwarded=forwarded)
            await message.reply_text(video_texts.ask_prompt())
            return
        card = await svc.videos.drafts.start(
            actor, prompt, request_key=f"u{update.update_id}", forwarded=forwarded
        )
    except ServiceRefused as refused:
        await message.reply_text(_refusal(refused))
        return
    if card.job.message_id is not None:
        return  # this update was answered before a crash: its card is out already
    text, markup = draft_view(card)
    sent = await message.reply_text(text, reply_markup=markup)
    await svc.videos.drafts.card_posted(card.job, sent.message_id)


def draft_view(card: DraftCard) -> tuple[str, InlineKeyboardMarkup]:
    """The next question for a draft: which face (or another one), which photos, or the
    confirm step."""
    job = card.job
    if card.face is None:
        return draft_texts.choose_face(job.prompt), video_keyboards.choose_face(job, card.faces)
    if card.adding:
        return (
            draft_texts.choose_another_face(card, card.provider_name),
            video_keyboards.choose_face(job, card.faces, adding=True),
        )
    if not job.asset_ids or len(card.picked) != len(job.asset_ids):
        # The newest photos, within Telegram's 100 buttons a message (and again if a chosen
        # photo can't be used any more).
        shown = card.photos[-MAX_LISTED:]
        return draft_texts.choose_asset(card), video_keyboards.choose_asset(card, shown)
    return draft_texts.confirm(card), video_keyboards.confirm(card)


async def cmd_settings(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    message = update.effective_message
    assert message is not None
    try:
        settings = await svc.videos.settings(await actor_of(update, context))
    except ServiceRefused as refused:
        await message.reply_text(_refusal(refused))
        return
    await message.reply_text(
        video_texts.settings_intro(settings, for_draft=False),
        reply_markup=video_keyboards.settings_editor(settings),
    )


async def cmd_videos(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    message = update.effective_message
    assert message is not None
    past = await svc.videos.past(await actor_of(update, context))
    await message.reply_text(
        video_texts.videos_list(past.jobs, past.face_names),
        reply_markup=video_keyboards.videos_list(past.jobs, past.again),
    )


async def cb_generate(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    query, callback = pressed(update)
    actor = await actor_of(update, context)
    try:
        await _action(update, context, svc, actor, callback.action, callback.ints)
    except ServiceRefused as refused:
        text = (
            common_texts.button_not_for_you()
            if refused.refusal is Refusal.NOT_YOURS
            else plain(_refusal(refused))
        )
        await query.answer(text, show_alert=True)


async def _action(
    update: Update,
    context: Context,
    svc: Services,
    actor: Actor,
    action: Action,
    args: tuple[int, ...],
) -> None:
    query = update.callback_query
    assert query is not None
    drafts = svc.videos.drafts
    job_id = args[0]
    match action:
        case Action.GEN_FACE:
            await _show(query, await drafts.choose_face(actor, job_id, args[1]))
        case Action.GEN_ASSET:
            await _show(query, await drafts.pick_photo(actor, job_id, args[1]))
        case Action.GEN_PICKED:
            await _show(query, await drafts.picked(actor, job_id))
        case Action.GEN_MODE:
            await _show(query, await drafts.choose_mode(actor, job_id, args[1]))
        case Action.GEN_ADD_FACE:
            await _show(query, await drafts.add_face(actor, job_id))
        case Action.GEN_PHOTOS:
            await _show(query, await drafts.change_photos(actor, job_id))
        case Action.GEN_FACES:
            await _show(query, await drafts.change_face(actor, job_id))
        case Action.GEN_CANCEL:
            await drafts.cancel(actor, job_id)
            await query.answer()
            await query.edit_message_text(video_texts.cancelled_draft())
        case Action.GEN_SETTINGS:
            card = await drafts.card(actor, job_id)
            await _show_settings(query, card)
        case Action.SETTING if job_id == 0:
            settings = await svc.videos.change_settings(actor, args[1], args[2])
            await query.answer()
            await query.edit_message_text(
                video_texts.settings_intro(settings, for_draft=False),
                reply_markup=video_keyboards.settings_editor(settings),
            )
        case Action.SETTING:
            card = await drafts.change_settings(actor, job_id, args[1], args[2])
            await _show_settings(query, card)
        case Action.SETTINGS_DONE if job_id == 0:
            settings = await svc.videos.settings(actor)
            await query.answer()
            await query.edit_message_text(video_texts.settings_saved(settings))
        case Action.SETTINGS_DONE:
            await _show(query, await drafts.card(actor, job_id))
        case Action.GEN_CONFIRM:
            await _confirm(svc, query, actor, job_id)
        case Action.GEN_AGAIN:
            await _again(update, context, svc, actor, job_id)
        case Action.GEN_FORGET:
            await drafts.forget(actor, job_id, inline_message_id=query.inline_message_id)
            await query.answer()
            await query.edit_message_text(video_texts.forgotten())
        case Action.VIDEO_SEND:
            sent = await svc.videos.send_again(actor, job_id)
            await query.answer()
            await context.bot.send_video(
                actor.conversation,
                sent.file_id,
                caption=video_texts.video_caption(sent.job, sent.face_name),
                reply_markup=video_keyboards.under_video(sent.job),
            )


async def _show(query: CallbackQuery, card: DraftCard) -> None:
    text, markup = draft_view(card)
    await query.answer()
    await query.edit_message_text(text, reply_markup=markup)


async def _show_settings(query: CallbackQuery, card: DraftCard) -> None:
    settings = card.job.settings
    await query.answer()
    await query.edit_message_text(
        video_texts.settings_intro(settings, for_draft=True),
        reply_markup=video_keyboards.settings_editor(settings, card.job.id, card.models),
    )


async def _again(
    update: Update, context: Context, svc: Services, actor: Actor, job_id: int
) -> None:
    """Retry / Generate again / Again with these settings: a new draft, to confirm again.
    On an inline card the same card becomes the new draft's; in a chat it is a new card."""
    query = update.callback_query
    assert query is not None
    card = await svc.videos.drafts.again(
        actor,
        job_id,
        request_key=f"u{update.update_id}",
        inline_message_id=query.inline_message_id,
    )
    if query.inline_message_id is not None:
        await _show(query, card)
        return
    await query.answer()
    if card.job.message_id is not None:
        return  # this press was answered before a crash: its card is out already
    text, markup = draft_view(card)
    sent = await context.bot.send_message(card.job.chat_id, text, reply_markup=markup)
    await svc.videos.drafts.card_posted(card.job, sent.message_id)


async def _confirm(svc: Services, query: CallbackQuery, actor: Actor, job_id: int) -> None:
    await svc.videos.drafts.card(actor, job_id)  # someone else's card: an alert, no "Starting…"
    # Answer at once (the provider may be slow); refusals go into the card itself.
    await query.answer(video_texts.starting())
    try:
        await svc.videos.confirm(actor, job_id)
    except ServiceRefused as refused:
        if refused.refusal in (Refusal.NOT_YOURS, Refusal.JOB_STARTED):
            return  # a tap at the same moment as another: that one's progress is shown
        if refused.refusal in (Refusal.LIMIT_RUNNING, Refusal.LIMIT_DAILY):
            text, markup = draft_view(await svc.videos.drafts.card(actor, job_id))
            await query.edit_message_text(
                video_texts.with_refusal(text, _refusal(refused)), reply_markup=markup
            )
            return
        await query.edit_message_text(_refusal(refused))
