"""The durable inbox as Telegram and a kill -9 meet it: an update handled before it is
confirmed writes nothing; one still running when it is confirmed is kept, and a restart
handles it; an update Telegram sends again is handled once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import httpx

from bot.config import Settings
from bot.telegram.updates import DurableUpdateQueue
from tests.e2e.helpers import handled
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_api.faults import Fault as TgFault
from tests.harness import BotProcess, RunningBot, query

Start = Callable[[Settings], BotProcess]  # the bot_process fixture


def _queue(running: RunningBot) -> DurableUpdateQueue:
    assert running.app is not None
    queue = running.app.update_queue
    assert isinstance(queue, DurableUpdateQueue)
    return queue


def _confirmed(tg: FakeTelegram) -> int:
    """The offset of the newest getUpdates: Telegram has forgotten every update below it."""
    offsets = (int(c.params.get("offset") or 0) for c in tg.calls_to("getUpdates"))
    return max(offsets, default=0)


async def test_a_known_users_start_and_inline_queries_write_nothing_to_the_inbox(
    tg: FakeTelegram, settings: Settings, bot: RunningBot
) -> None:
    # However slow the machine, each update is handled before the getUpdates that confirms
    # it: what is measured is that such an update is never written.
    _queue(bot).grace = 60
    alice = tg.add_user("Alice")
    mark = tg.mark()
    await tg.send_text(alice, "/start")
    await tg.next_message(alice.id, after=mark)
    await handled(tg, settings.database)

    mark = tg.mark()
    await tg.send_text(alice, "/start")
    await tg.next_message(alice.id, after=mark)
    for typed in ("d", "da", "dan"):
        await tg.wait_inline_answer(await tg.inline_query(alice, typed))
    await handled(tg, settings.database)
    assert _confirmed(tg) > tg.last_update_id
    assert query(settings.database, "SELECT update_id FROM inbox") == []


async def test_an_update_still_running_when_confirmed_is_kept_and_replayed_after_kill(
    tg: FakeTelegram, settings: Settings, bot_process: Start
) -> None:
    """Telegram has forgotten the update (a getUpdates passed it) while its handler waits
    on a slow call; only the inbox can bring it back after a kill -9."""
    bot = bot_process(settings)
    alice = tg.add_user("Alice")
    tg.inject(TgFault("sendPhoto", kind="timeout", delay=60))  # the card's send hangs
    mark = tg.mark()
    await tg.send_text(alice, "/newface Anna")
    update_id = tg.last_update_id
    await tg.wait_for(lambda: tg.calls_to("sendPhoto") or None, timeout=30)
    await tg.wait_for(lambda: _confirmed(tg) > update_id or None, timeout=30)
    rows = query(settings.database, "SELECT update_id, done_at FROM inbox")
    assert [(r["update_id"], r["done_at"]) for r in rows] == [(update_id, None)]
    bot.kill()

    bot = bot_process(settings)
    card = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes", timeout=30)
    assert card.kind == "photo"
    await handled(tg, settings.database)
    assert await bot.terminate() == 0, bot.log()
    rows = query(settings.database, "SELECT update_id, done_at FROM inbox")
    assert [r["update_id"] for r in rows] == [update_id]
    assert rows[0]["done_at"] is not None
    cards = [m for m in tg.messages(alice.id) if "Valid for 2 minutes" in m.text]
    assert len(cards) == 1


async def test_webhook_keeps_a_running_update_before_answering_and_handles_a_repeat_once(
    tg: FakeTelegram, settings: Settings
) -> None:
    config = replace(
        settings,
        webhook_url="https://bot.example.test/telegram",
        webhook_secret="s3cret-token",
        public_url="http://127.0.0.1:0",
    )
    running = await RunningBot(config).start()
    try:
        assert running.app is not None
        port = running.services.media.base_url.rsplit(":", 1)[1]
        alice = tg.add_user("Alice")
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        # Updates as Telegram would post them; the reply to the first is answered late,
        # so the first webhook call is answered while it runs.
        first = {"message": await tg.send_text(alice, "/help"), "update_id": tg.last_update_id}
        second = {"message": await tg.send_text(alice, "/help"), "update_id": tg.last_update_id}
        tg.inject(TgFault("sendMessage", kind="status", status=0, delay=5))

        def replies() -> int:
            return sum("Photo rules" in str(c.params.get("text")) for c in tg.calls)

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            answer = await http.post("/telegram", json=first, headers=headers)
            assert answer.status_code == 200
            rows = query(config.database, "SELECT update_id, done_at FROM inbox")
            assert [(r["update_id"], r["done_at"]) for r in rows] == [(first["update_id"], None)]
            # Telegram sends it again (say the answer was lost), while it runs...
            answer = await http.post("/telegram", json=first, headers=headers)
            assert answer.status_code == 200
            done = "SELECT update_id FROM inbox WHERE done_at IS NOT NULL"
            await tg.wait_for(lambda: query(config.database, done) or None, timeout=30)
            # ... and after it was handled; then a new update, handled before its answer.
            _queue(running).grace = 60
            for update in (first, second):
                answer = await http.post("/telegram", json=update, headers=headers)
                assert answer.status_code == 200

        processor = running.app.update_processor
        await tg.wait_for(
            lambda: (
                (
                    replies() == 2
                    and _queue(running).empty()
                    and processor.current_concurrent_updates == 0
                )
                or None
            ),
            timeout=30,
        )
        assert replies() == 2
        rows = query(config.database, "SELECT update_id FROM inbox")
        assert [r["update_id"] for r in rows] == [first["update_id"]]
        assert [c for c in tg.failed_calls() if c.fault is None] == []  # all answered
    finally:
        await running.stop()
