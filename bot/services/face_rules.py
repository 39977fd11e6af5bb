"""Who may make and manage faces, and what a face name may be: the rules every face use
case applies, whatever the entry point.

A person's faces are theirs, in any chat. A group's faces belong to the group: its admins
manage them, acting in that group; a member who is not an admin never does, and an inline
card never makes or manages a face.
"""

from __future__ import annotations

import unicodedata

from bot.services.actors import Actor, Place
from bot.services.errors import Refusal, ServiceRefused
from bot.services.user_text import has_visible
from storage.models import Face, OwnerKind

MAX_NAME = 64


def clean_name(raw: str) -> str:
    """A face name as stored: trimmed, single-spaced, printable, 1..64 characters."""
    name = " ".join(raw.split())
    if not name or len(name) > MAX_NAME:
        raise ServiceRefused(Refusal.BAD_NAME, name)
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ServiceRefused(Refusal.BAD_NAME, name)
    if not has_visible(name):  # e.g. only Hangul fillers or combining marks: looks empty
        raise ServiceRefused(Refusal.BAD_NAME, name)
    return name


def check_may_create(actor: Actor) -> None:
    """Faces are made (and listed) in a private chat for oneself, or in a group by its
    admins for the group."""
    if actor.place is Place.INLINE:
        raise ServiceRefused(Refusal.NOT_YOURS)
    if actor.in_group and not actor.is_admin:
        raise ServiceRefused(Refusal.ADMINS_ONLY)


def check_may_manage(face: Face, actor: Actor) -> None:
    """A person's face is theirs; a group's face is for that group's admins, there."""
    if face.owner.kind is OwnerKind.USER:
        if face.owner.id != actor.user_id:
            raise ServiceRefused(Refusal.NOT_YOURS)
        return
    if not actor.in_group or actor.chat_id != face.owner.id:
        raise ServiceRefused(Refusal.NOT_YOURS)  # another group's, or from outside it
    if not actor.is_admin:
        raise ServiceRefused(Refusal.ADMINS_ONLY)  # a member of that group, not its admin
