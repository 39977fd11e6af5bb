"""Video modes (issue 13): what each takes, which a provider offers, and the prompt a provider
gets. Pure functions, no I/O.

A provider's capabilities say what one request can carry; the modes follow from them, so the
buttons, the checks at confirm and the request all read the same place.
"""

from __future__ import annotations

import re
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


def provider_prompt(prompt: str, mode: VideoMode, picked: Sequence[Picked], tag: str) -> str:
    """The prompt as the provider gets it: in a references video, each face's name the user
    wrote becomes the provider's name for that face's first photo ("Anna hugs Ben" ->
    "@Image1 hugs @Image2"). Whole words, any case, longer names first (so "Anna Lee" is not
    taken for "Anna"). Frames are never named in a prompt, so frame prompts stay as written."""
    if mode is not VideoMode.REFERENCES or not picked:
        return prompt
    first: dict[str, str] = {}
    for item in picked:
        key = item.face.name.strip().casefold()
        if key and key not in first:
            first[key] = tag.format(n=item.number)
    names = sorted(first, key=len, reverse=True)
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(name) for name in names) + r")(?!\w)", re.IGNORECASE
    )
    return pattern.sub(lambda match: first.get(match.group(1).casefold(), match.group(0)), prompt)
