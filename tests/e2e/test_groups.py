"""Group chats: admin commands for admins only (anonymous admins too, forwards never),
faces that belong to the group, uploads as replies, member quotas, supergroup upgrades."""

from __future__ import annotations

import re

from bot.config import Settings
from sandbox.media import sample_mp4
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import final_progress, group_of, handled
from tests.fakes.telegram_api import BotMessage, FakeChat, FakeTelegram, FakeUser
from tests.harness import RunningBot, query
from tests.images import image

ADMIN_ONLY = "Only this group's admins can do that."


async def group_face(
    tg: FakeTelegram, sim: Token360Simulator, admin: FakeUser, group: FakeChat, name: str = "Anna"
) -> BotMessage:
    """An admin makes a group face, it is verified, and gets one photo; returns the prompt."""
    mark = tg.mark()
    await tg.send_text(admin, f"/newface {name}", chat_id=group.id)
    card = await tg.next_message(group.id, after=mark, contains="Valid for 2 minutes")
    mark = tg.mark()
    sim.pass_verification(group_of(sim, card))
    prompt = await tg.next_message(group.id, after=mark, contains="reply to this message")
    mark = tg.mark()
    await tg.send_photo(admin, image(), chat_id=group.id, reply_to=prompt)
    progress = await final_progress(tg, group.id, mark)
    assert "Active: ta_" in progress.text
    return prompt


async def reply_in(
    tg: FakeTelegram, user: FakeUser, group: FakeChat, text: str, contains: str, **kw: object
) -> BotMessage:
    mark = tg.mark()
    await tg.send_text(user, text, chat_id=group.id, **kw)  # type: ignore[arg-type]
    return await tg.next_message(group.id, after=mark, contains=contains)


async def test_admin_commands_for_admins_members_and_anonymous_admins(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    ann, max_ = tg.add_user("Ann"), tg.add_user("Max")
    group = tg.add_group("Film club", members=[max_], admins=[ann])
    await tg.wait_for(lambda: tg.description("zh", short=True), what="the menus, set last")
    admin_menu = [c["command"] for c in tg.commands("all_chat_administrators")]
    assert {"newface", "provider", "access", "quota", "jobs", "allow", "deny"} <= set(admin_menu)
    assert [c["command"] for c in tg.commands("all_group_chats")] == ["generate", "help"]

    # Members are refused every admin command, and nothing changes.
    for command in (
        "/newface Bob",
        "/faces",
        "/provider",
        "/settings",
        "/access",
        "/quota 3",
        "/jobs",
        "/allow",
        "/deny",
    ):
        await reply_in(tg, max_, group, command, ADMIN_ONLY)
    assert query(settings.database, "SELECT * FROM chat_settings") == []
    assert query(settings.database, "SELECT * FROM faces") == []

    prompt = await group_face(tg, sim, ann, group)
    (face,) = query(settings.database, "SELECT owner_kind, owner_id FROM faces")
    assert (face["owner_kind"], face["owner_id"]) == ("chat", group.id)

    # The admin: every command works.
    listing = await reply_in(tg, ann, group, "/faces", "This group's faces")
    await tg.press(ann, listing, text="Anna")
    await tg.wait_for(lambda: "Provider: Token360" in listing.text)
    mark = tg.mark()
    await tg.press(ann, listing, text="Upload photos")
    await tg.next_message(group.id, after=mark, contains="reply to this message")
    await reply_in(tg, ann, group, "/provider", "Where should this group's new faces live")
    editor = await reply_in(tg, ann, group, "/settings", "Settings for your videos")
    await tg.press(ann, editor, text="10s")
    await tg.wait_for(lambda: any(b.text == "✓ 10s" for b in editor.buttons()))
    query_id = await tg.press(max_, editor, text="15s")  # a member pressing an admin's editor
    assert (await tg.wait_answer(query_id))["text"] == "This button isn't for you."
    access = await reply_in(tg, ann, group, "/access", "Who may generate videos here")
    await tg.press(ann, access, text="Admins and the members on the list")
    await tg.wait_for(lambda: "On the list: nobody yet" in access.text)
    said = await tg.send_text(max_, "hello", chat_id=group.id)
    await reply_in(tg, ann, group, "/allow", "Max may generate", reply_to=said["message_id"])
    await reply_in(tg, ann, group, "/deny", "Max is off the list", reply_to=said["message_id"])
    await reply_in(tg, ann, group, "/allow", "as a reply")
    await reply_in(tg, ann, group, "/quota 2", "Each member may make 2 videos")
    await reply_in(tg, ann, group, "/jobs", "No videos yet")

    # An anonymous admin speaks as the group itself: an admin here, for every command.
    for command, answer in [
        ("/faces", "This group's faces"),
        ("/provider", "Where should this group's new"),
        ("/settings", "Settings for your videos"),
        ("/access", "Who may generate"),
        ("/jobs", "No videos yet"),
        ("/allow", "as a reply"),
        ("/deny", "as a reply"),
        ("/newface Bea", "Valid for 2 minutes"),
        ("/quota 5", "Each member may make 5"),
    ]:
        await reply_in(tg, ann, group, command, answer, as_anonymous_admin=True)
    # A forwarded admin command authorizes nothing.
    mark = tg.mark()
    await tg.send_text(ann, "/quota 9", chat_id=group.id, forward_from=ann)
    await tg.next_message(group.id, after=mark, contains="A forwarded command doesn't count")
    await handled(tg, settings.database)
    assert not [m for m in tg.sent[mark:] if "Each member may make 9" in m.text]
    (rules,) = query(settings.database, "SELECT access, daily_quota FROM chat_settings")
    assert (rules["access"], rules["daily_quota"]) == ("listed", 5)
    (video_settings,) = query(settings.database, "SELECT owner_kind, duration FROM video_settings")
    assert (video_settings["owner_kind"], video_settings["duration"]) == ("chat", 10)
    assert prompt.text


async def test_member_generates_within_and_beyond_the_group_quota(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    ann, max_, eve = tg.add_user("Ann"), tg.add_user("Max"), tg.add_user("Eve")
    group = tg.add_group("Film club", members=[max_, eve], admins=[ann])
    await group_face(tg, sim, ann, group)
    await reply_in(tg, ann, group, "/quota 1", "Each member may make 1 video a day")

    card = await reply_in(tg, max_, group, "/generate waves at the club", "Ready to generate")
    query_id = await tg.press(eve, card, text="Generate")  # someone else's card
    assert (await tg.wait_answer(query_id))["text"] == "This button isn't for you."
    mark = tg.mark()
    await tg.press(max_, card, text="Generate")
    video = await tg.wait_for(
        lambda: next(
            (m for m in tg.sent[mark:] if m.chat_id == group.id and m.kind == "video"), None
        ),
        timeout=20,
    )
    assert video.file_bytes == sample_mp4()

    await reply_in(tg, max_, group, "/generate again please", "daily limit per member")
    # Admins are not held to the members' quota.
    await reply_in(tg, ann, group, "/generate admin take", "Ready to generate")
    rows = query(
        settings.database,
        "SELECT user_id, chat_id, status FROM videos WHERE status != 'draft'",
    )
    assert [(r["user_id"], r["chat_id"], r["status"]) for r in rows] == [
        (max_.id, group.id, "delivered")
    ]

    # Listed access: Eve is not on the list until an admin allows her.
    access = await reply_in(tg, ann, group, "/access", "Who may generate")
    await tg.press(ann, access, text="Admins and the members on the list")
    await tg.wait_for(lambda: "On the list" in access.text)
    await reply_in(tg, eve, group, "/generate hi", "only listed members")
    said = await tg.send_text(eve, "please?", chat_id=group.id)
    await reply_in(tg, ann, group, "/allow", "Eve may generate", reply_to=said["message_id"])
    await reply_in(tg, eve, group, "/generate hi", "Ready to generate")
    jobs = await reply_in(tg, ann, group, "/jobs", "This group's recent videos")
    assert "waves at the club" in jobs.text


async def test_photos_only_as_replies_from_admins(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    ann, max_ = tg.add_user("Ann"), tg.add_user("Max")
    group = tg.add_group("Film club", members=[max_], admins=[ann])
    prompt = await group_face(tg, sim, ann, group)
    uploads = sim.count("POST", "/v1/assets")
    await tg.send_photo(max_, image(), chat_id=group.id, reply_to=prompt)
    await tg.next_message(group.id, contains=ADMIN_ONLY)
    assert sim.count("POST", "/v1/assets") == uploads


async def test_supergroup_upgrade_keeps_faces_jobs_and_settings(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    ann = tg.add_user("Ann")
    group = tg.add_group("Film club", admins=[ann])
    await group_face(tg, sim, ann, group)
    await reply_in(tg, ann, group, "/quota 3", "Each member may make 3")
    new_id = group.id - 1_000_000_000_000
    await tg.send_raw_update(
        "message",
        {
            "message_id": 999,
            "date": 0,
            "chat": {"id": group.id, "type": "group", "title": "Film club"},
            "from": {"id": ann.id, "is_bot": False, "first_name": "Ann"},
            "migrate_to_chat_id": new_id,
        },
    )
    await tg.wait_for(
        lambda: query(settings.database, "SELECT 1 FROM faces WHERE owner_id = ?", (new_id,))
    )
    (rules,) = query(settings.database, "SELECT chat_id, daily_quota FROM chat_settings")
    assert (rules["chat_id"], rules["daily_quota"]) == (new_id, 3)
    assert not query(settings.database, "SELECT 1 FROM faces WHERE owner_id = ?", (group.id,))
    assert re.match(r"-100\d+", str(new_id))


async def test_a_quota_that_is_not_a_plain_number_gets_the_usage(
    bot: RunningBot, tg: FakeTelegram, settings: Settings
) -> None:
    ann = tg.add_user("Ann")
    group = tg.add_group("Film club", admins=[ann])
    for odd in ("²", "٣", "1e3", "-5", "9" * 40):
        await reply_in(tg, ann, group, f"/quota {odd}", "Use /quota")
    assert query(settings.database, "SELECT daily_quota FROM chat_settings") == []
    assert not [m for m in tg.sent if "something went wrong" in m.text.lower()]
