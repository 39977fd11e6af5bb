"""The update inbox: kept before Telegram is told, handled once, replayed after a crash."""

from __future__ import annotations

import asyncio
from pathlib import Path

from telegram import Bot, Update

from bot.services.inbox import UpdateInbox
from bot.telegram.updates import MAX_ATTEMPTS, DurableProcessor, DurableUpdateQueue, replay
from storage.database import Database
from storage.inbox import InboxRepo


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


async def _drain(queue: DurableUpdateQueue) -> list[int]:
    seen = []
    while not queue.empty():
        item = queue.get_nowait()
        assert isinstance(item, Update)
        seen.append(item.update_id)
    return seen


async def test_each_update_is_queued_once_and_replayed_until_done(tmp_path: Path) -> None:
    bot = Bot("1:x", base_url="http://127.0.0.1:9/bot")  # nothing listens there
    async with Database(tmp_path / "db.sqlite3") as db:
        inbox = UpdateInbox(InboxRepo(db), _clock)
        queue, processor = DurableUpdateQueue(), DurableProcessor(4)
        queue.bind(inbox)
        processor.bind(inbox)
        for update_id in (1, 2, 1):  # Telegram sends 1 again: it was never confirmed
            await queue.put(_update(update_id))
        assert await _drain(queue) == [1, 2]
        await processor.do_process_update(_update(1), asyncio.sleep(0))

        # A crash here: 2 was kept and never finished. The next run replays it once, even
        # when Telegram sends it again meanwhile, and never replays 1.
        queue = DurableUpdateQueue()
        queue.bind(inbox)
        assert await replay(await inbox.unfinished(), inbox, queue, bot) == 1
        await queue.put(_update(2))
        await queue.put(_update(1))
        assert await _drain(queue) == [2]


async def test_an_update_that_keeps_killing_the_bot_is_dropped(tmp_path: Path) -> None:
    bot = Bot("1:x", base_url="http://127.0.0.1:9/bot")  # nothing listens there
    async with Database(tmp_path / "db.sqlite3") as db:
        inbox = UpdateInbox(InboxRepo(db), _clock)
        queue = DurableUpdateQueue()
        queue.bind(inbox)
        await queue.put(_update(7))
        replayed = []
        for _ in range(MAX_ATTEMPTS + 1):  # each start replays it, and "dies" again
            queue = DurableUpdateQueue()
            queue.bind(inbox)
            unfinished = await inbox.unfinished()
            replayed.append(await replay(unfinished, inbox, queue, bot))
        assert replayed == [1] * (MAX_ATTEMPTS - 1) + [0, 0]
        assert await inbox.unfinished() == []
