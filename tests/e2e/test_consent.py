"""The verified person withdraws their consent (issue 11): from /myfaces, with a confirmation;
the owner is told; the face is kept as withdrawn; a draft made before, or any new video,
is refused with nothing sent to the provider; a video already running is finished."""

from __future__ import annotations

from bot.config import ProviderKey, Settings
from sandbox.powertokens import PowerTokensSimulator
from sandbox.sunra import SunraSimulator
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import (
    agreed,
    confirm_card,
    final_progress,
    group_of,
    invite_payload,
    opened_invite,
    verified_face,
    video_message,
)
from tests.e2e.test_providers import with_only
from tests.fakes.telegram_api import FakeTelegram, FakeUser
from tests.harness import RunningBot, query
from tests.images import image


async def consented_face(
    tg: FakeTelegram, sim: Token360Simulator, owner: FakeUser, person: FakeUser
) -> str:
    """A face of ``person`` made by ``owner`` through an invite, verified, with one Active
    photo; returns the invite's payload."""
    card, payload, intro = await opened_invite(tg, owner, person)
    await agreed(tg, person, intro)
    mark = tg.mark()
    sim.pass_verification(group_of(sim, card))
    await tg.next_message(person.id, after=mark, contains="passed")
    mark = tg.mark()
    await tg.send_photo(owner, image())
    await final_progress(tg, owner.id, mark)
    return payload


async def test_the_person_withdraws_and_no_new_video_is_made(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice, bob = tg.add_user("Alice"), tg.add_user("Bob")
    payload = await consented_face(tg, sim, alice, bob)
    running = await confirm_card(tg, alice, "Bob waves")
    mark = tg.mark()
    await tg.press(alice, running, text="Generate")  # made while the consent stands
    await tg.wait_for(lambda: sim.count("POST", "/v1/videos") == 1, what="the video asked")
    draft = await confirm_card(tg, alice, "Bob dances")  # drafted, not yet confirmed

    await tg.send_text(bob, "/myfaces")
    mine = await tg.next_message(bob.id, after=mark, contains="Faces made of you")
    await tg.press(bob, mine, text="Withdraw “Bob's face”")
    await tg.wait_for(lambda: "Withdraw your consent for" in mine.text, what="confirmation")
    assert "can't be undone" in mine.text
    told = tg.mark()
    await tg.press(bob, mine, text="Yes, withdraw my consent")
    await tg.wait_for(lambda: "consent for “Bob's face” is withdrawn" in mine.text)
    # Token360 deletes a group with its photos, but the video being made may need them.
    assert "will be deleted at Token360 once the video being made is finished" in mine.text
    await tg.next_message(alice.id, after=told, contains="Bob withdrew their consent")
    assert sim.count("DELETE") == 0

    # Kept, with its record; the video asked before is finished and delivered, and only
    # then are the photos deleted, and Bob told.
    (face,) = query(settings.database, "SELECT status, provider_group_id FROM faces")
    (consent,) = query(settings.database, "SELECT withdrawn_at FROM consents")
    assert face["status"] == "withdrawn" and consent["withdrawn_at"] is not None
    await video_message(tg, alice.id, mark)
    group_id = face["provider_group_id"]
    await tg.next_message(
        bob.id, after=told, contains="photos of “Bob's face” are now deleted at Token360"
    )
    assert sim.count("DELETE", f"/v1/asset-groups/{group_id}") == 1
    assert group_id not in sim.groups

    # The draft made before, and any new one, are refused: nothing reaches the provider.
    pressed = tg.mark()
    await tg.press(alice, draft, text="Generate")
    await tg.wait_for(
        lambda: any(
            "Consent for this face was withdrawn" in m.text for m in [*tg.sent[pressed:], draft]
        ),
        what="the draft refused",
    )
    after = tg.mark()
    await tg.send_text(alice, "/generate Bob sings")
    await tg.next_message(alice.id, after=after, contains="verified face")  # none usable
    assert sim.count("POST", "/v1/videos") == 1

    # Nothing brings it back: no New link for the owner, no upload, no second agreement.
    after = tg.mark()
    await tg.send_text(alice, "/faces")
    listing = await tg.next_message(alice.id, after=after, contains="Your faces")
    await tg.press(alice, listing, text="Bob's face")
    await tg.wait_for(lambda: "consent withdrawn" in listing.text, what="the face's view")
    assert not [b for b in listing.buttons() if "New link" in b.text]
    after = tg.mark()
    await tg.send_photo(alice, image())
    await tg.next_message(alice.id, after=after, contains="Consent for this face was withdrawn")
    after = tg.mark()
    await tg.send_text(bob, f"/start {payload}")
    await tg.next_message(bob.id, after=after, contains="Consent for this face was withdrawn")
    (face,) = query(settings.database, "SELECT status FROM faces")
    assert face["status"] == "withdrawn"

    # Pressing again changes nothing; the list says withdrawn.
    again = tg.mark()
    await tg.send_text(bob, "/myfaces")
    listing = await tg.next_message(bob.id, after=again, contains="Faces made of you")
    assert "consent withdrawn" in listing.text and "you withdrew" in listing.text
    assert not listing.buttons()


async def test_only_the_person_who_consented_may_withdraw(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice, bob, eve = tg.add_user("Alice"), tg.add_user("Bob"), tg.add_user("Eve")
    await consented_face(tg, sim, alice, bob)
    await tg.send_text(bob, "/myfaces")
    mine = await tg.next_message(bob.id, contains="Faces made of you")
    pressed = await tg.press(eve, mine, text="Withdraw")  # a forwarded list, say
    answer = await tg.wait_answer(pressed)
    assert answer.get("show_alert") and "isn't for you" in answer["text"]
    (face,) = query(settings.database, "SELECT status FROM faces")
    assert face["status"] == "active"


async def test_withdrawing_deletes_the_photos_where_the_provider_can(
    tg: FakeTelegram, settings: Settings
) -> None:
    """PowerTokens deletes a group with its photos: withdrawal calls it."""
    sim = PowerTokensSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    await sim.start()
    config = with_only(settings, powertokens=ProviderKey("sim-key", sim.base_url))
    running = await RunningBot(config).start()
    try:
        alice, bob = tg.add_user("Alice"), tg.add_user("Bob")
        _, _, intro = await opened_invite(tg, alice, bob)
        assert "PowerTokens" in intro.text
        bob_card = await agreed(tg, bob, intro)
        link = bob_card.button("Open verification page").url
        assert link is not None
        mark = tg.mark()
        sim.pass_link(link)
        await tg.next_message(bob.id, after=mark, contains="passed", timeout=15)
        (face,) = query(config.database, "SELECT provider_group_id FROM faces")
        group_id = face["provider_group_id"]
        assert group_id in sim.groups
        await tg.send_text(bob, "/myfaces")
        mine = await tg.next_message(bob.id, after=mark, contains="Faces made of you")
        await tg.press(bob, mine, text="Withdraw")
        await tg.wait_for(lambda: "Withdraw your consent for" in mine.text)
        await tg.press(bob, mine, text="Yes, withdraw my consent")
        await tg.wait_for(lambda: "Your photos were deleted at PowerTokens." in mine.text)
        assert group_id not in sim.groups
        assert sim.count("POST", "/v1/asset/groups/delete") == 1
    finally:
        await running.stop()
        await sim.stop()


async def test_agreeing_is_not_passing_for_someone_else(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    """Bob agrees but never does the check; the owner passes it on her own link. Bob's
    consent is not marked passed, and he cannot withdraw a face he did not verify."""
    alice, bob = tg.add_user("Alice"), tg.add_user("Bob")
    card, _, intro = await opened_invite(tg, alice, bob)
    await agreed(tg, bob, intro)
    mark = tg.mark()
    await tg.press(alice, card, text="New link")  # Alice does it herself after all
    own = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes")
    mark = tg.mark()
    sim.pass_verification(group_of(sim, own))
    await tg.next_message(alice.id, after=mark, contains="is verified")
    (consent,) = query(settings.database, "SELECT passed_at FROM consents")
    assert consent["passed_at"] is None
    mark = tg.mark()
    await tg.send_text(bob, "/myfaces")
    mine = await tg.next_message(bob.id, after=mark, contains="Faces made of you")
    assert not mine.buttons()  # nothing of his to withdraw


async def test_no_thanks_after_i_agree_is_refused(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice, bob = tg.add_user("Alice"), tg.add_user("Bob")
    _, payload, first = await opened_invite(tg, alice, bob)
    mark = tg.mark()
    await tg.send_text(bob, f"/start {payload}")
    second = await tg.next_message(bob.id, after=mark, contains="asked you to verify")
    await agreed(tg, bob, first)
    answer = await tg.wait_answer(await tg.press(bob, second, text="No, thanks"))
    assert answer.get("show_alert") and "already agreed" in answer["text"]
    (invite,) = query(settings.database, "SELECT declined_at FROM invites")
    assert invite["declined_at"] is None


async def test_deleting_a_sunra_face_deletes_each_photo_there(
    tg: FakeTelegram, settings: Settings
) -> None:
    """Sunra has no groups: each photo is soft-deleted, and the owner hears that Sunra keeps
    the upstream registration (seed 001)."""
    sunra = SunraSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    await sunra.start()
    config = with_only(settings, sunra=ProviderKey("sim-key", sunra.base_url))
    running = await RunningBot(config).start()
    try:
        alice = tg.add_user("Alice")
        mark = tg.mark()
        await tg.send_text(alice, "/newface Anna")
        await tg.next_message(alice.id, after=mark, contains="has no face check")
        for n in range(2):
            mark = tg.mark()
            await tg.send_photo(alice, image(color=f"#c0806{n}"))
            await final_progress(tg, alice.id, mark)
        records = [
            r["provider_record_id"]
            for r in query(config.database, "SELECT provider_record_id FROM assets")
        ]
        assert len(records) == 2 and all(records)
        mark = tg.mark()
        await tg.send_text(alice, "/faces")
        listing = await tg.next_message(alice.id, after=mark, contains="Your faces")
        await tg.press(alice, listing, text="Anna")
        await tg.wait_for(lambda: "Provider: Sunra" in listing.text, what="the face's view")
        await tg.press(alice, listing, text="Delete")
        await tg.wait_for(lambda: "also deletes its photos at the provider" in listing.text)
        await tg.press(alice, listing, text="Yes, delete")
        await tg.wait_for(lambda: "Its photos were deleted from Sunra" in listing.text)
        assert "a copy registered upstream stays" in listing.text
        for record in records:
            assert sunra.count("DELETE", f"/v1/ark/assets/{record}") == 1
    finally:
        await running.stop()
        await sunra.stop()


async def test_the_person_takes_over_consent_for_a_face_verified_directly(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    """A face verified through the direct link knows no person: its owner invites them to
    consent, with no new check, and from then on the face is theirs to withdraw."""
    alice, bob, eve = tg.add_user("Alice"), tg.add_user("Bob"), tg.add_user("Eve")
    await verified_face(tg, sim, alice, "Anna")
    mark = tg.mark()
    await tg.send_text(alice, "/faces")
    listing = await tg.next_message(alice.id, after=mark, contains="Your faces")
    await tg.press(alice, listing, text="Anna")
    await tg.wait_for(lambda: "verified through the direct link" in listing.text)
    mark = tg.mark()
    await tg.press(alice, listing, text="Invite the person to consent")
    sent = await tg.next_message(alice.id, after=mark, contains="Send this invite")
    assert sent.button("Send invite").url
    payload = invite_payload(sent)
    groups_before = sim.count("POST", "/v1/asset-groups")

    mark = tg.mark()
    await tg.send_text(bob, f"/start {payload}")
    intro = await tg.next_message(bob.id, after=mark, contains="asks for your consent")
    assert "already verified" in intro.text and "Valid for 2 minutes" not in intro.text
    answer = await tg.wait_answer(await tg.press(eve, intro, text="I agree"))
    assert answer.get("show_alert")  # the invite is Bob's now
    told = tg.mark()
    await tg.press(bob, intro, text="I agree")
    await tg.wait_for(lambda: "your consent for “Anna” is on record" in intro.text)
    await tg.next_message(alice.id, after=told, contains="Bob agreed")
    assert sim.count("POST", "/v1/asset-groups") == groups_before  # no new check
    (consent,) = query(settings.database, "SELECT * FROM consents")
    assert consent["person_id"] == bob.id and consent["takeover"] == 1
    assert consent["passed_at"] is not None

    # Alice's view says who consented; no second take-over is offered.
    mark = tg.mark()
    await tg.send_text(alice, "/faces")
    listing = await tg.next_message(alice.id, after=mark, contains="Your faces")
    await tg.press(alice, listing, text="Anna")
    await tg.wait_for(lambda: "Bob agreed through your invite" in listing.text)
    assert "verified earlier through the direct link" in listing.text
    assert not [b for b in listing.buttons() if "Invite the person" in b.text]

    # The invite is spent; Bob can withdraw.
    mark = tg.mark()
    await tg.send_text(eve, f"/start {payload}")
    await tg.next_message(eve.id, after=mark, contains="This invite is already done")
    mark = tg.mark()
    await tg.send_text(bob, "/myfaces")
    mine = await tg.next_message(bob.id, after=mark, contains="Faces made of you")
    assert "to a face verified earlier" in mine.text
    await tg.press(bob, mine, text="Withdraw “Anna”")
    await tg.wait_for(lambda: "Withdraw your consent for" in mine.text)
    await tg.press(bob, mine, text="Yes, withdraw my consent")
    await tg.wait_for(lambda: "consent for “Anna” is withdrawn" in mine.text)
    (face,) = query(settings.database, "SELECT status FROM faces")
    assert face["status"] == "withdrawn"


async def test_a_group_face_names_the_group_on_the_consent_screen(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    ann, bob = tg.add_user("Ann", username="ann"), tg.add_user("Bob")
    group = tg.add_group("Film <club>", admins=[ann])
    mark = tg.mark()
    await tg.send_text(ann, "/newface Bob", chat_id=group.id)
    card = await tg.next_message(group.id, after=mark, contains="Valid for 2 minutes")
    mark = tg.mark()
    await tg.send_text(bob, f"/start {invite_payload(card)}")
    intro = await tg.next_message(bob.id, after=mark, contains="asked you to verify")
    # The title is the user text here: escaped, so it reads as typed.
    assert "so that the group “Film <club>” can make AI videos" in intro.text
    assert "Ann (@ann) asked you" in intro.text
    bob_card = await agreed(tg, bob, intro)
    mark = tg.mark()
    sim.pass_verification(group_of(sim, bob_card))
    await tg.next_message(bob.id, after=mark, contains="passed")
    mark = tg.mark()
    await tg.send_text(bob, "/myfaces")
    mine = await tg.next_message(bob.id, after=mark, contains="Faces made of you")
    assert "Owner: Ann (@ann), in the group “Film <club>”." in mine.text


async def test_a_group_faces_consent_invite_goes_to_the_admin_privately(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    """Whoever opens a take-over invite first is taken for the person: it is never posted in
    the group, where any member could take it."""
    ann, max_ = tg.add_user("Ann"), tg.add_user("Max")
    group = tg.add_group("Film club", members=[max_], admins=[ann])
    mark = tg.mark()
    await tg.send_text(ann, "/newface Bob", chat_id=group.id)
    card = await tg.next_message(group.id, after=mark, contains="Valid for 2 minutes")
    mark = tg.mark()
    sim.pass_verification(group_of(sim, card))
    await tg.next_message(group.id, after=mark, contains="reply to this message")
    mark = tg.mark()
    await tg.send_text(ann, "/faces", chat_id=group.id)
    listing = await tg.next_message(group.id, after=mark, contains="This group's faces")
    await tg.press(ann, listing, text="Bob")
    await tg.wait_for(lambda: "verified through the direct link" in listing.text)

    # Ann never opened a private chat with the bot: she is asked to.
    answer = await tg.wait_answer(
        await tg.press(ann, listing, text="Invite the person to consent")
    )
    assert answer.get("show_alert") and "press Start" in answer["text"]
    await tg.send_text(ann, "/start")
    mark = tg.mark()
    answer = await tg.wait_answer(
        await tg.press(ann, listing, text="Invite the person to consent")
    )
    assert "sent you the invite in our private chat" in answer["text"]
    await tg.next_message(ann.id, after=mark, contains="Send this invite")
    assert not [m for m in tg.sent[mark:] if m.chat_id == group.id and "start=v-" in m.text]
