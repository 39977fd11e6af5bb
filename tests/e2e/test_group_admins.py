"""Group admins as Telegram shows them to the bot: a promotion or demotion arrives as a
chat_member update and counts at once, whatever the admin cache held; an anonymous admin
writes as GroupAnonymousBot but presses buttons as themselves, and still finishes what
they began (a face's provider, a rename)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator

import pytest

from bot.config import ProviderKey, Settings
from sandbox.orcarouter import OrcaRouterSimulator
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import handled
from tests.e2e.test_groups import ADMIN_ONLY, group_face, reply_in
from tests.fakes.telegram_api import FakeChat, FakeTelegram, FakeUser
from tests.harness import RunningBot, query, with_changes

# The bot's own default, not the tests' short one: a status change must not wait it out.
DEFAULT_ADMIN_CACHE = next(
    f.default for f in dataclasses.fields(Settings) if f.name == "admin_cache_seconds"
)
QUOTA_SET = "Each member may make 5 videos a day here"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    assert DEFAULT_ADMIN_CACHE == 60.0
    return with_changes(settings, admin_cache_seconds=DEFAULT_ADMIN_CACHE)


async def change_status(
    tg: FakeTelegram, group: FakeChat, by: FakeUser, user: FakeUser, old: str, new: str
) -> None:
    """``by`` promotes or demotes ``user``: Telegram answers getChatMember with the new
    status and sends the bot a chat_member update saying so."""
    tg.set_member_status(group, user, new)
    await tg.send_raw_update(
        "chat_member",
        {
            "chat": group.to_api(),
            "from": by.to_api(),
            "date": int(time.time()),
            "old_chat_member": tg.chat_member_json(user.to_api(), old),
            "new_chat_member": tg.chat_member_json(user.to_api(), new),
        },
    )


async def test_a_demotion_or_promotion_counts_at_once_through_chat_member_updates(
    bot: RunningBot, tg: FakeTelegram, settings: Settings
) -> None:
    owner, ann, max_ = tg.add_user("Olga"), tg.add_user("Ann"), tg.add_user("Max")
    group = tg.add_group("Film club", members=[max_], admins=[ann], creator=owner)
    await reply_in(tg, ann, group, "/quota 5", QUOTA_SET)  # Ann is known as an admin now
    await reply_in(tg, max_, group, "/quota 5", ADMIN_ONLY)  # and Max as a member

    await change_status(tg, group, owner, ann, "administrator", "member")
    await change_status(tg, group, owner, max_, "member", "administrator")
    await handled(tg, settings.database)

    # Within the cache's minute: Ann is refused, Max is let through, as Telegram now says.
    await reply_in(tg, ann, group, "/quota 3", ADMIN_ONLY)
    await reply_in(tg, max_, group, "/quota 5", QUOTA_SET)
    (rules,) = query(settings.database, "SELECT daily_quota FROM chat_settings")
    assert rules["daily_quota"] == 5


@pytest.fixture
async def orca() -> AsyncIterator[OrcaRouterSimulator]:
    simulator = OrcaRouterSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


async def test_an_anonymous_admins_newface_is_finished_by_an_admin_choosing_the_provider(
    tg: FakeTelegram, sim: Token360Simulator, orca: OrcaRouterSimulator, settings: Settings
) -> None:
    """Two providers and no /provider: the anonymous /newface asks where the face should
    live; the provider button is pressed by a real admin (buttons are never anonymous)."""
    keys = {
        "token360": ProviderKey("sim-key", sim.base_url),
        "orcarouter": ProviderKey("sim-key", orca.base_url),
    }
    # OrcaRouter fetches photos from the bot's own web server: it needs a public URL.
    config = with_changes(settings, providers=keys, public_url="http://127.0.0.1:0")
    running = await RunningBot(config).start()
    try:
        ann, max_ = tg.add_user("Ann"), tg.add_user("Max")
        group = tg.add_group("Film club", members=[max_], admins=[ann])
        mark = tg.mark()
        await tg.send_text(ann, "/newface Anna", chat_id=group.id, as_anonymous_admin=True)
        asked = await tg.next_message(group.id, after=mark, contains="Where should “Anna” live")

        # A member's press is refused, and leaves the question for the admins.
        answer = await tg.wait_answer(await tg.press(max_, asked, text="Token360"))
        assert answer.get("text") == ADMIN_ONLY
        assert query(settings.database, "SELECT * FROM faces") == []

        mark = tg.mark()
        await tg.press(ann, asked, text="Token360")
        await tg.next_message(group.id, after=mark, contains="Valid for 2 minutes")
        (face,) = query(
            settings.database, "SELECT owner_kind, owner_id, name, provider FROM faces"
        )
        assert tuple(face) == ("chat", group.id, "Anna", "token360")
        assert not asked.buttons()  # the question is answered: its buttons go
    finally:
        await running.stop()


async def test_an_anonymous_admin_renames_a_group_face(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    """Rename is pressed as Ann; the new name comes from her anonymously (GroupAnonymousBot)."""
    ann, max_ = tg.add_user("Ann"), tg.add_user("Max")
    group = tg.add_group("Film club", members=[max_], admins=[ann])
    await group_face(tg, sim, ann, group)
    listing = await reply_in(tg, ann, group, "/faces", "This group's faces")
    await tg.press(ann, listing, text="Anna")
    await tg.wait_for(lambda: any("Rename" in b.text for b in listing.buttons()) or None)
    mark = tg.mark()
    await tg.press(ann, listing, text="Rename")
    asked = await tg.next_message(group.id, after=mark, contains="Send the new name for “Anna”")

    # A member's reply answers nothing: the name stays, and the question stays open.
    mark = tg.mark()
    await tg.send_text(max_, "Max's", chat_id=group.id, reply_to=asked)
    await handled(tg, settings.database)
    assert [m.text for m in tg.sent[mark:] if m.chat_id == group.id] == []

    await reply_in(
        tg, ann, group, "Anna K", "Renamed to “Anna K”", reply_to=asked, as_anonymous_admin=True
    )
    (face,) = query(settings.database, "SELECT name FROM faces")
    assert face["name"] == "Anna K"
