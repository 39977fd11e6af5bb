"""What goes wrong between the parts: Telegram refusing a send, a provider switched off,
a request waiting while the bot restarts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.config import ProviderKey, Settings
from sandbox.media import sample_mp4
from sandbox.sunra import SunraSimulator
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import (
    confirm_card,
    face_with_photos,
    final_progress,
    group_of,
    new_face,
    rounds,
    verified_face,
)
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import BotProcess, RunningBot, query
from tests.images import image


async def test_an_outcome_telegram_refused_once_arrives_once(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    card = await new_face(tg, alice)
    tg.fail_next("sendMessage", 502)  # the "is verified" message hits a Telegram hiccup
    mark = tg.mark()
    sim.pass_verification(group_of(sim, card))
    await tg.next_message(alice.id, after=mark, contains="is verified", timeout=10)
    await rounds(tg, bot)  # a second "is verified" would have come by now
    assert sum("is verified" in m.text for m in tg.messages(alice.id)) == 1
    (row,) = query(settings.database, "SELECT outcome_notified FROM faces")
    assert row["outcome_notified"] == 1


async def test_a_provider_switched_off_does_not_stop_the_others(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    sunra = SunraSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    await sunra.start()
    both = replace(
        settings,
        providers={**settings.providers, "sunra": ProviderKey("sim-key", sunra.base_url)},
        public_url="http://127.0.0.1:0",
        http_host="127.0.0.1",
        http_port=0,
    )
    running = await RunningBot(both).start()
    alice, bob = tg.add_user("Alice"), tg.add_user("Bob")
    try:
        # Bob has a Sunra face with a photo still processing when Sunra is switched off.
        await tg.send_text(bob, "/newface Ben")
        ask = await tg.next_message(bob.id, contains="Where should")
        await tg.press(bob, ask, text="Sunra")
        await tg.next_message(bob.id, contains="has no face check")
    finally:
        await running.stop()
    await sunra.stop()
    running = await RunningBot(settings).start()  # Token360 only now
    try:
        await verified_face(tg, sim, alice)
        mark = tg.mark()
        await tg.send_photo(alice, image())
        progress = await final_progress(tg, alice.id, mark)
        assert "Active: ta_" in progress.text
        # Bob's Sunra face is still listed, and shows its provider by name.
        await tg.send_text(bob, "/faces")
        listing = await tg.next_message(bob.id, contains="Your faces")
        assert "Ben" in listing.text
        await tg.press(bob, listing, text="Ben")
        await tg.wait_for(lambda: "Provider: sunra (not enabled now)" in listing.text)
        # Nor does it break videos or inline: the face is just not offered.
        await tg.send_text(bob, "/generate anything")
        await tg.next_message(bob.id, contains="You need a verified face")
        answer = await tg.wait_inline_answer(await tg.inline_query(bob, "anything"))
        assert answer["results"] == []
    finally:
        await running.stop()


async def test_generate_pressed_while_the_bot_is_down_runs_once_after_restart(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings, tmp_path: Path
) -> None:
    bot = BotProcess(settings, tmp_path / "bot.log").start()
    try:
        alice = tg.add_user("Alice")
        await face_with_photos(tg, sim, alice)
        mark = tg.mark()
        card = await confirm_card(tg, alice, "spins around")
        bot.kill()
        await tg.press(alice, card, text="Generate")  # waits at Telegram for the bot
        bot = BotProcess(settings, tmp_path / "bot.log").start()
        video = await tg.wait_for(
            lambda: next((m for m in tg.sent[mark:] if m.kind == "video"), None), timeout=30
        )
        assert video.file_bytes == sample_mp4()
        assert "can't tell" not in card.text  # not mistaken for a submit the restart cut off
        assert sim.count("POST", "/v1/videos") == 1
        assert await bot.terminate() == 0, bot.log()
    finally:
        if bot.proc is not None and bot.proc.poll() is None:
            bot.kill()
