"""Hostile or odd input gets a clear answer, changes nothing and logs no traceback."""

from __future__ import annotations

import logging
import time

import pytest

from bot.config import Settings
from sandbox.token360 import AssetOutcome, Token360Simulator
from tests.e2e.helpers import confirm_card, face_with_photos, final_progress, verified_face
from tests.fakes.telegram_api import BotMessage, FakeTelegram, FakeUser
from tests.fakes.telegram_api.models import _Query
from tests.harness import RunningBot, query
from tests.images import huge_png, image

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


async def press_forged(tg: FakeTelegram, user: FakeUser, message: BotMessage, data: str) -> str:
    """A callback query with data no button of ours carries (any client can send one)."""
    query_id = f"forged-{time.monotonic_ns()}"
    tg._callback_queries[query_id] = _Query(query_id, user.id, "", time.monotonic())
    tg._enqueue(
        "callback_query",
        {
            "id": query_id,
            "from": user.to_api(),
            "chat_instance": "1",
            "data": data,
            "message": message.to_api(),
        },
    )
    return query_id


def videos(settings: Settings) -> list[tuple[int, str, str]]:
    rows = query(settings.database, "SELECT id, status, prompt FROM videos ORDER BY id")
    return [(r["id"], r["status"], r["prompt"]) for r in rows]


async def test_forged_buttons_are_answered_as_outdated_and_change_nothing(
    bot: RunningBot,
    tg: FakeTelegram,
    sim: Token360Simulator,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice)
    card = await confirm_card(tg, alice, "waves")
    before = videos(settings)
    forged = [
        "1|gc|" + "9" * 40,  # was an OverflowError in SQLite and the generic apology
        f"1|gc|{2**63}",
        "1|gc|-1",
        "1|st|0:1",  # a setting without its value
        "1|gf|1",  # a face choice without the face
        "1|gc|1:2:3",
        "1|zz|1",
        "2|gc|1",
        "1|gc|¹",
        "garbage",
    ]
    mark = tg.mark()
    for data in forged:
        answer = await tg.wait_answer(await press_forged(tg, alice, card, data))
        assert answer.get("show_alert") is True, data
        assert "no longer works" in answer["text"] and "/generate" in answer["text"], data
    assert videos(settings) == before  # nothing changed
    assert not [m for m in tg.sent[mark:] if m.chat_id == alice.id]  # and nothing was sent
    assert "Sorry" not in card.text
    no_tracebacks(caplog)
    # The real button still works.
    await tg.press(alice, card, text="Cancel")
    await tg.wait_for(lambda: "Cancelled" in card.text)


async def test_a_prompt_of_invisible_characters_is_no_prompt(
    bot: RunningBot,
    tg: FakeTelegram,
    sim: Token360Simulator,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice)
    for blank in (ZERO_WIDTH, "\u3000\u00a0\u2800", "\u3164"):
        mark = tg.mark()
        await tg.send_text(alice, f"/generate {blank}")
        await tg.next_message(alice.id, after=mark, contains="What should the video show?")
    # Answering the question with more of them keeps the question open.
    mark = tg.mark()
    await tg.send_text(alice, ZERO_WIDTH)
    await tg.next_message(alice.id, after=mark, contains="What should the video show?")
    assert videos(settings) == []
    # A real answer then makes the draft, trimmed of what no one can see.
    mark = tg.mark()
    await tg.send_text(alice, f"{ZERO_WIDTH} waves {ZERO_WIDTH}")
    await tg.next_message(alice.id, after=mark, contains="Ready to generate")
    assert [prompt for _, _, prompt in videos(settings)] == ["waves"]
    no_tracebacks(caplog)


async def test_an_invisible_inline_query_offers_nothing(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice)
    answer = await tg.wait_inline_answer(await tg.inline_query(alice, ZERO_WIDTH + "\u3164"))
    assert answer["results"] == []
    assert answer["button"]["text"] == "Type a prompt after my name"
    answer = await tg.wait_inline_answer(await tg.inline_query(alice, f"{ZERO_WIDTH}waves"))
    (result,) = answer["results"]
    assert "waves" in result["input_message_content"]["message_text"]
    # Only the visible prompt reaches the draft the chosen card makes.
    await tg.choose_inline_result(alice, result["id"], f"{ZERO_WIDTH}waves", "card")
    await tg.wait_for(lambda: videos(settings), what="the card's draft")
    assert [prompt for _, _, prompt in videos(settings)] == ["waves"]


async def test_a_forged_inline_result_id_is_ignored(
    bot: RunningBot,
    tg: FakeTelegram,
    sim: Token360Simulator,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice)
    answer = await tg.wait_inline_answer(await tg.inline_query(alice, "waves"))
    (result,) = answer["results"]
    for offset in ("²", "-1", "9" * 40):  # a client sends back any offset it likes
        odd = await tg.wait_inline_answer(await tg.inline_query(alice, "waves", offset))
        assert odd["results"] == [] or len(odd["results"]) == 1
    for forged in ("1:²", "1:" + "9" * 40, "1"):
        await tg.choose_inline_result(alice, forged, "waves", inline_message_id=f"x{forged}")
    # The real one, sent last, is handled: the forged ones before it were passed over.
    await tg.choose_inline_result(alice, result["id"], "waves", inline_message_id="real")
    await tg.wait_for(lambda: videos(settings), what="the draft of the real result")
    assert [prompt for _, _, prompt in videos(settings)] == ["waves"]
    no_tracebacks(caplog)


async def test_a_face_name_that_looks_empty_is_refused(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    for blank in (ZERO_WIDTH, "\u3164\u3164", "\u0301"):
        mark = tg.mark()
        await tg.send_text(alice, f"/newface {blank}")
        await tg.next_message(alice.id, after=mark, contains="A name needs 1 to 64")
    assert query(settings.database, "SELECT id FROM faces") == []
    assert sim.count("POST", "/v1/asset-groups") == 0


async def test_a_40000_px_png_is_refused_with_its_real_size(
    bot: RunningBot,
    tg: FakeTelegram,
    sim: Token360Simulator,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice)
    mark = tg.mark()
    await tg.send_document(alice, huge_png(), file_name="huge.png", mime_type="image/png")
    progress = await final_progress(tg, alice.id, mark)
    assert "too large (40000×40000 px; each side may be at most 6000 px)" in progress.text
    assert "None" not in progress.text
    assert sim.count("POST", "/v1/assets") == 0
    (row,) = query(settings.database, "SELECT status, width, height FROM assets")
    assert (row["status"], row["width"], row["height"]) == ("rejected", 40_000, 40_000)
    no_tracebacks(caplog)


async def test_a_5000_character_provider_error_is_shown_cut(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice)
    reason = "Upstream said: " + "the image & its <metadata> were refused; " * 125
    assert len(reason) > 5000
    sim.script_assets(AssetOutcome(status="Failed", code="InvalidImage", message=reason))
    mark = tg.mark()
    await tg.send_photo(alice, image())
    progress = await final_progress(tg, alice.id, mark)
    assert "failed: the provider refused it (InvalidImage): Upstream said: the image" in (
        progress.text
    )
    assert "<metadata>" in progress.text  # escaped on the way, shown as written
    assert "…" in progress.text and len(progress.text) < 1000
    # Stored whole; only what the person reads is cut.
    (row,) = query(settings.database, "SELECT status, error_message FROM assets")
    assert row["status"] == "failed" and row["error_message"] == reason
