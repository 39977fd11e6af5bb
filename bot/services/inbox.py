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
    """``worker`` (its name and lease length, bot/services/leases.py): a kept update is
    this worker's while it lives; another replays it only once the lease has lapsed."""

    def __init__(
        self, repo: InboxRepo, clock: Clock, *, worker: str = "alone", lease_seconds: float = 30.0
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.worker = worker
        self.lease_seconds = lease_seconds

    async def keep(self, updates: Sequence[tuple[int, str]]) -> None:
        """Keep updates (id, JSON) in one write; one known already is left as it is."""
        now = self.clock()
        await self.repo.keep(updates, now, self.worker, now + self.lease_seconds)

    async def done(self, update_ids: Sequence[int]) -> None:
        await self.repo.done(update_ids, self.clock(), self.worker)

    async def unfinished(self) -> list[KeptUpdate]:
        """What dead runs received and did not finish, oldest first (each counted as one
        more attempt), now this worker's to replay."""
        now = self.clock()
        return await self.repo.unfinished(now, self.worker, now + self.lease_seconds)

    async def recently_done(self, limit: int) -> list[int]:
        """The newest kept updates that were handled: Telegram may send them again."""
        return await self.repo.recently_done(limit)
