"""Inline mode: ``@bot prompt`` in any chat offers the user's faces; a chosen one becomes a
placeholder that turns into the video.

The placeholder carries buttons, so it has an ``inline_message_id`` to edit; the job starts
only when the requester taps Generate (the same confirm rule as in private chats). The MP4
goes to the requester's private chat first, for a file_id, then into the placeholder with
editMessageMedia (shared/TELEGRAM.md).
"""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode

from bot.services.errors import Refusal, ServiceRefused
from bot.services.user_text import normalize_prompt, visible_length
from bot.services.video_options import estimate
from bot.telegram.callbacks import Action, Callback, decode, row_ids
from bot.telegram.context import Context
from bot.telegram.handlers.faces import plain
from bot.telegram.handlers.generate import refusal_text
from bot.telegram.texts import common as texts
from bot.telegram.texts import videos as video_texts
from storage.models import Owner, OwnerKind

log = logging.getLogger(__name__)

MIN_PROMPT = 3  # visible characters: fewer offer nothing (a query comes per keystroke)
PAGE = 50  # the most results one answer may carry


def _markup(offer_id: int, face_id: int) -> InlineKeyboardMarkup:
    arg = f"{offer_id}:{face_id}"
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "🎬 Generate", callback_data=Callback(Action.INLINE_GO, arg).encode()
                )
            ],
            [
                InlineKeyboardButton(
                    "✖ Cancel", callback_data=Callback(Action.INLINE_CANCEL, arg).encode()
                )
            ],
        ]
    )


async def on_inline_query(update: Update, context: Context) -> None:
    svc, query = context.bot_data.services, update.inline_query
    assert query is not None
    user, prompt = query.from_user, normalize_prompt(query.query)
    owner = Owner(OwnerKind.USER, user.id)
    usable = await svc.videos.usable_faces(owner)
    if not usable:
        button = InlineQueryResultsButton("Create a face first", start_parameter="inline")
        await query.answer([], cache_time=0, is_personal=True, button=button)
        return
    if visible_length(prompt) < MIN_PROMPT:
        button = InlineQueryResultsButton("Type a prompt after my name", start_parameter="inline")
        await query.answer([], cache_time=0, is_personal=True, button=button)
        return
    # The offset comes back from the client: only a plain number we could have written.
    offset = int(query.offset) if query.offset.isascii() and query.offset.isdigit() else 0
    settings = await svc.videos.settings_for(owner)
    offer_id = await svc.inline_offers.create(user.id, prompt, svc.clock())
    results = []
    for face, active in usable[offset : offset + PAGE]:
        models = svc.providers.get(face.provider).capabilities.models
        face_settings = svc.videos.normalized(settings, models)
        results.append(
            InlineQueryResultArticle(
                id=f"{offer_id}:{face.id}",
                title=face.name,
                description=video_texts.inline_result_description(len(active), face_settings),
                input_message_content=InputTextMessageContent(
                    video_texts.inline_placeholder(
                        face, prompt, face_settings, estimate(face_settings)
                    ),
                    parse_mode=ParseMode.HTML,
                ),
                reply_markup=_markup(offer_id, face.id),
            )
        )
    more = offset + PAGE < len(usable)
    await query.answer(
        results, cache_time=0, is_personal=True, next_offset=str(offset + PAGE) if more else None
    )


async def _draft_for(
    context: Context, user_id: int, offer_id: int, face_id: int, inline_message_id: str
) -> int:
    """The draft behind a placeholder, made now if inline feedback did not make it yet."""
    svc = context.bot_data.services
    made = await svc.videos.inline_placeholder(inline_message_id, user_id)
    if made is not None:
        return made.id  # its offer may be gone by now (offers are kept two days)
    offer = await svc.inline_offers.get(offer_id)
    if offer is None:
        raise ServiceRefused(Refusal.OFFER_EXPIRED)
    if offer[0] != user_id:
        raise ServiceRefused(Refusal.NOT_YOURS)
    job = await svc.videos.inline_draft(user_id, offer[1], face_id, inline_message_id)
    return job.id


async def on_chosen_result(update: Update, context: Context) -> None:
    """Inline feedback: the placeholder was posted; remember it as a draft."""
    chosen = update.chosen_inline_result
    assert chosen is not None
    ids = row_ids(chosen.result_id, 2)  # ours as we wrote it, or ignored
    if chosen.inline_message_id is None or ids is None:
        return
    try:
        await _draft_for(context, chosen.from_user.id, ids[0], ids[1], chosen.inline_message_id)
    except ServiceRefused as refused:
        log.info("chosen inline result not drafted: %s", refused)


async def cb_inline(update: Update, context: Context) -> None:
    svc, query = context.bot_data.services, update.callback_query
    assert query is not None
    callback = decode(query.data)
    assert callback is not None
    if query.inline_message_id is None:
        await query.answer(texts.button_outdated(), show_alert=True)
        return
    offer_id, face_id = callback.ints
    user = query.from_user
    try:
        job_id = await _draft_for(context, user.id, offer_id, face_id, query.inline_message_id)
        if callback.action is Action.INLINE_CANCEL:
            await svc.videos.cancel(job_id, user.id)
            await query.answer()
            await context.bot.edit_message_text(
                video_texts.inline_cancelled(), inline_message_id=query.inline_message_id
            )
            return
        await svc.videos.draft(job_id, user.id)
        await query.answer("Starting…")
    except ServiceRefused as refused:
        if refused.refusal is Refusal.NOT_YOURS:
            await query.answer(texts.button_not_for_you(), show_alert=True)
            return
        await query.answer(plain(refusal_text(refused)), show_alert=True)
        # Everyone in the chat sees the placeholder: say there why nothing happens.
        await context.bot.edit_message_text(
            f"⛔ {refusal_text(refused)}", inline_message_id=query.inline_message_id
        )
        return
    try:
        await svc.videos.confirm(job_id, user.id)
    except ServiceRefused as refused:
        await context.bot.edit_message_text(
            f"⛔ {refusal_text(refused)}", inline_message_id=query.inline_message_id
        )
