"""Video rules every entry point obeys: drafts made by an anonymous admin, and the decision
buttons on inline cards (issue 9, holes 2 and 3)."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Settings
from sandbox.media import sample_mp4
from sandbox.token360 import Fault, Token360Simulator, VideoOutcome
from tests.e2e.helpers import confirm_card, face_with_photos, handled, video_message
from tests.e2e.test_groups import group_face, reply_in
from tests.fakes.telegram_api import BotMessage, FakeChat, FakeTelegram, FakeUser
from tests.harness import RunningBot, query

NOT_YOURS = "This button isn't for you."


async def test_an_anonymous_admins_draft_is_confirmed_by_a_real_admin(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    ann, bea, max_ = tg.add_user("Ann"), tg.add_user("Bea"), tg.add_user("Max")
    group = tg.add_group("Film club", members=[max_], admins=[ann, bea])
    await group_face(tg, sim, ann, group)
    await group_face(tg, sim, ann, group, "Ben")

    # Posted as the group itself: the draft is nobody's in particular, but the group's admins'.
    card = await reply_in(
        tg, ann, group, "/generate waves at the club", "Which face", as_anonymous_admin=True
    )
    # A member may not touch it.
    query_id = await tg.press(max_, card, text="Ben")
    assert (await tg.wait_answer(query_id))["text"] == NOT_YOURS
    # Any admin may work on it: Bea picks the face, Ann confirms.
    await tg.press(bea, card, text="Ben")
    await tg.wait_for(lambda: "Ready to generate" in card.text)
    query_id = await tg.press(max_, card, text="Generate")
    assert (await tg.wait_answer(query_id))["text"] == NOT_YOURS
    assert sim.count("POST", "/v1/videos") == 0
    mark = tg.mark()
    await tg.press(ann, card, text="Generate")
    video = await video_message(tg, group.id, mark, timeout=20)
    assert video.file_bytes == sample_mp4()
    await tg.wait_for(lambda: "is ready" in card.text)

    # The one who confirmed is its requester: it is hers to send again.
    (row,) = query(settings.database, "SELECT user_id, status FROM videos")
    assert (row["user_id"], row["status"]) == (ann.id, "delivered")
    await tg.send_text(ann, "/videos")
    listing = await tg.next_message(ann.id, contains="Your recent videos")
    assert "waves at the club" in listing.text
    # Made with the group's face: it is made again in the group, not from here.
    assert [b.text for b in listing.buttons()] == [f"▶️ Send #{video_row_id(settings)}"]
    mark = tg.mark()
    await tg.press(ann, listing, text="Send #")
    again = await video_message(tg, ann.id, mark)
    assert again.file_id == video.file_id
    # Her "Again" under the video is hers alone.
    query_id = await tg.press(bea, video, text="Again with these settings")
    assert (await tg.wait_answer(query_id))["text"] == NOT_YOURS


async def test_an_anonymous_admins_draft_counts_against_the_confirmer(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    running = await RunningBot(replace(settings, daily_videos=1)).start()
    try:
        ann = tg.add_user("Ann")
        group = tg.add_group("Film club", admins=[ann])
        await group_face(tg, sim, ann, group)
        card = await reply_in(tg, ann, group, "/generate first", "Ready to generate")
        mark = tg.mark()
        await tg.press(ann, card, text="Generate")
        await video_message(tg, group.id, mark, timeout=20)
        # Her daily video is made; an anonymous draft she confirms is hers too: refused.
        card = await reply_in(
            tg, ann, group, "/generate second", "Ready to generate", as_anonymous_admin=True
        )
        await tg.press(ann, card, text="Generate")
        await tg.wait_for(lambda: "daily limit" in card.text)
        assert sim.count("POST", "/v1/videos") == 1
    finally:
        await running.stop()


def video_row_id(settings: Settings) -> int:
    (row,) = query(settings.database, "SELECT id FROM videos")
    return int(row["id"])


async def inline_card(
    tg: FakeTelegram, user: FakeUser, prompt: str, chat_id: int | None = None
) -> BotMessage:
    query_id = await tg.inline_query(user, prompt)
    (result,) = (await tg.wait_inline_answer(query_id))["results"]
    return await tg.post_inline_result(user, query_id, result["id"], chat_id=chat_id)


async def cut_off_inline_card(
    tg: FakeTelegram, sim: Token360Simulator, user: FakeUser, prompt: str, group: FakeChat
) -> BotMessage:
    """An inline card whose paid POST got a 5xx: the provider may have started it, so the
    card waits for the requester's decision."""
    sim.inject(Fault(method="POST", path_prefix="/v1/videos", status=502))
    card = await inline_card(tg, user, prompt, chat_id=group.id)
    await tg.press(user, card, text="Generate")
    await tg.wait_for(lambda: "can't tell whether the provider started it" in card.text)
    return card


async def test_forget_it_on_an_inline_card_dismisses_it(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice, bob = tg.add_user("Alice"), tg.add_user("Bob")
    group = tg.add_group("Friends", members=[alice, bob])
    await face_with_photos(tg, sim, alice)
    # A 5xx to the paid POST: the provider may have started it; the requester decides.
    card = await cut_off_inline_card(tg, sim, alice, "walks into the sea", group)

    query_id = await tg.press(bob, card, text="Forget it")
    assert (await tg.wait_answer(query_id))["text"] == NOT_YOURS
    query_id = await tg.press(alice, card, text="Forget it")
    await tg.wait_answer(query_id)
    await tg.wait_for(lambda: not card.buttons() and "Forgotten" in card.text)
    (row,) = query(settings.database, "SELECT status FROM videos")
    assert row["status"] == "cancelled"
    assert sim.count("POST", "/v1/videos") == 1


async def test_generate_again_and_retry_on_an_inline_card_start_a_new_draft_there(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice, bob = tg.add_user("Alice"), tg.add_user("Bob")
    group = tg.add_group("Friends", members=[alice, bob])
    await face_with_photos(tg, sim, alice)

    # Generate again, after a cut-off submit.
    card = await cut_off_inline_card(tg, sim, alice, "jumps over a puddle", group)
    query_id = await tg.press(bob, card, text="Generate again")
    assert (await tg.wait_answer(query_id))["text"] == NOT_YOURS
    await tg.press(alice, card, text="Generate again")
    # The same card turns into the confirm step of a new draft: nothing charged yet.
    await tg.wait_for(lambda: "Ready to generate" in card.text)
    assert "jumps over a puddle" in card.text
    assert sim.count("POST", "/v1/videos") == 1
    query_id = await tg.press(bob, card, text="Generate")
    assert (await tg.wait_answer(query_id))["text"] == NOT_YOURS
    await tg.press(alice, card, text="Generate")
    await tg.wait_for(lambda: card.kind == "video", timeout=20)
    assert card.file_bytes == sample_mp4()

    # Retry, after the provider gave up on the job.
    sim.script_videos(VideoOutcome(status="failed", code="InternalServiceError"))
    card = await inline_card(tg, alice, "sings in the rain", chat_id=group.id)
    await tg.press(alice, card, text="Generate")
    await tg.wait_for(lambda: "Retry" in str(card.buttons()), timeout=20)
    query_id = await tg.press(bob, card, text="Retry")
    assert (await tg.wait_answer(query_id))["text"] == NOT_YOURS
    await tg.press(alice, card, text="Retry")
    await tg.wait_for(lambda: "Ready to generate" in card.text)
    await tg.press(alice, card, text="Generate")
    await tg.wait_for(lambda: card.kind == "video", timeout=20)

    rows = query(settings.database, "SELECT status, retry_of FROM videos ORDER BY id")
    assert [(r["status"], r["retry_of"]) for r in rows] == [
        ("needs_decision", None),
        ("delivered", 1),
        ("failed", None),
        ("delivered", 3),
    ]
    assert sim.count("POST", "/v1/videos") == 4


async def test_a_double_tap_on_generate_starts_one_video_and_the_card_keeps_its_progress(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice)
    card = await inline_card(tg, alice, "spins around")
    first = await tg.press(alice, card, text="Generate")
    second = await tg.press(alice, card, text="Generate")
    answers = [(await tg.wait_answer(q)).get("text") for q in (first, second)]
    assert "Starting…" in answers
    await tg.wait_for(lambda: card.kind == "video", timeout=20)
    assert not [v for v in card.history if "already started" in v]
    assert sim.count("POST", "/v1/videos") == 1

    chat_card = await confirm_card(tg, alice, "spins again")
    mark = tg.mark()
    for _ in range(2):
        await tg.press(alice, chat_card, text="Generate")
    await video_message(tg, alice.id, mark, timeout=20)
    await tg.wait_for(lambda: "is ready" in chat_card.text)
    assert not [v for v in chat_card.history if "already started" in v]
    assert sim.count("POST", "/v1/videos") == 2


async def test_a_bad_prompt_in_a_group_leaves_no_question_open_there(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    ann, max_ = tg.add_user("Ann"), tg.add_user("Max")
    group = tg.add_group("Film club", members=[max_], admins=[ann])
    await group_face(tg, sim, ann, group)
    refusal = await reply_in(tg, max_, group, "/generate " + "x" * 2001, "characters")
    # The prompt comes with the command in a group: nothing is asked, so nothing is answered.
    assert "Send another one" not in refusal.text and "/generate" in refusal.text
    mark = tg.mark()
    await tg.send_text(max_, "haha nice", chat_id=group.id, reply_to=refusal)
    await handled(tg, settings.database)
    assert not tg.sent[mark:]
    assert query(settings.database, "SELECT id FROM videos") == []
    # In a private chat a bad prompt is asked for again, as before.
    await face_with_photos(tg, sim, max_)
    await tg.send_text(max_, "/generate " + "x" * 2001)
    await tg.next_message(max_.id, contains="Send another one")
    mark = tg.mark()
    await tg.send_text(max_, "waves")
    await tg.next_message(max_.id, after=mark, contains="Ready to generate")


async def test_a_forwarded_generate_in_a_group_starts_nothing(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    ann, max_ = tg.add_user("Ann"), tg.add_user("Max")
    group = tg.add_group("Film club", members=[max_], admins=[ann])
    await group_face(tg, sim, ann, group)
    # Max forwards Ann's command from another chat (entities kept, as Telegram keeps them).
    mark = tg.mark()
    await tg.send_text(max_, "/generate waves at the club", chat_id=group.id, forward_from=ann)
    answer = await tg.next_message(group.id, after=mark, contains="forwarded")
    assert "send it yourself" in answer.text
    await handled(tg, settings.database)
    assert query(settings.database, "SELECT id FROM videos") == []
