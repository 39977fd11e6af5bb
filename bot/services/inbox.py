"""The update inbox as the Telegram side uses it (bot/telegram/updates.py): keep the updates
still being handled before Telegram is told they arrived, mark them done, and list what an
earlier run left unfinished. The rows and their rules are storage.inbox's; the time is the
service's clock."""

from __future__ import annotations

from collections.abc import Sequence

from bot.services.clock import Clock
from storage.inbox import InboxRepo, KeptUpdate

__all__ = ["KeptUpdate", "UpdateInbox"]


class UpdateInbox:
    def __init__(self, repo: InboxRepo, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    async def keep(self, updates: Sequence[tuple[int, str]]) -> None:
        """Keep updates (id, JSON) in one write; one known already is left as it is."""
        await self.repo.keep(updates, self.clock())

    async def done(self, update_ids: Sequence[int]) -> None:
        await self.repo.done(update_ids, self.clock())

    async def unfinished(self) -> list[KeptUpdate]:
        """What earlier runs received and did not finish, oldest first (each counted as one
        more attempt)."""
        return await self.repo.unfinished(self.clock())

    async def recently_done(self, limit: int) -> list[int]:
        """The newest kept updates that were handled: Telegram may send them again."""
        return await self.repo.recently_done(limit)
