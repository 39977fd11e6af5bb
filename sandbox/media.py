"""File-format helpers for the provider simulators: the sample MP4 and upload image checks.

MP4: ``assets/sample.mp4`` is a real H.264 clip (2 s, 320x240, 24 fps, ffmpeg ``testsrc``,
about 14 KB, laid out ``ftyp moov free mdat``). It was made once with

    ffmpeg -f lavfi -i testsrc=duration=2:size=320x240:rate=24 -c:v libx264 -preset veryslow \
        -crf 26 -pix_fmt yuv420p -profile:v baseline -movflags +faststart -map_metadata -1 \
        -fflags +bitexact -flags:v +bitexact sample.mp4

and is shipped in the package, so the runtime never needs ffmpeg. ``padded_mp4`` grows it to
an exact size by appending one top-level ``free`` box: players skip ``free`` boxes, so the
file stays valid and plays the same two seconds. ``iter_padded_mp4`` yields the same bytes in
chunks that share one read-only zero buffer, so serving a 45 MB file costs no 45 MB copy.

Images: ``inspect_image`` applies the upload rules the Token360 simulator enforces (format,
size, sides, aspect ratio) with Pillow; importing this module registers pillow-heif's HEIF
opener so iPhone HEIC photos are read.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pillow_heif
from PIL import Image, UnidentifiedImageError

pillow_heif.register_heif_opener()

_FREE_HEADER = 8
_LARGE_FREE_HEADER = 16
_MAX_BOX32 = 0xFFFFFFFF
_ZEROS = memoryview(bytes(1 << 20))

#: Pillow format name -> MIME type of the accepted upload formats. MPO is how Pillow reports
#: the multi-picture JPEGs many phone cameras write; it is a JPEG.
IMAGE_MIME_TYPES: dict[str, str] = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
    "GIF": "image/gif",
    "HEIF": "image/heic",
}
MAX_IMAGE_BYTES = 30 * 1024 * 1024
MIN_SIDE = 300
MAX_SIDE = 6000
MIN_RATIO = 0.4
MAX_RATIO = 2.5
_SIDES_RULE = f"each side must be {MIN_SIDE}..{MAX_SIDE} px"


@cache
def sample_mp4() -> bytes:
    """The shipped sample clip (read once, then cached)."""
    return resources.files("sandbox").joinpath("assets/sample.mp4").read_bytes()


def _free_box_header(pad: int) -> bytes:
    if pad <= _MAX_BOX32:
        return struct.pack(">I4s", pad, b"free")
    # A 32-bit size of 1 means "a 64-bit size follows the type".
    return struct.pack(">I4sQ", 1, b"free", pad)


def iter_padded_mp4(size: int, chunk_size: int = len(_ZEROS)) -> Iterator[bytes | memoryview]:
    """Yield a valid MP4 of exactly ``size`` bytes: the sample plus one trailing ``free`` box.

    ``size`` must equal ``len(sample_mp4())`` or be at least 8 bytes more (room for the box
    header); otherwise ``ValueError``.
    """
    sample = sample_mp4()
    pad = size - len(sample)
    if pad != 0 and pad < _FREE_HEADER:
        raise ValueError(f"size must be {len(sample)} or at least {len(sample) + _FREE_HEADER}")
    yield sample
    if pad == 0:
        return
    header = _free_box_header(pad)
    if len(header) > pad:  # a 64-bit header needs 16 bytes; only reachable above 4 GiB
        raise ValueError("padding too small for a 64-bit free box")
    yield header
    remaining = pad - len(header)
    step = max(1, min(chunk_size, len(_ZEROS)))
    while remaining > 0:
        n = min(step, remaining)
        yield _ZEROS[:n]
        remaining -= n


def padded_mp4(size: int) -> bytes:
    """A valid MP4 of exactly ``size`` bytes (see ``iter_padded_mp4``), built in memory."""
    return b"".join(iter_padded_mp4(size))


def check_padded_size(size: int) -> None:
    """Raise ``ValueError`` unless ``padded_mp4(size)`` is possible."""
    base = len(sample_mp4())
    if size != base and size < base + _FREE_HEADER:
        raise ValueError(f"video_bytes must be {base} or at least {base + _FREE_HEADER}")


@dataclass(frozen=True)
class ImageInfo:
    """What an accepted upload turned out to be."""

    format: str
    mime_type: str
    width: int
    height: int


class ImageRejected(ValueError):
    """The file breaks an upload rule; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def inspect_image(data: bytes) -> ImageInfo:
    """Check an upload against the Real Face image rules; raise ``ImageRejected`` if broken.

    Rules: under 30 MB (413 otherwise); JPEG, PNG, WebP, BMP, TIFF, GIF or HEIC; each side
    300..6000 px; width/height 0.4..2.5. Sides are the stored pixel dimensions (EXIF
    orientation is not applied; the ratio range is symmetric, so rotation cannot change the
    verdict). The pixels are decoded in full, so a truncated file is rejected too. CPU-bound:
    call it in a worker thread.
    """
    if len(data) >= MAX_IMAGE_BYTES:
        raise ImageRejected(413, f"File is {len(data)} bytes; the limit is under 30 MB")
    try:
        image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow warns past ~89 Mpx (an exception where warnings are errors, as in tests);
        # such an image breaks the side limit anyway.
        raise ImageRejected(400, f"Image has too many pixels; {_SIDES_RULE}") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageRejected(400, "File is not a readable image") from exc
    with image:
        fmt = image.format or ""
        mime = IMAGE_MIME_TYPES.get(fmt)
        if mime is None:
            allowed = "JPEG, PNG, WebP, BMP, TIFF, GIF, HEIC"
            raise ImageRejected(400, f"Unsupported image format {fmt or 'unknown'}; use {allowed}")
        width, height = image.size
        for side, value in (("width", width), ("height", height)):
            if not MIN_SIDE <= value <= MAX_SIDE:
                raise ImageRejected(400, f"Image {side} is {value} px; {_SIDES_RULE}")
        ratio = width / height
        if not MIN_RATIO <= ratio <= MAX_RATIO:
            raise ImageRejected(
                400,
                f"Image aspect ratio (width/height) is {ratio:.2f}; "
                f"it must be {MIN_RATIO}..{MAX_RATIO}",
            )
        try:
            image.load()
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageRejected(400, "Image data is truncated or corrupt") from exc
    return ImageInfo(format=fmt, mime_type=mime, width=width, height=height)
