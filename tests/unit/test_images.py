import io
import struct
import subprocess
import sys
import threading
import time
import zlib

import pytest
from PIL import Image

from bot.services.images import ImageRejected, Problem, check_declared_size, check_image
from tests.images import heic, huge_png, image


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


# ---------------------------------------------------------------- huge and costly images


@pytest.mark.parametrize("side", [40_000, 10_000])  # past Pillow's error, past its warning
def test_a_huge_png_is_refused_by_its_header_with_its_real_size(side: int) -> None:
    data = huge_png(side, side)
    assert len(data) < 1024 * 1024  # small as a file
    with pytest.raises(ImageRejected) as caught:
        check_image(data)  # under filterwarnings=error a DecompressionBombWarning would fail
    assert caught.value.problem is Problem.TOO_BIG_SIDE
    assert caught.value.facts is not None
    assert (caught.value.facts.width, caught.value.facts.height) == (side, side)


def _patch_jpeg_size(data: bytes, width: int, height: int) -> bytes:
    sof = data.index(b"\xff\xc0")  # baseline frame header: length, precision, height, width
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


def test_a_huge_jpeg_is_refused_by_its_header_with_its_real_size() -> None:
    data = _patch_jpeg_size(image(600, 800), 40_000, 30_000)
    with pytest.raises(ImageRejected) as caught:
        check_image(data)
    assert caught.value.problem is Problem.TOO_BIG_SIDE
    assert caught.value.facts is not None
    assert (caught.value.facts.width, caught.value.facts.height) == (40_000, 30_000)


def test_a_huge_gif_is_refused_even_where_pillow_stops_before_the_size() -> None:
    gif = bytearray(image(600, 800, "GIF"))
    struct.pack_into("<HH", gif, 6, 40_000, 40_000)  # the logical screen
    frame = gif.index(b"\x2c")  # the first image descriptor
    struct.pack_into("<HH", gif, frame + 5, 40_000, 40_000)
    with pytest.raises(ImageRejected) as caught:
        check_image(bytes(gif))
    assert caught.value.problem is Problem.TOO_BIG_SIDE


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"])
def test_png_pixel_formats_are_read_as_whole(mode: str) -> None:
    buffer = io.BytesIO()
    Image.new(mode, (640, 480)).save(buffer, "PNG")
    assert check_image(buffer.getvalue()).format == "PNG"


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in chunks:
        crc = zlib.crc32(kind + body)
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)
    return out


def _interlaced_png(width: int, height: int, missing: int = 0) -> bytes:
    """RGB, Adam7-interlaced (Pillow writes no interlaced PNG), ``missing`` bytes short."""
    passes = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4))
    passes += ((1, 0, 2, 2), (0, 1, 1, 2))
    raw = b""
    for x, y, dx, dy in passes:
        w, h = (width - x + dx - 1) // dx, (height - y + dy - 1) // dy
        if w and h:
            raw += bytes(h * (1 + 3 * w))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    body = zlib.compress(raw[: len(raw) - missing])
    return _png([(b"IHDR", header), (b"IDAT", body), (b"IEND", b"")])


def test_an_interlaced_png_is_counted_pass_by_pass() -> None:
    whole = _interlaced_png(301, 451)
    with Image.open(io.BytesIO(whole)) as opened:
        opened.load()  # Pillow agrees the file is whole
    assert check_image(whole).width == 301
    with pytest.raises(ImageRejected) as caught:
        check_image(_interlaced_png(301, 451, missing=1))
    assert caught.value.problem is Problem.CORRUPT


def test_a_png_whose_pixels_stop_short_is_corrupt_though_every_crc_is_right() -> None:
    with Image.open(io.BytesIO(image(600, 800, "PNG"))) as opened:
        raw = opened.tobytes()
    rows = b"".join(b"\0" + raw[i : i + 1800] for i in range(0, len(raw), 1800))
    header = struct.pack(">IIBBBBB", 600, 800, 8, 2, 0, 0, 0)
    short = _png([(b"IHDR", header), (b"IDAT", zlib.compress(rows[:-600])), (b"IEND", b"")])
    with pytest.raises(ImageRejected) as caught:
        check_image(short)
    assert caught.value.problem is Problem.CORRUPT
    garbled = _png([(b"IHDR", header), (b"IDAT", b"not zlib at all"), (b"IEND", b"")])
    with pytest.raises(ImageRejected) as caught:
        check_image(garbled)
    assert caught.value.problem is Problem.CORRUPT


def test_a_cut_off_jpeg_is_caught_at_reduced_scale() -> None:
    good = image(1200, 1600, quality=95)
    check_image(good)
    with pytest.raises(ImageRejected) as caught:
        check_image(good[: len(good) - 200])
    assert caught.value.problem is Problem.CORRUPT


_PEAK = """
import resource, sys
from bot.services.images import check_image
from tests.images import huge_png
data = huge_png(6000, 6000, rgba=True)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
check_image(data)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_a_6000_px_rgba_png_is_checked_without_decoding_its_144_mb() -> None:
    # Peak memory of a fresh process, so nothing the test run did before counts.
    done = subprocess.run(
        [sys.executable, "-c", _PEAK], capture_output=True, text=True, check=True, timeout=60
    )
    grown_kb = int(done.stdout.strip())
    assert grown_kb < 32 * 1024, f"checking grew the peak by {grown_kb} KB"


def test_full_decodes_share_one_budget() -> None:
    from bot.services.images import _DecodeBudget

    budget = _DecodeBudget(100)
    inside: list[int] = []
    most = 0
    lock = threading.Lock()

    def decode(pixels: int) -> None:
        nonlocal most
        held = min(pixels, 100)  # an image over the budget waits until it has all of it
        with budget.hold(pixels):
            with lock:
                inside.append(held)
                most = max(most, sum(inside))
            time.sleep(0.01)
            with lock:
                inside.remove(held)

    threads = [threading.Thread(target=decode, args=(p,)) for p in (60, 60, 30, 150, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    assert most <= 100
