"""One contract for all five provider clients, against their simulators over real HTTP, while
the provider misbehaves: reads (safe to repeat) get through a provider failing 30 % of them;
a POST that creates something or costs money is sent exactly once, whatever happens to it,
and its error says whether the provider may have acted on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from bot.providers.base import (
    AssetInfo,
    AssetRef,
    GroupState,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    RemoteAssetState,
    VideoState,
)
from bot.providers.http import RetryPolicy
from sandbox.common import Fault
from tests.clock import FakeClock
from tests.providers.vendors import VENDORS, Created, Vendor, video_request
from tests.support import BotWeb, running

T = TypeVar("T")

# Enough attempts that a read rarely needs the next poll; waits kept tiny.
RETRY = RetryPolicy(attempts=6, base_seconds=0.01, max_retry_after=0.05, deadline_seconds=20)
# What a "timeout" fault costs: it holds the answer until the client gives up. Long enough
# that an answered request never runs into it on a busy machine.
TIMEOUT = 2.0
FAULT_RATE = 0.3
SEED = 1
# Reads of each state before it changes: enough that faults strike whatever the seed.
READS = 3
# A tracker asks again on its next tick; a read that needs more ticks than this is broken.
MAX_TICKS = 4


class Tracker:
    """Reads as the bot's tracker makes them: a read that fails is asked again on the next
    tick. ``failed`` counts the ticks lost that way: the client's own retries should leave
    next to none."""

    def __init__(self) -> None:
        self.failed: list[ProviderError] = []

    async def read(self, read: Callable[[], Awaitable[T]]) -> T:
        for _ in range(MAX_TICKS):
            try:
                return await read()
            except ProviderError as exc:
                self.failed.append(exc)
        raise AssertionError(f"no answer in {MAX_TICKS} ticks: {self.failed}")


async def face_group(vendor: Vendor, client: Any, sim: Any, clock: FakeClock) -> str | None:
    """A face whose check passed (no faults armed): its group id (None: Sunra has none)."""
    check = await vendor.begin(client, clock, 1)
    if check is None:
        return None
    expected = vendor.pass_check(sim, clock, check)
    found = await client.check_verifications([check.pending], set())
    assert expected is None or found[1].group_id == expected
    group: str = found[1].group_id
    return group


async def active_asset(
    vendor: Vendor, client: Any, clock: FakeClock, bot_web: BotWeb, group: str | None
) -> str:
    info = await client.upload_asset(group, vendor.photo(bot_web), "realface-1-1")
    clock.advance(10)
    done = await client.get_asset(AssetRef(info.asset_id, info.record_id, group))
    assert done.state is RemoteAssetState.ACTIVE and done.asset_id
    asset_id: str = done.asset_id
    return asset_id


# ---------------------------------------------------------------------- reads


async def test_every_read_gets_the_right_answer_from_a_flaky_provider(
    vendor: Vendor, clock: FakeClock, bot_web: BotWeb
) -> None:
    sim = vendor.make_sim(clock)
    mix = (503, *vendor.rate_limit_statuses, "timeout", "reset")
    async with (
        running(sim),
        aclosing(vendor.make_client(sim, clock, timeout=TIMEOUT, retry=RETRY)) as client,
    ):
        for method, prefix in vendor.reads:
            sim.flaky(method, prefix, FAULT_RATE, seed=SEED, mix=mix)

        tracker = Tracker()
        # The face check: pending while the person has not passed, then the group.
        group: str | None = None
        check = await vendor.begin(client, clock, 1)
        if check is not None:
            pending = [check.pending]
            for _ in range(READS):
                assert await tracker.read(lambda: client.check_verifications(pending, set())) == {}
            expected = vendor.pass_check(sim, clock, check)
            found = await tracker.read(lambda: client.check_verifications(pending, set()))
            assert found[1].state is GroupState.ACTIVE
            assert expected is None or found[1].group_id == expected
            group = found[1].group_id

        # A photo: processing, then active, by its own GET and (where there is one) the list.
        uploaded = await client.upload_asset(group, vendor.photo(bot_web), "realface-1-1")
        ref = AssetRef(uploaded.asset_id, uploaded.record_id, group)
        for _ in range(READS):
            assert (await tracker.read(lambda: client.get_asset(ref))).state is (
                RemoteAssetState.PROCESSING
            )
        clock.advance(10)
        asset: AssetInfo = await tracker.read(lambda: client.get_asset(ref))
        assert asset.state is RemoteAssetState.ACTIVE and asset.asset_id
        assert uploaded.asset_id in (None, asset.asset_id)
        if client.capabilities.lists_assets:
            listed = await tracker.read(lambda: client.list_assets(group or ""))
            assert [(a.asset_id, a.state) for a in listed] == [
                (asset.asset_id, RemoteAssetState.ACTIVE)
            ]

        # A video: queued, then completed with its URL.
        submitted = await client.submit_video(video_request(asset.asset_id))
        for _ in range(READS):
            status = await tracker.read(lambda: client.get_video(submitted.task_id))
            assert status.state is VideoState.QUEUED
        clock.advance(10)
        status = await tracker.read(lambda: client.get_video(submitted.task_id))
        assert status.state is VideoState.COMPLETED and status.video_url

        # Each thing was asked for once and exists once, though reads failed all along.
        for path in (vendor.start_path, vendor.upload_path, vendor.submit_path):
            if path is not None:
                assert sim.count("POST", path) == 1, path
        checks = 0 if vendor.start_path is None else 1
        assert vendor.created(sim) == Created(checks, 1, 1)
        # Faults did strike, of more than one kind, and the client's retries absorbed them.
        kinds = {label for _, _, label in sim.faulted}
        assert len(sim.faulted) >= 5 and {"timeout", "reset"} & kinds, sim.faulted
        assert len(tracker.failed) <= 1, tracker.failed


# ---------------------------------------------------------------------- creating POSTs


@dataclass(frozen=True)
class PostFault:
    """What happens to a creating POST, and what the client must make of it."""

    name: str
    fault: dict[str, Any]
    error: type[ProviderError]
    not_taken: bool  # the provider certainly did not act on it

    @property
    def processed(self) -> bool:
        return bool(self.fault.get("processed"))


POST_FAULTS = [
    PostFault("503", {"status": 503}, ProviderUnavailable, False),
    PostFault("429", {"status": 429, "retry_after": 0}, ProviderRateLimited, True),
    PostFault("timeout", {"kind": "timeout"}, ProviderUnavailable, False),
    PostFault("reset", {"kind": "reset"}, ProviderUnavailable, False),
    # "Created, but the answer was lost": the provider acted, so the error must not say not.
    PostFault("made-then-reset", {"kind": "reset", "processed": True}, ProviderUnavailable, False),
    PostFault("made-then-502", {"status": 502, "processed": True}, ProviderUnavailable, False),
    PostFault(
        "made-then-timeout", {"kind": "timeout", "processed": True}, ProviderUnavailable, False
    ),
]
SUNRA_403 = PostFault("403-rate-limit", {"status": 403}, ProviderRateLimited, True)


def post_cases() -> list[Any]:
    cases = [
        pytest.param(vendor, case, id=f"{vendor.name}-{case.name}")
        for vendor in VENDORS
        for case in POST_FAULTS
    ]
    sunra = next(v for v in VENDORS if v.name == "sunra")
    return [*cases, pytest.param(sunra, SUNRA_403, id=f"sunra-{SUNRA_403.name}")]


async def sent_once(
    sim: Any, path: str, case: PostFault, call: Callable[[], Awaitable[object]]
) -> None:
    """``call`` POSTs to ``path`` while ``case`` strikes it: one request, the right error."""
    sim.reset_counts()
    sim.inject(Fault("POST", path, **case.fault))
    with pytest.raises(case.error) as caught:
        await call()
    assert caught.value.not_taken is case.not_taken, caught.value
    assert sim.count("POST", path) == 1
    assert sim.count_faulted("POST", path) == 1


async def created(vendor: Vendor, sim: Any, what: str, made: int) -> None:
    """The provider holds ``made`` (0 or 1) of ``what``: the work of a request whose client
    gave up may still be finishing, so a 1 is waited for."""
    await wait_until(lambda: getattr(vendor.created(sim), what) == made)


@pytest.mark.parametrize(("vendor", "case"), post_cases())
async def test_a_creating_post_is_sent_once_and_its_error_says_if_it_was_taken(
    vendor: Vendor, case: PostFault, clock: FakeClock, bot_web: BotWeb
) -> None:
    sim = vendor.make_sim(clock)
    # A timeout costs the client's patience: the faulted calls get little of it.
    patience = 0.3 if case.fault.get("kind") == "timeout" else TIMEOUT
    async with (
        running(sim),
        aclosing(vendor.make_client(sim, clock, timeout=TIMEOUT, retry=RETRY)) as client,
        aclosing(vendor.make_client(sim, clock, timeout=patience, retry=RETRY)) as hurried,
    ):
        made = int(case.processed)
        if vendor.start_path is not None:
            await sent_once(
                sim, vendor.start_path, case, lambda: hurried.start_verification("face 9")
            )
            await created(vendor, sim, "checks", made)
        group = await face_group(vendor, client, sim, clock)

        photo = vendor.photo(bot_web)
        await sent_once(
            sim, vendor.upload_path, case, lambda: hurried.upload_asset(group, photo, "lost")
        )
        await created(vendor, sim, "uploads", made)
        asset_id = await active_asset(vendor, client, clock, bot_web, group)

        request = video_request(asset_id)
        await sent_once(sim, vendor.submit_path, case, lambda: hurried.submit_video(request))
        await created(vendor, sim, "videos", made)


async def test_a_provider_never_reached_took_nothing(vendor: Vendor, clock: FakeClock) -> None:
    sim = vendor.make_sim(clock)  # never started: nothing listens at its address
    sim.base_url = "http://127.0.0.1:1"
    async with aclosing(vendor.make_client(sim, clock, timeout=TIMEOUT, retry=RETRY)) as client:
        with pytest.raises(ProviderUnavailable) as caught:
            await client.submit_video(video_request("asset-1"))
    assert caught.value.not_taken


async def test_a_held_answer_arrives_after_the_work_was_done(
    vendor: Vendor, clock: FakeClock, bot_web: BotWeb
) -> None:
    sim = vendor.make_sim(clock)
    async with (
        running(sim),
        aclosing(vendor.make_client(sim, clock, timeout=30, retry=RETRY)) as client,
    ):
        group = await face_group(vendor, client, sim, clock)
        release = asyncio.Event()
        sim.inject(Fault("POST", vendor.upload_path, kind="hold", processed=True, release=release))
        upload = asyncio.create_task(
            client.upload_asset(group, vendor.photo(bot_web), "realface-1-1")
        )
        await wait_until(lambda: vendor.created(sim).uploads == 1)
        assert not upload.done()  # made at the provider; the answer is still on its way
        release.set()
        info = await upload
        assert info.state is RemoteAssetState.PROCESSING
        assert sim.count("POST", vendor.upload_path) == 1


async def wait_until(condition: Callable[[], bool], timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)
