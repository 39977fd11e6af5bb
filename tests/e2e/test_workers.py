"""Several workers on one PostgreSQL (issue 14): 300 items due at once are shared out, each
asked about by one worker at a time; every video is delivered once and every person told
once; a worker killed with kill -9 mid-work loses nothing, its leases are taken over."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from bot.config import Settings
from sandbox.token360 import Token360Simulator
from storage.database import Dialect, describe
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import query
from tests.workers import seed, worker_settings

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
        bot_process(worker_settings(settings, tg, sim, settings.database, n, lease_seconds=2.0))
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
        if c.error is None and "photos for" in str(c.params.get("text"))
    )
    assert albums == {p.id: 1 for p in people}
    # One worker at a time: no item was asked about twice at once.
    assert sim.overlapping == []
    # The killed worker's leases lapse and are taken over or cleared by the others.
    await tg.wait_for(lambda: not held(), timeout=60, what="the killed worker's leases gone")
