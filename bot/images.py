"""Checks a photo against the providers' limits before anything is uploaded.

Limits shared by the seeds (002, 003): jpeg/png/webp/bmp/tiff/gif/heic, under 30 MB,
each side 300..6000 px, width/height 0.4..2.5. Telegram adds its own: a bot can download
at most 20 MB.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from enum import StrEnum

import pillow_heif
from PIL import Image, UnidentifiedImageError

pillow_heif.register_heif_opener()

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024
PROVIDER_SIZE_LIMIT = 30 * 1024 * 1024
MIN_SIDE = 300
MAX_SIDE = 6000
MIN_RATIO = 0.4
MAX_RATIO = 2.5

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


def check_image(data: bytes) -> ImageFacts:
    """Facts about a valid image, or :class:`ImageRejected` saying what is wrong."""
    size = len(data)
    if size > TELEGRAM_DOWNLOAD_LIMIT:
        raise ImageRejected(Problem.TOO_BIG_TO_DOWNLOAD, size=size)
    if size >= PROVIDER_SIZE_LIMIT:
        raise ImageRejected(Problem.TOO_LARGE, size=size)
    with warnings.catch_warnings():
        # A decompression-bomb-sized image is refused below by its sides, not by a warning.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            raise ImageRejected(Problem.TOO_BIG_SIDE, size=size) from None
        except (UnidentifiedImageError, OSError, ValueError):
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
                image.load()
            except (OSError, ValueError, SyntaxError):
                raise ImageRejected(Problem.CORRUPT, facts, size) from None
    return facts
