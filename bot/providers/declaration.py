"""What a vendor says about itself, once: its name, where its settings and API live, what it
can do, how its client is built and which simulator stands in for it in sandbox mode.

Each vendor package exports one :class:`ProviderDeclaration` as ``DECLARATION``;
:mod:`bot.providers.registry` lists them. Configuration, the client factory and sandbox mode
read that list, so nothing outside the vendor's own packages names a vendor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.providers.base import Capabilities, Provider, ProviderName
from bot.providers.http import RetryPolicy


@dataclass(frozen=True)
class ClientSettings:
    """Everything a client factory gets: the deployment's key and URL, shared HTTP policy, and
    the vendor's own options (``<prefix><OPTION>`` environment values, by option name)."""

    base_url: str
    api_key: str = field(repr=False)
    timeout: float
    retry: RetryPolicy
    options: Mapping[str, str] = field(default_factory=dict)


ClientFactory = Callable[[ClientSettings], Provider]


@dataclass(frozen=True)
class ProviderDeclaration:
    name: ProviderName
    capabilities: Capabilities
    # Environment names start with this: <prefix>API_KEY, <prefix>BASE_URL, <prefix><option>.
    env_prefix: str
    default_base_url: str
    build: ClientFactory
    # "module:Class" of the simulator; imported only in sandbox mode, so production code
    # never loads the sandbox package.
    simulator: str
    # Vendor settings read from <prefix><option> (e.g. PowerTokens' AUTH_BEARER).
    options: tuple[str, ...] = ()

    @property
    def key_variable(self) -> str:
        return f"{self.env_prefix}API_KEY"

    @property
    def url_variable(self) -> str:
        return f"{self.env_prefix}BASE_URL"


def declare(
    client: type[Any],
    env_prefix: str,
    default_base_url: str,
    simulator: str,
    *,
    build: ClientFactory | None = None,
    options: tuple[str, ...] = (),
) -> ProviderDeclaration:
    """A vendor's declaration: name and capabilities as its client class states them; the
    client built by ``build``, or as :func:`plain_client` does."""
    return ProviderDeclaration(
        name=client.name,
        capabilities=client.capabilities,
        env_prefix=env_prefix,
        default_base_url=default_base_url,
        build=build or plain_client(client),
        simulator=simulator,
        options=options,
    )


def plain_client(client: Callable[..., Provider]) -> ClientFactory:
    """The factory of a client that takes ``(base_url, api_key, *, timeout, retry)``."""

    def build(settings: ClientSettings) -> Provider:
        return client(
            settings.base_url, settings.api_key, timeout=settings.timeout, retry=settings.retry
        )

    return build


def flag(value: str | None) -> bool:
    """An on/off option as people write it in an environment file."""
    return (value or "").strip().lower() in ("1", "true", "yes", "on")
