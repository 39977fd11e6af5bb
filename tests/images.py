"""Real image bytes for tests, made with Pillow."""

from __future__ import annotations

import functools
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


@functools.cache
def huge_png(width: int = 40_000, height: int = 40_000, *, rgba: bool = False) -> bytes:
    """A valid PNG of any size that stays small: every pixel black (1-bit grey, or 8-bit
    RGBA to be as costly to decode as a PNG gets), its zlib stream written in blocks of
    rows (40000x40000 grey is 200 MB of rows, under 1 MB of file)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    depth, colour, row_bytes = (8, 6, 4 * width) if rgba else (1, 0, (width + 7) // 8)
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    row = bytes(1 + row_bytes)  # filter byte 0, then the packed pixels
    deflate = zlib.compressobj(1)  # the fastest level: still 1000 to 1
    full, rest = divmod(height, 1024)
    block = row * 1024
    parts = [deflate.compress(block) for _ in range(full)]
    parts += [deflate.compress(row * rest), deflate.flush()]
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )
