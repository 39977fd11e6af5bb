"""The fault injection every provider simulator shares (``SimulatorBase``), over real HTTP:
error answers, timeouts, resets, held answers, before or after the work, for a seeded
fraction of the requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from sandbox.common import SimulatorBase
from sandbox.orcarouter import OrcaRouterSimulator
from sandbox.outcomes import Fault, flaky
from sandbox.powertokens import PowerTokensSimulator
from sandbox.sunra import SunraSimulator
from sandbox.toapis import ToAPIsSimulator
from sandbox.token360 import Token360Simulator
from tests.support import running

GROUPS = "/v1/asset-groups"
NEW_GROUP = {"name": "Anna", "groupKind": "REAL_FACE"}


@pytest.fixture
async def sim() -> AsyncIterator[Token360Simulator]:
    async with running(Token360Simulator(api_keys=("k",))) as served:
        yield served


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def api(sim: SimulatorBase, timeout: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=sim.base_url, headers={"Authorization": "Bearer k"}, timeout=timeout
    )


async def test_an_error_status_before_the_work_creates_nothing(sim: Token360Simulator) -> None:
    sim.inject(Fault("POST", GROUPS, status=503))
    async with api(sim) as client:
        answer = await client.post(GROUPS, json=NEW_GROUP)
    assert answer.status_code == 503 and answer.json()["code"] == 503
    assert sim.groups == {} and sim.faulted == [("POST", GROUPS, "503")]


async def test_an_error_status_after_the_work_is_a_lost_answer(sim: Token360Simulator) -> None:
    sim.inject(Fault("POST", GROUPS, status=502, processed=True))
    async with api(sim) as client:
        assert (await client.post(GROUPS, json=NEW_GROUP)).status_code == 502
    assert len(sim.groups) == 1  # made, though the caller was told otherwise


async def test_a_reset_drops_the_connection_unanswered(sim: Token360Simulator) -> None:
    sim.inject(Fault("GET", GROUPS, kind="reset"), Fault("POST", GROUPS, kind="reset"))
    async with api(sim) as client:
        with pytest.raises(httpx.ReadError):
            await client.get(GROUPS)
        with pytest.raises(httpx.TransportError):
            await client.post(GROUPS, json=NEW_GROUP)
        assert (await client.get(GROUPS)).status_code == 200  # spent: the next one is fine
    assert sim.groups == {}
    assert sim.count("GET", GROUPS) == 2 and sim.count_faulted() == 2


async def test_a_reset_after_the_work_leaves_it_done(sim: Token360Simulator) -> None:
    sim.inject(Fault("POST", GROUPS, kind="reset", processed=True))
    async with api(sim) as client:
        with pytest.raises(httpx.TransportError):
            await client.post(GROUPS, json=NEW_GROUP)
    assert len(sim.groups) == 1


async def test_a_timeout_holds_until_the_client_gives_up(sim: Token360Simulator) -> None:
    sim.inject(Fault("GET", GROUPS, kind="timeout"))
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with api(sim, timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(GROUPS)
    assert loop.time() - started < 5  # the client's timeout, not the simulator's 60 s cap
    # A capped hold ends on the simulator's side: the client sees the connection dropped.
    sim.inject(Fault("GET", GROUPS, kind="timeout", delay=0.05))
    async with api(sim) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(GROUPS)


async def test_a_held_answer_waits_for_the_test(sim: Token360Simulator) -> None:
    release = asyncio.Event()
    sim.inject(Fault("POST", GROUPS, kind="hold", processed=True, release=release))
    async with api(sim) as client:
        sent = asyncio.create_task(client.post(GROUPS, json=NEW_GROUP))
        await until(lambda: bool(sim.groups))  # done at the provider, the answer still held
        assert not sent.done()
        release.set()
        answer = await sent
    assert answer.json()["data"]["assetGroupId"] in sim.groups


async def test_a_hold_before_the_work_does_it_once_released(sim: Token360Simulator) -> None:
    release = asyncio.Event()
    sim.inject(Fault("POST", GROUPS, kind="hold", release=release))
    async with api(sim) as client:
        sent = asyncio.create_task(client.post(GROUPS, json=NEW_GROUP))
        await until(lambda: bool(sim.faulted))
        assert sim.groups == {}
        release.set()
        assert (await sent).status_code == 200
    assert len(sim.groups) == 1


async def test_stopping_the_simulator_ends_held_requests() -> None:
    sim = Token360Simulator(api_keys=("k",))
    await sim.start()
    sim.inject(Fault("GET", GROUPS, kind="hold", release=asyncio.Event()))
    async with api(sim) as client:
        sent = asyncio.create_task(client.get(GROUPS))
        await until(lambda: bool(sim.faulted))
        await asyncio.wait_for(sim.stop(), 10)
        await asyncio.wait_for(asyncio.gather(sent, return_exceptions=True), 10)


async def test_a_seeded_rate_strikes_that_fraction_the_same_way_each_time() -> None:
    def pattern(seed: int) -> list[str | None]:
        faults = flaky("GET", "/v1/", 0.3, seed=seed)
        out = []
        for _ in range(4000):
            hit = next((f for f in faults if f.matches("GET", "/v1/x") and f.strikes()), None)
            out.append(hit.label if hit else None)
        return out

    first = pattern(5)
    assert first == pattern(5) and first != pattern(6)
    struck = [label for label in first if label]
    assert 0.27 < len(struck) / len(first) < 0.33
    for label in ("503", "429", "timeout", "reset"):  # an even mix
        assert 0.2 < struck.count(label) / len(struck) < 0.3, label


async def test_flaky_faults_strike_a_fraction_over_http(sim: Token360Simulator) -> None:
    sim.flaky("GET", GROUPS, 0.5, seed=3, mix=(503, 429))
    async with api(sim) as client:
        codes = [(await client.get(GROUPS)).status_code for _ in range(60)]
    assert set(codes) == {200, 503, 429}
    assert codes.count(200) == 60 - sim.count_faulted("GET", GROUPS)
    sim.clear_faults()
    async with api(sim) as client:
        assert (await client.get(GROUPS)).status_code == 200


async def test_faults_come_over_http_too(sim: Token360Simulator) -> None:
    async with httpx.AsyncClient(base_url=sim.base_url) as control:
        body = {"method": "GET", "path_prefix": GROUPS, "kind": "reset", "rate": 1, "times": None}
        assert (await control.post("/_sim/faults", json=body)).status_code == 200
        bad = {"method": "GET", "path_prefix": GROUPS, "kind": "hold"}  # nothing to release it
        assert (await control.post("/_sim/faults", json=bad)).status_code == 400
    async with api(sim) as client:
        for _ in range(3):  # never spent
            with pytest.raises(httpx.ReadError):
                await client.get(GROUPS)


@pytest.mark.parametrize(
    "wrong",
    [
        {"kind": "explode"},
        {"rate": 0},
        {"rate": 1.5},
        {"times": 0},
        {"seed": "x"},
        {"kind": "hold"},
        {"release": "not an event", "kind": "hold"},
    ],
)
def test_a_fault_that_makes_no_sense_is_refused(wrong: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Fault("GET", "/v1/", **wrong)


@pytest.mark.parametrize(
    "make",
    [
        Token360Simulator,
        SunraSimulator,
        OrcaRouterSimulator,
        PowerTokensSimulator,
        ToAPIsSimulator,
    ],
)
async def test_every_simulator_has_them(make: type[SimulatorBase]) -> None:
    async with running(make(api_keys=("k",))) as sim:  # type: ignore[call-arg]
        sim.inject(
            Fault(None, "/v1/", kind="reset"),
            Fault(None, "/v1/", status=429, retry_after=2),
            Fault(None, "/v1/", kind="timeout"),
        )
        async with api(sim, timeout=0.2) as client:
            with pytest.raises(httpx.ReadError):
                await client.get("/v1/anything")
            limited = await client.get("/v1/anything")
            assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
            with pytest.raises(httpx.ReadTimeout):
                await client.get("/v1/anything")
        assert [label for _, _, label in sim.faulted] == ["reset", "429", "timeout"]
