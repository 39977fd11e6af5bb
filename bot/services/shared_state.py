"""Group admin rights and group send pacing, shared by the workers of one database
(issue 14; storage/shared.py). With one worker (SQLite) the Telegram side keeps both in
memory instead, and these are not used."""

from __future__ import annotations

import asyncio

from bot.services.clock import Clock
from storage.shared import AdminRightsRepo, PacingRepo


class SharedAdminRights:
    """Admin or not, as Telegram last said to any worker, trusted for ``ttl`` seconds; a
    chat_member update one worker receives is what every worker goes by from then on."""

    def __init__(self, repo: AdminRightsRepo, clock: Clock, ttl: float) -> None:
        self.repo = repo
        self.clock = clock
        self.ttl = ttl

    async def known(self, chat_id: int, user_id: int) -> bool | None:
        return await self.repo.known(chat_id, user_id, self.clock())

    async def remember(self, chat_id: int, user_id: int, admin: bool) -> None:
        await self.repo.remember(chat_id, user_id, admin, self.clock() + self.ttl)

    async def forget_chat(self, chat_id: int) -> None:
        await self.repo.forget_chat(chat_id)


class GroupPacing:
    """A group's sends paced by all workers together, as PTB's limiter paces one worker's: a
    burst of ``per_minute`` goes at once, then one every ``60 / per_minute`` seconds. Each
    send books the group's next slot in the database (a cell-rate schedule) and waits for
    it if needed."""

    def __init__(self, repo: PacingRepo, clock: Clock, per_minute: int) -> None:
        self.repo = repo
        self.clock = clock
        self.interval = 60.0 / max(1, per_minute)
        self.burst = 60.0 - self.interval  # how far ahead the schedule may run

    async def wait(self, chat_id: int) -> None:
        delay = await self.book(chat_id)
        if delay > 0:
            await asyncio.sleep(delay)

    async def book(self, chat_id: int) -> float:
        """Book a send to the group: the seconds until it may go (0 or less: now)."""
        now = self.clock()
        booked = await self.repo.next_send(chat_id, now, self.interval)
        return booked - self.interval - self.burst - now
