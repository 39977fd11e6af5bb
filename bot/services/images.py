"""Checks a photo against the providers' limits before anything is uploaded.

Limits shared by the seeds (002, 003): jpeg/png/webp/bmp/tiff/gif/heic, under 30 MB,
each side 300..6000 px, width/height 0.4..2.5. Telegram adds its own: a bot can download
at most 20 MB.

What a check costs. A 20 MB file can claim any size (a 40000x40000 PNG of zeros is a few
hundred KB), and a 6000x6000 image decoded is 108 MB as RGB, 144 MB as RGBA. So:

1. Format and size come from the header alone: Pillow's format plugins read it lazily and
   decode nothing. Pillow's decompression-bomb guard is not used for this step: it refuses
   past 179 M pixels without saying the size (and warns, as an error under pytest, past
   89 M); our limit is stricter, 6000 px a side (36 M pixels), is checked first, and the
   refusal names the real size.
2. Only an image within every limit is decoded, to prove it complete and readable:
   - JPEG (every Telegram photo): ``draft`` makes libjpeg decode at 1/8 scale. It still
     reads the whole scan, so a cut-off file is still caught; 6000x6000 costs 1.7 MB.
   - PNG: ``verify`` checks each chunk's CRC up to IEND; then the pixel stream is inflated
     in 1 MB steps and its length compared with what the header's size and pixel format
     need. The pixels are never held.
   - WebP, BMP, TIFF, GIF, HEIC (rare as uploads): decoded in full, under a process-wide
     budget of 36 M pixels decoding at once (one 6000x6000 image), so photos checked in
     parallel (an album; several users) hold at most about one largest image.
Checks run in a worker thread (``asyncio.to_thread``); the budget is a thread condition.
Pillow and its HEIC plugin are loaded by the first check, not when the bot starts.
"""

from __future__ import annotations

import io
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import ImageFile

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024
PROVIDER_SIZE_LIMIT = 30 * 1024 * 1024
MIN_SIDE = 300
MAX_SIDE = 6000
MIN_RATIO = 0.4
MAX_RATIO = 2.5
# Pixels that may be decoded in full at once across all checks (see the module docstring).
DECODE_BUDGET = MAX_SIDE * MAX_SIDE

# Pillow format name -> (mime type, file extension)
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),  # phone cameras write JPEGs that Pillow calls MPO
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "BMP": ("image/bmp", "bmp"),
    "TIFF": ("image/tiff", "tiff"),
    "GIF": ("image/gif", "gif"),
    "HEIF": ("image/heic", "heic"),
}


class Problem(StrEnum):
    TOO_BIG_TO_DOWNLOAD = "too_big_to_download"
    TOO_LARGE = "too_large"
    NOT_AN_IMAGE = "not_an_image"
    UNSUPPORTED_FORMAT = "unsupported_format"
    CORRUPT = "corrupt"
    TOO_SMALL = "too_small"
    TOO_BIG_SIDE = "too_big_side"
    BAD_RATIO = "bad_ratio"


@dataclass(frozen=True)
class ImageFacts:
    format: str
    mime_type: str
    extension: str
    width: int
    height: int
    size: int


@dataclass(frozen=True)
class ImageRejected(Exception):
    problem: Problem
    facts: ImageFacts | None = None
    size: int | None = None
    format: str | None = None


def check_declared_size(size: int | None) -> None:
    """Refuse before downloading when Telegram already tells us the file is too big."""
    if size is not None and size > TELEGRAM_DOWNLOAD_LIMIT:
        raise ImageRejected(Problem.TOO_BIG_TO_DOWNLOAD, size=size)


# What a plugin raises for a file that is not its format (as Image.open treats them), and
# what a damaged file raises while it is read.
_NOT_THIS_FORMAT = (SyntaxError, IndexError, TypeError, struct.error)
_UNREADABLE = (OSError, ValueError, EOFError, *_NOT_THIS_FORMAT)

_plugins_lock = threading.Lock()
_plugins_ready = False


def _register_plugins() -> None:
    """Every Pillow format plugin registered, HEIC's too, so identifying never imports more.
    Done by the first check, not at import: loading Pillow costs a bot start ~0.3 s."""
    global _plugins_ready
    with _plugins_lock:
        if not _plugins_ready:
            import pillow_heif
            from PIL import Image

            pillow_heif.register_heif_opener()
            Image.init()
            _plugins_ready = True


def check_image(data: bytes) -> ImageFacts:
    """Facts about a valid image, or :class:`ImageRejected` saying what is wrong."""
    size = len(data)
    if size > TELEGRAM_DOWNLOAD_LIMIT:
        raise ImageRejected(Problem.TOO_BIG_TO_DOWNLOAD, size=size)
    if size >= PROVIDER_SIZE_LIMIT:
        raise ImageRejected(Problem.TOO_LARGE, size=size)
    _register_plugins()
    from PIL import Image, UnidentifiedImageError

    # Pillow's own guard, hit only by formats whose header parsing checks it (GIF frames,
    # MPO, TIFF tiles): the image is far over our limit. The warning is raised under pytest.
    bomb = (Image.DecompressionBombError, Image.DecompressionBombWarning)
    try:
        image = _identify(data)
    except bomb:
        raise ImageRejected(Problem.TOO_BIG_SIDE, size=size) from None
    except (UnidentifiedImageError, *_UNREADABLE):
        raise ImageRejected(Problem.NOT_AN_IMAGE, size=size) from None
    with image:
        fmt = (image.format or "").upper()
        if fmt not in FORMATS:
            raise ImageRejected(Problem.UNSUPPORTED_FORMAT, size=size, format=fmt or None)
        mime, ext = FORMATS[fmt]
        width, height = image.size
        facts = ImageFacts(fmt, mime, ext, width, height, size)
        if min(width, height) < MIN_SIDE:
            raise ImageRejected(Problem.TOO_SMALL, facts, size)
        if max(width, height) > MAX_SIDE:
            raise ImageRejected(Problem.TOO_BIG_SIDE, facts, size)
        ratio = width / height
        if not MIN_RATIO <= ratio <= MAX_RATIO:
            raise ImageRejected(Problem.BAD_RATIO, facts, size)
        try:
            complete = _decodes(image, data)
        except (*_UNREADABLE, *bomb):
            complete = False
        if not complete:
            raise ImageRejected(Problem.CORRUPT, facts, size)
    return facts


def _identify(data: bytes) -> ImageFile.ImageFile:
    """The image as its header describes it, nothing decoded: ``Image.open`` without its
    pixel-count guard (see the module docstring)."""
    from PIL import Image, UnidentifiedImageError

    prefix = data[:16]
    for fmt in Image.ID:
        factory, accept = Image.OPEN[fmt]
        if accept is not None:
            accepted = accept(prefix)
            if not accepted or isinstance(accepted, str):  # a str is a "maybe" warning
                continue
        try:
            return factory(io.BytesIO(data), "")
        except _NOT_THIS_FORMAT:
            continue
    raise UnidentifiedImageError("not an image format Pillow knows")


def _decodes(image: ImageFile.ImageFile, data: bytes) -> bool:
    """True if the whole image can be read, at the cost the module docstring gives."""
    if image.format in ("JPEG", "MPO"):
        image.draft(image.mode, (1, 1))  # the smallest scale libjpeg offers: 1/8
        image.load()
        return True
    if image.format == "PNG":
        width, height = image.size
        image.verify()
        return _png_pixels_complete(data, width, height)
    with _budget.hold(image.width * image.height):
        image.load()
    return True


class _DecodeBudget:
    """Pixels being decoded in full right now, across the worker threads."""

    def __init__(self, pixels: int) -> None:
        self._capacity = self._free = pixels
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        need = min(pixels, self._capacity)  # an image over the budget waits for all of it
        with self._changed:
            self._changed.wait_for(lambda: self._free >= need)
            self._free -= need
        try:
            yield
        finally:
            with self._changed:
                self._free += need
                self._changed.notify_all()


_budget = _DecodeBudget(DECODE_BUDGET)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type
# Adam7 interlacing: (first column, first row, column step, row step) of each pass.
_ADAM7: tuple[tuple[int, int, int, int], ...] = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_INFLATE_STEP = 1 << 20  # most inflated bytes held at once
_FEED_STEP = 1 << 16


def _png_pixels_complete(data: bytes, width: int, height: int) -> bool:
    """True if the IDAT stream inflates to at least the rows the header promises (more is
    ignored, as decoders do).

    Inflated in bounded steps and counted, never kept: this is what proves a PNG whole
    without the hundreds of MB a full decode of a large one takes.
    """
    if not data.startswith(_PNG_SIGNATURE):
        return False
    chunks = list(_png_chunks(data))
    header = next((body for kind, body in chunks if kind == b"IHDR"), None)
    if header is None or len(header) != 13:
        return False
    depth, colour, interlace = header[8], header[9], header[12]
    if colour not in _PNG_CHANNELS:
        return False
    bits = _PNG_CHANNELS[colour] * depth

    def rows(w: int, h: int) -> int:
        return h * (1 + (w * bits + 7) // 8) if w and h else 0

    if interlace:
        needed = sum(
            rows((width - x + dx - 1) // dx, (height - y + dy - 1) // dy)
            for x, y, dx, dy in _ADAM7
        )
    else:
        needed = rows(width, height)
    inflate = zlib.decompressobj()
    total = 0
    try:
        for kind, body in chunks:
            if kind != b"IDAT":
                continue
            # Small slices, so the unconsumed tail zlib hands back (a copy) stays small.
            for start in range(0, len(body), _FEED_STEP):
                pending: bytes | memoryview = body[start : start + _FEED_STEP]
                while pending:
                    total += len(inflate.decompress(pending, _INFLATE_STEP))
                    pending = inflate.unconsumed_tail
                    if total >= needed:
                        return True
        while total < needed and (more := inflate.decompress(b"", _INFLATE_STEP)):
            total += len(more)
    except zlib.error:
        return False
    return total >= needed


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, memoryview]]:
    view = memoryview(data)
    offset = len(_PNG_SIGNATURE)
    while offset + 8 <= len(data):
        (length,) = struct.unpack_from(">I", data, offset)
        kind = bytes(view[offset + 4 : offset + 8])
        yield kind, view[offset + 8 : offset + 8 + length]
        if kind == b"IEND":
            return
        offset += 12 + length
