"""Who is an admin of a group: getChatMember, cached briefly, kept fresh by chat_member updates.

Authorization uses ``from_user`` / ``sender_chat`` only (shared/TELEGRAM.md): an anonymous
admin posts as GroupAnonymousBot with ``sender_chat`` = the group itself, which proves admin
rights in that group only; channel posts and forwards prove nothing.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from telegram import Bot, ChatMember, Message, Update
from telegram.error import TelegramError

from bot.services.shared_state import SharedAdminRights

log = logging.getLogger(__name__)

ANONYMOUS_ADMIN = 1087968824  # GroupAnonymousBot
ADMIN_STATUSES = {ChatMember.OWNER, ChatMember.ADMINISTRATOR}


class AdminCache:
    """(chat, user) -> admin or not, for ``ttl`` seconds; at most ``max_entries`` kept.

    Every entry lives exactly ``ttl`` from when it was written and a write moves it to the
    end, so the dict is in expiry order: expired entries and, past the cap, the oldest are
    dropped from the front. Busy groups cannot grow it without bound.
    """

    def __init__(
        self,
        bot: Bot,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_entries: int = 10_000,
        shared: SharedAdminRights | None = None,
    ) -> None:
        # Several workers: what Telegram said is kept in the database for all of them (a
        # demotion one hears of holds for every worker at once), instead of in memory.
        self.shared = shared
        self.bot = bot
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._known: OrderedDict[tuple[int, int], tuple[bool, float]] = OrderedDict()

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        if self.shared is not None:
            known = await self.shared.known(chat_id, user_id)
            if known is not None:
                return known
        else:
            cached = self._known.get((chat_id, user_id))
            if cached is not None and cached[1] > self.clock():
                return cached[0]
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.info("getChatMember %d/%d failed: %s", chat_id, user_id, exc)
            return False
        admin = member.status in ADMIN_STATUSES
        await self._remember((chat_id, user_id), admin)
        return admin

    async def on_chat_member(self, update: Update) -> None:
        """A member's status changed: remember the new one instead of the cached guess."""
        change = update.chat_member or update.my_chat_member
        if change is None:
            return
        admin = change.new_chat_member.status in ADMIN_STATUSES
        await self._remember((change.chat.id, change.new_chat_member.user.id), admin)

    def __len__(self) -> int:
        return len(self._known)

    async def _remember(self, key: tuple[int, int], admin: bool) -> None:
        if self.shared is not None:
            await self.shared.remember(*key, admin)
            return
        now = self.clock()
        self._known[key] = (admin, now + self.ttl)
        self._known.move_to_end(key)
        while self._known:
            oldest, (_, expires_at) = next(iter(self._known.items()))
            if expires_at > now and len(self._known) <= self.max_entries:
                break
            del self._known[oldest]

    async def forget_chat(self, chat_id: int) -> None:
        if self.shared is not None:
            await self.shared.forget_chat(chat_id)
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
