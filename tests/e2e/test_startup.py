"""Starting up: what cannot work ends at once with one line saying what to fix, never a
traceback; /healthz answers in polling mode too; --sandbox asks for the simulators."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import httpx

from bot.config import Settings
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot, env_for

DEADLINE = 30.0  # seconds a failing start may take, python's own start included


@dataclass
class Ended:
    code: int
    stderr: str

    @property
    def said(self) -> list[str]:
        """The bot's own lines (not its log's): what the operator reads."""
        return [line for line in self.stderr.splitlines() if line.startswith("realface-bot:")]


async def run_bot(env: dict[str, str], *args: str) -> Ended:
    """``python -m bot`` to its end, which must come within the deadline."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(proc.communicate(), DEADLINE)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"the bot was still running after {DEADLINE} s") from None
    assert proc.returncode is not None
    return Ended(proc.returncode, stderr.decode(errors="replace"))


def assert_one_line(ended: Ended, *words: str) -> None:
    """Exit code 1, and the log ends with one line of the bot's own that names the problem
    (log lines before it, such as retries, are fine; a traceback is not)."""
    assert ended.code == 1, ended.stderr
    assert "Traceback" not in ended.stderr, ended.stderr
    assert len(ended.said) == 1, ended.stderr
    assert ended.stderr.strip().splitlines()[-1] == ended.said[0], ended.stderr
    for word in words:
        assert word in ended.said[0], ended.stderr


@contextmanager
def free_port() -> Iterator[int]:
    """A loopback port that was free a moment ago: nobody listens on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    yield port


async def test_a_token_telegram_rejects_ends_the_start(
    tg: FakeTelegram, settings: Settings
) -> None:
    env = env_for(replace(settings, telegram_token="123456789:not-the-right-token"))
    ended = await run_bot(env)
    assert_one_line(ended, "rejected the bot token", "TELEGRAM_BOT_TOKEN")
    assert "not-the-right-token" not in ended.stderr  # the secret never reaches the log
    assert tg.calls_to("getUpdates") == []


async def test_an_unreachable_bot_api_ends_the_start(settings: Settings) -> None:
    with free_port() as port:
        env = env_for(settings)
        env["TELEGRAM_API_BASE_URL"] = f"http://127.0.0.1:{port}/bot"
        env["REALFACE_TELEGRAM_RETRY_BASE_SECONDS"] = "0.05"
        ended = await run_bot(env)
    assert_one_line(ended, "cannot reach the Bot API", f"127.0.0.1:{port}")
    assert settings.telegram_token not in ended.stderr


async def test_a_missing_token_ends_the_start(settings: Settings) -> None:
    env = env_for(settings)
    del env["TELEGRAM_BOT_TOKEN"]
    ended = await run_bot(env)
    assert ended.code == 2
    assert "Traceback" not in ended.stderr, ended.stderr
    assert any("TELEGRAM_BOT_TOKEN" in line for line in ended.said), ended.stderr


async def test_a_port_already_taken_ends_the_start(tg: FakeTelegram, settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        ended = await run_bot(env_for(replace(settings, http_port=port)))
    assert_one_line(ended, f"127.0.0.1:{port}", "REALFACE_HTTP_PORT")


async def test_healthz_answers_in_polling_mode(tg: FakeTelegram, settings: Settings) -> None:
    with free_port() as port:
        running = await RunningBot(replace(settings, http_port=port)).start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            health = await http.get("/healthz")
            assert (health.status_code, health.json()) == (200, {"ok": True})
            # Nothing else is published without a public URL.
            assert (await http.get("/media/anything")).status_code == 404
        await tg.wait_for(lambda: tg.calls_to("getUpdates") or None, what="polling")
        assert tg.calls_to("setWebhook") == []
    finally:
        await running.stop()


async def test_sandbox_flag_runs_on_the_simulators(tg: FakeTelegram, settings: Settings) -> None:
    """No provider key, --sandbox: the bot starts, answers /healthz, and says it is a
    sandbox; SIGTERM ends it cleanly."""
    with free_port() as port:
        env = env_for(replace(settings, http_port=port))
    for name in [name for name in env if name.startswith("TOKEN360_")]:
        del env[name]  # no provider key: without --sandbox this would not start
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--sandbox",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        alice = tg.add_user("Alice")
        await tg.send_text(alice, "/start")
        await tg.next_message(alice.id, contains="SANDBOX", timeout=DEADLINE)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/healthz")).status_code == 200
    finally:
        if proc.returncode is None:
            proc.terminate()
        _, stderr = await asyncio.wait_for(proc.communicate(), DEADLINE)
    assert proc.returncode == 0, stderr.decode(errors="replace")


async def test_a_database_url_of_another_kind_is_a_configuration_error(
    settings: Settings,
) -> None:
    env = env_for(settings)
    env["REALFACE_DATABASE"] = "mysql://bot:hunter2@127.0.0.1/realface"
    ended = await run_bot(env)
    assert ended.code == 2, ended.stderr
    assert "Traceback" not in ended.stderr, ended.stderr
    [line] = [line for line in ended.said if "REALFACE_DATABASE" in line]
    assert "'mysql'" in line and "postgresql://" in line, line
    assert "hunter2" not in ended.stderr  # the password never reaches the log


async def test_a_database_server_that_is_not_there_ends_the_start(settings: Settings) -> None:
    with free_port() as port:
        env = env_for(settings)
        env["REALFACE_DATABASE"] = f"postgresql://bot:hunter2@127.0.0.1:{port}/realface"
        ended = await run_bot(env)
    assert_one_line(ended, "cannot open the database", f"127.0.0.1:{port}", "REALFACE_DATABASE")
    assert "hunter2" not in ended.stderr
