"""kill -9 at the named points: the provider took a request, the answer never reached us.

Each test holds the provider's answer after the provider did the work, kills the bot while
it waits, and restarts it on the same database: nothing is lost, nothing is created twice,
and the person is told plainly what happened.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from sandbox.token360 import Fault, Token360Simulator
from tests.e2e.helpers import final_progress, group_of, new_face, verified_face
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_api.faults import Fault as TgFault
from tests.harness import BotProcess, query
from tests.images import image

Start = Callable[[Settings], BotProcess]  # the bot_process fixture


def held_after_work(path: str) -> Fault:
    """The provider does the work, then its answer never comes."""
    return Fault(method="POST", path_prefix=path, kind="timeout", processed=True, delay=60)


async def test_kill_while_creating_the_group_finds_it_after_restart(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings, bot_process: Start
) -> None:
    bot = bot_process(settings)
    alice = tg.add_user("Alice")
    sim.inject(held_after_work("/v1/asset-groups"))
    mark = tg.mark()
    await tg.send_text(alice, "/newface Anna")
    # A request is counted as it arrives; the group exists once the simulator has done the
    # work it then holds the answer of. Kill only then.
    await tg.wait_for(lambda: len(sim.groups) == 1, timeout=15, what="the group made")
    bot.kill()
    # The group exists at Token360 and the bot's database has the intent to make it.
    assert len(sim.groups) == 1 and sim.count("POST", "/v1/asset-groups") == 1
    rows = query(settings.database, "SELECT status FROM faces")
    assert [r["status"] for r in rows] == ["creating"]

    bot = bot_process(settings)
    told = await tg.next_message(alice.id, after=mark, contains="restarted", timeout=20)
    assert "Anna" in told.text and told.button("New link").callback_data
    (group_id,) = sim.groups
    rows = query(settings.database, "SELECT status, provider_group_id FROM faces")
    assert [(r["status"], r["provider_group_id"]) for r in rows] == [("interrupted", group_id)]

    # New link gives a live link for that same group: still one group made.
    card_mark = tg.mark()
    await tg.press(alice, told, text="New link")
    card = await tg.next_message(
        alice.id, after=card_mark, contains="Valid for 2 minutes", timeout=15
    )
    assert card.kind == "photo"
    assert sim.count("POST", "/v1/asset-groups") == 1
    assert len(sim.groups) == 1
    # The kill cut off the /newface update itself; its replay finds the face it made.
    assert sum("restarted" in m.text for m in tg.messages(alice.id)) == 1
    assert "Traceback" not in bot.log()
    assert await bot.terminate() == 0, bot.log()


async def test_kill_while_uploading_a_photo_uploads_it_once(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings, bot_process: Start
) -> None:
    bot = bot_process(settings)
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice)
    sim.inject(held_after_work("/v1/assets"))
    mark = tg.mark()
    await tg.send_photo(alice, image())
    await tg.wait_for(lambda: sim.count("POST", "/v1/assets") == 1, timeout=15)
    bot.kill()
    rows = query(settings.database, "SELECT status FROM assets")
    assert [r["status"] for r in rows] == ["uploading"]

    bot = bot_process(settings)
    progress = await final_progress(tg, alice.id, mark, timeout=20)
    assert "Active: ta_" in progress.text
    assert sim.count("POST", "/v1/assets") == 1
    rows = query(settings.database, "SELECT status FROM assets")
    assert [r["status"] for r in rows] == ["active"]
    assert await bot.terminate() == 0, bot.log()


async def test_kill_with_an_update_in_hand_replays_it(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings, bot_process: Start
) -> None:
    """Telegram was told the update arrived; the bot died before it answered it."""
    bot = bot_process(settings)
    alice = tg.add_user("Alice")
    # The card's send hangs (Telegram never got it): the bot dies waiting.
    tg.inject(TgFault("sendPhoto", kind="timeout", delay=60))
    mark = tg.mark()
    await tg.send_text(alice, "/newface Anna")
    update_id = tg.last_update_id
    await tg.wait_for(lambda: tg.calls_to("sendPhoto") or None, timeout=15)
    # Telegram was told: a getUpdates confirmed the update (the bot kept it first).
    await tg.wait_for(
        lambda: (
            any(int(c.params.get("offset") or 0) > update_id for c in tg.calls_to("getUpdates"))
            or None
        ),
        timeout=15,
    )
    bot.kill()

    bot = bot_process(settings)
    card = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes", timeout=20)
    assert card.kind == "photo"
    assert sim.count("POST", "/v1/asset-groups") == 1  # the replay found its face
    assert await bot.terminate() == 0, bot.log()
    rows = query(settings.database, "SELECT done_at FROM inbox")
    assert rows and all(r["done_at"] is not None for r in rows)
    cards = [m for m in tg.messages(alice.id) if "Valid for 2 minutes" in m.text]
    assert len(cards) == 1


async def test_kill_after_new_link_was_minted_shows_that_link_once(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings, bot_process: Start
) -> None:
    """New link asks the provider for a link; the bot dies before the card is out. The
    replayed press shows the link it got, without asking the provider again."""
    bot = bot_process(settings)
    alice = tg.add_user("Alice")
    first = await new_face(tg, alice)
    group = group_of(sim, first)
    asked = sim.count("GET", f"/v1/asset-groups/{group}")
    tg.inject(TgFault("sendPhoto", kind="timeout", delay=60))
    mark = tg.mark()
    await tg.press(alice, first, text="New link")
    await tg.wait_for(lambda: len(tg.calls_to("sendPhoto")) >= 2 or None, timeout=15)
    bot.kill()

    bot = bot_process(settings)
    card = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes", timeout=20)
    assert group_of(sim, card) == group
    assert await bot.terminate() == 0, bot.log()
    assert sim.count("GET", f"/v1/asset-groups/{group}") == asked + 1
    cards = [m for m in tg.sent[mark:] if "Valid for 2 minutes" in m.text]
    assert len(cards) == 1
