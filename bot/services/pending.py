"""What the bot waits for from a person in a chat, so that their next text answers it.

A question is asked in one chat and answered only there: a name sent in a group never
completes a ``/newface`` begun in a private chat.
"""

from __future__ import annotations

from bot.services.actors import Actor
from bot.services.clock import Clock
from storage.models import Awaiting, PendingInput
from storage.pending import PendingRepo


class PendingInputs:
    def __init__(self, repo: PendingRepo, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    async def ask(
        self, actor: Actor, kind: Awaiting, *, face_id: int | None = None, name: str | None = None
    ) -> None:
        pending = PendingInput(actor.user_id, actor.conversation, kind, face_id, name)
        await self.repo.put(pending, self.clock())

    async def of(self, actor: Actor) -> PendingInput | None:
        return await self.repo.get(actor.user_id, actor.conversation)

    async def clear(self, actor: Actor) -> bool:
        """Forget the question; whether there was one."""
        return await self.repo.clear(actor.user_id, actor.conversation)
