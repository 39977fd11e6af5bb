"""From /generate to the MP4 in the chat, as the user sees it, with every failure kind."""

from __future__ import annotations

from dataclasses import replace

from bot.config import ProviderKey, Settings
from sandbox.media import sample_mp4
from sandbox.token360 import Fault, Token360Simulator, VideoOutcome
from tests.e2e.helpers import confirm_card, face_with_photos, handled, video_message
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot, query


async def test_generate_confirm_progress_and_mp4(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    (asset_id,) = await face_with_photos(tg, sim, alice)
    card = await confirm_card(tg, alice, "smiles & waves <at> the camera")
    assert "smiles & waves <at> the camera" in card.text
    assert asset_id in card.text and "Estimated cost: about 108,000 tokens" in card.text
    assert "Seedance 2.0 · 5 s · 720p · auto ratio · no sound" in card.text
    assert sim.count("POST", "/v1/videos") == 0  # nothing charged before Generate
    mark = tg.mark()
    await tg.press(alice, card, text="Generate")
    video = await video_message(tg, alice.id, mark)
    assert video.file_bytes == sample_mp4()
    assert video.params.get("supports_streaming") in (True, "true")
    assert int(video.params["duration"]) == 2
    assert "smiles" in video.text
    await tg.wait_for(lambda: "is ready" in card.text)
    versions = [*card.history, card.text]
    assert any("queued" in v or "generating" in v for v in versions)
    (job,) = sim.videos.values()
    assert job.asset_ids == [asset_id] and job.model == "seedance-2.0"
    assert (job.duration, job.resolution, job.ratio, job.generate_audio) == (
        5,
        "720p",
        "adaptive",
        False,
    )
    (row,) = query(settings.database, "SELECT status, tg_file_id, provider_task_id FROM videos")
    assert row["status"] == "delivered" and row["tg_file_id"] == video.file_id
    assert row["provider_task_id"] == job.video_id
    upload_actions = [
        c for c in tg.calls_to("sendChatAction") if c.params.get("action") == "upload_video"
    ]
    assert upload_actions


async def test_choosing_among_faces_and_photos(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice, "Anna")
    ben_assets = await face_with_photos(tg, sim, alice, "Ben", photos=2)
    mark = tg.mark()
    await tg.send_text(alice, "/generate dances")
    ask = await tg.next_message(alice.id, after=mark, contains="Which face")
    await tg.press(alice, ask, text="Ben")
    await tg.wait_for(lambda: "Which photo of “Ben”" in ask.text)
    await tg.press(alice, ask, text="Photo 2")
    await tg.wait_for(lambda: "Ready to generate" in ask.text)
    assert ben_assets[1] in ask.text and ben_assets[0] not in ask.text


async def test_settings_are_remembered_and_sent(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice)
    await tg.send_text(alice, "/settings")
    editor = await tg.next_message(alice.id, contains="Settings for your videos")
    assert [b.text for b in editor.buttons() if "1080p" in b.text]
    await tg.press(alice, editor, text="2.0 Fast")
    await tg.wait_for(lambda: "✓ 2.0 Fast" in [b.text for b in editor.buttons()])
    assert not [b.text for b in editor.buttons() if "1080p" in b.text]  # fast: no 1080p
    for label in ("10s", "480p", "9:16", "on"):
        await tg.press(alice, editor, text=label)
        await tg.wait_for(
            lambda label=label: any(
                b.text.startswith("✓") and label in b.text for b in editor.buttons()
            )
        )
    await tg.press(alice, editor, text="Done")
    await tg.wait_for(lambda: "Saved" in editor.text)
    card = await confirm_card(tg, alice, "walks")
    assert "Seedance 2.0 Fast · 10 s · 480p · 9:16 · sound on" in card.text
    # A change on the card is for this video only.
    await tg.press(alice, card, text="Settings")
    await tg.wait_for(lambda: "Settings for this video" in card.text)
    await tg.press(alice, card, text="12s")
    await tg.wait_for(lambda: any(b.text == "✓ 12s" for b in card.buttons()))
    await tg.press(alice, card, text="Back")
    await tg.wait_for(lambda: "Ready to generate" in card.text)
    mark = tg.mark()
    await tg.press(alice, card, text="Generate")
    await video_message(tg, alice.id, mark)
    (job,) = sim.videos.values()
    assert (job.model, job.duration, job.resolution, job.ratio, job.generate_audio) == (
        "seedance-2.0-fast",
        12,
        "480p",
        "9:16",
        True,
    )
    card = await confirm_card(tg, alice, "again")
    assert "Seedance 2.0 Fast · 10 s" in card.text  # the saved default is unchanged


async def test_videos_lists_resends_and_makes_again(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice)
    card = await confirm_card(tg, alice, "laughs")
    mark = tg.mark()
    await tg.press(alice, card, text="Generate")
    first = await video_message(tg, alice.id, mark)
    # The video arrives a moment before its job is stored as delivered; the card's "ready"
    # comes after (a /videos in between would still list it as running).
    await tg.wait_for(lambda: "is ready" in card.text)
    await tg.send_text(alice, "/videos")
    listing = await tg.next_message(alice.id, contains="Your recent videos")
    assert "laughs" in listing.text
    mark = tg.mark()
    await tg.press(alice, listing, text="Send #")
    again = await video_message(tg, alice.id, mark)
    assert again.file_id == first.file_id  # by file_id: instant, no upload
    assert sim.count("POST", "/v1/videos") == 1
    mark = tg.mark()
    await tg.press(alice, again, text="Again with these settings")
    await tg.next_message(alice.id, after=mark, contains="Ready to generate")
    assert sim.count("POST", "/v1/videos") == 1  # confirmed again before anything is charged


async def test_failures_speak_plainly_and_offer_retry_where_it_helps(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice)

    sim.script_videos(VideoOutcome(status="failed", code="OutputVideoSensitiveContentDetected"))
    card = await confirm_card(tg, alice, "one")
    await tg.press(alice, card, text="Generate")
    await tg.wait_for(lambda: "content moderation" in card.text)
    assert not card.buttons()  # the same prompt would fail again: no Retry

    sim.inject(Fault(method="POST", path_prefix="/v1/videos", status=400))
    card = await confirm_card(tg, alice, "two")
    await tg.press(alice, card, text="Generate")
    await tg.wait_for(lambda: "refused the request as invalid" in card.text)

    # A 5xx answer to the paid POST may hide a started (and charged) job: the user decides.
    sim.inject(Fault(method="POST", path_prefix="/v1/videos", status=502))
    card = await confirm_card(tg, alice, "three")
    await tg.press(alice, card, text="Generate")
    await tg.wait_for(lambda: "can't tell whether the provider started it" in card.text)
    mark = tg.mark()
    await tg.press(alice, card, text="Generate again")
    retry = await tg.next_message(alice.id, after=mark, contains="Ready to generate")
    assert "three" in retry.text
    await tg.press(alice, retry, text="Generate")
    await video_message(tg, alice.id, mark)

    # A poll that fails for good (the provider gives up on the job) offers a Retry.
    sim.script_videos(VideoOutcome(status="failed", code="InternalServiceError"))
    card = await confirm_card(tg, alice, "four")
    await tg.press(alice, card, text="Generate")
    await tg.wait_for(lambda: "Retry" in str(card.buttons()))
    # POSTs are never retried by themselves: one per press.
    assert sim.count("POST", "/v1/videos") == 5


async def test_a_provider_that_cannot_be_reached_offers_a_retry(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice)
    card = await confirm_card(tg, alice, "waves from the shore")
    port = int(sim.base_url.rsplit(":", 1)[1])
    await sim.stop()  # the paid POST finds no one listening: nothing was taken
    await tg.press(alice, card, text="Generate")
    await tg.wait_for(lambda: "couldn't reach the provider" in card.text)
    assert "not_connected" not in card.text  # the reason, not a code
    (row,) = query(settings.database, "SELECT status, failure FROM videos")
    assert (row["status"], row["failure"]) == ("failed", "unavailable")
    await sim.start(port=port)
    mark = tg.mark()
    await tg.press(alice, card, text="Retry")
    retry = await tg.next_message(alice.id, after=mark, contains="Ready to generate")
    assert "waves from the shore" in retry.text
    await tg.press(alice, retry, text="Generate")
    await video_message(tg, alice.id, mark)
    assert sim.count("POST", "/v1/videos") == 1


async def test_a_draft_whose_provider_was_turned_off_since_stays_a_draft(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    running = await RunningBot(settings).start()
    alice = tg.add_user("Alice")
    try:
        await face_with_photos(tg, sim, alice)
        card = await confirm_card(tg, alice, "waves goodbye")
    finally:
        await running.stop()
    # The operator now runs the bot with another provider only (nothing listens there).
    other = {"powertokens": ProviderKey("sim-key", "http://127.0.0.1:9")}
    running = await RunningBot(replace(settings, providers=other)).start()
    try:
        await tg.press(alice, card, text="Generate")
        await tg.wait_for(lambda: "doesn't use any more" in card.text)
        assert "Token360" in card.text
        (row,) = query(settings.database, "SELECT status FROM videos")
        assert row["status"] == "draft"  # nothing was sent, nothing is stuck
        assert sim.count("POST", "/v1/videos") == 0
    finally:
        await running.stop()


async def test_timeout_while_generating(tg: FakeTelegram, settings: Settings) -> None:
    slow = Token360Simulator(
        api_keys=("sim-key",), processing_seconds=0.1, video_running_seconds=60
    )
    await slow.start()
    running = await RunningBot(
        replace(
            settings,
            providers={"token360": ProviderKey("sim-key", slow.base_url)},
            video_timeout_seconds=1.0,
        )
    ).start()
    try:
        alice = tg.add_user("Alice")
        await face_with_photos(tg, slow, alice)
        card = await confirm_card(tg, alice, "slow")
        await tg.press(alice, card, text="Generate")
        await tg.wait_for(lambda: "took too long" in card.text, timeout=10)
        assert card.button("Retry")
    finally:
        await running.stop()
        await slow.stop()


async def test_someone_else_cannot_use_my_face(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice, mallory = tg.add_user("Alice"), tg.add_user("Mallory")
    await face_with_photos(tg, sim, alice)
    card = await confirm_card(tg, alice, "mine")
    query_id = await tg.press(mallory, card, text="Generate")
    assert (await tg.wait_answer(query_id))["text"] == "This button isn't for you."
    query_id = await tg.press(mallory, card, text="Settings")
    assert (await tg.wait_answer(query_id))["text"] == "This button isn't for you."
    await tg.send_text(mallory, "/generate use Alice's face")
    await tg.next_message(mallory.id, contains="verified face with at least one Active photo")
    await handled(tg, settings.database)
    assert sim.count("POST", "/v1/videos") == 0
    assert "Ready to generate" in card.text  # untouched


async def test_edited_generate_does_not_start_a_second_job(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice)
    mark = tg.mark()
    sent = await tg.send_text(alice, "/generate first")
    await tg.next_message(alice.id, after=mark, contains="Ready to generate")
    await tg.edit_text(alice, sent, "/generate second")
    await handled(tg, settings.database)
    rows = query(settings.database, "SELECT prompt FROM videos")
    assert [r["prompt"] for r in rows] == ["first"]


async def test_limits_per_user(tg: FakeTelegram, settings: Settings) -> None:
    slow = Token360Simulator(
        api_keys=("sim-key",), processing_seconds=0.1, video_running_seconds=3
    )
    await slow.start()
    running = await RunningBot(
        replace(
            settings,
            providers={"token360": ProviderKey("sim-key", slow.base_url)},
            max_running_videos=1,
            daily_videos=2,
        )
    ).start()
    try:
        alice = tg.add_user("Alice")
        await face_with_photos(tg, slow, alice)
        card = await confirm_card(tg, alice, "one")
        mark = tg.mark()
        await tg.press(alice, card, text="Generate")
        await tg.wait_for(lambda: "queued" in card.text or "generating" in card.text)
        await tg.send_text(alice, "/generate two")
        await tg.next_message(alice.id, after=mark, contains="1 video in progress")
        await video_message(tg, alice.id, mark, timeout=15)
        # Stored as delivered (no longer running) before its card says it is ready.
        await tg.wait_for(lambda: "is ready" in card.text)
        card = await confirm_card(tg, alice, "two")
        mark = tg.mark()
        await tg.press(alice, card, text="Generate")
        await video_message(tg, alice.id, mark, timeout=15)
        await tg.wait_for(lambda: "is ready" in card.text)
        await tg.send_text(alice, "/generate three")
        await tg.next_message(alice.id, after=mark, contains="daily limit")
        assert slow.count("POST", "/v1/videos") == 2
    finally:
        await running.stop()
        await slow.stop()


async def test_50_mb_boundary(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice)
    limit = 50 * 1024 * 1024
    sim.script_videos(VideoOutcome(video_bytes=limit), VideoOutcome(video_bytes=limit + 1))
    card = await confirm_card(tg, alice, "exactly fifty")
    mark = tg.mark()
    await tg.press(alice, card, text="Generate")
    video = await video_message(tg, alice.id, mark, timeout=30)
    assert video.file_bytes is not None and len(video.file_bytes) == limit
    card = await confirm_card(tg, alice, "one byte more")
    mark = tg.mark()
    await tg.press(alice, card, text="Generate")
    await tg.wait_for(lambda: "over the 50 MB" in card.text, timeout=30)
    (job,) = [j for j in sim.videos.values() if j.prompt == "one byte more"]
    assert f"/files/videos/{job.video_id}.mp4" in card.text and "until" in card.text
    assert not [m for m in tg.sent[mark:] if m.kind == "video"]
    rows = query(settings.database, "SELECT status FROM videos ORDER BY id")
    assert [r["status"] for r in rows] == ["delivered", "too_large"]


async def test_generate_asks_for_the_prompt_and_cancel_drops_the_draft(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice)
    await tg.send_text(alice, "/generate")
    await tg.next_message(alice.id, contains="What should the video show?")
    mark = tg.mark()
    await tg.send_text(alice, "a slow turn toward the light")
    card = await tg.next_message(alice.id, after=mark, contains="Ready to generate")
    await tg.press(alice, card, text="Cancel")
    await tg.wait_for(lambda: "Nothing was charged" in card.text)
    assert not card.buttons()  # nothing left to press on a cancelled card
    rows = query(settings.database, "SELECT status FROM videos")
    assert [r["status"] for r in rows] == ["cancelled"]
