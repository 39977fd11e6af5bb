"""A newcomer with only a bot token asks for sandbox mode: the built-in simulators."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.config import Settings
from sandbox.media import sample_mp4
from tests.e2e.helpers import final_progress, new_face
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot
from tests.images import image


async def test_sandbox_walkthrough(tg: FakeTelegram, settings: Settings) -> None:
    running = await RunningBot(replace(settings, providers={}, sandbox=True)).start()
    try:
        alice = tg.add_user("Alice")
        await tg.send_text(alice, "/start")
        await tg.next_message(alice.id, contains="SANDBOX")
        card = await new_face(tg, alice)
        assert "SANDBOX" in card.text
        mark = tg.mark()
        await tg.press(alice, card, text="Simulate: person passed")
        await tg.next_message(alice.id, after=mark, contains="is verified", timeout=10)
        mark = tg.mark()
        await tg.send_photo(alice, image())
        progress = await final_progress(tg, alice.id, mark, timeout=15)
        assert re.search(r"ta_[0-9a-f]{32}", progress.text)
        mark = tg.mark()
        await tg.send_text(alice, "/generate waves hello")
        card = await tg.next_message(alice.id, after=mark, contains="Ready to generate")
        await tg.press(alice, card, text="Generate")
        video = await tg.wait_for(
            lambda: next(
                (m for m in tg.sent[mark:] if m.chat_id == alice.id and m.kind == "video"), None
            ),
            timeout=20,
        )
        assert video.file_bytes == sample_mp4()
    finally:
        await running.stop()


@pytest.mark.parametrize("provider", ["sunra", "orcarouter", "powertokens", "toapis"])
async def test_sandbox_simulates_every_provider(
    provider: str, tg: FakeTelegram, settings: Settings
) -> None:
    running = await RunningBot(
        replace(settings, providers={}, sandbox=True, sandbox_providers=(provider,))
    ).start()
    try:
        alice = tg.add_user("Alice")
        mark = tg.mark()
        await tg.send_text(alice, "/newface Anna")
        if provider == "sunra":
            await tg.next_message(alice.id, after=mark, contains="has no face check")
        else:
            card = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes")
            mark = tg.mark()
            await tg.press(alice, card, text="Simulate: person passed")
            await tg.next_message(alice.id, after=mark, contains="is verified", timeout=15)
        mark = tg.mark()
        await tg.send_photo(alice, image())
        progress = await final_progress(tg, alice.id, mark, timeout=15)
        assert "Active:" in progress.text
    finally:
        await running.stop()
