"""Settings, read from the environment once at start.

Secrets (the bot token, provider keys) are kept out of ``repr`` so a logged or
printed Settings never leaks them. Every problem in the environment is reported at once
(one :class:`ConfigError` listing them all), and the bot never falls back to simulated
providers by itself: sandbox mode runs only when asked for (``REALFACE_SANDBOX=1``, or
``realface-bot --sandbox``). The providers are those declared in
:mod:`bot.providers.registry`: their keys are ``<PREFIX>API_KEY``, ``<PREFIX>BASE_URL``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from bot.providers.registry import BY_NAME, DECLARATIONS
from storage.database import Dialect, UnknownDatabase, describe

_N = TypeVar("_N", int, float)

TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILES = "https://api.telegram.org/file/bot"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class ConfigError(ValueError):
    """The environment does not describe a runnable bot: ``problems`` says, one line each,
    what is wrong and what to set instead."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def no_provider_problem() -> str:
    keys = ", ".join(d.key_variable for d in DECLARATIONS)
    return (
        f"No provider key is set: set one of {keys}, "
        "or try the bot on simulated providers with REALFACE_SANDBOX=1 (realface-bot --sandbox)."
    )


@dataclass(frozen=True)
class ProviderKey:
    api_key: str = field(repr=False)
    base_url: str
    # The vendor's own settings (its declaration's ``options``), by option name.
    options: Mapping[str, str] = field(default_factory=dict, hash=False)


class SandboxControl(Protocol):
    """What the bot uses of sandbox mode (``sandbox.control``, loaded by name only when
    sandbox mode is on, so production never imports the simulators)."""

    def keys(self) -> dict[str, ProviderKey]: ...

    async def pass_link(self, h5_link: str) -> bool:
        """Press "pass" on a simulated face check; False if the link expired or was used."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Settings:
    telegram_token: str = field(repr=False)
    telegram_api_base_url: str = TELEGRAM_API
    telegram_file_base_url: str = TELEGRAM_FILES
    # A SQLite file path (the default) or a postgresql:// URL (storage/database.py).
    database: str = "data/realface.sqlite3"
    # Where the bot keeps files: media for URL-only providers, downloads in progress.
    # Default: the SQLite file's folder, or ./data with PostgreSQL.
    data_dir: Path | None = None
    poll_seconds: float = 3.0
    # The enabled providers' keys, by declared name ("token360"), in the registry's order.
    providers: Mapping[str, ProviderKey] = field(default_factory=dict, hash=False)
    # Simulated providers on this machine instead of real ones; only when asked for.
    sandbox: bool = False
    # The externally reachable base of the bot's own HTTP server (media for URL-only
    # providers, OrcaRouter's return page, webhooks). ":0" as port: use the bound port.
    public_url: str | None = None
    http_host: str = "0.0.0.0"
    http_port: int = 8080
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    media_ttl_seconds: float = 600.0
    # Photos waiting in the database for URL-only providers: past either cap an upload is refused.
    media_max_files: int = 1000
    media_max_megabytes: int = 1024
    # Uploads in flight to one provider at once; the rest wait their turn, shown as queued.
    upload_concurrency: int = 4
    sandbox_providers: tuple[str, ...] = ("token360",)
    # How long a verification link lives at the provider (seed 000: 120 s).
    link_ttl_seconds: float = 120.0
    # After the last link expires, keep polling this long (the provider may lag) before
    # telling the user the verification did not happen.
    verification_grace_seconds: float = 60.0
    invite_ttl_seconds: float = 24 * 3600.0
    # Longest gap between two polls of a long-pending item.
    max_poll_seconds: float = 60.0
    # Status requests per minute one provider gets for processing photos, at most: each
    # face's photos are polled every poll_seconds until that many faces wait there.
    poll_requests_per_minute: int = 1200
    # Asset processing is given up (reported as a timeout) after this long.
    asset_timeout_seconds: float = 1800.0
    http_timeout_seconds: float = 30.0
    # First backoff step of a retried provider GET (doubles each try, jittered).
    retry_base_seconds: float = 0.5
    # Bot API calls (bot/telegram_retry.py): how long to wait for Telegram's answer (a video
    # upload: for the answer after the upload), the first backoff step of a retry (doubles,
    # jittered), and the time within which all retries of one call end.
    telegram_read_timeout_seconds: float = 10.0
    telegram_upload_answer_seconds: float = 60.0
    telegram_retry_base_seconds: float = 0.5
    telegram_retry_deadline_seconds: float = 60.0
    # Videos: limits that protect whoever pays the bill, and pacing.
    max_running_videos: int = 2
    daily_videos: int = 20
    video_timeout_seconds: float = 1800.0
    video_max_poll_seconds: float = 10.0
    # Where a provider calls back when a video ends (with a public URL), its polls are only a
    # fallback for a callback that never comes.
    callback_poll_seconds: float = 60.0
    # How long a worker's claim on an item (a poll, a delivery) outlives its last renewal:
    # a killed worker's items go to the others after this (storage/leases.py).
    lease_seconds: float = 30.0
    progress_edit_seconds: float = 5.0
    # Groups allow 20 messages a minute, edits included: progress there moves more slowly.
    group_progress_edit_seconds: float = 15.0
    admin_cache_seconds: float = 60.0
    # Telegram allows about 20 messages a minute in a group; the rate limiter keeps to it.
    group_messages_per_minute: int = 20
    # About 30 messages a second in all chats together (Bot API FAQ).
    messages_per_second: int = 30
    # Sandbox: simulated provider timings, shortened by tests.
    sandbox_processing_seconds: float = 3.0

    def __post_init__(self) -> None:
        # Settings made in code (tests, embedding) fail as fast as from_env's.
        problems = [
            f"{name!r} is not a declared provider"
            for name in self.providers
            if name not in BY_NAME
        ]
        unknown = [name for name in self.sandbox_providers if name not in BY_NAME]
        if unknown:
            problems.append(f"sandbox_providers names unknown providers: {', '.join(unknown)}")
        if not self.sandbox and not self.providers:
            problems.append(no_provider_problem())
        try:
            describe(self.database)
        except UnknownDatabase as exc:
            problems.append(str(exc))
        if problems:
            raise ConfigError(problems)

    @property
    def shared_database(self) -> bool:
        """Whether other workers may share the database (PostgreSQL; SQLite is one
        process's): then what they must agree on lives in it."""
        return describe(self.database) is Dialect.POSTGRESQL

    @property
    def files(self) -> Path:
        """The folder for the bot's files (``data_dir``, or beside the SQLite file)."""
        if self.data_dir is not None:
            return self.data_dir
        if describe(self.database) is Dialect.SQLITE:
            return Path(self.database).parent
        return Path("data")

    def provider_keys(self) -> dict[str, ProviderKey]:
        """The enabled providers' keys, in the registry's order."""
        return {d.name: self.providers[d.name] for d in DECLARATIONS if d.name in self.providers}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``env`` (default: the process environment), or a ConfigError
        listing every problem found, each with what to set instead."""
        read = _Reader(os.environ if env is None else env)
        token = read.text("TELEGRAM_BOT_TOKEN")
        if not token:
            read.problems.append(
                "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather and export its token."
            )
        sandbox = read.flag("REALFACE_SANDBOX")
        providers: dict[str, ProviderKey] = {
            d.name: ProviderKey(
                key,
                (read.text(d.url_variable) or d.default_base_url).rstrip("/"),
                {o: v for o in d.options if (v := read.text(d.env_prefix + o))},
            )
            for d in DECLARATIONS
            if (key := read.text(d.key_variable))
        }
        sandbox_providers = read.sandbox_providers("REALFACE_SANDBOX_PROVIDERS")
        try:
            settings = cls(
                telegram_token=token,
                providers=providers,
                sandbox=sandbox,
                sandbox_providers=sandbox_providers,
                telegram_api_base_url=read.text("TELEGRAM_API_BASE_URL") or TELEGRAM_API,
                telegram_file_base_url=read.text("TELEGRAM_FILE_BASE_URL") or TELEGRAM_FILES,
                database=read.text("REALFACE_DATABASE") or "data/realface.sqlite3",
                data_dir=Path(d) if (d := read.text("REALFACE_DATA_DIR")) else None,
                poll_seconds=read.seconds("REALFACE_POLL_SECONDS", 3.0),
                public_url=read.text("REALFACE_PUBLIC_URL").rstrip("/") or None,
                http_host=read.text("REALFACE_HTTP_HOST") or "0.0.0.0",
                http_port=read.port("REALFACE_HTTP_PORT", 8080),
                webhook_url=read.text("REALFACE_WEBHOOK_URL") or None,
                webhook_secret=read.text("REALFACE_WEBHOOK_SECRET") or None,
                media_ttl_seconds=read.seconds("REALFACE_MEDIA_TTL_SECONDS", 600.0),
                media_max_files=read.count("REALFACE_MEDIA_MAX_FILES", 1000),
                media_max_megabytes=read.count("REALFACE_MEDIA_MAX_MEGABYTES", 1024),
                upload_concurrency=read.count("REALFACE_UPLOAD_CONCURRENCY", 4),
                link_ttl_seconds=read.seconds("REALFACE_LINK_TTL_SECONDS", 120.0),
                verification_grace_seconds=read.seconds(
                    "REALFACE_VERIFICATION_GRACE_SECONDS", 60.0
                ),
                invite_ttl_seconds=read.seconds("REALFACE_INVITE_TTL_SECONDS", 24 * 3600.0),
                max_poll_seconds=read.seconds("REALFACE_MAX_POLL_SECONDS", 60.0),
                poll_requests_per_minute=read.count("REALFACE_POLL_REQUESTS_PER_MINUTE", 1200),
                asset_timeout_seconds=read.seconds("REALFACE_ASSET_TIMEOUT_SECONDS", 1800.0),
                http_timeout_seconds=read.seconds("REALFACE_HTTP_TIMEOUT_SECONDS", 30.0),
                retry_base_seconds=read.seconds("REALFACE_RETRY_BASE_SECONDS", 0.5),
                telegram_read_timeout_seconds=read.seconds(
                    "REALFACE_TELEGRAM_READ_TIMEOUT_SECONDS", 10.0
                ),
                telegram_upload_answer_seconds=read.seconds(
                    "REALFACE_TELEGRAM_UPLOAD_ANSWER_SECONDS", 60.0
                ),
                telegram_retry_base_seconds=read.seconds(
                    "REALFACE_TELEGRAM_RETRY_BASE_SECONDS", 0.5
                ),
                telegram_retry_deadline_seconds=read.seconds(
                    "REALFACE_TELEGRAM_RETRY_DEADLINE_SECONDS", 60.0
                ),
                sandbox_processing_seconds=read.seconds(
                    "REALFACE_SANDBOX_PROCESSING_SECONDS", 3.0
                ),
                max_running_videos=read.count("REALFACE_MAX_RUNNING_VIDEOS", 2),
                daily_videos=read.count("REALFACE_DAILY_VIDEOS", 20),
                video_timeout_seconds=read.seconds("REALFACE_VIDEO_TIMEOUT_SECONDS", 1800.0),
                video_max_poll_seconds=read.seconds("REALFACE_VIDEO_MAX_POLL_SECONDS", 10.0),
                callback_poll_seconds=read.seconds("REALFACE_CALLBACK_POLL_SECONDS", 60.0),
                lease_seconds=read.seconds("REALFACE_LEASE_SECONDS", 30.0),
                progress_edit_seconds=read.seconds("REALFACE_PROGRESS_EDIT_SECONDS", 5.0),
                group_progress_edit_seconds=read.seconds(
                    "REALFACE_GROUP_PROGRESS_EDIT_SECONDS", 15.0
                ),
                admin_cache_seconds=read.seconds("REALFACE_ADMIN_CACHE_SECONDS", 60.0),
                group_messages_per_minute=read.count("REALFACE_GROUP_MESSAGES_PER_MINUTE", 20),
                messages_per_second=read.count("REALFACE_MESSAGES_PER_SECOND", 30),
            )
        except ConfigError as exc:  # what only the whole says (no provider at all)
            read.problems.extend(exc.problems)
        if read.problems:
            raise ConfigError(read.problems)
        return settings


class _Reader:
    """Reads the environment, noting every problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def text(self, name: str) -> str:
        return self.env.get(name, "").strip()

    def flag(self, name: str) -> bool:
        raw = self.text(name).lower()
        if raw not in _TRUE + _FALSE:
            self.problems.append(f"{name} must be 1 (on) or 0 (off), got {raw!r}")
        return raw in _TRUE

    def sandbox_providers(self, name: str) -> tuple[str, ...]:
        names = tuple(p.strip() for p in (self.text(name) or "token360").split(",") if p.strip())
        if names == ("all",):
            return tuple(d.name for d in DECLARATIONS)
        unknown = [p for p in names if p not in BY_NAME]
        if unknown:
            known = ", ".join(d.name for d in DECLARATIONS)
            self.problems.append(
                f"{name} names unknown providers ({', '.join(unknown)}): use 'all' or some of "
                f"{known}"
            )
            return tuple(p for p in names if p in BY_NAME) or ("token360",)
        return names

    def number(
        self,
        name: str,
        default: _N,
        parse: Callable[[str], _N],
        low: _N,
        high: _N | None,
        what: str,
    ) -> _N:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = parse(raw)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            self.problems.append(f"{name} must be {what}, got {raw!r}")
            return default
        return value

    def seconds(self, name: str, default: float) -> float:
        return self.number(name, default, float, 0.0, None, "a number of seconds, 0 or more")

    def count(self, name: str, default: int) -> int:
        return self.number(name, default, int, 1, None, "a whole number, 1 or more")

    def port(self, name: str, default: int) -> int:
        return self.number(name, default, int, 0, 65535, "a port number")
