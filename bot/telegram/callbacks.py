"""Typed, versioned callback data: ``<version>|<action>|<argument>``, at most 64 bytes.

Buttons outlive deployments, so the version lets a later release read (or politely
refuse) old buttons instead of misreading them.

Callback data comes from the client and anyone can send any bytes, so :func:`decode` is a
parser of untrusted input: an argument is accepted only in the exact shape its action
carries (how many numbers, each a canonical decimal within SQLite's signed 64-bit INTEGER,
1 or more for row ids; or one invite token). Anything else is "not understood" (None) and
the handler answers it as an outdated button, so a forged button never reaches a query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, StrEnum, unique

from telegram import CallbackQuery, Update

VERSION = "1"
MAX_BYTES = 64
# SQLite stores INTEGER as signed 64-bit: a larger number overflows in the driver.
MAX_INT = 2**63 - 1


@unique  # two actions with one code would be one action
class Action(StrEnum):
    NEW_LINK = "nl"  # owner: a fresh verification link for a face
    SIM_PASS = "sp"  # sandbox: the person passed the face check
    READY = "rd"  # invitee: I'm ready, send me the link (argument: invite token)
    DECLINE = "dc"  # invitee: not now (argument: invite token)
    INVITE_LINK = "il"  # invitee: a fresh link (argument: invite token)
    TAKE_OVER = "to"  # invitee: I agree, to a face verified already (argument: invite token)
    FACE_SHOW = "fs"
    FACE_LIST = "fl"
    FACE_PAGE = "fg"  # page of /faces: 0 the newest, 1 the ones before them, ...
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
    MY_FACES = "mf"  # the verified person: the faces made of them
    WITHDRAW = "wd"  # consent: the verified person asks to withdraw it (confirmation next)
    WITHDRAW_YES = "wy"  # consent: withdrawn
    FACE_CONSENT_INVITE = "fc"  # face: an invite for its person to take over consent
    LANGUAGE = "lg"  # a language there is a catalog for, by its code
    FORGET_YES = "zy"  # user: /forgetme confirmed by that user
    FORGET_NO = "zn"  # /forgetme: keep my data
    GEN_MODE = "gm"  # job:mode (a position in bot.services.video_modes.MODES)
    GEN_ADD_FACE = "gn"  # job: list the faces whose photos may join the video
    GEN_PHOTOS = "gh"  # job: back from the confirm step to the photos
    GEN_FACES = "gq"  # job: back to the face question


class Arg(Enum):
    """What one ``:``-separated part of an argument may be."""

    ID = "id"  # a row id: 1..MAX_INT
    INDEX = "index"  # an index, or a row id where 0 means the defaults: 0..MAX_INT


_LEAST = {Arg.ID: 1, Arg.INDEX: 0}


# The shape of each action's argument: a tuple of numbers, or TOKEN (an invite token).
TOKEN = "token"
_SHAPES: dict[Action, tuple[Arg, ...] | str] = {
    Action.NEW_LINK: (Arg.ID,),
    Action.SIM_PASS: (Arg.ID,),
    Action.READY: TOKEN,
    Action.DECLINE: TOKEN,
    Action.INVITE_LINK: TOKEN,
    Action.TAKE_OVER: TOKEN,
    Action.FACE_SHOW: (Arg.ID,),
    Action.FACE_LIST: (),
    Action.FACE_PAGE: (Arg.INDEX,),
    Action.FACE_USE: (Arg.ID,),
    Action.FACE_RENAME: (Arg.ID,),
    Action.FACE_DELETE: (Arg.ID,),
    Action.FACE_DELETE_YES: (Arg.ID,),
    Action.GEN_FACE: (Arg.ID, Arg.ID),
    Action.GEN_ASSET: (Arg.ID, Arg.ID),
    Action.GEN_CONFIRM: (Arg.ID,),
    Action.GEN_SETTINGS: (Arg.ID,),
    Action.GEN_CANCEL: (Arg.ID,),
    Action.GEN_AGAIN: (Arg.ID,),
    Action.GEN_FORGET: (Arg.ID,),
    Action.SETTING: (Arg.INDEX, Arg.INDEX, Arg.INDEX),
    Action.SETTINGS_DONE: (Arg.INDEX,),
    Action.VIDEO_SEND: (Arg.ID,),
    Action.INLINE_GO: (Arg.ID, Arg.ID),
    Action.INLINE_CANCEL: (Arg.ID, Arg.ID),
    Action.GROUP_PROVIDER: (Arg.INDEX,),
    Action.GROUP_ACCESS: (Arg.INDEX,),
    Action.GEN_PICKED: (Arg.ID,),
    Action.FACE_PROVIDER: (Arg.INDEX,),
    Action.MY_FACES: (),
    Action.WITHDRAW: (Arg.ID,),
    Action.WITHDRAW_YES: (Arg.ID,),
    Action.FACE_CONSENT_INVITE: (Arg.ID,),
    Action.LANGUAGE: TOKEN,
    Action.FORGET_YES: (Arg.ID,),
    Action.FORGET_NO: (),
    Action.GEN_MODE: (Arg.ID, Arg.INDEX),
    Action.GEN_ADD_FACE: (Arg.ID,),
    Action.GEN_PHOTOS: (Arg.ID,),
    Action.GEN_FACES: (Arg.ID,),
}

# Invite tokens are secrets.token_urlsafe: URL-safe base64, no padding.
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
# Canonical decimals only (as str(int) writes them): no sign, no leading zeros, no spaces,
# ASCII digits only (str.isdigit also takes "²" and Arabic-Indic digits).
_NUMBER = re.compile(r"0|[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class Callback:
    action: Action
    arg: str = ""

    def encode(self) -> str:
        data = f"{VERSION}|{self.action}|{self.arg}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        if _parse_arg(self.action, self.arg) is None:
            raise ValueError(f"argument {self.arg!r} does not fit action {self.action.name}")
        return data

    @property
    def int_arg(self) -> int:
        return int(self.arg)

    @property
    def ints(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.arg.split(":"))


def decode(data: object) -> Callback | None:
    """The callback, or None for data this release does not understand (never raises)."""
    if not isinstance(data, str) or not data or len(data.encode(errors="replace")) > MAX_BYTES:
        return None
    parts = data.split("|")
    if len(parts) != 3 or parts[0] != VERSION:
        return None
    try:
        action = Action(parts[1])
    except ValueError:
        return None
    if _parse_arg(action, parts[2]) is None:
        return None
    return Callback(action, parts[2])


def row_ids(text: str, count: int) -> tuple[int, ...] | None:
    """``count`` row ids joined by ":" (as in an inline result id), or None, never an error."""
    return _numbers(text, (Arg.ID,) * count)


def _parse_arg(action: Action, arg: str) -> tuple[int, ...] | str | None:
    shape = _SHAPES[action]
    if isinstance(shape, str):
        return arg if _TOKEN.fullmatch(arg) else None
    if not shape:
        return () if arg == "" else None
    return _numbers(arg, shape)


def _numbers(arg: str, shape: tuple[Arg, ...]) -> tuple[int, ...] | None:
    parts = arg.split(":")
    if len(parts) != len(shape):
        return None
    numbers = []
    for part, kind in zip(parts, shape, strict=True):
        if not _NUMBER.fullmatch(part):
            return None
        number = int(part)
        if not _LEAST[kind] <= number <= MAX_INT:
            return None
        numbers.append(number)
    return tuple(numbers)


def pressed(update: Update) -> tuple[CallbackQuery, Callback]:
    """The button press an update carries, decoded (callback handlers are registered by
    action pattern, so only this bot's well-formed data reaches them)."""
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    assert callback is not None
    return query, callback
