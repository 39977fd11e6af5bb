"""The update inbox: what is still being handled when Telegram is told is kept first; what
finished before is never written; handled once; replayed after a crash."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, Update
from telegram.error import NetworkError

from bot.services.inbox import UpdateInbox
from bot.telegram.updates import MAX_ATTEMPTS, DurableProcessor, DurableUpdateQueue, replay
from storage.database import Database
from storage.inbox import InboxRepo
from storage.leases import LeaseRepo


def _update(update_id: int) -> Update:
    payload = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "A"},
            "text": "/start",
        },
    }
    update = Update.de_json(payload, None)
    assert update is not None
    return update


def _clock() -> float:
    return 1000.0


def _drain(queue: DurableUpdateQueue) -> list[int]:
    seen = []
    while not queue.empty():
        item = queue.get_nowait()
        assert isinstance(item, Update)
        seen.append(item.update_id)
    return seen


class Counted:
    """A database whose write transactions are counted."""

    def __init__(self, db: Database) -> None:
        self.writes = 0
        original = db.write

        @asynccontextmanager
        async def write() -> AsyncIterator[Any]:
            self.writes += 1
            async with original() as conn:
                yield conn

        db.write = write  # type: ignore[method-assign]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "db.sqlite3") as database:
        yield database


@pytest.fixture
def bot() -> Iterator[Bot]:
    yield Bot("1:x", base_url="http://127.0.0.1:9/bot")  # nothing listens there


def _wired(db: Database, grace: float = 0.0) -> tuple[UpdateInbox, DurableUpdateQueue, Any]:
    inbox = UpdateInbox(InboxRepo(db), _clock)
    queue, processor = DurableUpdateQueue(grace=grace), DurableProcessor(4)
    queue.bind(inbox)
    processor.bind(queue)
    return inbox, queue, processor


async def _restarted(db: Database, run: int) -> UpdateInbox:
    """The inbox as the next run (a new worker) sees it: with SQLite it is the only one,
    so what the dead run held is freed at its start (bot/services/leases.py)."""
    name = f"run {run}"
    await LeaseRepo(db).only(name)
    return UpdateInbox(InboxRepo(db), _clock, worker=name)


async def _rows(db: Database) -> list[tuple[int, bool]]:
    rows = await db.fetchall("SELECT update_id, done_at FROM inbox ORDER BY update_id")
    return [(r["update_id"], r["done_at"] is not None) for r in rows]


async def test_an_update_handled_before_it_is_confirmed_writes_nothing(db: Database) -> None:
    counted = Counted(db)
    _, queue, processor = _wired(db, grace=30)
    await queue.put(_update(1))
    assert _drain(queue) == [1]
    await processor.do_process_update(_update(1), asyncio.sleep(0))
    await queue.before_confirming()  # the next getUpdates: nothing in hand
    assert counted.writes == 0
    assert await _rows(db) == []


async def test_the_confirmation_waits_for_updates_in_hand_within_the_grace(db: Database) -> None:
    counted = Counted(db)
    _, queue, processor = _wired(db, grace=30)
    await queue.put(_update(1))
    _drain(queue)
    handling = asyncio.create_task(processor.do_process_update(_update(1), asyncio.sleep(0.01)))
    await queue.before_confirming()  # returns once 1 is handled, long before the grace
    assert handling.done()
    assert counted.writes == 0
    assert await _rows(db) == []


async def test_updates_running_at_the_confirmation_are_kept_in_one_write(db: Database) -> None:
    counted = Counted(db)
    _, queue, processor = _wired(db)
    release = asyncio.Event()
    for update_id in (1, 2, 3):
        await queue.put(_update(update_id))
    assert _drain(queue) == [1, 2, 3]
    await processor.do_process_update(_update(1), asyncio.sleep(0))
    slow = [
        asyncio.create_task(processor.do_process_update(_update(i), release.wait()))
        for i in (2, 3)
    ]
    await queue.before_confirming()
    assert counted.writes == 1
    assert await _rows(db) == [(2, False), (3, False)]
    await queue.before_confirming()  # nothing new in hand: no second write
    assert counted.writes == 1

    release.set()
    await asyncio.gather(*slow)
    assert await _rows(db) == [(2, True), (3, True)]
    assert counted.writes <= 3  # a done mark each at most; together when they end together


async def test_an_update_sent_again_in_the_same_run_is_handled_once(db: Database) -> None:
    _, queue, processor = _wired(db)
    release = asyncio.Event()
    await queue.put(_update(1))
    await queue.put(_update(1))  # while it is in hand
    assert _drain(queue) == [1]
    slow = asyncio.create_task(processor.do_process_update(_update(1), release.wait()))
    await queue.before_confirming()
    await queue.put(_update(1))  # while it is kept
    release.set()
    await slow
    await queue.put(_update(1))  # after it was handled
    await queue.put(_update(2))
    assert _drain(queue) == [2]


async def test_a_failed_keep_stops_the_confirmation_and_is_tried_again(db: Database) -> None:
    inbox, queue, processor = _wired(db)
    await queue.put(_update(1))
    _drain(queue)
    real_keep = inbox.keep
    tries = 0

    async def flaky_keep(updates: Any) -> None:
        nonlocal tries
        tries += 1
        if tries == 1:
            raise OSError("disk I/O error")
        await real_keep(updates)

    inbox.keep = flaky_keep  # type: ignore[method-assign]
    release = asyncio.Event()
    slow = asyncio.create_task(processor.do_process_update(_update(1), release.wait()))
    with pytest.raises(NetworkError):  # PTB's updater retries it, offset unchanged
        await queue.before_confirming()
    assert await _rows(db) == []
    await queue.before_confirming()
    assert await _rows(db) == [(1, False)]
    release.set()
    await slow
    assert await _rows(db) == [(1, True)]


async def test_an_update_that_ends_while_it_is_being_kept_is_marked_done(db: Database) -> None:
    inbox, queue, processor = _wired(db)
    await queue.put(_update(1))
    _drain(queue)
    release, writing = asyncio.Event(), asyncio.Event()
    real_keep = inbox.keep

    async def slow_keep(updates: Any) -> None:
        writing.set()
        await release.wait()
        await real_keep(updates)

    inbox.keep = slow_keep  # type: ignore[method-assign]
    handling = asyncio.create_task(processor.do_process_update(_update(1), writing.wait()))
    keeping = asyncio.create_task(queue.before_confirming())
    await writing.wait()
    await asyncio.sleep(0)  # the handler ends while its keep is being written
    release.set()
    await asyncio.gather(handling, keeping)
    assert await _rows(db) == [(1, True)]


async def test_webhook_answers_after_keeping_an_update_still_running(db: Database) -> None:
    counted = Counted(db)
    _, queue, processor = _wired(db)
    await queue.receive(_update(1))
    assert _drain(queue) == [1]
    assert await _rows(db) == [(1, False)]  # still in hand when the call is answered
    await processor.do_process_update(_update(1), asyncio.sleep(0))
    assert await _rows(db) == [(1, True)]

    _, fast, fast_processor = _wired(db, grace=30)
    before = counted.writes
    answering = asyncio.create_task(fast.receive(_update(2)))
    await asyncio.sleep(0)
    assert _drain(fast) == [2]
    await fast_processor.do_process_update(_update(2), asyncio.sleep(0))
    await answering
    assert counted.writes == before  # handled before the answer: nothing written


async def test_a_kept_update_cut_off_by_a_crash_is_replayed_once(db: Database, bot: Bot) -> None:
    inbox, queue, processor = _wired(db)
    for update_id in (1, 2, 3):
        await queue.put(_update(update_id))
    _drain(queue)
    await processor.do_process_update(_update(1), asyncio.sleep(0))
    release = asyncio.Event()
    kept_then_done = asyncio.create_task(processor.do_process_update(_update(3), release.wait()))
    await queue.before_confirming()  # 2 and 3 are kept
    release.set()
    await kept_then_done
    # A crash here: 2 was kept and never finished. The next run replays it once, even
    # when Telegram sends it again meanwhile, and never replays 1 or 3.
    inbox = await _restarted(db, 2)
    unfinished = await inbox.unfinished()
    queue = DurableUpdateQueue()
    queue.bind(inbox, unfinished, await inbox.recently_done(100))
    await queue.put(_update(2))  # Telegram sends it again before the replay is queued
    await queue.put(_update(3))
    assert await replay(unfinished, inbox, queue, bot) == 1
    await queue.put(_update(2))
    assert _drain(queue) == [2]


async def test_an_update_that_keeps_killing_the_bot_is_dropped(db: Database, bot: Bot) -> None:
    inbox, queue, _ = _wired(db)
    await queue.put(_update(7))
    await queue.before_confirming()  # in hand when confirmed: kept
    replayed = []
    for run in range(MAX_ATTEMPTS + 1):  # each start replays it, and "dies" again
        queue = DurableUpdateQueue()
        inbox = await _restarted(db, run)
        unfinished = await inbox.unfinished()
        queue.bind(inbox, unfinished)
        replayed.append(await replay(unfinished, inbox, queue, bot))
    assert replayed == [1] * (MAX_ATTEMPTS - 1) + [0, 0]
    assert await (await _restarted(db, MAX_ATTEMPTS + 2)).unfinished() == []
