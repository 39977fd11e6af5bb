"""Issue 13 as a person uses it: several people in one video, first and last frames, modes
that follow the provider, and Token360 calling back when a video is done."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from bot.config import ProviderKey, Settings
from sandbox.media import sample_mp4
from sandbox.orcarouter import OrcaRouterSimulator
from sandbox.sunra import SunraSimulator
from sandbox.toapis import ToAPIsSimulator
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import face_with_photos, final_progress, video_message
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_api.models import BotMessage, FakeUser
from tests.harness import RunningBot, query
from tests.images import image


async def _draft_of_anna(tg: FakeTelegram, alice: FakeUser, prompt: str) -> BotMessage:
    """/generate, Anna chosen: her one photo is the first frame, on the confirm card."""
    mark = tg.mark()
    await tg.send_text(alice, f"/generate {prompt}")
    card = await tg.next_message(alice.id, after=mark, contains="Which face")
    await tg.press(alice, card, text="Anna")
    await tg.wait_for(lambda: "Ready to generate" in card.text)
    return card


async def _switch_mode(tg: FakeTelegram, alice: FakeUser, card: BotMessage, mode: str) -> None:
    await tg.press(alice, card, text="Photos")
    await tg.wait_for(lambda: any(b.text == "● First frame" for b in card.buttons()))
    await tg.press(alice, card, text=mode)
    await tg.wait_for(lambda: any(b.text == f"● {mode}" for b in card.buttons()))


async def _add_ben(tg: FakeTelegram, alice: FakeUser, card: BotMessage) -> None:
    await tg.press(alice, card, text="Another face")
    await tg.wait_for(lambda: "Which face should join the video?" in card.text)
    await tg.press(alice, card, text="Ben")
    await tg.wait_for(lambda: "“Ben”" in card.text and "Photo 1" in str(card.buttons()))
    await tg.press(alice, card, text="Photo 1")


async def test_two_people_in_one_reference_video(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice = tg.add_user("Alice")
    (anna,) = await face_with_photos(tg, sim, alice, "Anna")
    (ben,) = await face_with_photos(tg, sim, alice, "Ben")
    await face_with_photos(tg, sim, alice, "Cleo")  # not named: not in the video
    # The prompt names two faces: both are in, each with their first photo.
    mark = tg.mark()
    await tg.send_text(alice, "/generate Anna hugs Ben under the rain")
    card = await tg.next_message(alice.id, after=mark, contains="Ready to generate")
    # The card names every face and photo, and the prompt as the provider gets it.
    assert "Mode: References" in card.text
    assert f"Image 1: “Anna” · photo 1 {anna}" in card.text
    assert f"Image 2: “Ben” · photo 1 {ben}" in card.text
    assert "Cleo" not in card.text
    assert "Sent as: [Image 1] hugs [Image 2] under the rain" in card.text
    assert "Estimated cost" in card.text
    mark = tg.mark()
    await tg.press(alice, card, text="Generate")
    video = await video_message(tg, alice.id, mark)
    assert video.file_bytes == sample_mp4()
    assert "Anna & Ben" in video.text
    assert sim.count("POST", "/v1/videos") == 1
    (body,) = sim.video_requests
    urls = [item["image_url"]["url"] for item in body["input_references"]]
    assert urls == [f"asset://{anna}", f"asset://{ben}"]
    assert "frame_images" not in body
    assert body["prompt"] == "[Image 1] hugs [Image 2] under the rain"


async def test_a_face_picked_from_the_prompt_can_be_changed(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice = tg.add_user("Alice")
    await face_with_photos(tg, sim, alice, "May")
    (ben,) = await face_with_photos(tg, sim, alice, "Ben")
    mark = tg.mark()
    await tg.send_text(alice, "/generate May the wind blow softly")
    card = await tg.next_message(alice.id, after=mark, contains="Ready to generate")
    assert "Face: “May”" in card.text  # "May" read as the face: the person can say no
    await tg.press(alice, card, text="Faces")
    await tg.wait_for(lambda: "Which face should be in the video?" in card.text)
    await tg.press(alice, card, text="Ben")
    await tg.wait_for(lambda: "Ready to generate" in card.text)
    assert f"Face: “Ben” — {ben}" in card.text


async def test_adding_a_face_by_hand(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator
) -> None:
    alice = tg.add_user("Alice")
    (anna,) = await face_with_photos(tg, sim, alice, "Anna")
    (ben,) = await face_with_photos(tg, sim, alice, "Ben")
    card = await _draft_of_anna(tg, alice, "two friends waving")
    await _switch_mode(tg, alice, card, "References")
    assert "Image 1: “Anna”" in card.text  # her photo stays picked as Image 1
    await _add_ben(tg, alice, card)
    await tg.wait_for(lambda: any("Use 2 photos" in b.text for b in card.buttons()))
    await tg.press(alice, card, text="Use 2 photos")
    await tg.wait_for(lambda: "Ready to generate" in card.text)
    assert f"Image 2: “Ben” · photo 1 {ben}" in card.text
    assert "Sent as" not in card.text  # no names to turn into image tags
    assert anna in card.text


async def test_first_and_last_frame_of_two_faces(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    (anna,) = await face_with_photos(tg, sim, alice, "Anna")
    (ben,) = await face_with_photos(tg, sim, alice, "Ben")
    card = await _draft_of_anna(tg, alice, "turns into someone else")
    await _switch_mode(tg, alice, card, "First & last frame")
    await _add_ben(tg, alice, card)  # the second photo picked: nothing left to ask
    await tg.wait_for(lambda: "Ready to generate" in card.text)
    assert f"First frame: “Anna” · photo 1 {anna}" in card.text
    assert f"Last frame: “Ben” · photo 1 {ben}" in card.text
    mark = tg.mark()
    await tg.press(alice, card, text="Generate")
    video = await video_message(tg, alice.id, mark)
    (body,) = sim.video_requests
    slots = {f["frame_type"]: f["image_url"]["url"] for f in body["frame_images"]}
    assert slots == {"first_frame": f"asset://{anna}", "last_frame": f"asset://{ben}"}
    assert body["prompt"] == "turns into someone else"
    # Again keeps the mode, the faces and the photos.
    mark = tg.mark()
    await tg.press(alice, video, text="Again")
    again = await tg.next_message(alice.id, after=mark, contains="Ready to generate")
    assert "First frame: “Anna”" in again.text and "Last frame: “Ben”" in again.text
    rows = query(settings.database, "SELECT mode, asset_ids FROM videos ORDER BY id")
    assert [r["mode"] for r in rows] == ["first_last", "first_last"]
    assert rows[0]["asset_ids"] == rows[1]["asset_ids"]


async def test_a_face_at_another_provider_is_not_offered(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    sunra = SunraSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    await sunra.start()
    config = replace(
        settings,
        providers={**settings.providers, "sunra": ProviderKey("sim-key", sunra.base_url)},
        public_url="http://127.0.0.1:0",
    )
    running = await RunningBot(config).start()
    try:
        alice = tg.add_user("Alice")
        mark = tg.mark()
        await tg.send_text(alice, "/newface Sam")
        ask = await tg.next_message(alice.id, after=mark, contains="Where should")
        await tg.press(alice, ask, text="Sunra")
        await tg.next_message(alice.id, after=mark, contains="has no face check")
        mark = tg.mark()
        await tg.send_photo(alice, image(700, 900))
        await final_progress(tg, alice.id, mark, timeout=20)
        # Sunra takes references only: no frame modes anywhere on Sam's draft.
        mark = tg.mark()
        await tg.send_text(alice, "/generate Sam waves")
        card = await tg.next_message(alice.id, after=mark, contains="Ready to generate")
        await tg.press(alice, card, text="Photos")
        await tg.wait_for(lambda: "Which photos of “Sam”" in card.text)
        labels = [b.text for b in card.buttons()]
        assert not [label for label in labels if "frame" in label.lower()], labels
        assert "Mode:" not in card.text
    finally:
        await running.stop()
        await sunra.stop()


@contextlib.asynccontextmanager
async def _with_callbacks(settings: Settings, fallback: float) -> AsyncIterator[RunningBot]:
    """The bot with a public URL (Token360 calls back) and a fallback poll this far apart."""
    config = replace(settings, public_url="http://127.0.0.1:0", callback_poll_seconds=fallback)
    running = await RunningBot(config).start()
    try:
        yield running
    finally:
        await running.stop()


async def _one_photo_draft(
    tg: FakeTelegram, sim: Token360Simulator, alice: FakeUser
) -> BotMessage:
    await face_with_photos(tg, sim, alice, "Anna")
    mark = tg.mark()
    await tg.send_text(alice, "/generate waves")
    return await tg.next_message(alice.id, after=mark, contains="Ready to generate")


async def test_the_callback_brings_the_video_at_once(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    # The fallback poll is far away: only the callback can bring the video in time.
    async with _with_callbacks(settings, fallback=600.0) as running:
        alice = tg.add_user("Alice")
        card = await _one_photo_draft(tg, sim, alice)
        mark = tg.mark()
        await tg.press(alice, card, text="Generate")
        await tg.wait_for(lambda: sim.callbacks_sent, timeout=30)
        called = time.monotonic()
        await video_message(tg, alice.id, mark)
        assert time.monotonic() - called < 2.0
        (body,) = sim.video_requests
        assert body["callback_url"].startswith(running.services.media.base_url + "/hooks/video/")
        # One GET, the one the callback asked for: the provider's word, not the callback's.
        (video_id,) = sim.store.videos
        assert sim.count("GET", f"/v1/videos/{video_id}") == 1
        delivered = "SELECT callback_token FROM videos WHERE status = 'delivered'"
        (row,) = await tg.wait_for(lambda: query(settings.database, delivered))
        assert row["callback_token"] in body["callback_url"]


async def test_a_forged_callback_changes_nothing(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    async with _with_callbacks(settings, fallback=600.0) as running:
        alice = tg.add_user("Alice")
        card = await _one_photo_draft(tg, sim, alice)
        sim.drop_callbacks = True  # the real one never comes
        await tg.press(alice, card, text="Generate")
        queued = "SELECT 1 FROM videos WHERE status = 'queued'"
        await tg.wait_for(lambda: bool(query(settings.database, queued)))
        base = running.services.media.base_url
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            wrong = await http.post("/hooks/video/not-the-secret", json={"status": "completed"})
            missing = await http.post("/hooks/video/", json={})
        assert wrong.status_code == 404 and missing.status_code in (404, 405)
        (video_id,) = sim.store.videos
        assert sim.count("GET", f"/v1/videos/{video_id}") == 0
        (row,) = query(settings.database, "SELECT status FROM videos")
        assert row["status"] == "queued"
        assert not [m for m in tg.sent if m.chat_id == alice.id and m.kind == "video"]


async def test_a_dropped_callback_is_made_up_for_by_polling(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    async with _with_callbacks(settings, fallback=1.0):
        alice = tg.add_user("Alice")
        card = await _one_photo_draft(tg, sim, alice)
        sim.drop_callbacks = True
        mark = tg.mark()
        await tg.press(alice, card, text="Generate")
        video = await video_message(tg, alice.id, mark)
        assert video.file_bytes == sample_mp4()
        assert not sim.callbacks_sent


def _returns(sim: Any) -> list[str]:
    """The URLs the simulated browser was sent back to after the face check."""
    if isinstance(sim, OrcaRouterSimulator):
        return [visit.url for visit in sim.return_visits]
    return [url for url, _ in sim.callback_visits]


@pytest.mark.parametrize("name", ["orcarouter", "toapis"])
async def test_the_face_check_page_returns_to_a_secret_that_wakes_only_its_check(
    name: str, tg: FakeTelegram, settings: Settings
) -> None:
    kind = OrcaRouterSimulator if name == "orcarouter" else ToAPIsSimulator
    sim = kind(api_keys=("sim-key",), processing_seconds=0.2)
    await sim.start()
    # Polls are half a minute apart: only the page's return can bring the news in time.
    config = replace(
        settings,
        providers={name: ProviderKey("sim-key", sim.base_url)},
        public_url="http://127.0.0.1:0",
        poll_seconds=30.0,
        max_poll_seconds=60.0,
    )
    running = await RunningBot(config).start()
    try:
        alice = tg.add_user("Alice")
        mark = tg.mark()
        await tg.send_text(alice, "/newface Anna")
        card = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes")
        (row,) = query(config.database, "SELECT callback_token FROM faces")
        secret = row["callback_token"]
        assert secret and len(secret) >= 32
        base = running.services.media.base_url
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            forged = await http.get(f"/return/{name}/not-the-secret?status=success")
        assert forged.status_code == 200  # the person's browser always gets the page
        link = card.button("Open verification page").url
        assert link is not None
        mark = tg.mark()
        sim.pass_link(link)
        await tg.next_message(alice.id, after=mark, contains="is verified", timeout=15)
        (url,) = _returns(sim)
        assert url.startswith(f"{base}/return/{name}/{secret}?")
    finally:
        await running.stop()
        await sim.stop()


async def test_two_people_at_sunra_are_named_as_its_docs_say(
    tg: FakeTelegram, settings: Settings
) -> None:
    sunra = SunraSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    await sunra.start()
    config = replace(
        settings,
        providers={"sunra": ProviderKey("sim-key", sunra.base_url)},
        public_url="http://127.0.0.1:0",
    )
    running = await RunningBot(config).start()
    try:
        alice = tg.add_user("Alice")
        for name in ("Anna", "Ben"):
            mark = tg.mark()
            await tg.send_text(alice, f"/newface {name}")
            await tg.next_message(alice.id, after=mark, contains="has no face check")
            mark = tg.mark()
            await tg.send_photo(alice, image(700, 900))
            await final_progress(tg, alice.id, mark, timeout=20)
        ids = [
            r["provider_asset_id"]
            for r in query(config.database, "SELECT provider_asset_id FROM assets ORDER BY id")
        ]
        mark = tg.mark()
        await tg.send_text(alice, "/generate Ben lifts Anna")
        card = await tg.next_message(alice.id, after=mark, contains="Ready to generate")
        assert "Sent as: @Image1 lifts @Image2" in card.text
        mark = tg.mark()
        await tg.press(alice, card, text="Generate")
        await video_message(tg, alice.id, mark)
        assert sunra.count("POST", "/v1/queue/") == 1
        (body,) = sunra.video_requests
        assert body["reference_images"] == [f"asset://{ids[1]}", f"asset://{ids[0]}"]
        assert body["prompt"] == "@Image1 lifts @Image2"
        assert body["_model"].endswith("reference-to-video")
    finally:
        await running.stop()
        await sunra.stop()
