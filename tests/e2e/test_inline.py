"""Inline mode: @bot prompt in any chat, a placeholder that becomes the video."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.config import ProviderKey, Settings
from sandbox.media import sample_mp4
from sandbox.token360 import Token360Simulator
from storage.assets import AssetRepo, IncomingFile
from storage.database import Database
from storage.faces import FaceRepo
from storage.models import AssetState, FaceStatus, Owner, OwnerKind
from tests.e2e.helpers import face_with_photos
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import BotProcess, RunningBot, query


async def test_inline_query_to_video_in_the_placeholder(
    bot: RunningBot, tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice, bob = tg.add_user("Alice"), tg.add_user("Bob")
    group = tg.add_group("Friends", members=[alice, bob])

    # No face yet: a hint and a button into the private chat.
    answer = await tg.wait_inline_answer(await tg.inline_query(bob, "dancing"))
    assert answer["results"] == [] and answer["button"]["start_parameter"] == "inline"

    await face_with_photos(tg, sim, alice)
    short = await tg.wait_inline_answer(await tg.inline_query(alice, "hi"))
    assert short["results"] == [] and "prompt" in short["button"]["text"]

    query_id = await tg.inline_query(alice, "dances in the rain")
    answer = await tg.wait_inline_answer(query_id)
    assert answer["is_personal"] is True
    (result,) = answer["results"]
    assert result["title"] == "Anna"
    placeholder = await tg.post_inline_result(alice, query_id, result["id"], chat_id=group.id)
    assert placeholder.inline_message_id is not None
    assert "dances in the rain" in placeholder.text and "Nothing is charged" in placeholder.text

    # Only the requester may start it.
    query_id = await tg.press(bob, placeholder, text="Generate")
    assert (await tg.wait_answer(query_id))["text"] == "This button isn't for you."
    assert sim.count("POST", "/v1/videos") == 0

    await tg.press(alice, placeholder, text="Generate")
    await tg.wait_for(lambda: placeholder.kind == "video", timeout=20)
    assert placeholder.file_bytes == sample_mp4()
    assert any("generating" in v or "queued" in v for v in placeholder.history)
    private = [m for m in tg.messages(alice.id) if m.kind == "video"]
    assert len(private) == 1 and private[0].file_id == placeholder.file_id
    (row,) = query(settings.database, "SELECT status, inline_message_id FROM videos")
    assert (row["status"], row["inline_message_id"]) == (
        "delivered",
        placeholder.inline_message_id,
    )


async def test_inline_cancel_and_limits_apply(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    running = await RunningBot(replace(settings, daily_videos=1)).start()
    try:
        alice = tg.add_user("Alice")
        await face_with_photos(tg, sim, alice)
        query_id = await tg.inline_query(alice, "first take")
        (result,) = (await tg.wait_inline_answer(query_id))["results"]
        first = await tg.post_inline_result(alice, query_id, result["id"])
        await tg.press(alice, first, text="Cancel")
        await tg.wait_for(lambda: "Cancelled" in first.text)
        query_id = await tg.inline_query(alice, "second take")
        (result,) = (await tg.wait_inline_answer(query_id))["results"]
        second = await tg.post_inline_result(alice, query_id, result["id"])
        await tg.press(alice, second, text="Generate")
        await tg.wait_for(lambda: second.kind == "video", timeout=20)
        query_id = await tg.inline_query(alice, "third take")
        (result,) = (await tg.wait_inline_answer(query_id))["results"]
        third = await tg.post_inline_result(alice, query_id, result["id"])
        await tg.press(alice, third, text="Generate")
        await tg.wait_for(lambda: "daily limit" in third.text)
        assert sim.count("POST", "/v1/videos") == 1
    finally:
        await running.stop()


async def test_inline_results_page_past_fifty(
    tg: FakeTelegram, sim: Token360Simulator, settings: Settings
) -> None:
    alice = tg.add_user("Alice")
    # 55 verified faces with an Active photo each, stored as the bot would have stored them.
    async with Database(settings.database) as db:
        faces, assets = FaceRepo(db), AssetRepo(db)
        for i in range(55):
            face = await faces.create(
                owner=Owner(OwnerKind.USER, alice.id),
                created_by=alice.id,
                chat_id=alice.id,
                name=f"Face {i:02d}",
                provider="token360",
                provider_group_id=f"ag_{i}",
                provider_session_id=None,
                now=1.0,
            )
            await faces.transition(face.id, FaceStatus.ACTIVE, 2.0)
            _, asset, _ = await assets.add_to_batch(
                chat_id=alice.id,
                user_id=alice.id,
                face_id=face.id,
                media_group_id=None,
                file=IncomingFile(f"f{i}", f"u{i}", None, None, None, None, None),
                name_prefix="rf",
                now=3.0,
            )
            await assets.transition(
                asset.id, AssetState.ACTIVE, 4.0, provider_asset_id=f"ta_{i:032d}"
            )
            await assets.mark_reported([asset.id])
    running = await RunningBot(settings).start()
    try:
        first = await tg.wait_inline_answer(await tg.inline_query(alice, "waves"))
        assert len(first["results"]) == 50 and first["next_offset"] == "50"
        rest = await tg.wait_inline_answer(await tg.inline_query(alice, "waves", "50"))
        assert len(rest["results"]) == 5 and not rest.get("next_offset")
        titles = {r["title"] for r in first["results"] + rest["results"]}
        assert len(titles) == 55
    finally:
        await running.stop()


async def test_inline_job_survives_a_restart(
    tg: FakeTelegram, settings: Settings, tmp_path: Path
) -> None:
    sim = Token360Simulator(
        api_keys=("sim-key",), processing_seconds=0.1, video_running_seconds=4.0
    )
    await sim.start()
    config = replace(settings, providers={"token360": ProviderKey("sim-key", sim.base_url)})
    bot = BotProcess(config, tmp_path / "bot.log").start()
    try:
        alice = tg.add_user("Alice")
        await face_with_photos(tg, sim, alice)
        query_id = await tg.inline_query(alice, "walks away")
        (result,) = (await tg.wait_inline_answer(query_id, timeout=15))["results"]
        placeholder = await tg.post_inline_result(alice, query_id, result["id"])
        await tg.press(alice, placeholder, text="Generate")
        await tg.wait_for(lambda: "generating" in placeholder.text, timeout=15)
        bot.kill()
        bot = BotProcess(config, tmp_path / "bot.log").start()
        await tg.wait_for(lambda: placeholder.kind == "video", timeout=30)
        # A clean stop finishes whatever the bot still had in hand; then count.
        assert await bot.terminate() == 0, bot.log()
        assert placeholder.file_bytes == sample_mp4()
        sent = [m for m in tg.messages(alice.id) if m.kind == "video" and not m.inline_message_id]
        assert len(sent) == 1  # to the private chat once, for the file_id
        assert sim.count("POST", "/v1/videos") == 1
    finally:
        if bot.proc is not None and bot.proc.poll() is None:
            bot.kill()
        await sim.stop()
