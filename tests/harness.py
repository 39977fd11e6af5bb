"""Run the unmodified bot: in this event loop, or as a real process to kill and restart."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from bot.app import build_application
from bot.config import Settings
from bot.providers.registry import DECLARATIONS, declared
from bot.services.clock import Clock, system_clock
from bot.telegram import lifecycle
from bot.telegram.lifecycle import AnyApplication
from storage.database import Dialect, describe
from storage.placeholders import dollar


class RunningBot:
    """The Application as ``run_polling`` runs it, minus the signal handling."""

    def __init__(self, settings: Settings, clock: Clock = system_clock) -> None:
        self.settings = settings
        self.clock = clock
        self.app: AnyApplication | None = None

    async def start(self) -> RunningBot:
        # The process's own start and stop (bot/telegram/lifecycle.py), short long polls.
        app = self.app = build_application(self.settings, clock=self.clock)
        await lifecycle.start(app, webhook=self.settings.webhook_url is not None, poll_timeout=1)
        return self

    async def stop(self) -> None:
        if self.app is not None:
            await lifecycle.stop(self.app)
        self.app = None

    @property
    def services(self) -> Any:
        assert self.app is not None
        return self.app.bot_data.services


def env_for(settings: Settings) -> dict[str, str]:
    """The environment that makes ``python -m bot`` run with these settings."""
    ours = ("REALFACE", *(d.env_prefix for d in DECLARATIONS))
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": settings.telegram_token,
            "TELEGRAM_API_BASE_URL": settings.telegram_api_base_url,
            "TELEGRAM_FILE_BASE_URL": settings.telegram_file_base_url,
            "REALFACE_DATABASE": settings.database,
            "REALFACE_POLL_SECONDS": str(settings.poll_seconds),
            "REALFACE_LINK_TTL_SECONDS": str(settings.link_ttl_seconds),
            "REALFACE_VERIFICATION_GRACE_SECONDS": str(settings.verification_grace_seconds),
            "REALFACE_RETRY_BASE_SECONDS": str(settings.retry_base_seconds),
            "REALFACE_MAX_POLL_SECONDS": str(settings.max_poll_seconds),
            "REALFACE_PROGRESS_EDIT_SECONDS": str(settings.progress_edit_seconds),
            "REALFACE_GROUP_PROGRESS_EDIT_SECONDS": str(settings.group_progress_edit_seconds),
            "REALFACE_GROUP_MESSAGES_PER_MINUTE": str(settings.group_messages_per_minute),
            "REALFACE_MESSAGES_PER_SECOND": str(settings.messages_per_second),
            "REALFACE_VIDEO_MAX_POLL_SECONDS": str(settings.video_max_poll_seconds),
            "REALFACE_LEASE_SECONDS": str(settings.lease_seconds),
            "REALFACE_HTTP_TIMEOUT_SECONDS": str(settings.http_timeout_seconds),
            "REALFACE_TELEGRAM_READ_TIMEOUT_SECONDS": str(settings.telegram_read_timeout_seconds),
            "REALFACE_TELEGRAM_UPLOAD_ANSWER_SECONDS": str(
                settings.telegram_upload_answer_seconds
            ),
            "REALFACE_TELEGRAM_RETRY_BASE_SECONDS": str(settings.telegram_retry_base_seconds),
            "REALFACE_TELEGRAM_RETRY_DEADLINE_SECONDS": str(
                settings.telegram_retry_deadline_seconds
            ),
            "PYTHONUNBUFFERED": "1",
        }
    )
    for name, key in settings.provider_keys().items():
        declaration = declared(name)
        env[declaration.key_variable] = key.api_key
        env[declaration.url_variable] = key.base_url
        env.update({declaration.env_prefix + o: v for o, v in key.options.items()})
    if settings.sandbox:
        env["REALFACE_SANDBOX"] = "1"
        env["REALFACE_SANDBOX_PROVIDERS"] = ",".join(settings.sandbox_providers)
    env["REALFACE_HTTP_HOST"] = settings.http_host  # /healthz is served in every mode
    env["REALFACE_HTTP_PORT"] = str(settings.http_port)
    if settings.public_url is not None:
        env["REALFACE_PUBLIC_URL"] = settings.public_url
    if settings.data_dir is not None:
        env["REALFACE_DATA_DIR"] = str(settings.data_dir)
    if settings.webhook_url is not None:
        env["REALFACE_WEBHOOK_URL"] = settings.webhook_url
    if settings.webhook_secret is not None:
        env["REALFACE_WEBHOOK_SECRET"] = settings.webhook_secret
    return env


class BotProcess:
    """``python -m bot`` in a child process, with its log kept for failures."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            env=env_for(self.settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    async def terminate(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        for _ in range(200):
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        else:
            self.proc.kill()
        return self.proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def query(database: str | Path, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Read what the bot stored, from outside, as an operator would: rows by name and by
    position, from the SQLite file or the PostgreSQL database the bot was given."""
    if describe(database) is Dialect.POSTGRESQL:
        return _outside.query(str(database), sql, params)
    conn = sqlite3.connect(database)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


T = TypeVar("T")


class _OutsideReader:
    """PostgreSQL reads for synchronous test code: asyncpg on its own thread and loop, one
    connection kept per database, so a read costs a round trip, not a connect."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connections: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, daemon=True).start()
                self._loop = loop
            return self._loop

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._running()).result(120)

    def query(self, url: str, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return self.run(self._query(url, sql, params))

    async def _query(self, url: str, sql: str, params: tuple[Any, ...]) -> list[Any]:
        import asyncpg

        statement = dollar(sql)
        conn = self._connections.get(url)
        if conn is None or conn.is_closed():
            conn = self._connections[url] = await asyncpg.connect(url)
        return list(await conn.fetch(statement.sql, *statement.values(params)))

    def forget(self, url: str) -> None:
        conn = self._connections.pop(url, None)
        if conn is not None and self._loop is not None:
            asyncio.run_coroutine_threadsafe(conn.close(), self._loop).result(10)


_outside = _OutsideReader()


def on_outside_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to its end on the outside reader's loop, from synchronous code."""
    return _outside.run(work)


def forget_connections(database: str) -> None:
    """Close the outside reader's connection to ``database`` (before it is dropped)."""
    _outside.forget(database)


def with_changes(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)
