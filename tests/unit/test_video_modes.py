"""The prompt a provider gets in a references video: names become its image tags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.providers.base import Capabilities, ImageRole
from bot.services.video_modes import Picked, mentioned, modes_of, provider_prompt
from storage.models import VideoMode


@dataclass
class Face:
    id: int
    name: str


def picked(*faces: Face) -> list[Picked]:
    none: Any = None
    return [Picked(n, none, f, 1, ImageRole.REFERENCE) for n, f in enumerate(faces, 1)]  # type: ignore[arg-type]


ANNA, BEN, ANNA_LEE = Face(1, "Anna"), Face(2, "Ben"), Face(3, "Anna Lee")


def refs(prompt: str, *faces: Face, tag: str = "[Image {n}]") -> str:
    return provider_prompt(prompt, VideoMode.REFERENCES, picked(*faces), tag)


def test_names_become_tags_as_whole_words_in_any_case() -> None:
    assert refs("Anna hugs ben; Annabel waves", ANNA, BEN, tag="@Image{n}") == (
        "@Image1 hugs @Image2; Annabel waves"
    )


def test_the_longer_name_wins() -> None:
    assert refs("Anna Lee and Anna dance", ANNA, ANNA_LEE) == "[Image 2] and [Image 1] dance"


def test_names_in_scripts_without_spaces() -> None:
    assert refs("安娜拥抱本", Face(1, "安娜"), Face(2, "本")) == "[Image 1]拥抱[Image 2]"


def test_a_name_two_faces_share_stays_as_written() -> None:
    assert refs("Anna and Anna", ANNA, Face(9, "anna")) == "Anna and Anna"


def test_several_photos_of_one_face_name_its_first() -> None:
    assert refs("ANNA smiles", ANNA, ANNA) == "[Image 1] smiles"


def test_frames_keep_the_prompt() -> None:
    prompt = provider_prompt("Anna waves", VideoMode.FIRST_LAST, picked(ANNA, BEN), "{n}")
    assert prompt == "Anna waves"


def test_modes_follow_the_capabilities() -> None:
    assert modes_of(Capabilities("X")) == (VideoMode.FIRST_FRAME,)
    both = Capabilities("X", last_frame=True, reference_images=9)
    assert modes_of(both) == (VideoMode.FIRST_FRAME, VideoMode.FIRST_LAST, VideoMode.REFERENCES)
    only_refs = Capabilities("X", first_frame=False, reference_images=9)
    assert modes_of(only_refs) == (VideoMode.REFERENCES,)


def test_the_faces_a_prompt_names_in_its_order() -> None:
    faces: Any = [ANNA, BEN, ANNA_LEE, Face(4, "Sun")]
    assert mentioned("Ben hugs Anna Lee in the sun", faces) == [BEN, ANNA_LEE]
    assert mentioned("Anna, then Ben, then Anna", faces) == [ANNA, BEN]
    assert mentioned("nobody here", faces) == []


def test_a_name_two_faces_share_names_neither() -> None:
    faces: Any = [ANNA, Face(9, "Anna"), BEN]
    assert mentioned("Anna hugs Ben", faces) == [BEN]
