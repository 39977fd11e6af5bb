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


def test_names_become_tags_as_whole_words_as_written() -> None:
    assert refs("Anna hugs Ben; Annabel waves", ANNA, BEN, tag="@Image{n}") == (
        "@Image1 hugs @Image2; Annabel waves"
    )
    # Written otherwise it is a word, not the face: "the sun" is not the face Sun.
    assert refs("Sun and Anna watch the sun rise", Face(4, "Sun"), ANNA) == (
        "[Image 1] and [Image 2] watch the sun rise"
    )


def test_the_longer_name_wins() -> None:
    assert refs("Anna Lee and Anna dance", ANNA, ANNA_LEE) == "[Image 2] and [Image 1] dance"


def test_names_in_scripts_without_spaces() -> None:
    anna, david = Face(1, "安娜"), Face(2, "大卫")
    assert refs("安娜拥抱大卫", anna, david) == "[Image 1]拥抱[Image 2]"
    # One character is too little to tell a name from a word: "本" is in "日本" (Japan).
    assert mentioned("安娜在日本旅行", [anna, Face(3, "本")]) == [anna]


def test_emoji_and_one_letter_names() -> None:
    astronaut = "\U0001f469\u200d\U0001f680"
    assert mentioned(f"{astronaut} waves", [Face(5, "\U0001f469\U0001f469")]) == []
    assert mentioned("A cat and I", [Face(6, "A"), Face(7, "I")]) == []
    assert refs("Ann.Bob waves", Face(8, "Ann.")) == "Ann.Bob waves"


def test_a_name_two_faces_share_stays_as_written() -> None:
    assert refs("Anna and Anna", ANNA, Face(9, "Anna")) == "Anna and Anna"


def test_several_photos_of_one_face_name_its_first() -> None:
    assert refs("Anna smiles", ANNA, ANNA) == "[Image 1] smiles"


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
