"""kill -9 at random moments of whole journeys: nothing lost, nothing made twice.

A person goes through the journey (new face, check passed, a photo, a video) while the bot
is killed and restarted at seeded random moments. The person acts as people do: waits for
each answer, and where the bot says it was restarted mid-step, follows what it says. At the
end each journey must have ended with the video, with one group, one upload and one paid
submit at the provider. A video may arrive twice only in the one documented window (the
bot killed after Telegram took the video and before the database recorded it).

``REALFACE_KILL_POINTS`` sets how many kills (default 6 here; the closing note reports 30).
"""

from __future__ import annotations

import asyncio
import os
import random
from dataclasses import replace
from pathlib import Path

from bot.config import ProviderKey, Settings
from sandbox.media import sample_mp4
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import final_progress, group_of
from tests.fakes.telegram_api import BotMessage, FakeTelegram, FakeUser
from tests.harness import BotProcess, query
from tests.images import image

KILLS = int(os.environ.get("REALFACE_KILL_POINTS", "6"))
KILLS_PER_JOURNEY = 3
STEP = 60.0  # how long a person waits for an answer, restarts included


class Killer:
    """Kills the bot at random moments and starts it again at once."""

    def __init__(
        self, tg: FakeTelegram, settings: Settings, log: Path, rng: random.Random
    ) -> None:
        self.tg, self.settings, self.log, self.rng = tg, settings, log, rng
        self.kills = 0
        self._start()

    def _start(self) -> None:
        # The processes killed before make no more calls: a getUpdates after this point is
        # the new process's.
        self.polls_before = len(self.tg.calls_to("getUpdates"))
        self.bot = BotProcess(self.settings, self.log).start()

    async def run(self, times: int) -> None:
        for _ in range(times):
            await asyncio.sleep(self.rng.uniform(0.3, 2.5))
            self.bot.kill()
            self.kills += 1
            self._start()

    async def stop(self) -> int:
        """SIGTERM once the last start is polling. A SIGTERM earlier (while the process
        imports, or while PTB's updater bootstraps) is not what this test is about."""
        await self.tg.wait_for(
            lambda: len(self.tg.calls_to("getUpdates")) > self.polls_before or None,
            timeout=STEP,
        )
        return await self.bot.terminate()


async def _answer(
    tg: FakeTelegram, user: FakeUser, after: int, *wanted: str
) -> tuple[str, BotMessage]:
    """The first message (or edit) after ``after`` that contains one of ``wanted``."""

    def found() -> tuple[str, BotMessage] | None:
        for message in tg.sent[after:]:
            if message.chat_id != user.id:
                continue
            for text in wanted:
                if text in message.text:
                    return text, message
        return None

    return await tg.wait_for(found, timeout=STEP)


async def journey(tg: FakeTelegram, sim: Token360Simulator, user: FakeUser, n: int) -> None:
    mark = tg.mark()
    await tg.send_text(user, f"/newface Face {n}")
    said, message = await _answer(tg, user, mark, "Valid for 2 minutes", "restarted")
    if said == "restarted":  # the start was cut off: the bot found it and offers a link
        mark = tg.mark()
        await tg.press(user, message, text="New link")
        said, message = await _answer(tg, user, mark, "Valid for 2 minutes")
    mark = tg.mark()
    sim.pass_verification(group_of(sim, message))
    await _answer(tg, user, mark, "is verified")
    mark = tg.mark()
    await tg.send_photo(user, image())
    progress = await final_progress(tg, user.id, mark, timeout=STEP)
    assert "Active: ta_" in progress.text, progress.text
    mark = tg.mark()
    await tg.send_text(user, f"/generate face {n} smiles")
    _, card = await _answer(tg, user, mark, "Ready to generate")
    await tg.press(user, card, text="Generate")
    said, _ = await _answer(tg, user, mark, "is ready", "can't tell whether")
    assert said == "is ready", card.text
    await tg.wait_for(
        lambda: [m for m in tg.messages(user.id) if m.kind == "video"] or None, timeout=STEP
    )


async def test_kill_at_random_moments_loses_nothing_and_makes_nothing_twice(
    tg: FakeTelegram, settings: Settings, tmp_path: Path
) -> None:
    sim = Token360Simulator(
        api_keys=("sim-key",), processing_seconds=0.5, video_running_seconds=1.0
    )
    await sim.start()
    config = replace(settings, providers={"token360": ProviderKey("sim-key", sim.base_url)})
    rng = random.Random(20261204)
    killer = Killer(tg, config, tmp_path / "bot.log", rng)
    journeys = max(1, KILLS // KILLS_PER_JOURNEY)
    try:
        for n in range(journeys):
            user = tg.add_user(f"Person{n}")
            kills = asyncio.create_task(killer.run(KILLS_PER_JOURNEY))
            try:
                await journey(tg, sim, user, n)
            except AssertionError as failed:
                raise AssertionError(f"{failed}\nbot log:\n{killer.bot.log()[-6000:]}") from None
            await kills
        assert await killer.stop() == 0, killer.bot.log()
        assert killer.kills == journeys * KILLS_PER_JOURNEY
        assert sim.count("POST", "/v1/asset-groups") == journeys
        assert sim.count("POST", "/v1/assets") == journeys
        assert sim.count("POST", "/v1/videos") == journeys
        rows = query(config.database, "SELECT status FROM videos")
        assert [r["status"] for r in rows] == ["delivered"] * journeys
        doubled = 0
        for user_id in {m.chat_id for m in tg.sent}:
            videos = [m for m in tg.messages(user_id) if m.kind == "video"]
            assert all(v.file_bytes == sample_mp4() for v in videos)
            assert 1 <= len(videos) <= 2
            doubled += len(videos) - 1
        assert doubled <= 1, f"{doubled} videos sent twice"
        assert not [m for m in tg.sent if "something went wrong" in m.text.lower()]
    finally:
        if killer.bot.proc is not None and killer.bot.proc.poll() is None:
            killer.bot.kill()
        await sim.stop()
