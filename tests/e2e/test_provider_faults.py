"""A flaky provider and a flaky Telegram, as users meet them: with 30 % of the provider's
reads failing (503, 429, timeouts, dropped connections) and a tenth of the Bot API calls
answering 429 or 502, every journey (newface, pass, photo, generate, MP4) still completes,
each thing is created by exactly one POST, and each outcome is told once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from bot.config import ProviderKey, Settings
from sandbox.common import Fault, SimulatorBase
from sandbox.media import sample_mp4
from sandbox.toapis import ToAPIsSimulator
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import final_progress, video_message
from tests.fakes.telegram_api import FakeTelegram, FakeUser
from tests.fakes.telegram_api import Fault as TgFault
from tests.harness import RunningBot, query
from tests.images import image

USERS = 5
FAULT_RATE = 0.3
# A "timeout" fault holds its answer until the bot gives up: this is what each one costs.
HTTP_TIMEOUT = 2.0
# Where each provider creates things (one POST each per face, photo and video) and reads.
CREATES = {
    "token360": ("/v1/asset-groups", "/v1/assets", "/v1/videos"),
    "toapis": (
        "/v1/videos/doubao-seedance-2-0/real-avatar/verify-tasks",
        "/v1/videos/doubao-seedance-2-0/private-avatar/assets",
        "/v1/videos/generations",
    ),
}
DOWNLOADS = "/files/"  # the finished MP4, a plain file GET


@pytest.fixture(params=list(CREATES))
async def provider(
    request: pytest.FixtureRequest, settings: Settings, sim: Token360Simulator
) -> AsyncIterator[tuple[str, SimulatorBase, Settings]]:
    """Token360 (uploads bytes), and ToAPIs (fetches photos from the bot's public URL)."""
    faster = replace(settings, http_timeout_seconds=HTTP_TIMEOUT)
    if request.param == "token360":
        yield "token360", sim, faster
        return
    other = ToAPIsSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    await other.start()
    try:
        yield (
            "toapis",
            other,
            replace(
                faster,
                providers={"toapis": ProviderKey("sim-key", other.base_url)},
                public_url="http://127.0.0.1:0",
                http_host="127.0.0.1",
                http_port=0,
            ),
        )
    finally:
        await other.stop()


async def journey(tg: FakeTelegram, sim: Any, user: FakeUser) -> None:
    """newface, pass the check, send a photo, generate, receive the MP4."""
    mark = tg.mark()
    await tg.send_text(user, f"/newface Face of {user.first_name}")
    card = await tg.next_message(user.id, after=mark, contains="Valid for 2 minutes", timeout=30)
    link = card.button("Open verification page").url
    assert link is not None
    mark = tg.mark()
    sim.pass_link(link)
    await tg.next_message(user.id, after=mark, contains="is verified", timeout=30)
    mark = tg.mark()
    await tg.send_photo(user, image())
    progress = await final_progress(tg, user.id, mark, timeout=30)
    assert "Active:" in progress.text, progress.text
    mark = tg.mark()
    await tg.send_text(user, "/generate waves at the camera")
    confirm = await tg.next_message(user.id, after=mark, contains="Ready to generate", timeout=30)
    mark = tg.mark()
    await tg.press(user, confirm, text="Generate")
    video = await video_message(tg, user.id, mark, timeout=60)
    assert video.file_bytes == sample_mp4()
    await tg.wait_for(lambda: "is ready" in confirm.text, timeout=30)


def told(settings: Settings, table: str) -> bool:
    rows = query(settings.database, f"SELECT outcome_notified FROM {table}")
    return len(rows) == USERS and all(r["outcome_notified"] for r in rows)


async def test_every_journey_completes_while_provider_reads_fail(
    provider: tuple[str, Any, Settings], tg: FakeTelegram
) -> None:
    name, sim, settings = provider
    sim.flaky("GET", "/v1/", FAULT_RATE, seed=11)
    # And Telegram answers a tenth of the bot's calls with 429 or 502 at the same time; the
    # streamed video upload only 429s (after a 502 it is never sent again: the link goes),
    # kept off the 502s by a fault that answers normally (status 0).
    tg.inject(TgFault("sendVideo", status=429, times=None, rate=0.1, seed=5))
    tg.inject(TgFault("sendVideo", status=0, times=None))
    tg.flaky(0.10, seed=5)
    # The MP4 download, a file GET, fails too: twice, once cut off and once refused.
    sim.inject(Fault("GET", DOWNLOADS, kind="reset"), Fault("GET", DOWNLOADS, status=503))
    running = await RunningBot(settings).start()
    try:
        users = [tg.add_user(f"User{i}") for i in range(USERS)]
        await asyncio.gather(*(journey(tg, sim, user) for user in users))
        # The bot notes "told" just after telling: wait for the notes before stopping it.
        await tg.wait_for(lambda: told(settings, "faces") and told(settings, "videos"))
    finally:
        await running.stop()

    # Every face, photo and video was asked for by exactly one POST, and exists once.
    for path in CREATES[name]:
        assert sim.count("POST", path) == USERS, path
    assert len(sim.groups) == len(sim.assets) == len(sim.videos) == USERS
    # The provider did fail, with every kind of fault.
    struck = {label for _, _, label in sim.faulted}
    assert {"503", "429", "timeout", "reset"} <= struck, sim.faulted
    assert sim.count_faulted("GET", DOWNLOADS) == 2
    assert tg.count_faulted(label="429") and tg.count_faulted(label="502"), tg.faulted
    # Each user was told each outcome once.
    for user in users:
        texts = [m.text for m in tg.messages(user.id)]
        assert sum("is verified" in t for t in texts) == 1, texts
        assert sum("📤" in t for t in texts) == 1, texts
        assert sum(m.kind == "video" for m in tg.messages(user.id)) == 1, texts
        assert not [t for t in texts if "went wrong" in t or "isn't answering" in t], texts
    db = settings.database
    assert [r["status"] for r in query(db, "SELECT status FROM faces")] == ["active"] * USERS
    assert [r["status"] for r in query(db, "SELECT status FROM assets")] == ["active"] * USERS
    videos = query(db, "SELECT status, outcome_notified FROM videos")
    assert [(r["status"], r["outcome_notified"]) for r in videos] == [("delivered", 1)] * USERS
