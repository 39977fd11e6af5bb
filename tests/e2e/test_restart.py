"""Kill -9 the bot mid-work, restart it on the same database: nothing lost, nothing twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import ProviderKey, Settings
from sandbox.media import sample_mp4
from sandbox.token360 import Fault, Token360Simulator
from tests.e2e.helpers import (
    confirm_card,
    face_with_photos,
    final_progress,
    group_of,
    new_face,
    verified_face,
)
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import BotProcess, query
from tests.images import image


@pytest.fixture
async def slow_sim() -> AsyncIterator[Token360Simulator]:
    """Processing takes long enough to kill the bot in the middle of it."""
    simulator = Token360Simulator(api_keys=("sim-key",), processing_seconds=3.0)
    await simulator.start()
    yield simulator
    await simulator.stop()


async def test_kill_during_processing_and_pending_verification(
    tg: FakeTelegram, slow_sim: Token360Simulator, settings: Settings, tmp_path: Path
) -> None:
    sim = slow_sim
    config = replace(
        settings,
        providers={"token360": ProviderKey("sim-key", sim.base_url)},
        verification_grace_seconds=60,
    )
    bot = BotProcess(config, tmp_path / "bot.log").start()
    try:
        alice = tg.add_user("Alice")
        await verified_face(tg, sim, alice, "Anna")
        mark = tg.mark()
        await tg.send_photo(alice, image())
        progress = await tg.wait_for(
            lambda: next(
                (m for m in tg.sent[mark:] if "processing at the provider" in m.text), None
            ),
            timeout=15,
        )
        card = await new_face(tg, alice, "Ben")
        bot.kill()

        # While the bot is down the photo finishes processing and Ben passes the check.
        sim.pass_verification(group_of(sim, card))
        rows = query(config.database, "SELECT status FROM assets")
        assert [r["status"] for r in rows] == ["processing"]

        restart_mark = tg.mark()
        bot = BotProcess(config, tmp_path / "bot.log").start()
        await tg.next_message(
            alice.id, after=restart_mark, contains="“Ben” is verified", timeout=20
        )
        await final_progress(tg, alice.id, mark, timeout=20)
        # A clean stop finishes whatever the bot still had in hand; then count.
        assert await bot.terminate() == 0, bot.log()

        assert sum("“Ben” is verified" in m.text for m in tg.messages(alice.id)) == 1
        assert sum("“Anna” is verified" in m.text for m in tg.messages(alice.id)) == 1
        versions = [*progress.history, progress.text]
        assert sum("Active: ta_" in v for v in versions) == 1
        assert not [m for m in tg.sent[restart_mark:] if "📤" in m.text]  # edited, not resent
        rows = query(config.database, "SELECT status FROM assets")
        assert [r["status"] for r in rows] == ["active"]
    finally:
        if bot.proc is not None and bot.proc.poll() is None:
            bot.kill()


async def test_kill_between_receiving_and_uploading(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings, tmp_path: Path
) -> None:
    """A photo stored but not yet uploaded is uploaded after the restart, once."""
    bot = BotProcess(settings, tmp_path / "bot.log").start()
    try:
        alice = tg.add_user("Alice")
        await verified_face(tg, sim, alice)
        bot.kill()
        mark = tg.mark()
        await tg.send_photo(alice, image())  # queued at Telegram while the bot is down
        bot = BotProcess(settings, tmp_path / "bot.log").start()
        progress = await final_progress(tg, alice.id, mark, timeout=20)
        assert "Active: ta_" in progress.text
        assert await bot.terminate() == 0, bot.log()
        assert sim.count("POST", "/v1/assets") == 1
    finally:
        if bot.proc is not None and bot.proc.poll() is None:
            bot.kill()


async def test_kill_mid_generation_delivers_the_video_exactly_once(
    tg: FakeTelegram, settings: Settings, tmp_path: Path
) -> None:
    sim = Token360Simulator(
        api_keys=("sim-key",), processing_seconds=0.1, video_running_seconds=4.0
    )
    await sim.start()
    config = replace(settings, providers={"token360": ProviderKey("sim-key", sim.base_url)})
    bot = BotProcess(config, tmp_path / "bot.log").start()
    try:
        alice = tg.add_user("Alice")
        await face_with_photos(tg, sim, alice)
        card = await confirm_card(tg, alice, "turns around")
        await tg.press(alice, card, text="Generate")
        await tg.wait_for(lambda: "generating" in card.text, timeout=15)
        bot.kill()
        rows = query(config.database, "SELECT status FROM videos")
        assert [r["status"] for r in rows] == ["running"]

        bot = BotProcess(config, tmp_path / "bot.log").start()
        await tg.wait_for(lambda: "is ready" in card.text, timeout=30)
        assert await bot.terminate() == 0, bot.log()
        videos = [m for m in tg.messages(alice.id) if m.kind == "video"]
        assert len(videos) == 1 and videos[0].file_bytes == sample_mp4()
        assert sim.count("POST", "/v1/videos") == 1
        rows = query(config.database, "SELECT status FROM videos")
        assert [r["status"] for r in rows] == ["delivered"]
    finally:
        if bot.proc is not None and bot.proc.poll() is None:
            bot.kill()
        await sim.stop()


async def test_kill_mid_submit_asks_the_user_instead_of_paying_twice(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings, tmp_path: Path
) -> None:
    bot = BotProcess(settings, tmp_path / "bot.log").start()
    try:
        alice = tg.add_user("Alice")
        await face_with_photos(tg, sim, alice)
        card = await confirm_card(tg, alice, "jumps")
        # The provider takes the request but is slow to answer; the bot dies meanwhile.
        sim.inject(
            Fault(method="POST", path_prefix="/v1/videos", status=0, delay=3.0, answer_late=True)
        )
        await tg.press(alice, card, text="Generate")
        await tg.wait_for(lambda: sim.count("POST", "/v1/videos") == 1, timeout=10)
        bot.kill()
        rows = query(settings.database, "SELECT status FROM videos")
        assert [r["status"] for r in rows] == ["submitting"]

        bot = BotProcess(settings, tmp_path / "bot.log").start()
        await tg.wait_for(
            lambda: "can't tell whether the provider started it" in card.text, timeout=20
        )
        await tg.press(alice, card, text="Forget it")
        await tg.wait_for(lambda: not card.buttons())
        assert await bot.terminate() == 0, bot.log()
        assert sim.count("POST", "/v1/videos") == 1  # never resubmitted on its own
        rows = query(settings.database, "SELECT status FROM videos")
        assert [r["status"] for r in rows] == ["cancelled"]
    finally:
        if bot.proc is not None and bot.proc.poll() is None:
            bot.kill()
