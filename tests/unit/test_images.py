import pytest

from bot.images import ImageRejected, Problem, check_declared_size, check_image
from tests.images import heic, image


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF"])
def test_accepts_every_listed_format(fmt: str) -> None:
    facts = check_image(image(600, 800, fmt))
    assert (facts.width, facts.height) == (600, 800)


def test_accepts_heic() -> None:
    facts = check_image(heic(600, 800))
    assert facts.mime_type == "image/heic"


@pytest.mark.parametrize(
    ("size", "problem"),
    [
        ((299, 800), Problem.TOO_SMALL),
        ((6001, 6000), Problem.TOO_BIG_SIDE),
        ((300, 751), Problem.BAD_RATIO),  # 0.399
        ((1251, 500), Problem.BAD_RATIO),  # 2.502
    ],
)
def test_limits(size: tuple[int, int], problem: Problem) -> None:
    with pytest.raises(ImageRejected) as caught:
        check_image(image(*size, "PNG"))
    assert caught.value.problem is problem


def test_limits_are_inclusive() -> None:
    check_image(image(300, 750, "PNG"))  # ratio exactly 0.4
    check_image(image(1250, 500, "PNG"))  # ratio exactly 2.5
    check_image(image(6000, 6000, "PNG"))


def test_not_an_image_and_corrupt() -> None:
    with pytest.raises(ImageRejected) as caught:
        check_image(b"%PDF-1.4 definitely not a picture")
    assert caught.value.problem is Problem.NOT_AN_IMAGE
    good = image(600, 800, "PNG")
    with pytest.raises(ImageRejected) as caught:
        check_image(good[: len(good) // 2])
    assert caught.value.problem is Problem.CORRUPT


def test_unsupported_format() -> None:
    with pytest.raises(ImageRejected) as caught:
        check_image(image(600, 800, "ICO", sizes=[(256, 256)]))
    # ICO caps at 256 px, so it is refused for its format before its size.
    assert caught.value.problem in (Problem.UNSUPPORTED_FORMAT,)


def test_declared_size_over_telegram_limit() -> None:
    check_declared_size(None)
    check_declared_size(20 * 1024 * 1024)
    with pytest.raises(ImageRejected) as caught:
        check_declared_size(20 * 1024 * 1024 + 1)
    assert caught.value.problem is Problem.TOO_BIG_TO_DOWNLOAD
