"""/faces management, help, cancel, menus, and answers to the unexpected."""

from __future__ import annotations

from dataclasses import replace

from bot.config import ProviderKey, Settings
from sandbox.token360 import Fault, Token360Simulator
from tests.e2e.helpers import final_progress, handled, new_face, verified_face
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot, query
from tests.images import image


async def test_faces_lists_and_manages(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice, "Anna")
    await verified_face(tg, sim, alice, "Ben")
    mark = tg.mark()
    await tg.send_photo(alice, image())  # goes to Ben, the newest face
    progress = await final_progress(tg, alice.id, mark)
    assert "“Ben”" in progress.text

    mark = tg.mark()
    await tg.send_text(alice, "/faces")
    listing = await tg.next_message(alice.id, after=mark, contains="Your faces")
    assert "Anna" in listing.text and "Ben" in listing.text
    assert "1 active photo ← uploads go here" in listing.text

    await tg.press(alice, listing, text="Anna")
    await tg.wait_for(lambda: "Provider: Token360" in listing.text)
    assert "verified through the direct link" in listing.text  # no person known to consent
    await tg.press(alice, listing, text="Send new photos here")
    await tg.wait_for(lambda: "New photos go to this face." in listing.text)
    mark = tg.mark()
    await tg.send_photo(alice, image())
    progress = await final_progress(tg, alice.id, mark)
    assert "“Anna”" in progress.text

    # Rename: the next text is the new name.
    await tg.press(alice, listing, text="Rename")
    await tg.next_message(alice.id, contains="Send the new name")
    mark = tg.mark()
    await tg.send_text(alice, "Anna <b>K</b>")
    await tg.next_message(alice.id, after=mark, contains="Renamed to “Anna <b>K</b>”")

    # Delete asks first.
    await tg.press(alice, listing, text="Delete")
    await tg.wait_for(
        lambda: (
            "Delete “Anna <b>K</b>”? This also deletes its group and photos at the "
            "provider" in listing.text
        )
    )
    await tg.press(alice, listing, text="Yes, delete")
    await tg.wait_for(lambda: "Its photos were deleted at Token360." in listing.text)
    rows = query(settings.database, "SELECT name, status FROM faces ORDER BY id")
    assert [(r["name"], r["status"]) for r in rows] == [
        ("Anna <b>K</b>", "deleted"),
        ("Ben", "active"),
    ]
    mark = tg.mark()
    await tg.send_text(alice, "/faces")
    listing = await tg.next_message(alice.id, after=mark, contains="Your faces")
    assert "Anna" not in listing.text


async def test_faces_of_someone_else_cannot_be_managed(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice, mallory = tg.add_user("Alice"), tg.add_user("Mallory")
    await verified_face(tg, sim, alice)
    await tg.send_text(alice, "/faces")
    listing = await tg.next_message(alice.id, contains="Your faces")
    for label in ("Anna",):
        query_id = await tg.press(mallory, listing, text=label)
        answer = await tg.wait_answer(query_id)
        assert answer["text"] == "This button isn't for you."
    await tg.send_text(mallory, "/faces")
    await tg.next_message(mallory.id, contains="You have no faces yet")


async def test_help_cancel_menu_and_the_unexpected(bot: RunningBot, tg: FakeTelegram) -> None:
    alice = tg.add_user("Alice")
    await tg.wait_for(lambda: tg.description("zh", short=True), what="the menus, set last")
    commands = tg.commands("all_private_chats")
    assert [c["command"] for c in commands] == [
        "newface",
        "faces",
        "myfaces",
        "generate",
        "videos",
        "settings",
        "help",
        "privacy",
        "forgetme",
        "language",
        "cancel",
    ]
    mark = tg.mark()
    await tg.send_text(alice, "/privacy")
    privacy = await tg.next_message(alice.id, after=mark, contains="Your data with this bot")
    for said in ("What the bot keeps", "GPS", "/myfaces", "Delete", "How long", "/forgetme"):
        assert said in privacy.text, said
    assert "deleted at Token360" in privacy.text  # what the enabled provider allows
    await tg.send_text(alice, "/start")
    await tg.next_message(alice.id, contains="/newface")
    await tg.send_text(alice, "/help")
    help_message = await tg.next_message(alice.id, contains="Photo rules")
    assert "startgroup=" in help_message.text and "/forgetme" in help_message.text
    assert "/language" in help_message.text
    await tg.send_text(alice, "/newface")
    await tg.next_message(alice.id, contains="What should this face be called?")
    await tg.send_text(alice, "/cancel")
    await tg.next_message(alice.id, contains="Cancelled.")
    mark = tg.mark()
    await tg.send_text(alice, "/cancel")
    await tg.next_message(alice.id, after=mark, contains="Nothing to cancel")
    await tg.send_text(alice, "/frobnicate now")
    await tg.next_message(alice.id, contains="I don't know /frobnicate")
    mark = tg.mark()
    await tg.send_text(alice, "hello there")
    await tg.next_message(alice.id, after=mark, contains="/newface")
    mark = tg.mark()
    await tg.send_sticker(alice)
    await tg.next_message(alice.id, after=mark, contains="can't do anything with that")


async def test_edited_newface_does_not_create_a_second_face(
    bot: RunningBot, tg: FakeTelegram, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    mark = tg.mark()
    sent = await tg.send_text(alice, "/newface Anna")
    await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes")
    await tg.edit_text(alice, sent, "/newface Anna2")
    await handled(tg, settings.database)
    assert len(query(settings.database, "SELECT id FROM faces")) == 1


async def test_provider_errors_at_newface(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    running = await RunningBot(settings).start()
    alice = tg.add_user("Alice")
    try:
        sim.inject(Fault(method="POST", path_prefix="/v1/asset-groups", status=500))
        mark = tg.mark()
        await tg.send_text(alice, "/newface Anna")
        await tg.next_message(alice.id, after=mark, contains="isn't answering")
        sim.inject(
            Fault(
                method="POST",
                path_prefix="/v1/asset-groups",
                status=0,
                delay=settings.http_timeout_seconds + 0.5,
            )
        )
        mark = tg.mark()
        await tg.send_text(alice, "/newface Anna")
        await tg.next_message(alice.id, after=mark, contains="isn't answering", timeout=15)
        # And it works once the provider is back, with nothing half-made left behind: the
        # failed attempts stay only as deleted records of what was tried.
        await new_face(tg, alice)
        faces = query(settings.database, "SELECT status FROM faces ORDER BY id")
        assert [f["status"] for f in faces] == ["deleted", "deleted", "pending"]
    finally:
        await running.stop()
    bad_key = replace(settings, providers={"token360": ProviderKey("wrong-key", sim.base_url)})
    running = await RunningBot(bad_key).start()
    try:
        mark = tg.mark()
        await tg.send_text(alice, "/newface Anna")
        await tg.next_message(alice.id, after=mark, contains="refused our API key")
    finally:
        await running.stop()
