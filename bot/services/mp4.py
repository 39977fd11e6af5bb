"""Duration and size of an MP4 on disk, read from its boxes without loading the file."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


@dataclass(frozen=True)
class Mp4Info:
    duration: float | None  # seconds
    width: int | None
    height: int | None


def probe(path: Path) -> Mp4Info:
    """What Telegram's sendVideo wants to know; None for whatever the file does not say."""
    found: dict[str, float | int] = {}
    with path.open("rb") as f:
        size = path.stat().st_size
        _walk(f, 0, size, found)
    width, height = found.get("width"), found.get("height")
    duration = found.get("duration")
    return Mp4Info(
        duration=float(duration) if duration is not None else None,
        width=int(width) if width else None,
        height=int(height) if height else None,
    )


def _walk(f: BinaryIO, start: int, end: int, found: dict[str, float | int]) -> None:
    offset = start
    while offset + 8 <= end:
        f.seek(offset)
        header = f.read(8)
        if len(header) < 8:
            return
        box_size, kind = struct.unpack(">I4s", header)
        body = offset + 8
        if box_size == 1:
            box_size = struct.unpack(">Q", f.read(8))[0]
            body += 8
        elif box_size == 0:
            box_size = end - offset
        if box_size < 8 or offset + box_size > end:
            return
        if kind in CONTAINERS:
            _walk(f, body, offset + box_size, found)
        elif kind == b"mvhd":
            _mvhd(f, body, found)
        elif kind == b"tkhd" and "width" not in found:
            _tkhd(f, body, offset + box_size, found)
        offset += box_size


def _mvhd(f: BinaryIO, body: int, found: dict[str, float | int]) -> None:
    f.seek(body)
    version = f.read(1)[0]
    f.seek(body + 4)
    if version == 1:
        _, _, timescale, duration = struct.unpack(">QQIQ", f.read(28))
    else:
        _, _, timescale, duration = struct.unpack(">IIII", f.read(16))
    if timescale:
        found["duration"] = duration / timescale


def _tkhd(f: BinaryIO, body: int, end: int, found: dict[str, float | int]) -> None:
    # Width and height are the box's last 8 bytes, 16.16 fixed point; audio tracks say 0.
    f.seek(end - 8)
    width, height = struct.unpack(">II", f.read(8))
    if width and height:
        found["width"], found["height"] = width >> 16, height >> 16
