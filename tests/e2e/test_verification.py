"""Creating a face and getting it verified, as the creator and the invited person see it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from bot.config import Settings
from bot.telegram.qr import qr_png
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import (
    final_progress,
    group_of,
    invite_payload,
    new_face,
    opened_invite,
    rounds,
)
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot, query
from tests.images import image


async def test_newface_sends_link_qr_validity_and_invite(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    card = await new_face(tg, alice, "Anna <Smith>")
    assert card.kind == "photo"
    assert "Verify “Anna <Smith>”" in card.text  # user text escaped, shown as typed
    assert "Valid for 2 minutes" in card.text
    link = card.button("Open verification page").url
    assert link is not None and link.startswith(sim.base_url + "/h5/")
    assert card.file_bytes == qr_png(link)
    assert card.button("New link").callback_data
    assert "SANDBOX" not in card.text
    payload = invite_payload(card)
    assert len(payload) >= 32
    group = group_of(sim, card)
    # The group is named for the face, plus the reference that finds it after a lost answer.
    assert sim.groups[group].kind == "REAL_FACE"
    assert sim.groups[group].name.startswith("Anna <Smith> #rf")
    rows = query(settings.database, "SELECT * FROM faces")
    assert [(r["name"], r["status"], r["provider_group_id"], r["provider"]) for r in rows] == [
        ("Anna <Smith>", "pending", group, "token360")
    ]


async def test_newface_without_name_asks_and_bad_name_keeps_asking(
    bot: RunningBot, tg: FakeTelegram
) -> None:
    alice = tg.add_user("Alice")
    await tg.send_text(alice, "/newface")
    await tg.next_message(alice.id, contains="What should this face be called?")
    mark = tg.mark()
    await tg.send_text(alice, "x" * 65)
    await tg.next_message(alice.id, after=mark, contains="1 to 64")
    mark = tg.mark()
    await tg.send_text(alice, "  Anna   Smith ")
    card = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes")
    assert "Verify “Anna Smith”" in card.text


async def test_verified_face_tells_creator_and_closes_the_card(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    card = await new_face(tg, alice)
    mark = tg.mark()
    sim.pass_verification(group_of(sim, card))
    done = await tg.next_message(alice.id, after=mark, contains="is verified")
    assert "send photos" in done.text.lower()
    await tg.wait_for(lambda: "verified" in card.text and not card.buttons())
    await rounds(tg, bot)  # a second "is verified" would have come by now
    assert sum("is verified" in m.text for m in tg.messages(alice.id)) == 1
    (row,) = query(settings.database, "SELECT status, activated_at FROM faces")
    assert row["status"] == "active" and row["activated_at"] is not None


async def test_invite_gives_the_person_their_own_link_when_ready(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice, bob = tg.add_user("Alice", username="alice_k"), tg.add_user("Bob")
    card = await new_face(tg, alice, "Bob's face")
    payload = invite_payload(card)
    group = group_of(sim, card)
    minted = sim.count("POST") + sim.count("GET", f"/v1/asset-groups/{group}")
    await tg.send_text(bob, f"/start {payload}")
    intro = await tg.next_message(bob.id, contains="asked you to verify")
    # The consent screen: who asks, what for, through whom, what is kept where.
    said_all = ("Alice", "@alice_k", "Bob's face", "Seedance 2.0", "Token360", "kept at")
    for said in (*said_all, "withdraw later, here: /myfaces"):
        assert said in intro.text, said
    assert [b.text for b in intro.buttons()] == ["✅ I agree — I'm ready now", "No, thanks"]
    # Nothing is minted, and nothing recorded, before the person agrees.
    assert sim.count("POST") + sim.count("GET", f"/v1/asset-groups/{group}") == minted
    assert query(settings.database, "SELECT * FROM consents") == []
    mark = tg.mark()
    await tg.press(bob, intro, text="I agree")
    bob_card = await tg.next_message(bob.id, after=mark, contains="Valid for 2 minutes")
    await tg.next_message(alice.id, after=mark, contains="Bob opened your invite")
    bob_link = bob_card.button("Open verification page").url
    assert bob_link != card.button("Open verification page").url
    assert "invite" not in bob_card.text.lower()  # nothing more to forward
    assert group_of(sim, bob_card) == group  # the same Real Face group, a fresh link
    (consent,) = query(settings.database, "SELECT * FROM consents")
    assert (consent["person_id"], consent["invite_token"]) == (bob.id, payload[2:])
    assert consent["consented_at"] and consent["passed_at"] is None
    mark = tg.mark()
    sim.pass_verification(group)
    await tg.next_message(alice.id, after=mark, contains="is verified")
    passed = await tg.next_message(bob.id, after=mark, contains="passed")
    # Bob's own view: the face made of him, whose it is, what was made, his consent.
    mark = tg.mark()
    await tg.press(bob, passed, text="Faces made of me")
    mine = await tg.next_message(bob.id, after=mark, contains="Faces made of you")
    for said in ("Bob's face", "✅ verified", "Owner: Alice (@alice_k), in their own chat"):
        assert said in mine.text, said
    assert "0 photos, 0 videos." in mine.text and "your check passed" in mine.text
    mark = tg.mark()
    await tg.send_photo(alice, image())  # Alice's new photos go to Bob's face
    await final_progress(tg, alice.id, mark)
    mark = tg.mark()
    await tg.send_text(bob, "/myfaces")
    mine = await tg.next_message(bob.id, after=mark, contains="Faces made of you")
    assert "1 photo, 0 videos." in mine.text
    eve = tg.add_user("Eve")
    await tg.send_text(eve, "/myfaces")
    await tg.next_message(eve.id, contains="No face has been made of you")
    (consent,) = query(settings.database, "SELECT * FROM consents")
    assert consent["passed_at"] >= consent["consented_at"]  # the record says when
    # The owner sees the record in the face's view.
    mark = tg.mark()
    await tg.send_text(alice, "/faces")
    listing = await tg.next_message(alice.id, after=mark, contains="Your faces")
    await tg.press(alice, listing, text="Bob's face")
    await tg.wait_for(lambda: "Bob agreed through your invite on" in listing.text)
    assert "Their face check passed on" in listing.text


async def test_declining_ends_the_invite_and_tells_its_sender(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice, bob = tg.add_user("Alice"), tg.add_user("Bob")
    card, payload, intro = await opened_invite(tg, alice, bob)
    group = group_of(sim, card)
    mark = tg.mark()
    await tg.send_text(bob, f"/start {payload}")  # opened twice: two screens, one invite
    second = await tg.next_message(bob.id, after=mark, contains="asked you to verify")
    minted = sim.count("POST") + sim.count("GET", f"/v1/asset-groups/{group}")
    mark = tg.mark()
    await tg.press(bob, intro, text="No, thanks")
    await tg.next_message(alice.id, after=mark, contains="Bob said no to your invite")
    await tg.wait_for(lambda: "invite is now closed" in intro.text, what="the intro edited")
    assert "nothing was shared" in intro.text and not intro.buttons()
    # Over: opening it again, or agreeing on the other screen, mints nothing.
    mark = tg.mark()
    await tg.send_text(bob, f"/start {payload}")
    await tg.next_message(bob.id, after=mark, contains="You said no to this invite")
    query_id = await tg.press(bob, second, text="I agree")
    answer = await tg.wait_answer(query_id)
    assert answer.get("show_alert") and "said no" in answer["text"]
    assert sim.count("POST") + sim.count("GET", f"/v1/asset-groups/{group}") == minted
    assert query(settings.database, "SELECT * FROM consents") == []
    (invite,) = query(settings.database, "SELECT declined_at FROM invites")
    assert invite["declined_at"] is not None


async def test_invite_serves_one_person_only(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice, bob, eve = tg.add_user("Alice"), tg.add_user("Bob"), tg.add_user("Eve")
    card = await new_face(tg, alice)
    payload = invite_payload(card)
    await tg.send_text(bob, f"/start {payload}")
    intro = await tg.next_message(bob.id, contains="asked you to verify")
    await tg.send_text(eve, f"/start {payload}")
    await tg.next_message(eve.id, contains="already used by someone else")
    # Eve pressing Bob's button (e.g. a forwarded message) gets nothing either: no link is
    # minted for her (a link is a POST, or a GET of the group itself; the tracker only lists).
    group = group_of(sim, card)
    minted = sim.count("POST") + sim.count("GET", f"/v1/asset-groups/{group}")
    query_id = await tg.press(eve, intro, text="I'm ready")
    answer = await tg.wait_answer(query_id)
    assert answer.get("show_alert") and "someone else" in answer["text"]
    assert sim.count("POST") + sim.count("GET", f"/v1/asset-groups/{group}") == minted
    # A guessed or mangled payload reaches nothing.
    await tg.send_text(eve, "/start v-" + "A" * 32)
    await tg.next_message(eve.id, contains="isn't valid")
    mark = tg.mark()
    await tg.send_text(eve, "/start something-else")
    await tg.next_message(eve.id, contains="isn't valid", after=mark)


async def test_expired_invite(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    running = await RunningBot(replace(settings, invite_ttl_seconds=0.3)).start()
    try:
        alice, bob = tg.add_user("Alice"), tg.add_user("Bob")
        card = await new_face(tg, alice)
        await asyncio.sleep(0.4)  # the invite's whole lifetime in this test
        await tg.send_text(bob, f"/start {invite_payload(card)}")
        await tg.next_message(bob.id, contains="invite has expired")
    finally:
        await running.stop()


async def test_another_user_cannot_press_my_buttons(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice, mallory = tg.add_user("Alice"), tg.add_user("Mallory")
    card = await new_face(tg, alice)
    group = group_of(sim, card)
    minted = sim.count("POST") + sim.count("GET", f"/v1/asset-groups/{group}")
    query_id = await tg.press(mallory, card, text="New link")
    answer = await tg.wait_answer(query_id)
    assert answer.get("show_alert") and answer["text"] == "This button isn't for you."
    assert sim.count("POST") + sim.count("GET", f"/v1/asset-groups/{group}") == minted
    assert not [m for m in tg.messages(mallory.id) if "Valid for" in m.text]


async def test_expired_link_card_then_verification_ends_with_a_message_then_new_link(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    fast = replace(settings, link_ttl_seconds=0.4, verification_grace_seconds=0.3)
    running = await RunningBot(fast).start()
    try:
        alice = tg.add_user("Alice")
        card = await new_face(tg, alice)
        first_link = card.button("Open verification page").url
        await tg.wait_for(lambda: "expired" in card.text, timeout=5)
        assert card.button("New link")
        ended = await tg.next_message(alice.id, contains="didn't finish", timeout=5)
        assert ended.button("New link")
        rows = query(fast.database, "SELECT status FROM faces")
        assert [r["status"] for r in rows] == ["expired"]
        mark = tg.mark()
        await tg.press(alice, ended, text="New link")
        fresh = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes")
        assert fresh.button("Open verification page").url != first_link
        rows = query(fast.database, "SELECT status FROM faces")
        assert [r["status"] for r in rows] == ["pending"]
        # The person passes with the fresh link: verified after all.
        mark = tg.mark()
        sim.pass_verification(group_of(sim, fresh))
        await tg.next_message(alice.id, after=mark, contains="is verified")
    finally:
        await running.stop()


async def test_new_link_where_the_provider_gives_none_creates_a_new_group(
    tg: FakeTelegram, settings: Settings, tmp_path: Path
) -> None:
    stingy = Token360Simulator(api_keys=("sim-key",), fresh_link_on_get=False)
    await stingy.start()
    key = settings.providers["token360"]
    running = await RunningBot(
        replace(settings, providers={"token360": replace(key, base_url=stingy.base_url)})
    ).start()
    try:
        alice = tg.add_user("Alice")
        card = await new_face(tg, alice)
        old_group = group_of(stingy, card)
        mark = tg.mark()
        await tg.press(alice, card, text="New link")
        fresh = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes")
        assert "started a new Real Face group" in fresh.text
        new_group = group_of(stingy, fresh)
        assert new_group != old_group
        rows = query(settings.database, "SELECT provider_group_id FROM faces")
        assert [r["provider_group_id"] for r in rows] == [new_group]
    finally:
        await running.stop()
        await stingy.stop()
