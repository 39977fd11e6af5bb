"""Every provider the bot knows, declared once, and the ones enabled in this run.

Adding a provider: write its client package under ``bot/providers/`` exporting a
``DECLARATION``, its simulator package under ``sandbox/``, and add one line to
:data:`DECLARATIONS`. Configuration, the client factory and sandbox mode read this list.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.providers import orcarouter, powertokens, sunra, toapis, token360
from bot.providers.base import Capabilities, PhotoDeletion, Provider
from bot.providers.declaration import ProviderDeclaration

# In the order the bot offers them; the first enabled one is the default.
DECLARATIONS: tuple[ProviderDeclaration, ...] = (
    token360.DECLARATION,
    sunra.DECLARATION,
    orcarouter.DECLARATION,
    powertokens.DECLARATION,
    toapis.DECLARATION,
)
BY_NAME: dict[str, ProviderDeclaration] = {d.name: d for d in DECLARATIONS}


def declared(name: str) -> ProviderDeclaration:
    try:
        return BY_NAME[name]
    except KeyError:
        raise LookupError(f"no provider is declared as {name!r}") from None


class Providers:
    def __init__(
        self, providers: Iterable[Provider], unavailable: dict[str, str] | None = None
    ) -> None:
        self._by_name: dict[str, Provider] = {str(p.name): p for p in providers}
        # Configured but unusable providers, with the reason, to tell users and operators.
        self.unavailable = dict(unavailable or {})
        if not self._by_name:
            raise ValueError(
                "no provider is usable: "
                + "; ".join(f"{name}: {why}" for name, why in self.unavailable.items())
                or "none enabled"
            )

    def get(self, name: str) -> Provider:
        try:
            return self._by_name[name]
        except KeyError:
            raise LookupError(f"provider {name!r} is not enabled") from None

    def capabilities(self, name: str) -> Capabilities:
        """What ``name`` can do, also for a provider no longer enabled (a face made with it
        earlier): its declaration says."""
        provider = self._by_name.get(name)
        if provider is not None:
            return provider.capabilities
        declaration = BY_NAME.get(name)
        # A name no longer declared (an old row) can do nothing beyond the basics.
        return declaration.capabilities if declaration else Capabilities(display_name=name)

    def default(self) -> Provider:
        return next(iter(self._by_name.values()))

    def all(self) -> list[Provider]:
        return list(self._by_name.values())

    def label(self, name: str) -> str:
        """A provider's name for people, also for one that is no longer enabled."""
        provider = self._by_name.get(name)
        return provider.capabilities.display_name if provider else f"{name} (not enabled now)"

    def names(self) -> list[str]:
        return list(self._by_name)

    def by_photo_deletion(self) -> dict[PhotoDeletion, list[str]]:
        """The enabled providers' names, by what their APIs let the bot delete."""
        found: dict[PhotoDeletion, list[str]] = {}
        for provider in self._by_name.values():
            caps = provider.capabilities
            found.setdefault(caps.photo_deletion, []).append(caps.display_name)
        return found

    async def aclose(self) -> None:
        for provider in self._by_name.values():
            await provider.aclose()
