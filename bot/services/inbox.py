"""The update inbox as the Telegram side uses it (bot/telegram/updates.py): keep an update
before Telegram is told it arrived, mark it done, and list what an earlier run left
unfinished. The rows and their rules are storage.inbox's; the time is the service's clock."""

from __future__ import annotations

from bot.services.clock import Clock
from storage.inbox import InboxRepo, KeptUpdate

__all__ = ["KeptUpdate", "UpdateInbox"]


class UpdateInbox:
    def __init__(self, repo: InboxRepo, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    async def keep(self, update_id: int, payload: str) -> bool:
        """Keep an update; False if it is known already (handled, or waiting for a replay)."""
        return await self.repo.keep(update_id, payload, self.clock())

    async def done(self, update_id: int) -> None:
        await self.repo.done(update_id, self.clock())

    async def unfinished(self) -> list[KeptUpdate]:
        """What earlier runs received and did not finish, oldest first (each counted as one
        more attempt)."""
        return await self.repo.unfinished(self.clock())
