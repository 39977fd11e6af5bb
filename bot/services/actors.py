"""Who is acting, where, and with what rights: worked out once per update, then decided on
by the services (never by the Telegram side)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.models import Owner, OwnerKind


class Place(StrEnum):
    PRIVATE = "private"  # the person's own chat with the bot
    GROUP = "group"  # a group chat: its faces and settings belong to the group
    INLINE = "inline"  # an inline card in a chat the bot may not even be in


@dataclass(frozen=True)
class Actor:
    user_id: int
    place: Place
    chat_id: int | None  # None for inline cards: Telegram does not say where they are
    is_admin: bool  # of the group; in a private chat a person administers their own things
    # An anonymous group admin: a request of theirs belongs to the group's admins, not to
    # one person (user_id is whatever id Telegram sends them under; the services never
    # look at it for that).
    anonymous: bool = False
    # The language they read the bot in (issue 12): where a provider's page takes one.
    language: str | None = None

    @staticmethod
    def private(user_id: int) -> Actor:
        return Actor(user_id, Place.PRIVATE, user_id, is_admin=True)

    @staticmethod
    def inline(user_id: int) -> Actor:
        return Actor(user_id, Place.INLINE, None, is_admin=False)

    @staticmethod
    def group(user_id: int, chat_id: int, *, is_admin: bool, anonymous: bool = False) -> Actor:
        return Actor(user_id, Place.GROUP, chat_id, is_admin=is_admin, anonymous=anonymous)

    @property
    def in_group(self) -> bool:
        return self.place is Place.GROUP

    @property
    def owner(self) -> Owner:
        """Whose faces and settings this actor works with here."""
        if self.place is Place.GROUP and self.chat_id is not None:
            return Owner(OwnerKind.CHAT, self.chat_id)
        return Owner(OwnerKind.USER, self.user_id)

    @property
    def admin_of(self) -> int | None:
        """The group whose faces this actor may manage, if any."""
        return self.chat_id if self.in_group and self.is_admin else None

    @property
    def conversation(self) -> int:
        """Where a question to this actor is asked and answered (its pending input's chat)."""
        return self.chat_id if self.chat_id is not None else self.user_id
