import pytest

from bot.callbacks import Action, Callback, decode


def test_round_trip_every_action() -> None:
    tokens = {Action.READY, Action.DECLINE, Action.INVITE_LINK}
    for action in Action:
        if action is Action.FACE_LIST:
            arg = ""
        elif action in tokens:
            arg = "tok_en-1"
        else:
            arg = "12:3:4"
        assert decode(Callback(action, arg).encode()) == Callback(action, arg)
        if arg[:1].isdigit():
            assert decode(Callback(action, arg).encode()).ints == (12, 3, 4)  # type: ignore[union-attr]


def test_face_list_takes_no_argument() -> None:
    assert decode("1|fl|7") is None


def test_refuses_what_it_does_not_understand() -> None:
    assert decode(None) is None
    assert decode("") is None
    assert decode("nl 12") is None  # old space-separated style
    assert decode("2|nl|12") is None  # a future version
    assert decode("1|zz|12") is None  # unknown action
    assert decode("1|nl|abc") is None  # face actions take a number


def test_data_over_64_bytes_is_an_error_not_a_silent_truncation() -> None:
    with pytest.raises(ValueError):
        Callback(Action.READY, "x" * 80).encode()
