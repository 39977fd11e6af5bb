"""Inline offers live in memory (a keystroke writes nothing): a card chosen after the bot
restarted still becomes a video, from the query its chosen-result feedback carries; a card
whose feedback never came and whose offer is gone says so when pressed."""

from __future__ import annotations

from bot.config import Settings
from sandbox.media import sample_mp4
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import face_with_photos
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot, query


async def test_a_card_chosen_after_a_restart_still_becomes_the_video(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    running = await RunningBot(settings).start()
    try:
        await face_with_photos(tg, sim, alice)
        query_id = await tg.inline_query(alice, "dances in the rain")
        (result,) = (await tg.wait_inline_answer(query_id))["results"]
        other_id = await tg.inline_query(alice, "walks on the beach")
        (other,) = (await tg.wait_inline_answer(other_id))["results"]
        assert query(settings.database, "SELECT * FROM inline_offers") == []
    finally:
        await running.stop()
    running = await RunningBot(settings).start()  # the offers in memory are gone
    try:
        # Chosen now: the feedback's query makes the card's draft.
        card = await tg.post_inline_result(alice, query_id, result["id"])
        await tg.press(alice, card, text="Generate")
        await tg.wait_for(lambda: card.kind == "video", timeout=20)
        assert card.file_bytes == sample_mp4()
        (row,) = query(settings.database, "SELECT prompt, inline_message_id FROM videos")
        assert (row["prompt"], row["inline_message_id"]) == (
            "dances in the rain",
            card.inline_message_id,
        )
        # No feedback (inline feedback off): the button alone cannot tell the prompt.
        silent = await tg.post_inline_result(alice, other_id, other["id"], choose=False)
        answer = await tg.wait_answer(await tg.press(alice, silent, text="Generate"))
        assert answer["text"].startswith("This card is too old to start.")
        assert sim.count("POST", "/v1/videos") == 1
    finally:
        await running.stop()
