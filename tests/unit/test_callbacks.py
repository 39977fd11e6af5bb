import random

import pytest

from bot.telegram.callbacks import _SHAPES, MAX_INT, TOKEN, Action, Arg, Callback, decode, row_ids

TOKENS = {Action.READY, Action.DECLINE, Action.INVITE_LINK, Action.TAKE_OVER, Action.LANGUAGE}


def good_arg(action: Action, rng: random.Random | None = None) -> str:
    """An argument the action's buttons really carry."""
    shape = _SHAPES[action]
    if shape == TOKEN:
        return "tok_en-1"
    assert isinstance(shape, tuple)
    pick = rng.choice if rng else (lambda xs: xs[0])
    return ":".join(str(pick([12, 1, MAX_INT] if k is Arg.ID else [0, 3, MAX_INT])) for k in shape)


def test_every_action_has_a_shape() -> None:
    assert set(_SHAPES) == set(Action)


def test_round_trip_every_action() -> None:
    for action in Action:
        arg = good_arg(action)
        decoded = decode(Callback(action, arg).encode())
        assert decoded == Callback(action, arg)
        if action not in TOKENS and arg:
            assert decoded is not None and decoded.ints == tuple(int(p) for p in arg.split(":"))


def test_shapes_the_keyboards_use() -> None:
    assert decode("1|gc|7") == Callback(Action.GEN_CONFIRM, "7")
    assert decode("1|st|0:1:2") == Callback(Action.SETTING, "0:1:2")  # job 0: the defaults
    assert decode("1|sd|0") == Callback(Action.SETTINGS_DONE, "0")
    assert decode("1|cp|0") == Callback(Action.GROUP_PROVIDER, "0")
    assert decode("1|ig|3:4") == Callback(Action.INLINE_GO, "3:4")
    assert decode("1|fl|") == Callback(Action.FACE_LIST)
    assert decode(f"1|gc|{MAX_INT}") is not None  # the largest SQLite INTEGER


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "nl 12",  # old space-separated style
        "2|nl|12",  # a future version
        "1|zz|12",  # unknown action
        "1|nl|abc",  # face actions take a number
        "1|fl|7",  # the face list takes none
        "1|gc|" + "9" * 40,  # past SQLite's INTEGER: was an OverflowError
        f"1|gc|{MAX_INT + 1}",
        "1|gc|0",  # row ids start at 1
        "1|gc|-1",
        "1|gc|+1",
        "1|gc| 1",
        "1|gc|007",  # not as str(int) writes it
        "1|gc|1.0",
        "1|gc|1e3",
        "1|gc|²",  # str.isdigit says yes
        "1|gc|١٢",  # Arabic-Indic digits: int() takes them
        "1|gc|",
        "1|gc|1:2",  # too many
        "1|gf|1",  # too few
        "1|gf|1:",
        "1|gf|:1",
        "1|st|0:1",
        "1|st|0:1:2:3",
        "1|gc|1|2",  # a separator too many
        "1|gc",
        "1||1",
        "|gc|1",
        "1|GC|1",
        "1|rd|",  # an empty token
        "1|rd|tok en",
        "1|rd|tok:en",
        "1|rd|tök",
        "1|rd|" + "a" * 60,  # over 64 bytes
    ],
)
def test_refuses_what_it_does_not_understand(data: str | None) -> None:
    assert decode(data) is None


def test_data_over_64_bytes_is_an_error_not_a_silent_truncation() -> None:
    with pytest.raises(ValueError):
        Callback(Action.READY, "x" * 80).encode()


def test_encoding_a_wrong_shape_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        Callback(Action.GEN_FACE, "1").encode()
    with pytest.raises(ValueError):
        Callback(Action.GEN_CONFIRM, "0").encode()


ALPHABET = "0123456789|:-_ aZz9+.,e²١\x00\u200b🙂" + "".join(a.value for a in Action)


def _mutate(rng: random.Random, data: str) -> str:
    match rng.randrange(6):
        case 0:  # replace one character
            i = rng.randrange(len(data))
            return data[:i] + rng.choice(ALPHABET) + data[i + 1 :]
        case 1:  # insert
            i = rng.randrange(len(data) + 1)
            return data[:i] + rng.choice(ALPHABET) + data[i:]
        case 2:  # delete
            i = rng.randrange(len(data))
            return data[:i] + data[i + 1 :]
        case 3:  # a huge or negative number somewhere
            return data + rng.choice(["9" * rng.randrange(19, 60), "-1", ":0", ":"])
        case 4:  # cut
            return data[: rng.randrange(len(data) + 1)]
        case _:  # random noise
            return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 70)))


def _acceptable(callback: Callback) -> bool:
    """Exactly what a handler can use without checking again."""
    shape = _SHAPES[callback.action]
    if shape == TOKEN:
        return bool(callback.arg) and all(
            c.isascii() and (c.isalnum() or c in "-_") for c in callback.arg
        )
    assert isinstance(shape, tuple)
    if not shape:
        return callback.arg == ""
    numbers = callback.ints
    least = [1 if k is Arg.ID else 0 for k in shape]
    return len(numbers) == len(shape) and all(
        lo <= n <= MAX_INT for n, lo in zip(numbers, least, strict=True)
    )


def test_fuzz_decode_never_raises_and_only_accepts_usable_data() -> None:
    rng = random.Random(8)
    accepted = refused = 0
    for _ in range(30_000):
        action = rng.choice(list(Action))
        data = Callback(action, good_arg(action, rng)).encode()
        for _ in range(rng.randrange(1, 4)):
            data = _mutate(rng, data) or data
        callback = decode(data)
        if callback is None:
            refused += 1
            continue
        accepted += 1
        assert _acceptable(callback), data
        assert callback.encode() == data  # what is accepted is canonical
    # Both sides of the parser were exercised.
    assert accepted > 1_000 and refused > 10_000


def test_inline_result_ids_are_read_as_strictly() -> None:
    assert row_ids("3:4", 2) == (3, 4)
    for bad in ("3", "3:4:5", "3:²", "3:" + "9" * 40, "0:4", "3:-4", "3: 4", ""):
        assert row_ids(bad, 2) is None, bad


def test_the_inline_cards_buttons_decode_to_offer_and_face() -> None:
    from bot.telegram.keyboards.videos import inline_card

    markup = inline_card(3, 4)
    pressed = [decode(button.callback_data) for row in markup.inline_keyboard for button in row]
    assert pressed == [Callback(Action.INLINE_GO, "3:4"), Callback(Action.INLINE_CANCEL, "3:4")]
    assert [c.ints for c in pressed if c is not None] == [(3, 4), (3, 4)]
