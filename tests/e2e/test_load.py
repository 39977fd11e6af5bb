"""Many people at once, through the real bot: every journey ends, nothing is lost.

A hundred requesters each create a face, invite the person, who opens the invite, is ready
and passes the check; the requester sends a photo, asks for a video and gets the MP4. Ten
people send an album of ten photos each at the same moment. Everything runs side by side
in one event loop with the fake Bot API and the Token360 simulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.config import ProviderKey, Settings
from sandbox.media import sample_mp4
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import final_progress, group_of, invite_payload, new_face, video_message
from tests.fakes.telegram_api import FakeTelegram, FakeUser
from tests.harness import RunningBot, query
from tests.images import image

APOLOGY = "something went wrong"
USERS = 100


@pytest.fixture
async def fast_sim() -> AsyncIterator[Token360Simulator]:
    simulator = Token360Simulator(
        api_keys=("sim-key",), processing_seconds=0.1, video_running_seconds=0.3
    )
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


async def journey(tg: FakeTelegram, sim: Token360Simulator, n: int) -> None:
    requester, person = tg.add_user(f"Req{n}"), tg.add_user(f"Person{n}")
    card = await new_face(tg, requester, f"Face {n}", timeout=60)
    await tg.send_text(person, f"/start {invite_payload(card)}")
    intro = await tg.next_message(person.id, contains="asked you to verify", timeout=60)
    await tg.press(person, intro, text="I'm ready")
    link_card = await tg.next_message(person.id, contains="Valid for 2 minutes", timeout=60)
    mark = tg.mark()
    sim.pass_verification(group_of(sim, link_card))
    await tg.next_message(requester.id, after=mark, contains="is verified", timeout=60)
    mark = tg.mark()
    await tg.send_photo(requester, image())
    progress = await final_progress(tg, requester.id, mark, timeout=60)
    assert "Active: ta_" in progress.text, progress.text
    mark = tg.mark()
    await tg.send_text(requester, f"/generate person {n} waves")
    confirm = await tg.next_message(
        requester.id, after=mark, contains="Ready to generate", timeout=60
    )
    await tg.press(requester, confirm, text="Generate")
    video = await video_message(tg, requester.id, mark, timeout=90)
    assert video.file_bytes == sample_mp4()


@pytest.mark.timeout(300)  # a hundred journeys on a busy 2-core machine
async def test_a_hundred_people_at_once_all_finish_without_an_apology(
    tg: FakeTelegram, fast_sim: Token360Simulator, settings: Settings
) -> None:
    # Telegram's 30 messages a second would make this a minute-long test of the throttle;
    # what is tested here is that nothing is lost or refused under concurrency.
    config = replace(
        settings,
        providers={"token360": ProviderKey("sim-key", fast_sim.base_url)},
        messages_per_second=1000,
    )
    running = await RunningBot(config).start()
    try:
        results = await asyncio.gather(
            *(journey(tg, fast_sim, n) for n in range(USERS)), return_exceptions=True
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        assert not failed, f"{len(failed)} of {USERS} journeys failed: {failed[:3]!r}"
        apologies = [m for m in tg.sent if APOLOGY in m.text.lower()]
        assert not apologies, [m.text for m in apologies]
        # Telegram has every video; the last few rows are written just after.
        await tg.wait_for(
            lambda: (
                query(config.database, "SELECT 1 FROM videos WHERE status != 'delivered'") == []
            ),
            timeout=30,
        )
        assert len(query(config.database, "SELECT id FROM videos")) == USERS
        assert fast_sim.count("POST", "/v1/asset-groups") == USERS
        assert fast_sim.count("POST", "/v1/videos") == USERS
    finally:
        await running.stop()


async def album(tg: FakeTelegram, user: FakeUser, n: int) -> None:
    group = f"album-{n}"
    await asyncio.gather(*(tg.send_photo(user, image(), media_group_id=group) for i in range(10)))


@pytest.mark.timeout(300)
async def test_ten_albums_of_ten_photos_lose_none(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    running = await RunningBot(settings).start()
    try:
        people = [tg.add_user(f"Album{n}") for n in range(10)]

        async def verified(user: FakeUser, n: int) -> None:
            card = await new_face(tg, user, f"Face {n}", timeout=60)
            mark = tg.mark()
            sim.pass_verification(group_of(sim, card))
            await tg.next_message(user.id, after=mark, contains="is verified", timeout=60)

        await asyncio.gather(*(verified(u, n) for n, u in enumerate(people)))
        mark = tg.mark()
        await asyncio.gather(*(album(tg, u, n) for n, u in enumerate(people)))
        finals = await asyncio.gather(
            *(final_progress(tg, u.id, mark, count=10, timeout=90) for u in people)
        )
        for progress in finals:
            assert progress.text.count("Active: ta_") == 10, progress.text
        rows = query(settings.database, "SELECT status FROM assets")
        assert [r["status"] for r in rows] == ["active"] * 100
        assert sim.count("POST", "/v1/assets") == 100
        # One progress message per album, not one per photo.
        for user in people:
            assert sum("📤" in m.text for m in tg.messages(user.id)) == 1
        assert not [m for m in tg.sent if APOLOGY in m.text.lower()]
    finally:
        await running.stop()
