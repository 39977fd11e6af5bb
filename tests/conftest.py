from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.config import ProviderKey, Settings
from sandbox.token360 import Token360Simulator
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import BotProcess, RunningBot
from tests.postgres import fresh_database

logging.getLogger("httpx").setLevel(logging.WARNING)

# A PostgreSQL server the tests may create databases on (.ci/postgres prints one). When it
# is set, the tests that store through the bot (e2e, services) run on both backends.
POSTGRES = os.environ.get("REALFACE_TEST_POSTGRES", "").strip()
_BOTH = ("e2e", "services")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" not in metafunc.fixturenames:
        return
    backends = ["sqlite"]
    if POSTGRES and metafunc.definition.path.parent.name in _BOTH:
        backends.append("postgresql")
    metafunc.parametrize("database", backends, indirect=True)


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """What REALFACE_DATABASE says for this test: a SQLite file in its folder, or a fresh
    PostgreSQL database (migrated, dropped afterwards)."""
    if request.param == "postgresql":
        yield from fresh_database(POSTGRES)
    else:
        yield str(tmp_path / "realface.sqlite3")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def sim() -> AsyncIterator[Token360Simulator]:
    simulator = Token360Simulator(api_keys=("sim-key",), processing_seconds=0.2)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
def settings(tmp_path: Path, database: str, tg: FakeTelegram, sim: Token360Simulator) -> Settings:
    return Settings(
        telegram_token=tg.token,
        telegram_api_base_url=tg.base_url,
        telegram_file_base_url=tg.base_file_url,
        database=database,
        data_dir=tmp_path,
        poll_seconds=0.05,
        providers={"token360": ProviderKey("sim-key", sim.base_url)},
        verification_grace_seconds=0.5,
        max_poll_seconds=0.5,
        http_timeout_seconds=2.0,
        retry_base_seconds=0.01,
        sandbox_processing_seconds=0.2,
        progress_edit_seconds=0.0,
        group_progress_edit_seconds=0.0,
        admin_cache_seconds=0.5,
        # The fake Bot API does not limit rates; waiting for Telegram's would only slow tests.
        group_messages_per_minute=10_000,
        video_max_poll_seconds=0.2,
        # A worker restarted on PostgreSQL takes its predecessor's work once that one's
        # leases lapse (on SQLite at once): short, like the polls.
        lease_seconds=2.0,
        # /healthz is served in every mode: on a free loopback port, not 8080 for all.
        http_host="127.0.0.1",
        http_port=0,
    )


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[RunningBot]:
    running = await RunningBot(settings).start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
def bot_process(tmp_path: Path) -> Iterator[Callable[[Settings], BotProcess]]:
    """Start ``python -m bot`` processes (one log for all); any still running at the end
    of the test is killed, so a failing test leaves no bot behind."""
    started: list[BotProcess] = []

    def start(settings: Settings) -> BotProcess:
        process = BotProcess(settings, tmp_path / "bot.log").start()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.proc is not None and process.proc.poll() is None:
            process.kill()
