"""The enabled providers, by name; built once at start from the settings."""

from __future__ import annotations

from collections.abc import Iterable

from bot.providers.base import Provider


class Providers:
    def __init__(
        self, providers: Iterable[Provider], unavailable: dict[str, str] | None = None
    ) -> None:
        self._by_name: dict[str, Provider] = {p.name.value: p for p in providers}
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

    async def aclose(self) -> None:
        for provider in self._by_name.values():
            await provider.aclose()
