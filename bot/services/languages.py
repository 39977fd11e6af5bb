"""Which language each person and each group is answered in (issue 12).

A person: the language they chose with /language, else their Telegram app's, mapped to the
nearest catalog (``zh-hans`` -> ``zh``, ``es-419`` -> ``es``); a code with no catalog (``pt-br``,
``xx``) falls back to English. A group: the language its admins chose with /language, else
the one of the admin who added the bot (set when it joined), else English. The catalogs
there are come from the Telegram side (``available``); this module only decides.

Asked on every update, so answers are kept in memory (a few thousand chats), and changed
only here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import TypeVar

from bot.services.actors import Actor, Place
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from storage.languages import LanguageRepo

KEEP = 10_000  # chats whose language is kept in memory
T = TypeVar("T")


def nearest(code: str | None, available: Sequence[str], default: str) -> str:
    """The catalog for a language code as Telegram or a person writes it."""
    return match(code, available) or default


def match(code: str | None, available: Sequence[str]) -> str | None:
    """The catalog for ``code`` (itself, else its language without the region or script);
    None if there is none."""
    if not code:
        return None
    wanted = code.strip().lower().replace("_", "-")
    by_lower = {lang.lower().replace("_", "-"): lang for lang in available}
    if wanted in by_lower:
        return by_lower[wanted]
    return by_lower.get(wanted.split("-", 1)[0])


class LanguageService:
    def __init__(
        self,
        repo: LanguageRepo,
        clock: Clock,
        available: Sequence[str],
        default: str,
        *,
        fresh_seconds: float | None = None,
    ) -> None:
        # Several workers: a choice made through another one is read again after this
        # long (None: this process makes every choice, so what it remembers is current).
        self.fresh_seconds = fresh_seconds
        self._read_at: dict[tuple[str, int], float] = {}
        self.repo = repo
        self.clock = clock
        self.available = tuple(available)
        self.default = default
        # Per person: (their /language choice, their app's language as last seen).
        self._users: OrderedDict[int, tuple[str | None, str | None]] = OrderedDict()
        self._chats: OrderedDict[int, str | None] = OrderedDict()

    def nearest(self, code: str | None) -> str:
        return nearest(code, self.available, self.default)

    def recognised(self, code: str) -> bool:
        """Whether there is a catalog for ``code`` (not just the fallback)."""
        return match(code, self.available) is not None

    async def of_person(self, user_id: int, telegram_code: str | None) -> str:
        """What a person reads, wherever they read it in private. ``telegram_code``: their
        app's language in the update at hand; None when none is (a background round), and
        the last one seen is used."""
        if user_id in self._users and self._fresh("user", user_id):
            self._users.move_to_end(user_id)
            chosen, seen = self._users[user_id]
        else:
            chosen, seen = await self.repo.of_user(user_id)
            self._read("user", user_id)
        if telegram_code is not None:
            seen = telegram_code
        _keep(self._users, user_id, (chosen, seen))
        return self.nearest(chosen or seen)

    async def of_group(self, chat_id: int) -> str:
        if chat_id in self._chats and self._fresh("chat", chat_id):
            self._chats.move_to_end(chat_id)
            chosen = self._chats[chat_id]
        else:
            chosen = await self.repo.of_chat(chat_id)
            self._read("chat", chat_id)
            _keep(self._chats, chat_id, chosen)
        return self.nearest(chosen)

    async def of_chat(self, chat_id: int, telegram_code: str | None = None) -> str:
        """A chat's language: a private chat's is its person's."""
        if chat_id > 0:
            return await self.of_person(chat_id, telegram_code)
        return await self.of_group(chat_id)

    async def choose(self, actor: Actor, code: str) -> str:
        """/language: a person's own in private, the group's in a group (its admins')."""
        language = self.nearest(code)
        if actor.place is Place.GROUP and actor.chat_id is not None:
            if not actor.is_admin:
                raise ServiceRefused(Refusal.ADMINS_ONLY)
            await self.repo.set_chat(actor.chat_id, language, self.clock())
            _keep(self._chats, actor.chat_id, language)
        else:
            await self.repo.set_user(actor.user_id, language, self.clock())
            seen = self._users.get(actor.user_id, (None, None))[1]
            _keep(self._users, actor.user_id, (language, seen))
        return language

    async def joined(self, chat_id: int, adder_code: str | None) -> None:
        """The bot was added to a group: it speaks the adding admin's language until the
        group's admins choose one."""
        language = self.nearest(adder_code)
        if await self.repo.set_chat(chat_id, language, self.clock(), unless_set=True):
            _keep(self._chats, chat_id, language)
        else:
            self._chats.pop(chat_id, None)

    def _fresh(self, kind: str, key: int) -> bool:
        if self.fresh_seconds is None:
            return True
        read_at = self._read_at.get((kind, key))
        return read_at is not None and self.clock() - read_at < self.fresh_seconds

    def _read(self, kind: str, key: int) -> None:
        if self.fresh_seconds is None:
            return
        if len(self._read_at) > 2 * KEEP:  # the caches keep at most KEEP each
            self._read_at.clear()
        self._read_at[(kind, key)] = self.clock()

    def forget(self, user_id: int) -> None:
        self._users.pop(user_id, None)

    def migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup (its stored choice moved with its settings): what was
        remembered under either id is read again."""
        self._chats.pop(old_chat_id, None)
        self._chats.pop(new_chat_id, None)


def _keep(cache: OrderedDict[int, T], key: int, value: T) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > KEEP:
        cache.popitem(last=False)
