"""Several workers on one PostgreSQL (issue 14): 300 items due at once are shared out, each
asked about by one worker at a time; every video is delivered once and every person told
once; a worker killed with kill -9 mid-work loses nothing, its leases are taken over."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import replace
from typing import Any

import httpx
import pytest

from bot.config import Settings
from sandbox.outcomes import Fault
from sandbox.token360 import Token360Simulator
from storage.database import Dialect, describe
from tests.e2e.helpers import final_progress, verified_face
from tests.e2e.test_startup import assert_one_line, run_bot
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_api import Fault as TgFault
from tests.harness import BotProcess, RunningBot, env_for, query
from tests.images import image
from tests.workers import free_port, post_update, seed, worker_settings

PEOPLE = 50  # 3 photos and 3 videos each: 300 items


async def test_three_workers_share_300_items_and_take_over_a_killed_ones(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings, bot_process
) -> None:
    if describe(settings.database) is not Dialect.POSTGRESQL:
        pytest.skip("several workers share a PostgreSQL database")
    people = [tg.add_user(f"Person {n}") for n in range(PEOPLE)]
    for person in people:  # each has written to the bot, so it may write to them
        await tg.send_text(person, "/start")
    sim.answer_delay = 0.01  # a provider that takes a moment to answer
    seeded = await seed(
        settings.database,
        sim,
        [p.id for p in people],
        time.time(),
        photos_each=3,
        videos_each=3,
        spread=6.0,
    )
    assert len(seeded.photos) + len(seeded.videos) == 300
    workers = [
        bot_process(worker_settings(settings, tg, sim, settings.database, n, lease_seconds=5.0))
        for n in range(3)
    ]
    victim = workers[0]
    assert victim.proc is not None
    mark = f"%-{victim.proc.pid}-%"

    def held() -> list[tuple[str, int]]:
        rows = query(
            settings.database, "SELECT kind, item_id FROM leases WHERE owner LIKE ?", (mark,)
        )
        return [(r["kind"], r["item_id"]) for r in rows]

    # Mid-work: it holds leases on items it is asking about or delivering right now.
    await tg.wait_for(lambda: bool(held()), timeout=60, what="the first worker at work")
    victim.kill()
    taken = held()
    assert taken

    def delivered() -> int:
        rows = query(
            settings.database, "SELECT COUNT(*) AS n FROM videos WHERE status = 'delivered'"
        )
        return int(rows[0]["n"])

    def photos_told() -> int:
        rows = query(
            settings.database,
            "SELECT COUNT(*) AS n FROM assets WHERE status = 'active' AND reported = 1",
        )
        return int(rows[0]["n"])

    await tg.wait_for(
        lambda: delivered() == len(seeded.videos) and photos_told() == len(seeded.photos),
        timeout=120,
        what="every video delivered and every photo told",
    )
    # Told once: one video each, one album message each (edited as photos became ready).
    videos_to = Counter(
        int(c.params["chat_id"]) for c in tg.calls_to("sendVideo") if c.error is None
    )
    assert videos_to == {p.id: 3 for p in people}
    albums = Counter(
        int(c.params["chat_id"])
        for c in tg.calls_to("sendMessage")
        if c.error is None and "📤" in str(c.params.get("text"))
    )
    assert albums == {p.id: 1 for p in people}
    # One worker at a time: no item was asked about twice at once.
    assert sim.overlapping == []
    # The killed worker's leases lapse and are taken over or cleared by the others.
    await tg.wait_for(lambda: not held(), timeout=60, what="the killed worker's leases gone")


async def test_a_photo_a_killed_worker_was_uploading_is_finished_by_another(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings, bot_process
) -> None:
    if describe(settings.database) is not Dialect.POSTGRESQL:
        pytest.skip("several workers share a PostgreSQL database")
    alice = tg.add_user("Alice")
    seeded = await seed(
        settings.database, sim, [alice.id], time.time(), photos_each=0, videos_each=0, spread=0
    )
    ports, (first, second) = await two_workers(tg, sim, settings, bot_process)
    # The provider takes the photo, but its answer never reaches the first worker.
    release = asyncio.Event()
    sim.inject(Fault("POST", "/v1/assets", kind="hold", processed=True, release=release))
    mark = tg.mark()
    message = await tg.send_photo(alice, image())
    assert await post_update(ports[0], tg.last_update_id, message) == 200
    await tg.wait_for(lambda: sim.count("POST", "/v1/assets") == 1, timeout=30, what="upload")
    first.kill()  # mid-upload: the photo is the first worker's, and it is gone
    release.set()
    # The second worker takes the upload over once the lease lapses, finds the photo the
    # provider took (no second upload), and the album message ends with it Active.
    progress = await final_progress(tg, alice.id, mark, timeout=60)
    assert "✅" in progress.text and seeded.face_of[alice.id] in progress.text
    assert sim.count("POST", "/v1/assets") == 1
    rows = query(settings.database, "SELECT status FROM assets")
    assert [r["status"] for r in rows] == ["active"]
    assert second.proc is not None and second.proc.poll() is None


async def two_workers(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings, bot_process: Any
) -> tuple[list[int], tuple[BotProcess, BotProcess]]:
    """Two workers in webhook mode on the test's database, up and answering; their ports
    (updates are posted to one as the load balancer would) and processes."""
    ports = [free_port(), free_port()]
    first, second = (
        bot_process(
            worker_settings(
                settings, tg, sim, settings.database, n, lease_seconds=1.5, port=ports[n]
            )
        )
        for n in range(2)
    )
    for port in ports:
        await tg.wait_for(lambda p=port: _answers(p), timeout=30, what="the workers up")
    return ports, (first, second)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def test_an_update_a_killed_worker_was_handling_is_replayed_by_another(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings, bot_process
) -> None:
    if describe(settings.database) is not Dialect.POSTGRESQL:
        pytest.skip("several workers share a PostgreSQL database")
    alice = tg.add_user("Alice")
    ports, (first, second) = await two_workers(tg, sim, settings, bot_process)
    # The card's send hangs (Telegram never got it): the first worker dies waiting, after
    # it answered the webhook call (so Telegram will not send the update again).
    tg.inject(TgFault("sendPhoto", kind="timeout", delay=60))
    mark = tg.mark()
    message = await tg.send_text(alice, "/newface Anna")
    assert await post_update(ports[0], tg.last_update_id, message) == 200
    await tg.wait_for(lambda: tg.calls_to("sendPhoto") or None, timeout=15)
    first.kill()
    # The second worker replays it once the first one's lease has lapsed: the card comes,
    # for the face the first worker made (no second group), once.
    card = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes", timeout=30)
    assert card.kind == "photo"
    assert sim.count("POST", "/v1/asset-groups") == 1
    await tg.wait_for(
        lambda: all(
            r["done_at"] is not None for r in query(settings.database, "SELECT done_at FROM inbox")
        ),
        timeout=15,
        what="the update marked done",
    )
    assert sum("Valid for 2 minutes" in m.text for m in tg.messages(alice.id)) == 1
    assert second.proc is not None and second.proc.poll() is None


async def test_a_second_long_polling_worker_is_refused_with_the_way_out(
    tg: FakeTelegram, settings: Settings, bot_process
) -> None:
    if describe(settings.database) is not Dialect.POSTGRESQL:
        pytest.skip("several workers share a PostgreSQL database")
    polling = bot_process(settings)  # long polling: the one worker that may
    await tg.wait_for(lambda: tg.calls_to("getUpdates") or None, timeout=30, what="polling")
    ended = await run_bot(env_for(replace(settings, http_port=0)))
    assert_one_line(ended, "already long-polls", "REALFACE_WEBHOOK_URL")
    assert polling.proc is not None and polling.proc.poll() is None


async def test_work_slower_than_a_lease_is_not_taken_over_by_its_own_worker(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    """A worker renews what it works on; its own take-over never takes an upload it is
    still making, however long the provider takes (here 4 leases' worth)."""
    if describe(settings.database) is not Dialect.POSTGRESQL:
        pytest.skip("the take-over runs where several workers may share the database")
    running = await RunningBot(
        replace(settings, lease_seconds=1.0, http_timeout_seconds=8.0)
    ).start()
    try:
        alice = tg.add_user("Alice")
        await verified_face(tg, sim, alice)
        sim.inject(Fault("POST", "/v1/assets", kind="hold", delay=4.0))
        mark = tg.mark()
        await tg.send_photo(alice, image())
        progress = await final_progress(tg, alice.id, mark, timeout=60)
        assert "Active: ta_" in progress.text
        assert sim.count("POST", "/v1/assets") == 1
    finally:
        await running.stop()
