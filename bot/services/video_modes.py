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


def _spaced(char: str) -> bool:
    """Whether a name's edge character needs a word boundary: letters and digits of scripts
    written with spaces do ("Ann" is not in "Anna"); Chinese and Japanese are written
    without spaces, so a name there has none around it ("安娜拥抱本")."""
    if not char.isalnum():
        return False
    kind = unicodedata.name(char, "")
    return not kind.startswith(("CJK", "HIRAGANA", "KATAKANA"))


def _name_pattern(name: str) -> str:
    left = r"(?<!\w)" if _spaced(name[0]) else ""
    right = r"(?!\w)" if _spaced(name[-1]) else ""
    return f"{left}{re.escape(name)}{right}"


def mentioned(prompt: str, faces: Sequence[Face]) -> list[Face]:
    """The faces a prompt names, as written (case counts here: "Sun" is a face, "the sun"
    is not), each once, in the order the prompt names them; a name two faces share names
    neither."""
    by_name: dict[str, list[Face]] = {}
    for face in faces:
        if face.name.strip():
            by_name.setdefault(face.name.strip(), []).append(face)
    found: list[tuple[int, Face]] = []
    taken: list[tuple[int, int]] = []
    for name in sorted(by_name, key=len, reverse=True):  # "Anna Lee" before "Anna"
        if len(by_name[name]) > 1:
            continue
        for match in re.finditer(_name_pattern(name), prompt):
            span = match.span()
            if any(a < span[1] and span[0] < b for a, b in taken):
                continue  # inside a longer name already found
            taken.append(span)
            found.append((span[0], by_name[name][0]))
    order: dict[int, Face] = {}
    for _, face in sorted(found, key=lambda item: item[0]):
        order.setdefault(face.id, face)
    return list(order.values())


def provider_prompt(prompt: str, mode: VideoMode, picked: Sequence[Picked], tag: str) -> str:
    """The prompt as the provider gets it: in a references video, each face's name the user
    wrote becomes the provider's name for that face's first photo ("Anna hugs Ben" ->
    "@Image1 hugs @Image2"). Whole words, any case, longer names first (so "Anna Lee" is not
    taken for "Anna"); a name two faces share stays as written (it would be a guess).
    Frames are never named in a prompt, so frame prompts stay as written."""
    if mode is not VideoMode.REFERENCES or not picked:
        return prompt
    tags: dict[str, str] = {}
    shared: set[str] = set()
    owners: dict[str, int] = {}
    for item in picked:
        name = item.face.name.strip()
        key = name.casefold()
        if not key:
            continue
        if owners.setdefault(key, item.face.id) != item.face.id:
            shared.add(key)
        tags.setdefault(name, tag.format(n=item.number))
    names = sorted((name for name in tags if name.casefold() not in shared), key=len, reverse=True)
    if not names:
        return prompt
    parts = [f"(?P<n{i}>{_name_pattern(name)})" for i, name in enumerate(names)]
    pattern = re.compile("|".join(parts), re.IGNORECASE)

    def named(match: re.Match[str]) -> str:
        group = match.lastgroup
        return tags[names[int(group[1:])]] if group else match.group(0)

    return pattern.sub(named, prompt)
