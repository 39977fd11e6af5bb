"""Group rules hold whatever the entry point: a member who is not an admin never makes a
group face (HOLE 1), and what /allow and /deny say about a member is what that member can
then do (HOLE 4)."""

from __future__ import annotations

import pytest

from bot.config import Settings
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import handled
from tests.e2e.test_group_admins import DEFAULT_ADMIN_CACHE, change_status
from tests.e2e.test_groups import ADMIN_ONLY, group_face, reply_in
from tests.fakes.telegram_api import FakeChat, FakeTelegram, FakeUser
from tests.harness import RunningBot, query, with_changes

STARTS = ("POST", "/v1/asset-groups")  # a face check started at the provider


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The bot's own admin cache: a demotion counts at once because Telegram says so in a
    # chat_member update, not because the cache is off.
    return with_changes(settings, admin_cache_seconds=DEFAULT_ADMIN_CACHE)


async def test_a_name_sent_in_the_group_never_answers_a_private_newface(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    ann, max_ = tg.add_user("Ann"), tg.add_user("Max")
    group = tg.add_group("Film club", members=[max_], admins=[ann])
    mark = tg.mark()
    await tg.send_text(max_, "/newface")
    await tg.next_message(max_.id, after=mark, contains="What should this face be called?")
    help_ = await reply_in(tg, max_, group, "/help", "realface-bot in this group")

    # Max answers in the group (a reply to the bot, so the bot sees it): nothing was asked
    # there, so nothing happens there: no face, no provider call, no card, no answer.
    mark = tg.mark()
    await tg.send_text(max_, "Bob", chat_id=group.id, reply_to=help_)
    await handled(tg, settings.database)
    assert query(settings.database, "SELECT * FROM faces") == []
    assert sim.count(*STARTS) == 0
    assert [m.text for m in tg.sent[mark:] if m.chat_id == group.id] == []

    # The private question is still open where it was asked.
    mark = tg.mark()
    await tg.send_text(max_, "Bob")
    await tg.next_message(max_.id, after=mark, contains="Valid for 2 minutes")
    (face,) = query(settings.database, "SELECT owner_kind, owner_id, name FROM faces")
    assert (face["owner_kind"], face["owner_id"], face["name"]) == ("user", max_.id, "Bob")


async def test_an_admin_demoted_mid_question_cannot_finish_a_group_face(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    owner, ann = tg.add_user("Olga"), tg.add_user("Ann")
    group = tg.add_group("Film club", admins=[ann], creator=owner)
    # A name too long keeps the question open in the group: the next reply is the next try.
    asked = await reply_in(tg, ann, group, f"/newface {'x' * 70}", "A name needs 1 to 64")
    await change_status(tg, group, owner, ann, "administrator", "member")
    await handled(tg, settings.database)

    await reply_in(tg, ann, group, "Bob", ADMIN_ONLY, reply_to=asked)
    assert query(settings.database, "SELECT * FROM faces") == []
    assert sim.count(*STARTS) == 0
    assert not [m for m in tg.messages(group.id) if "Valid for 2 minutes" in m.text]

    # Made an admin again, she starts over: the refused question was not kept for later.
    await change_status(tg, group, owner, ann, "member", "administrator")
    await handled(tg, settings.database)
    mark = tg.mark()
    await tg.send_text(ann, "Bea", chat_id=group.id, reply_to=asked)
    await handled(tg, settings.database)
    assert query(settings.database, "SELECT * FROM faces") == []
    assert [m.text for m in tg.sent[mark:] if m.chat_id == group.id] == []
    await reply_in(tg, ann, group, "/newface Bea", "Valid for 2 minutes")
    (face,) = query(settings.database, "SELECT owner_kind, owner_id FROM faces")
    assert (face["owner_kind"], face["owner_id"]) == ("chat", group.id)


async def generate_outcome(tg: FakeTelegram, max_: FakeUser, group: FakeChat) -> str:
    """What Max's /generate gets: a card to confirm, or the refusal."""
    mark = tg.mark()
    await tg.send_text(max_, "/generate waves", chat_id=group.id)

    def answer() -> str | None:
        for m in tg.sent[mark:]:
            if m.chat_id == group.id and ("Ready to generate" in m.text or "only" in m.text):
                return m.text
        return None

    return await tg.wait_for(answer)


async def test_allow_and_deny_say_what_the_member_can_then_do_in_every_access_mode(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    ann, max_ = tg.add_user("Ann"), tg.add_user("Max")
    group = tg.add_group("Film club", members=[max_], admins=[ann])
    await group_face(tg, sim, ann, group)
    said = await tg.send_text(max_, "may I?", chat_id=group.id)
    max_msg = said["message_id"]

    # Admins only: the list does not count yet, and /allow says so and offers the switch.
    access = await reply_in(tg, ann, group, "/access", "Who may generate videos here")
    await tg.press(ann, access, text="Admins only")
    await tg.wait_for(lambda: "here: admins only" in access.text)
    assert "list counts only" in access.text
    allowed = await reply_in(tg, ann, group, "/allow", "Max is on the list", reply_to=max_msg)
    assert "only admins may generate here" in allowed.text
    assert "may generate videos here." not in allowed.text
    assert "only admins may generate" in await generate_outcome(tg, max_, group)

    # The offered switch: now the list counts, and Max can.
    await tg.press(ann, allowed, text="Switch to admins and listed members")
    await tg.wait_for(lambda: "admins and the members on the list" in allowed.text)
    assert "On the list: Max" in allowed.text
    assert "Ready to generate" in await generate_outcome(tg, max_, group)

    # Listed: /deny takes it back, and Max can't.
    await reply_in(tg, ann, group, "/deny", "Max is off the list.", reply_to=max_msg)
    assert "only listed members" in await generate_outcome(tg, max_, group)
    await reply_in(tg, ann, group, "/allow", "Max may generate videos here.", reply_to=max_msg)
    assert "Ready to generate" in await generate_outcome(tg, max_, group)

    # Every member: /deny keeps Max off the list, says every member may generate right
    # now, and offers the switch; Max can indeed.
    access = await reply_in(tg, ann, group, "/access", "Who may generate videos here")
    await tg.press(ann, access, text="Every member")
    await tg.wait_for(lambda: "every member" in access.text)
    denied = await reply_in(tg, ann, group, "/deny", "Max is off the list", reply_to=max_msg)
    assert "every member may generate here" in denied.text
    assert denied.button("Switch to admins and listed members")
    assert "Ready to generate" in await generate_outcome(tg, max_, group)
    allowed = await reply_in(tg, ann, group, "/allow", "Max is on the list", reply_to=max_msg)
    assert "every member may generate here" in allowed.text
    assert "Ready to generate" in await generate_outcome(tg, max_, group)

    # Admins only again: /deny says Max can't (true as it is), without a switch.
    access = await reply_in(tg, ann, group, "/access", "Who may generate videos here")
    await tg.press(ann, access, text="Admins only")
    await tg.wait_for(lambda: "admins only" in access.text)
    denied = await reply_in(tg, ann, group, "/deny", "Max is off the list", reply_to=max_msg)
    assert "only admins may generate here" in denied.text and not denied.buttons()
    assert "only admins may generate" in await generate_outcome(tg, max_, group)
