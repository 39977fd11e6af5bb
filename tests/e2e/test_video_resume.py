"""A restart with videos running at the provider: every one is asked about again at once, and
the person's chat shows nothing new while nothing changed (no edit, no chat action)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.config import ProviderKey, Settings
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import confirm_card, face_with_photos, rounds
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot, query

USERS = 3


@pytest.fixture
async def long_sim() -> AsyncIterator[Token360Simulator]:
    """Videos stay in progress for as long as the test runs."""
    simulator = Token360Simulator(
        api_keys=("sim-key",),
        processing_seconds=0.1,
        video_queued_seconds=0.0,
        video_running_seconds=10.0**6,
    )
    await simulator.start()
    yield simulator
    await simulator.stop()


async def test_after_a_restart_running_jobs_are_all_polled_and_nothing_unchanged_is_resent(
    tg: FakeTelegram, long_sim: Token360Simulator, settings: Settings
) -> None:
    sim = long_sim
    config = replace(settings, providers={"token360": ProviderKey("sim-key", sim.base_url)})
    bot = await RunningBot(config).start()
    cards = []
    try:
        for n in range(USERS):
            user = tg.add_user(f"User {n}")
            await face_with_photos(tg, sim, user)
            card = await confirm_card(tg, user, f"video {n}")
            await tg.press(user, card, text="Generate")
            cards.append(card)
        for card in cards:
            await tg.wait_for(lambda card=card: "generating" in card.text, timeout=30)
    finally:
        await bot.stop()
    rows = query(config.database, "SELECT status, provider_task_id FROM videos")
    assert [r["status"] for r in rows] == ["running"] * USERS
    paths = {f"/v1/videos/{r['provider_task_id']}" for r in rows}
    shown = {card.message_id: card.text for card in cards}
    edits = {card.message_id: card.edits for card in cards}

    calls_mark, requests_mark = len(tg.calls), len(sim.requests)
    bot = await RunningBot(config).start()
    try:

        def gets_since_restart() -> dict[str, int]:
            counts = dict.fromkeys(paths, 0)
            for method, path in sim.requests[requests_mark:]:
                if method == "GET" and path in counts:
                    counts[path] += 1
            return counts

        # Every running job asked at the provider, and asked again: the same answer twice.
        await tg.wait_for(lambda: min(gets_since_restart().values()) >= 2 or None, timeout=30)
        await rounds(tg, bot, count=2)
        since = tg.calls[calls_mark:]
        assert not [c for c in since if c.method == "sendChatAction"]
        assert not [c for c in since if c.method.startswith("edit")]
        assert {c.message_id: c.text for c in cards} == shown
        assert {c.message_id: c.edits for c in cards} == edits
    finally:
        await bot.stop()
    rows = query(config.database, "SELECT status, poll_count FROM videos")
    assert all(r["status"] == "running" and r["poll_count"] >= 2 for r in rows)
