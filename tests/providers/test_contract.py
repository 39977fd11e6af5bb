"""What the Provider protocol promises, checked the same way for all five client/simulator
pairs over real HTTP on 127.0.0.1: each vendor is declared once and its declaration matches
its client and simulator; a face goes from check to an Active asset to a finished video with
its URL; 401, 429 and 5xx become the same errors whoever the vendor is. (The same journey
under faults: test_faults_contract.py; vendor specifics: test_<vendor>_client.py.)"""

from __future__ import annotations

from contextlib import aclosing

import pytest

from bot.providers.base import (
    AssetRef,
    GroupState,
    ProviderAuthError,
    ProviderRateLimited,
    ProviderUnavailable,
    RemoteAssetState,
    VideoState,
)
from bot.providers.http import RetryPolicy
from bot.providers.registry import DECLARATIONS, declared
from sandbox.common import Fault
from sandbox.control import simulator_class
from tests.clock import FakeClock
from tests.providers.vendors import VENDORS, Vendor, video_request
from tests.support import BotWeb, running

# One try: the error of the first answer is what is checked.
ONCE = RetryPolicy(attempts=1, base_seconds=0.01, max_retry_after=0.05)


def test_the_contract_covers_every_declared_provider() -> None:
    assert [v.name for v in VENDORS] == [d.name for d in DECLARATIONS]


def test_a_declaration_matches_its_client_and_simulator(vendor: Vendor) -> None:
    declaration = declared(vendor.name)
    assert declaration.name == vendor.client.name == vendor.name
    assert declaration.capabilities == vendor.client.capabilities
    assert simulator_class(vendor.name) is vendor.simulator
    assert declaration.env_prefix == vendor.name.upper() + "_"


async def test_a_face_goes_from_check_to_asset_to_video(
    vendor: Vendor, clock: FakeClock, bot_web: BotWeb
) -> None:
    sim = vendor.make_sim(clock)
    async with running(sim), aclosing(vendor.make_client(sim, clock)) as client:
        group: str | None = None
        check = await vendor.begin(client, clock, 1)
        if check is None:
            assert not client.capabilities.verification
        else:
            assert check.h5_link.startswith("http")
            assert await client.check_verifications([check.pending], set()) == {}
            expected = vendor.pass_check(sim, clock, check)
            found = await client.check_verifications([check.pending], set())
            assert found[1].state is GroupState.ACTIVE
            assert expected is None or found[1].group_id == expected
            group = found[1].group_id
            assert (await client.get_group(group)).state is GroupState.ACTIVE

        uploaded = await client.upload_asset(group, vendor.photo(bot_web), "realface-1-1")
        ref = AssetRef(uploaded.asset_id, uploaded.record_id, group)
        assert (await client.get_asset(ref)).state is RemoteAssetState.PROCESSING
        clock.advance(10)
        asset = await client.get_asset(ref)
        assert asset.state is RemoteAssetState.ACTIVE and asset.asset_id

        submitted = await client.submit_video(video_request(asset.asset_id))
        assert submitted.state in (VideoState.QUEUED, VideoState.RUNNING)
        clock.advance(10)
        done = await client.get_video(submitted.task_id)
        assert done.state is VideoState.COMPLETED
        assert done.video_url and done.video_url.startswith("http")


async def test_a_refused_key_is_an_auth_error(vendor: Vendor, clock: FakeClock) -> None:
    sim = vendor.make_sim(clock)
    async with running(sim), aclosing(vendor.client(sim.base_url, "wrong", retry=ONCE)) as wrong:
        with pytest.raises(ProviderAuthError):
            await wrong.get_video("nothing")


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, ProviderRateLimited), (500, ProviderUnavailable), (503, ProviderUnavailable)],
)
async def test_error_statuses_mean_the_same_for_every_vendor(
    vendor: Vendor, clock: FakeClock, status: int, error: type[Exception]
) -> None:
    sim = vendor.make_sim(clock)
    async with running(sim), aclosing(vendor.make_client(sim, clock, retry=ONCE)) as client:
        sim.inject(Fault("GET", "/v1/", status=status, retry_after=0))
        with pytest.raises(error):
            await client.get_video("any-task")
