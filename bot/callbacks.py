"""Typed, versioned callback data: ``<version>|<action>|<argument>``, at most 64 bytes.

Buttons outlive deployments, so the version lets a later release read (or politely
refuse) old buttons instead of misreading them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

VERSION = "1"
MAX_BYTES = 64


class Action(StrEnum):
    NEW_LINK = "nl"  # owner: a fresh verification link for a face
    SIM_PASS = "sp"  # sandbox: the person passed the face check
    READY = "rd"  # invitee: I'm ready, send me the link (argument: invite token)
    DECLINE = "dc"  # invitee: not now (argument: invite token)
    INVITE_LINK = "il"  # invitee: a fresh link (argument: invite token)
    FACE_SHOW = "fs"
    FACE_LIST = "fl"
    FACE_USE = "fu"
    FACE_RENAME = "fr"
    FACE_DELETE = "fd"
    FACE_DELETE_YES = "fy"
    GEN_FACE = "gf"  # job:face
    GEN_ASSET = "ga"  # job:asset
    GEN_CONFIRM = "gc"  # job
    GEN_SETTINGS = "gs"  # job: open the settings editor on a draft
    GEN_CANCEL = "gx"  # job
    GEN_AGAIN = "gr"  # job: a new draft with the same choices (retry, again, decide)
    GEN_FORGET = "gz"  # job: a cut-off submit the user lets go
    SETTING = "st"  # job:field:value (job 0 = the user's defaults)
    SETTINGS_DONE = "sd"  # job (0 = defaults)
    VIDEO_SEND = "vs"  # job: send a past video again
    INLINE_GO = "ig"  # offer:face, on an inline placeholder
    INLINE_CANCEL = "ix"  # offer:face
    GROUP_PROVIDER = "cp"  # index into the enabled providers, for a group's new faces
    GROUP_ACCESS = "ca"  # index into Access
    GEN_PICKED = "gp"  # job: the photos for a multi-reference video are chosen
    FACE_PROVIDER = "fp"  # index into the enabled providers, for the pending /newface


@dataclass(frozen=True)
class Callback:
    action: Action
    arg: str = ""

    def encode(self) -> str:
        data = f"{VERSION}|{self.action}|{self.arg}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @property
    def int_arg(self) -> int:
        return int(self.arg)

    @property
    def ints(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.arg.split(":"))


def decode(data: str | None) -> Callback | None:
    """The callback, or None for data this release does not understand."""
    if not data:
        return None
    parts = data.split("|", 2)
    if len(parts) != 3 or parts[0] != VERSION:
        return None
    try:
        action = Action(parts[1])
    except ValueError:
        return None
    if action is Action.FACE_LIST:
        return Callback(action) if parts[2] == "" else None
    if action not in _TOKEN_ARGS and not all(p.isdigit() for p in parts[2].split(":")):
        return None
    return Callback(action, parts[2])


# Actions whose argument is an invite token; FACE_LIST takes none; every other action
# takes whole numbers joined by ":".
_TOKEN_ARGS = {Action.READY, Action.DECLINE, Action.INVITE_LINK}
