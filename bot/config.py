"""Settings, read from the environment once at start.

Secrets (the bot token, provider keys) are kept out of ``repr`` so a logged or
printed Settings never leaks them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

_N = TypeVar("_N", int, float)

TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILES = "https://api.telegram.org/file/bot"
TOKEN360_API = "https://api.token360.ai"
# Default endpoints, from each provider's document; set *_BASE_URL to override.
PROVIDER_APIS = {
    "token360": TOKEN360_API,
    "sunra": "https://api.sunra.ai",
    "orcarouter": "https://api.orcarouter.ai",
    "powertokens": "https://powertokens.ai/api",
    "toapis": "https://toapis.com",
}


class ConfigError(ValueError):
    """The environment does not describe a runnable bot; the message says what to set."""


@dataclass(frozen=True)
class ProviderKey:
    api_key: str = field(repr=False)
    base_url: str


@dataclass(frozen=True)
class Settings:
    telegram_token: str = field(repr=False)
    telegram_api_base_url: str = TELEGRAM_API
    telegram_file_base_url: str = TELEGRAM_FILES
    database_path: Path = Path("data/realface.sqlite3")
    poll_seconds: float = 3.0
    token360: ProviderKey | None = None
    sunra: ProviderKey | None = None
    orcarouter: ProviderKey | None = None
    powertokens: ProviderKey | None = None
    toapis: ProviderKey | None = None
    # PowerTokens' asset pages send the key bare; some of its video pages show "Bearer".
    powertokens_bearer: bool = False
    # The externally reachable base of the bot's own HTTP server (media for URL-only
    # providers, OrcaRouter's return page, webhooks). ":0" as port: use the bound port.
    public_url: str | None = None
    http_host: str = "0.0.0.0"
    http_port: int = 8080
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    media_ttl_seconds: float = 600.0
    # Photos waiting on disk for URL-only providers: past either cap an upload is refused.
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

    @property
    def sandbox(self) -> bool:
        return not self.provider_keys()

    def provider_keys(self) -> dict[str, ProviderKey]:
        keys = {
            "token360": self.token360,
            "sunra": self.sunra,
            "orcarouter": self.orcarouter,
            "powertokens": self.powertokens,
            "toapis": self.toapis,
        }
        return {name: key for name, key in keys.items() if key is not None}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather and export its token."
            )
        keys = {name: _provider_key(env, name) for name in PROVIDER_APIS}
        sandbox_providers = tuple(
            p.strip()
            for p in env.get("REALFACE_SANDBOX_PROVIDERS", "token360").split(",")
            if p.strip()
        )
        if sandbox_providers == ("all",):
            sandbox_providers = tuple(PROVIDER_APIS)
        unknown = set(sandbox_providers) - set(PROVIDER_APIS)
        if unknown:
            raise ConfigError(f"REALFACE_SANDBOX_PROVIDERS names unknown providers: {unknown}")
        return cls(
            telegram_token=token,
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL", TELEGRAM_API),
            telegram_file_base_url=env.get("TELEGRAM_FILE_BASE_URL", TELEGRAM_FILES),
            database_path=Path(env.get("REALFACE_DATABASE", "data/realface.sqlite3")),
            poll_seconds=_float(env, "REALFACE_POLL_SECONDS", 3.0),
            token360=keys["token360"],
            sunra=keys["sunra"],
            orcarouter=keys["orcarouter"],
            powertokens=keys["powertokens"],
            toapis=keys["toapis"],
            powertokens_bearer=env.get("POWERTOKENS_AUTH_BEARER", "").lower() in ("1", "true"),
            public_url=env.get("REALFACE_PUBLIC_URL", "").strip().rstrip("/") or None,
            http_host=env.get("REALFACE_HTTP_HOST", "0.0.0.0"),
            http_port=_port(env, "REALFACE_HTTP_PORT", 8080),
            webhook_url=env.get("REALFACE_WEBHOOK_URL", "").strip() or None,
            webhook_secret=env.get("REALFACE_WEBHOOK_SECRET", "").strip() or None,
            media_ttl_seconds=_float(env, "REALFACE_MEDIA_TTL_SECONDS", 600.0),
            media_max_files=_int(env, "REALFACE_MEDIA_MAX_FILES", 1000),
            media_max_megabytes=_int(env, "REALFACE_MEDIA_MAX_MEGABYTES", 1024),
            upload_concurrency=_int(env, "REALFACE_UPLOAD_CONCURRENCY", 4),
            sandbox_providers=sandbox_providers,
            link_ttl_seconds=_float(env, "REALFACE_LINK_TTL_SECONDS", 120.0),
            verification_grace_seconds=_float(env, "REALFACE_VERIFICATION_GRACE_SECONDS", 60.0),
            invite_ttl_seconds=_float(env, "REALFACE_INVITE_TTL_SECONDS", 24 * 3600.0),
            max_poll_seconds=_float(env, "REALFACE_MAX_POLL_SECONDS", 60.0),
            asset_timeout_seconds=_float(env, "REALFACE_ASSET_TIMEOUT_SECONDS", 1800.0),
            http_timeout_seconds=_float(env, "REALFACE_HTTP_TIMEOUT_SECONDS", 30.0),
            retry_base_seconds=_float(env, "REALFACE_RETRY_BASE_SECONDS", 0.5),
            telegram_read_timeout_seconds=_float(
                env, "REALFACE_TELEGRAM_READ_TIMEOUT_SECONDS", 10.0
            ),
            telegram_upload_answer_seconds=_float(
                env, "REALFACE_TELEGRAM_UPLOAD_ANSWER_SECONDS", 60.0
            ),
            telegram_retry_base_seconds=_float(env, "REALFACE_TELEGRAM_RETRY_BASE_SECONDS", 0.5),
            telegram_retry_deadline_seconds=_float(
                env, "REALFACE_TELEGRAM_RETRY_DEADLINE_SECONDS", 60.0
            ),
            sandbox_processing_seconds=_float(env, "REALFACE_SANDBOX_PROCESSING_SECONDS", 3.0),
            max_running_videos=_int(env, "REALFACE_MAX_RUNNING_VIDEOS", 2),
            daily_videos=_int(env, "REALFACE_DAILY_VIDEOS", 20),
            video_timeout_seconds=_float(env, "REALFACE_VIDEO_TIMEOUT_SECONDS", 1800.0),
            video_max_poll_seconds=_float(env, "REALFACE_VIDEO_MAX_POLL_SECONDS", 10.0),
            progress_edit_seconds=_float(env, "REALFACE_PROGRESS_EDIT_SECONDS", 5.0),
            group_progress_edit_seconds=_float(env, "REALFACE_GROUP_PROGRESS_EDIT_SECONDS", 15.0),
            admin_cache_seconds=_float(env, "REALFACE_ADMIN_CACHE_SECONDS", 60.0),
            group_messages_per_minute=_int(env, "REALFACE_GROUP_MESSAGES_PER_MINUTE", 20),
            messages_per_second=_int(env, "REALFACE_MESSAGES_PER_SECOND", 30),
        )


def _number(
    env: Mapping[str, str],
    name: str,
    default: _N,
    parse: Callable[[str], _N],
    low: _N,
    high: _N | None,
    what: str,
) -> _N:
    """A number from the environment, or a ConfigError that says what to set instead."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ConfigError(f"{name} must be {what}, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        raise ConfigError(f"{name} must be {what}, got {raw!r}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, float, 0.0, None, "a number of seconds, 0 or more")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return _number(env, name, default, int, 1, None, "a whole number, 1 or more")


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    return _number(env, name, default, int, 0, 65535, "a port number")


def _provider_key(env: Mapping[str, str], name: str) -> ProviderKey | None:
    key = env.get(f"{name.upper()}_API_KEY", "").strip()
    if not key:
        return None
    base = env.get(f"{name.upper()}_BASE_URL", "").strip() or PROVIDER_APIS[name]
    return ProviderKey(key, base.rstrip("/"))
