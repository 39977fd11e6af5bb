"""An upload whose answer cannot be read (bad gzip, broken JSON, an unexpected error) ends
with an outcome the user is told: found at the provider by the lost-answer lookup, or failed
with the reason. Never "uploading…" until a restart."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.config import ProviderKey, Settings
from sandbox.orcarouter import OrcaRouterSimulator
from sandbox.sunra import SunraSimulator
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import final_progress, verified_face
from tests.e2e.taps import Spoil, Tap
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot, query
from tests.images import image


def served(settings: Settings, **keys: ProviderKey) -> Settings:
    return replace(
        settings,
        providers=keys,
        public_url="http://127.0.0.1:0",
        http_host="127.0.0.1",
        http_port=0,
    )


def statuses(settings: Settings) -> list[tuple[str, str | None]]:
    rows = query(settings.database, "SELECT status, error_code FROM assets ORDER BY id")
    return [(r["status"], r["error_code"]) for r in rows]


@pytest.mark.parametrize("spoil", ["gzip", "json"])
async def test_an_unreadable_answer_is_looked_up_not_left_uploading(
    spoil: Spoil, tg: FakeTelegram, settings: Settings
) -> None:
    sim = Token360Simulator(api_keys=("sim-key",), processing_seconds=0.2)
    tap = Tap("POST", "/v1/assets", spoil=spoil).install(sim)
    await sim.start()
    config = replace(settings, providers={"token360": ProviderKey("sim-key", sim.base_url)})
    running = await RunningBot(config).start()
    try:
        alice = tg.add_user("Alice")
        await verified_face(tg, sim, alice)
        mark = tg.mark()
        await tg.send_photo(alice, image())
        progress = await final_progress(tg, alice.id, mark)
        # The provider took the file; the bot found it by name instead of sending it again.
        assert "Active:" in progress.text, progress.text
        assert tap.spoil_times == 0
        assert sim.count("POST", "/v1/assets") == 1
        assert statuses(config) == [("active", None)]
    finally:
        await running.stop()
        await sim.stop()


async def test_bad_gzip_at_a_url_provider_that_lists_its_assets(
    tg: FakeTelegram, settings: Settings
) -> None:
    orca = OrcaRouterSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    tap = Tap("POST", "/v1/asset/files", spoil="gzip").install(orca)
    await orca.start()
    config = served(settings, orcarouter=ProviderKey("sim-key", orca.base_url))
    running = await RunningBot(config).start()
    try:
        alice = tg.add_user("Alice")
        mark = tg.mark()
        await tg.send_text(alice, "/newface Anna")
        card = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes")
        link = card.button("Open verification page").url
        assert link is not None
        mark = tg.mark()
        orca.pass_link(link)
        await tg.next_message(alice.id, after=mark, contains="is verified", timeout=15)
        mark = tg.mark()
        await tg.send_photo(alice, image())
        progress = await final_progress(tg, alice.id, mark)
        assert "Active:" in progress.text, progress.text
        assert tap.spoil_times == 0
        assert orca.count("POST", "/v1/asset/files") == 1
        assert statuses(config) == [("active", None)]
    finally:
        await running.stop()
        await orca.stop()


async def test_bad_gzip_where_nothing_can_be_looked_up_fails_with_a_reason(
    tg: FakeTelegram, settings: Settings
) -> None:
    sunra = SunraSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    tap = Tap("POST", "/v1/ark/assets", spoil="gzip").install(sunra)
    await sunra.start()
    config = served(settings, sunra=ProviderKey("sim-key", sunra.base_url))
    running = await RunningBot(config).start()
    try:
        alice = tg.add_user("Alice")
        mark = tg.mark()
        await tg.send_text(alice, "/newface Anna")
        await tg.next_message(alice.id, after=mark, contains="has no face check")
        mark = tg.mark()
        await tg.send_photo(alice, image())
        progress = await final_progress(tg, alice.id, mark)
        assert "the provider didn't answer. Send the photo again in a minute." in progress.text
        assert tap.spoil_times == 0
        assert statuses(config) == [("failed", "provider_unavailable")]
        assert query(config.database, "SELECT key FROM media") == []  # told: URL gone too
    finally:
        await running.stop()
        await sunra.stop()


async def test_an_unexpected_error_after_the_upload_is_looked_up(
    tg: FakeTelegram, settings: Settings, sim: Token360Simulator, bot: RunningBot
) -> None:
    provider = bot.services.providers.get("token360")
    real_upload = provider.upload_asset

    async def upload_then_break(*args: Any, **kwargs: Any) -> Any:
        await real_upload(*args, **kwargs)
        raise KeyError("a field the parser did not expect")  # a bug, not a provider error

    provider.upload_asset = upload_then_break
    alice = tg.add_user("Alice")
    await verified_face(tg, sim, alice)
    mark = tg.mark()
    await tg.send_photo(alice, image())
    progress = await final_progress(tg, alice.id, mark)
    assert "Active:" in progress.text, progress.text
    assert sim.count("POST", "/v1/assets") == 1
    assert statuses(settings) == [("active", None)]
