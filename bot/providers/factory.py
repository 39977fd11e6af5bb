"""Build the enabled providers from their keys; say why any is unavailable."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.config import ProviderKey, Settings
from bot.providers.base import Provider
from bot.providers.declaration import ClientSettings
from bot.providers.http import RetryPolicy
from bot.providers.registry import declared

log = logging.getLogger(__name__)


def build_provider(name: str, key: ProviderKey, settings: Settings) -> Provider:
    return declared(name).build(
        ClientSettings(
            base_url=key.base_url,
            api_key=key.api_key,
            timeout=settings.http_timeout_seconds,
            retry=RetryPolicy(base_seconds=settings.retry_base_seconds),
            options=key.options,
        )
    )


def build_providers(
    settings: Settings, keys: Mapping[str, ProviderKey], *, public_url: bool
) -> tuple[list[Provider], dict[str, str]]:
    """The providers to use, and the ones configured but unusable with the reason."""
    enabled: list[Provider] = []
    unavailable: dict[str, str] = {}
    for name, key in keys.items():
        if declared(name).capabilities.upload_by_url and not public_url:
            unavailable[name] = (
                "it fetches photos from a public URL, and REALFACE_PUBLIC_URL is not set"
            )
            log.warning("provider %s unavailable: %s", name, unavailable[name])
            continue
        enabled.append(build_provider(name, key, settings))
    return enabled, unavailable
