import pytest

from bot.services.errors import Refusal, ServiceRefused
from bot.services.faces import clean_name
from bot.services.user_text import clean_prompt, has_visible, normalize_prompt, visible_length
from bot.services.video_options import MAX_PROMPT

LOOKS_EMPTY = [
    "",
    " \t\n",
    "\u200b",  # zero-width space
    "\u200c\u200d",  # zero-width non-joiner, joiner
    "\u2060",  # word joiner
    "\ufeff",  # BOM / zero-width no-break space
    "\u00a0\u2007\u202f\u3000",  # no-break, figure, narrow and ideographic spaces
    "\u2028\u2029",  # line and paragraph separators
    "\u200e\u200f\u202a\u202c",  # bidi marks and embeddings
    "\u180e",  # Mongolian vowel separator
    "\u3164\u115f\u1160\uffa0",  # Hangul fillers
    "\u2800",  # blank Braille pattern
    "\u0301\u20dd",  # combining marks with nothing to sit on
    "\x00\x07\x1b",
]


@pytest.mark.parametrize("text", LOOKS_EMPTY)
def test_what_looks_empty_is_no_prompt(text: str) -> None:
    assert not has_visible(text)
    assert normalize_prompt(text) == ""
    with pytest.raises(ServiceRefused) as caught:
        clean_prompt(f"{text}{text}")
    assert caught.value.refusal is Refusal.BAD_PROMPT


def test_a_prompt_keeps_what_can_be_seen() -> None:
    assert normalize_prompt("\u200b\u3000 waves\u00a0hello \u200d\ufeff") == "waves\u00a0hello"
    assert normalize_prompt("cafe\u0301") == "cafe\u0301"  # the accent stays on its letter
    assert normalize_prompt("\u2764\ufe0f") == "\u2764\ufe0f"  # the emoji keeps its style
    assert normalize_prompt("👨\u200d👩\u200d👧 dance") == "👨\u200d👩\u200d👧 dance"
    assert normalize_prompt("line one\nline two\n") == "line one\nline two"
    assert clean_prompt("  smiles ") == "smiles"
    assert visible_length("a\u200bb\u200c") == 2


def test_a_prompt_over_the_limit_is_refused() -> None:
    clean_prompt("x" * MAX_PROMPT)
    with pytest.raises(ServiceRefused):
        clean_prompt("x" * (MAX_PROMPT + 1))


@pytest.mark.parametrize("name", [*LOOKS_EMPTY, "\u3164 \u3164", "a\u200bb"])
def test_a_face_name_must_be_visible_and_plain(name: str) -> None:
    with pytest.raises(ServiceRefused) as caught:
        clean_name(name)
    assert caught.value.refusal is Refusal.BAD_NAME


def test_ordinary_names_pass() -> None:
    assert clean_name("  Anna   Maria ") == "Anna Maria"
    assert clean_name("Zoë") == "Zoë"
    assert clean_name("安娜") == "安娜"
