from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.config import ProviderKey, Settings
from sandbox.token360 import Token360Simulator
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import BotProcess, RunningBot

logging.getLogger("httpx").setLevel(logging.WARNING)


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
def settings(tmp_path: Path, tg: FakeTelegram, sim: Token360Simulator) -> Settings:
    return Settings(
        telegram_token=tg.token,
        telegram_api_base_url=tg.base_url,
        telegram_file_base_url=tg.base_file_url,
        database_path=tmp_path / "realface.sqlite3",
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
