"""A group's upload prompts: the bot's messages that photos reply to.

A prompt can be recorded only once Telegram has answered its send with the message's id, and
a quick reply can arrive in between (an admin with the photo ready, a client replaying). So a
prompt is posted while holding its chat's lock, and a lookup that misses waits for a post in
progress in that chat before it decides the reply is to some other message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.services.bounded import KeyedLocks
from storage.chats import ChatRepo


class UploadPrompts:
    def __init__(self, chats: ChatRepo) -> None:
        self.chats = chats
        self._posting: KeyedLocks[int] = KeyedLocks()

    async def post(
        self, chat_id: int, face_id: int, at: float, send: Callable[[], Awaitable[int | None]]
    ) -> int | None:
        """Send a prompt with ``send`` (its message id, None if it was not sent) and record
        it; the message id."""
        async with self._posting[chat_id]:
            message_id = await send()
            if message_id is not None:
                await self.chats.add_upload_prompt(chat_id, message_id, face_id, at)
            return message_id

    async def face_of(self, chat_id: int, message_id: int) -> int | None:
        """The face whose prompt ``message_id`` is, if it is one."""
        # Whether a post was under way is taken before the read: a post that records its
        # prompt while the read runs has released the lock by the time the read misses. A
        # post that starts after it is not this message's (it was not sent yet).
        posting = self._posting[chat_id].locked()
        face_id = await self.chats.upload_prompt_face(chat_id, message_id)
        if face_id is not None or not (posting or self._posting[chat_id].locked()):
            return face_id
        async with self._posting[chat_id]:  # a prompt is being posted here: it may be this
            pass
        return await self.chats.upload_prompt_face(chat_id, message_id)
