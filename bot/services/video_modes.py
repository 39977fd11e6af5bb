"""Video modes (issue 13): what each takes, which a provider offers, and the prompt a provider
gets. Pure functions, no I/O.

A provider's capabilities say what one request can carry; the modes follow from them, so the
buttons, the checks at confirm and the request all read the same place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.providers.base import Capabilities, ImageRole
from storage.models import Asset, Face, VideoMode

# Every mode, in the order buttons show them; a button carries a position in this tuple.
MODES: tuple[VideoMode, ...] = tuple(VideoMode)


def modes_of(caps: Capabilities) -> tuple[VideoMode, ...]:
    """The modes a provider offers, its default first: a first frame where it takes one."""
    offered = []
    if caps.first_frame:
        offered.append(VideoMode.FIRST_FRAME)
        if caps.last_frame:
            offered.append(VideoMode.FIRST_LAST)
    if caps.reference_images:
        offered.append(VideoMode.REFERENCES)
    return tuple(offered)


def mode_for(wanted: VideoMode, caps: Capabilities) -> VideoMode:
    """``wanted`` where the provider offers it, else its default."""
    offered = modes_of(caps)
    return wanted if wanted in offered or not offered else offered[0]


def most_photos(mode: VideoMode, caps: Capabilities) -> int:
    match mode:
        case VideoMode.FIRST_FRAME:
            return 1
        case VideoMode.FIRST_LAST:
            return 2
        case VideoMode.REFERENCES:
            return max(caps.reference_images, 1)


def least_photos(mode: VideoMode) -> int:
    return 2 if mode is VideoMode.FIRST_LAST else 1


def roles(mode: VideoMode, count: int) -> list[ImageRole]:
    """The role of each of ``count`` photos, in order."""
    match mode:
        case VideoMode.FIRST_FRAME:
            return [ImageRole.FIRST_FRAME] * count
        case VideoMode.FIRST_LAST:
            return [ImageRole.FIRST_FRAME, ImageRole.LAST_FRAME][:count]
        case VideoMode.REFERENCES:
            return [ImageRole.REFERENCE] * count


@dataclass(frozen=True)
class Picked:
    """One chosen photo, as the card lists it: its place in the request and whose it is."""

    number: int  # 1-based: Image n of the request (first frame 1, last frame 2)
    asset: Asset
    face: Face
    photo_number: int  # its place among the face's active photos, as the picker shows it
    role: ImageRole


def faces_in_order(picked: Sequence[Picked]) -> list[Face]:
    """Each face once, in the order of its first photo."""
    seen: dict[int, Face] = {}
    for item in picked:
        seen.setdefault(item.face.id, item.face)
    return list(seen.values())


# What continues an emoji or a letter (joiners, variation selectors, skin tones): a name
# never ends right before one ("👩" is not in "👩‍🚀").
_CONTINUES = "\u200d\ufe0e\ufe0f\U0001f3fb-\U0001f3ff"


def _spaced(char: str) -> bool:
    """Whether a name's edge needs a boundary: every script but Chinese and Japanese, which
    are written without spaces, so a name there has none around it ("安娜拥抱大卫")."""
    kind = unicodedata.name(char, "")
    return not kind.startswith(("CJK", "HIRAGANA", "KATAKANA"))


def _name_pattern(name: str) -> str:
    left = r"(?<!\w)" if _spaced(name[0]) else ""
    right = rf"(?![\w{_CONTINUES}])" if _spaced(name[-1]) else rf"(?![{_CONTINUES}])"
    return f"{left}{re.escape(name)}{right}"


def _unique_names(faces: Sequence[Face]) -> dict[str, Face]:
    """The names a prompt can name faces by, exactly as written: not one two faces share
    (it would be a guess), nor one of a single character ("A", "I"; "本" is in "日本")."""
    by_name: dict[str, list[Face]] = {}
    for face in faces:
        name = face.name.strip()
        if len(name) >= 2 and face not in by_name.get(name, []):
            by_name.setdefault(name, []).append(face)
    return {name: found[0] for name, found in by_name.items() if len({f.id for f in found}) == 1}


def _named(prompt: str, names: Sequence[str]) -> list[tuple[int, int, str]]:
    """Where the prompt writes each name, longest names first (so "Anna Lee" is not taken
    for "Anna"), never two in one place: (start, end, name) in the prompt's order."""
    taken: list[tuple[int, int, str]] = []
    for name in sorted(names, key=len, reverse=True):
        for match in re.finditer(_name_pattern(name), prompt):
            start, end = match.span()
            if not any(a < end and start < b for a, b, _ in taken):
                taken.append((start, end, name))
    return sorted(taken)


def mentioned(prompt: str, faces: Sequence[Face]) -> list[Face]:
    """The faces a prompt names, as written ("Sun" is a face, "the sun" is not), each once,
    in the order the prompt names them."""
    names = _unique_names(faces)
    order: dict[int, Face] = {}
    for _, _, name in _named(prompt, list(names)):
        order.setdefault(names[name].id, names[name])
    return list(order.values())


def provider_prompt(prompt: str, mode: VideoMode, picked: Sequence[Picked], tag: str) -> str:
    """The prompt as the provider gets it: in a references video, each face's name the user
    wrote (as written, by the rules of :func:`mentioned`) becomes the provider's name for
    that face's first photo ("Anna hugs Ben" -> "@Image1 hugs @Image2"). Frames are never
    named in a prompt, so frame prompts stay as written."""
    if mode is not VideoMode.REFERENCES or not picked:
        return prompt
    first: dict[int, str] = {}
    for item in picked:
        first.setdefault(item.face.id, tag.format(n=item.number))
    names = _unique_names([item.face for item in picked])
    out, at = [], 0
    for start, end, name in _named(prompt, list(names)):
        out += [prompt[at:start], first[names[name].id]]
        at = end
    return "".join(out) + prompt[at:]
