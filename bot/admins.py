"""Who is an admin of a group: getChatMember, cached briefly, kept fresh by chat_member updates.

Authorization uses ``from_user`` / ``sender_chat`` only (shared/TELEGRAM.md): an anonymous
admin posts as GroupAnonymousBot with ``sender_chat`` = the group itself, which proves admin
rights in that group only; channel posts and forwards prove nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from telegram import Bot, ChatMember, Message, Update
from telegram.error import TelegramError

log = logging.getLogger(__name__)

ANONYMOUS_ADMIN = 1087968824  # GroupAnonymousBot
ADMIN_STATUSES = {ChatMember.OWNER, ChatMember.ADMINISTRATOR}


class AdminCache:
    def __init__(
        self, bot: Bot, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.bot = bot
        self.ttl = ttl
        self.clock = clock
        self._known: dict[tuple[int, int], tuple[bool, float]] = {}

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        cached = self._known.get((chat_id, user_id))
        if cached is not None and cached[1] > self.clock():
            return cached[0]
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.info("getChatMember %d/%d failed: %s", chat_id, user_id, exc)
            return False
        admin = member.status in ADMIN_STATUSES
        self._known[(chat_id, user_id)] = (admin, self.clock() + self.ttl)
        return admin

    def on_chat_member(self, update: Update) -> None:
        """A member's status changed: remember the new one instead of the cached guess."""
        change = update.chat_member or update.my_chat_member
        if change is None:
            return
        admin = change.new_chat_member.status in ADMIN_STATUSES
        key = (change.chat.id, change.new_chat_member.user.id)
        self._known[key] = (admin, self.clock() + self.ttl)

    def forget_chat(self, chat_id: int) -> None:
        for key in [k for k in self._known if k[0] == chat_id]:
            del self._known[key]

    async def message_from_admin(self, message: Message) -> bool:
        """Whether this (non-forwarded) message in a group comes from one of its admins."""
        if message.forward_origin is not None:
            return False
        chat = message.chat
        if message.sender_chat is not None:
            # Posting as the group itself is only possible for its (anonymous) admins.
            return message.sender_chat.id == chat.id
        user = message.from_user
        if user is None or user.id == ANONYMOUS_ADMIN:
            return False
        return await self.is_admin(chat.id, user.id)
