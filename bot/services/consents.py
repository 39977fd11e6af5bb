"""The verified person's side of a face (issue 11): the faces made of them, who owns each,
and what was made with it. Known only for faces verified through an invite, whose person
consented on the invite's screen; a face verified through the direct link knows no person.
"""

from __future__ import annotations

from bot.services.actors import Actor
from storage.consents import ConsentRepo
from storage.models import ConsentedFace

MY_FACES_LIMIT = 30  # Telegram shows about as many lines on a screen


class ConsentService:
    def __init__(self, consents: ConsentRepo) -> None:
        self.consents = consents

    async def mine(self, actor: Actor) -> list[ConsentedFace]:
        """The faces ``actor`` consented to through an invite, newest first."""
        return await self.consents.of_person(actor.user_id, MY_FACES_LIMIT)
