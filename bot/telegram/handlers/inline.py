"""Inline mode: ``@bot prompt`` in any chat offers the user's faces; a chosen one becomes a
card that turns into the video.

The card carries buttons, so it has an ``inline_message_id`` to edit; the job starts only
when the requester taps Generate (the same confirm rule as in private chats). The MP4 goes
to the requester's private chat first, for a file_id, then into the card with
editMessageMedia (shared/TELEGRAM.md). The rules are VideoService's (video_inline).
"""

from __future__ import annotations

import logging

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode

from bot.services.errors import Refusal, ServiceRefused
from bot.telegram.actor import actor_of
from bot.telegram.callbacks import Action, decode, row_ids
from bot.telegram.context import Context
from bot.telegram.handlers.faces import plain
from bot.telegram.keyboards import videos as video_keyboards
from bot.telegram.texts import common as texts
from bot.telegram.texts import videos as video_texts
from bot.telegram.texts.refusals import refusal_text

log = logging.getLogger(__name__)


async def on_inline_query(update: Update, context: Context) -> None:
    svc, query = context.bot_data.services, update.inline_query
    assert query is not None
    # The offset comes back from the client: only a plain number we could have written
    # (a page start; nine digits is far past any list, and fits a database integer).
    plain = query.offset.isascii() and query.offset.isdigit() and len(query.offset) <= 9
    offset = int(query.offset) if plain else 0
    try:
        offer = await svc.videos.inline.offer(await actor_of(update, context), query.query, offset)
    except ServiceRefused as refused:
        label = (
            video_texts.inline_no_face()
            if refused.refusal is Refusal.NO_USABLE_FACE
            else video_texts.inline_short_prompt()
        )
        button = InlineQueryResultsButton(label, start_parameter="inline")
        await query.answer([], cache_time=0, is_personal=True, button=button)
        return
    results = [
        InlineQueryResultArticle(
            id=f"{offer.offer_id}:{choice.face.id}",
            title=choice.face.name,
            description=video_texts.inline_result_description(choice.photos, choice.settings),
            input_message_content=InputTextMessageContent(
                video_texts.inline_placeholder(
                    choice.face, offer.prompt, choice.settings, choice.estimate
                ),
                parse_mode=ParseMode.HTML,
            ),
            reply_markup=video_keyboards.inline_card(offer.offer_id, choice.face.id),
        )
        for choice in offer.choices
    ]
    next_offset = str(offer.next_offset) if offer.next_offset is not None else None
    await query.answer(results, cache_time=0, is_personal=True, next_offset=next_offset)


async def on_chosen_result(update: Update, context: Context) -> None:
    """Inline feedback: the card was posted; remember it as a draft."""
    chosen = update.chosen_inline_result
    assert chosen is not None
    ids = row_ids(chosen.result_id, 2)  # ours as we wrote it, or ignored
    if chosen.inline_message_id is None or ids is None:
        return
    inline, actor = context.bot_data.services.videos.inline, await actor_of(update, context)
    try:
        await inline.draft_for(actor, ids[0], ids[1], chosen.inline_message_id, query=chosen.query)
    except ServiceRefused as refused:
        log.info("chosen inline result not drafted: %s", refused)


async def cb_inline(update: Update, context: Context) -> None:
    svc, query = context.bot_data.services, update.callback_query
    assert query is not None
    callback = decode(query.data)
    assert callback is not None
    card = query.inline_message_id
    if card is None:
        await query.answer(texts.button_outdated(), show_alert=True)
        return
    offer_id, face_id = callback.ints
    actor = await actor_of(update, context)
    try:
        if callback.action is Action.INLINE_CANCEL:
            await svc.videos.inline.cancel(actor, offer_id, face_id, card)
            await query.answer()
            await query.edit_message_text(video_texts.inline_cancelled())
            return
        job_id = await svc.videos.inline.go(actor, offer_id, face_id, card)
        await query.answer(video_texts.starting())
    except ServiceRefused as refused:
        if refused.refusal is Refusal.NOT_YOURS:
            await query.answer(texts.button_not_for_you(), show_alert=True)
            return
        await query.answer(plain(refusal_text(refused.refusal, refused.detail)), show_alert=True)
        if refused.refusal is Refusal.JOB_STARTED:
            return  # a second tap: the card already shows what became of the first
        # Everyone in the chat sees the card: say there why nothing happens.
        await query.edit_message_text(f"⛔ {refusal_text(refused.refusal, refused.detail)}")
        return
    try:
        await svc.videos.confirm(actor, job_id)
    except ServiceRefused as refused:
        if refused.refusal is Refusal.JOB_STARTED:
            return  # a tap at the same moment as another: that one's progress is shown
        await query.edit_message_text(f"⛔ {refusal_text(refused.refusal, refused.detail)}")
