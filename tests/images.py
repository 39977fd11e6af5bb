"""Real image bytes for tests, made with Pillow."""

from __future__ import annotations

import io

from PIL import Image


def image(
    width: int = 600, height: int = 800, fmt: str = "JPEG", color: str = "#c08060", **save: object
) -> bytes:
    buffer = io.BytesIO()
    mode = "RGB" if fmt not in ("GIF",) else "P"
    Image.new(mode, (width, height), color).save(buffer, fmt, **save)
    return buffer.getvalue()


def heic(width: int = 600, height: int = 800) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return image(width, height, "HEIF")
