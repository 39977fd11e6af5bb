"""Build the enabled providers from the settings; say why any is unavailable."""

from __future__ import annotations

import logging

from bot.config import ProviderKey, Settings
from bot.providers.base import Provider
from bot.providers.http import RetryPolicy
from bot.providers.orcarouter import OrcaRouter
from bot.providers.powertokens import PowerTokens
from bot.providers.sunra import Sunra
from bot.providers.toapis import ToAPIs
from bot.providers.token360 import Token360

log = logging.getLogger(__name__)

# Providers that fetch photos from a public URL and so need REALFACE_PUBLIC_URL.
URL_ONLY = {"sunra", "orcarouter", "toapis"}


def build_provider(name: str, key: ProviderKey, settings: Settings) -> Provider:
    retry = RetryPolicy(base_seconds=settings.retry_base_seconds)
    timeout = settings.http_timeout_seconds
    if name == "token360":
        return Token360(key.base_url, key.api_key, timeout=timeout, retry=retry)
    if name == "sunra":
        return Sunra(key.base_url, key.api_key, timeout=timeout, retry=retry)
    if name == "orcarouter":
        return OrcaRouter(key.base_url, key.api_key, timeout=timeout, retry=retry)
    if name == "powertokens":
        return PowerTokens(
            key.base_url,
            key.api_key,
            timeout=timeout,
            retry=retry,
            bearer=settings.powertokens_bearer,
        )
    if name == "toapis":
        return ToAPIs(key.base_url, key.api_key, timeout=timeout, retry=retry)
    raise ValueError(f"unknown provider {name!r}")


def build_providers(
    settings: Settings, keys: dict[str, ProviderKey], *, public_url: bool
) -> tuple[list[Provider], dict[str, str]]:
    """The providers to use, and the ones configured but unusable with the reason."""
    enabled: list[Provider] = []
    unavailable: dict[str, str] = {}
    for name, key in keys.items():
        if name in URL_ONLY and not public_url:
            unavailable[name] = (
                "it fetches photos from a public URL, and REALFACE_PUBLIC_URL is not set"
            )
            log.warning("provider %s unavailable: %s", name, unavailable[name])
            continue
        enabled.append(build_provider(name, key, settings))
    return enabled, unavailable
