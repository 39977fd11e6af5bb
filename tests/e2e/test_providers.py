"""Every provider, the same flow, as a user meets it: create, verify or register, upload,
Active, generate, MP4 delivered. Each provider runs behind its simulator over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from bot.config import ProviderKey, Settings
from sandbox.common import AssetOutcome, SimulatorBase
from sandbox.media import sample_mp4
from sandbox.orcarouter import OrcaRouterSimulator
from sandbox.powertokens import PowerTokensSimulator
from sandbox.sunra import SunraSimulator
from sandbox.toapis import ToAPIsSimulator
from sandbox.token360 import Token360Simulator
from tests.e2e.helpers import final_progress
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot, query
from tests.images import image

SIMULATORS: dict[str, type[SimulatorBase]] = {
    "token360": Token360Simulator,
    "sunra": SunraSimulator,
    "orcarouter": OrcaRouterSimulator,
    "powertokens": PowerTokensSimulator,
    "toapis": ToAPIsSimulator,
}
VERIFIES = {"token360", "orcarouter", "powertokens", "toapis"}


def with_only(settings: Settings, **keys: ProviderKey) -> Settings:
    """Settings with exactly these providers enabled, and the bot's web server on loopback."""
    return replace(
        settings,
        providers=keys,
        public_url="http://127.0.0.1:0",
        http_host="127.0.0.1",
        http_port=0,
    )


@pytest.fixture(params=list(SIMULATORS))
async def provider(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, Any]]:
    name = request.param
    simulator = SIMULATORS[name](api_keys=("sim-key",), processing_seconds=0.2)  # type: ignore[call-arg]
    await simulator.start()
    yield name, simulator
    await simulator.stop()


async def test_the_whole_flow_at_every_provider(
    provider: tuple[str, Any], tg: FakeTelegram, settings: Settings
) -> None:
    name, sim = provider
    config = with_only(settings, **{name: ProviderKey("sim-key", sim.base_url)})
    running = await RunningBot(config).start()
    try:
        alice = tg.add_user("Alice")
        mark = tg.mark()
        await tg.send_text(alice, "/newface Anna")
        if name in VERIFIES:
            card = await tg.next_message(alice.id, after=mark, contains="Valid for 2 minutes")
            link = card.button("Open verification page").url
            assert link is not None
            mark = tg.mark()
            sim.pass_link(link)
            await tg.next_message(alice.id, after=mark, contains="is verified", timeout=15)
        else:
            await tg.next_message(alice.id, after=mark, contains="has no face check")
        mark = tg.mark()
        await tg.send_photo(alice, image(700, 900))
        progress = await final_progress(tg, alice.id, mark, timeout=20)
        assert "Active:" in progress.text, progress.text
        mark = tg.mark()
        await tg.send_text(alice, "/generate smiles at the camera")
        card = await tg.next_message(alice.id, after=mark, contains="Ready to generate")
        mark = tg.mark()
        await tg.press(alice, card, text="Generate")
        video = await tg.wait_for(
            lambda: next(
                (m for m in tg.sent[mark:] if m.chat_id == alice.id and m.kind == "video"), None
            ),
            timeout=30,
        )
        assert video.file_bytes == sample_mp4()
        await tg.wait_for(lambda: "is ready" in card.text)
        (row,) = query(config.database, "SELECT provider, status FROM videos")
        assert (row["provider"], row["status"]) == (name, "delivered")
        (face,) = query(config.database, "SELECT provider, status FROM faces")
        assert (face["provider"], face["status"]) == (name, "active")
        # URL-only providers fetched the photo from the bot's own server: nothing is left.
        assert query(config.database, "SELECT key FROM media") == []
    finally:
        await running.stop()


async def test_several_providers_ask_which_and_the_face_remembers(
    tg: FakeTelegram, settings: Settings
) -> None:
    token360 = Token360Simulator(api_keys=("sim-key",), processing_seconds=0.2)
    sunra = SunraSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    await token360.start()
    await sunra.start()
    config = with_only(
        settings,
        token360=ProviderKey("sim-key", token360.base_url),
        sunra=ProviderKey("sim-key", sunra.base_url),
    )
    running = await RunningBot(config).start()
    try:
        alice = tg.add_user("Alice")
        await tg.send_text(alice, "/newface Anna")
        ask = await tg.next_message(alice.id, contains="Where should “Anna” live?")
        assert "no face check" in ask.text and "face check by the person" in ask.text
        mark = tg.mark()
        await tg.press(alice, ask, text="Sunra")
        await tg.next_message(alice.id, after=mark, contains="has no face check")
        mark = tg.mark()
        await tg.send_photo(alice, image())
        await final_progress(tg, alice.id, mark)
        assert sunra.count("POST", "/v1/ark/assets") == 1
        assert token360.count("POST", "/v1/assets") == 0
        await tg.send_text(alice, "/faces")
        listing = await tg.next_message(alice.id, contains="Your faces")
        await tg.press(alice, listing, text="Anna")
        await tg.wait_for(lambda: "Provider: Sunra" in listing.text)
        assert "has no face check, so no person is known" in listing.text
    finally:
        await running.stop()
        await token360.stop()
        await sunra.stop()


async def test_url_only_providers_need_a_public_url(tg: FakeTelegram, settings: Settings) -> None:
    token360 = Token360Simulator(api_keys=("sim-key",))
    await token360.start()
    config = replace(
        with_only(
            settings,
            token360=ProviderKey("sim-key", token360.base_url),
            sunra=ProviderKey("sim-key", "http://127.0.0.1:9"),
        ),
        public_url=None,
    )
    running = await RunningBot(config).start()
    try:
        svc = running.services
        assert svc.providers.names() == ["token360"]
        assert "REALFACE_PUBLIC_URL" in svc.providers.unavailable["sunra"]
    finally:
        await running.stop()
        await token360.stop()


async def test_orcarouter_quota_is_explained(tg: FakeTelegram, settings: Settings) -> None:
    orca = OrcaRouterSimulator(api_keys=("sim-key",), processing_seconds=0.2, asset_quota=1)
    await orca.start()
    running = await RunningBot(
        with_only(settings, orcarouter=ProviderKey("sim-key", orca.base_url))
    ).start()
    try:
        alice = tg.add_user("Alice")
        await tg.send_text(alice, "/newface Anna")
        card = await tg.next_message(alice.id, contains="Valid for 2 minutes")
        link = card.button("Open verification page").url
        assert link is not None
        orca.pass_link(link)
        await tg.next_message(alice.id, contains="is verified", timeout=15)
        orca.script_assets(AssetOutcome(), AssetOutcome())
        for expected in ("Active:", "asset quota"):
            mark = tg.mark()
            await tg.send_photo(alice, image())
            progress = await final_progress(tg, alice.id, mark, timeout=20)
            assert expected in progress.text, progress.text
    finally:
        await running.stop()
        await orca.stop()


async def verified_at(tg: FakeTelegram, sim: Any, user: Any, name: str = "Anna") -> None:
    mark = tg.mark()
    await tg.send_text(user, f"/newface {name}")
    card = await tg.next_message(user.id, after=mark, contains="Valid for 2 minutes")
    link = card.button("Open verification page").url
    assert link is not None
    mark = tg.mark()
    sim.pass_link(link)
    await tg.next_message(user.id, after=mark, contains="is verified", timeout=15)


async def test_powertokens_rename_and_delete_reach_the_provider(
    tg: FakeTelegram, settings: Settings
) -> None:
    sim = PowerTokensSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    await sim.start()
    running = await RunningBot(
        with_only(settings, powertokens=ProviderKey("sim-key", sim.base_url))
    ).start()
    try:
        alice = tg.add_user("Alice")
        await verified_at(tg, sim, alice)
        (group_id,) = [
            r["provider_group_id"]
            for r in query(settings.database, "SELECT provider_group_id FROM faces")
        ]
        await tg.send_text(alice, "/faces")
        listing = await tg.next_message(alice.id, contains="Your faces")
        await tg.press(alice, listing, text="Anna")
        await tg.wait_for(lambda: "Provider: PowerTokens" in listing.text)
        await tg.press(alice, listing, text="Rename")
        await tg.next_message(alice.id, contains="Send the new name")
        mark = tg.mark()
        await tg.send_text(alice, "Anna K")
        await tg.next_message(alice.id, after=mark, contains="at the provider too")
        assert sim.groups[group_id].name == "Anna K"
        await tg.press(alice, listing, text="Delete")
        await tg.wait_for(lambda: "also deletes its group" in listing.text)
        await tg.press(alice, listing, text="Yes, delete")
        await tg.wait_for(lambda: "Its photos were deleted at PowerTokens." in listing.text)
        assert group_id not in sim.groups
    finally:
        await running.stop()
        await sim.stop()


async def test_video_options_follow_the_provider(tg: FakeTelegram, settings: Settings) -> None:
    orca = OrcaRouterSimulator(api_keys=("sim-key",), processing_seconds=0.2)
    await orca.start()
    running = await RunningBot(
        with_only(settings, orcarouter=ProviderKey("sim-key", orca.base_url))
    ).start()
    try:
        alice = tg.add_user("Alice")
        await verified_at(tg, orca, alice)
        for _ in range(2):
            mark = tg.mark()
            await tg.send_photo(alice, image())
            await final_progress(tg, alice.id, mark, timeout=20)
        await tg.send_text(alice, "/settings")
        editor = await tg.next_message(alice.id, contains="Settings for your videos")
        await tg.press(alice, editor, text="2.0 Fast")
        await tg.wait_for(lambda: "Saved" in editor.text or "✓ 2.0 Fast" in str(editor.buttons()))
        mark = tg.mark()
        await tg.send_text(alice, "/generate two looks")
        ask = await tg.next_message(alice.id, after=mark, contains="Which photo of “Anna”")
        # OrcaRouter offers every mode: a first frame (the default) and up to 9 references.
        modes = [b.text for b in ask.buttons()][:3]
        assert modes == ["● First frame", "First & last frame", "References"], modes
        await tg.press(alice, ask, text="References")
        await tg.wait_for(lambda: "Which photos of “Anna”" in ask.text)
        assert "up to 9" in ask.text
        await tg.press(alice, ask, text="Photo 1")
        await tg.wait_for(lambda: any(b.text.startswith("✅") for b in ask.buttons()))
        await tg.press(alice, ask, text="Photo 2")
        await tg.wait_for(lambda: any("Use 2 photos" in b.text for b in ask.buttons()))
        await tg.press(alice, ask, text="Use 2 photos")
        await tg.wait_for(lambda: "Ready to generate" in ask.text)
        # OrcaRouter offers no fast model: the draft fell back to the one it has.
        assert "Seedance 2.0 ·" in ask.text
        await tg.press(alice, ask, text="Settings")
        await tg.wait_for(lambda: "Settings for this video" in ask.text)
        assert not [b for b in ask.buttons() if "Fast" in b.text]
        await tg.press(alice, ask, text="Back")
        await tg.wait_for(lambda: "Ready to generate" in ask.text)
        mark = tg.mark()
        await tg.press(alice, ask, text="Generate")
        await tg.wait_for(
            lambda: next((m for m in tg.sent[mark:] if m.kind == "video"), None), timeout=30
        )
        (job,) = orca.videos.values()
        assert len(job.asset_ids) == 2
    finally:
        await running.stop()
        await orca.stop()
