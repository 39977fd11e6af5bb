"""What the bot waits for from a person in a chat, so that their next text answers it.

A question is asked in one chat and answered only there: a name sent in a group never
completes a ``/newface`` begun in a private chat.

In a group, an anonymous admin writes as GroupAnonymousBot but presses buttons as
themselves: a question asked one way and answered the other would never find its answer
under one identity. Such questions are asked of the group's admins, and any admin there
answers them: a provider button (the anonymous ``/newface Anna`` asked it), and the new
name after a Rename button (typed anonymously).
"""

from __future__ import annotations

from bot.services.actors import Actor
from bot.services.clock import Clock
from storage.models import Awaiting, PendingInput
from storage.pending import PendingRepo

# Asked by a button press, answered by a message: an anonymous admin's message may answer it.
_ASKED_BY_BUTTON = Awaiting.RENAME


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
        """What the actor's next message here answers: their own question; for an anonymous
        admin with none, the newest rename asked (by a button) of an admin there."""
        own = await self.repo.get(actor.user_id, actor.conversation)
        if own is not None or not actor.anonymous or actor.admin_of is None:
            return own
        return await self.repo.latest_in_chat(actor.admin_of, _ASKED_BY_BUTTON)

    async def for_button(self, actor: Actor, kind: Awaiting) -> PendingInput | None:
        """The question of ``kind`` the actor's button press answers: their own, or in a
        group they administer, the newest one there (asked perhaps anonymously)."""
        own = await self.repo.get(actor.user_id, actor.conversation)
        if own is not None and own.kind is kind:
            return own
        if actor.admin_of is None:
            return None
        return await self.repo.latest_in_chat(actor.admin_of, kind)

    async def done(self, pending: PendingInput) -> None:
        """Forget a question once answered (or refused), whoever it was asked of."""
        await self.repo.clear(pending.user_id, pending.chat_id, pending.kind)

    async def clear(self, actor: Actor) -> bool:
        """Forget the actor's own question; whether there was one."""
        return await self.repo.clear(actor.user_id, actor.conversation)

    async def cancel(self, actor: Actor) -> bool:
        """/cancel: forget the question the actor's next message would answer; whether
        there was one."""
        pending = await self.of(actor)
        if pending is None:
            return False
        await self.done(pending)
        return True
