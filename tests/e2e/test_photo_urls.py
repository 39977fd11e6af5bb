"""Photo URLs for URL-only providers, and the caps on uploads, as a provider and a user meet
them: a URL serves every fetch until it expires, outlives a kill -9, and a full store or a
busy provider is said plainly."""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx

from bot.config import ProviderKey, Settings
from sandbox.sunra import SunraSimulator
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import final_progress, verified_face
from tests.e2e.taps import Tap
from tests.fakes.telegram_api import BotMessage, FakeTelegram, FakeUser
from tests.harness import BotProcess, RunningBot, query
from tests.images import image


def served(settings: Settings, port: int = 0, **keys: ProviderKey) -> Settings:
    """Settings with exactly these providers, and the bot's web server on loopback."""
    return replace(
        settings,
        providers=keys,
        public_url=f"http://127.0.0.1:{port}",
        http_host="127.0.0.1",
        http_port=port,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def get_when_up(client: httpx.AsyncClient, url: str, timeout: float = 20) -> httpx.Response:
    """GET ``url`` once the server behind it listens (a restarting bot), within a deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await client.get(url)
        except httpx.TransportError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)


async def sunra_face(tg: FakeTelegram, user: FakeUser, timeout: float = 10) -> None:
    mark = tg.mark()
    await tg.send_text(user, "/newface Anna")
    await tg.next_message(user.id, after=mark, contains="has no face check", timeout=timeout)


def progress_where(
    tg: FakeTelegram, chat_id: int, after: int, check: Callable[[str], bool]
) -> Callable[[], BotMessage | None]:
    def find() -> BotMessage | None:
        return next((m for m in tg.sent[after:] if m.chat_id == chat_id and check(m.text)), None)

    return find


async def test_a_url_serves_every_fetch_until_it_expires(
    tg: FakeTelegram, settings: Settings
) -> None:
    running = await RunningBot(served(settings, **settings.providers)).start()
    try:
        media = running.services.media
        url = await media.publish(b"photo-bytes", "image/jpeg", "jpg")
        assert re.search(r"/media/[A-Za-z0-9_-]{43}\.jpg$", url)
        async with httpx.AsyncClient() as client:
            wrong = url.rsplit("/", 1)[0] + "/" + "A" * 43 + ".jpg"
            assert (await client.get(wrong)).status_code == 404
            head = await client.head(url)
            assert head.status_code == 200 and head.content == b""
            assert head.headers["Content-Type"] == "image/jpeg"
            assert head.headers["Content-Length"] == str(len(b"photo-bytes"))
            for _ in range(3):  # a check, a fetch, a retry
                got = await client.get(url)
                assert got.status_code == 200 and got.content == b"photo-bytes"
                assert got.headers["Cache-Control"] == "no-store"
            media.ttl = 0
            expired = await media.publish(b"x", "image/png", "png")
            assert (await client.get(expired)).status_code == 404
            health = await client.get(url.split("/media/")[0] + "/healthz")
            assert health.json() == {"ok": True}
    finally:
        await running.stop()


async def test_a_url_outlives_a_kill_between_publishing_and_the_providers_fetch(
    tg: FakeTelegram, settings: Settings, tmp_path: Path
) -> None:
    sunra = SunraSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    # The provider has the URL but fetches only after the bot died and came back.
    tap = Tap("POST", "/v1/ark/assets", hold=1).install(sunra)
    await sunra.start()
    config = served(settings, free_port(), sunra=ProviderKey("sim-key", sunra.base_url))
    bot = BotProcess(config, tmp_path / "bot.log").start()
    try:
        alice = tg.add_user("Alice")
        await sunra_face(tg, alice, timeout=30)  # a process starting on a busy machine
        photo = image(700, 900)
        mark = tg.mark()
        await tg.send_photo(alice, photo)
        await tg.wait_for(lambda: tap.held == 1, timeout=15, what="the held upload")
        source_url = tap.json(0)["source_url"]
        bot.kill()
        token = source_url.rsplit("/", 1)[1]
        (stored,) = query(config.database, "SELECT * FROM media")
        assert bytes(stored["content"]) == photo  # the photo, in the database
        assert stored["key"] == hashlib.sha256(token.encode()).hexdigest()  # by the hash
        assert all(token.split(".")[0] not in str(stored[k]) for k in ("key", "tag"))

        bot = BotProcess(config, tmp_path / "bot.log").start()
        async with httpx.AsyncClient() as client:
            first = await get_when_up(client, source_url)
            second = await client.get(source_url)
        assert first.status_code == second.status_code == 200, bot.log()
        assert first.content == second.content == photo
        tap.release()  # the provider now fetches (twice) from the restarted bot
        await tg.wait_for(lambda: tap.in_flight == 0, what="the held upload's answer")
        fetched = [a for a in sunra.assets.values() if a.source_url == source_url]
        assert [a.content for a in fetched] == [photo]
        # Sunra cannot be asked which uploads arrived: the restarted bot sent it again.
        progress = await final_progress(tg, alice.id, mark, timeout=30)
        assert "Active:" in progress.text, progress.text
        assert await bot.terminate() == 0, bot.log()
    finally:
        tap.release()
        if bot.proc is not None and bot.proc.poll() is None:
            bot.kill()
        await sunra.stop()


async def test_uploads_wait_their_turn_and_say_they_are_queued(
    tg: FakeTelegram, settings: Settings
) -> None:
    sim = Token360Simulator(api_keys=("sim-key",), processing_seconds=0.2)
    tap = Tap("POST", "/v1/assets", hold=10).install(sim)
    await sim.start()
    config = replace(
        settings,
        providers={"token360": ProviderKey("sim-key", sim.base_url)},
        upload_concurrency=4,
        # The provider holds the uploads until the test has seen them queued, however long
        # that takes on a busy machine: not a timeout.
        http_timeout_seconds=60.0,
    )
    running = await RunningBot(config).start()
    try:
        alice = tg.add_user("Alice")
        await verified_face(tg, sim, alice)
        mark = tg.mark()
        for i in range(10):
            await tg.send_photo(alice, image(600 + i, 800), media_group_id="album")
        # Four uploads in flight, held by the provider; six wait and say so.
        shown = progress_where(
            tg,
            alice.id,
            mark,
            lambda t: t.count("⏫ uploading…") == 4 and t.count("⏳ queued…") == 6,
        )
        await tg.wait_for(
            lambda: tap.in_flight == 4 and shown(), timeout=20, what="4 uploading, 6 queued"
        )
        tap.release()
        progress = await final_progress(tg, alice.id, mark, count=10, timeout=30)
        assert progress.text.count("Active:") == 10, progress.text
        assert tap.max_in_flight == 4
        assert sim.count("POST", "/v1/assets") == 10
    finally:
        tap.release()
        await running.stop()
        await sim.stop()


async def test_a_full_photo_store_refuses_with_a_reason(
    tg: FakeTelegram, settings: Settings
) -> None:
    sunra = SunraSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    tap = Tap("POST", "/v1/ark/assets", hold=1).install(sunra)
    await sunra.start()
    config = replace(
        served(settings, sunra=ProviderKey("sim-key", sunra.base_url)), media_max_files=1
    )
    running = await RunningBot(config).start()
    try:
        alice = tg.add_user("Alice")
        await sunra_face(tg, alice)
        mark = tg.mark()
        await tg.send_photo(alice, image(700, 900))
        first = await tg.next_message(alice.id, after=mark, contains="📤")
        await tg.wait_for(lambda: tap.held == 1, timeout=15, what="the held upload")
        second = tg.mark()
        await tg.send_photo(alice, image(701, 900))
        refused = await final_progress(tg, alice.id, second)
        assert "too many photos are waiting right now. Send it again in a few minutes" in (
            refused.text
        ), refused.text
        tap.release()
        await tg.wait_for(lambda: "Active:" in first.text, timeout=20, what="the first active")
        states = query(config.database, "SELECT status, error_code FROM assets ORDER BY id")
        assert [(r["status"], r["error_code"]) for r in states] == [
            ("active", None),
            ("failed", "media_full"),
        ]
        assert sunra.count("POST", "/v1/ark/assets") == 1
        assert query(config.database, "SELECT key FROM media") == []  # settled: URL gone
    finally:
        tap.release()
        await running.stop()
        await sunra.stop()
