"""A photo leaves the bot carrying only the picture (issue 11): EXIF (GPS, camera, dates),
XMP, IPTC, comments and trailing data are taken out before it is published or uploaded.

Telegram's own photos are re-encoded by Telegram and carry none of this; a photo sent as a
file ("document") arrives as the phone wrote it, GPS included.

- JPEG (and MPO, the JPEG phones write with extra pictures appended): the file's segments are
  copied except APP1 (EXIF, XMP), APP3..APP13 (IPTC among them), APP15, COM and APP2 other
  than the colour profile; everything after the picture's end (MPO's extra pictures, maker
  trailers) is cut. The compressed pixels are copied untouched. JFIF, the ICC colour profile
  and Adobe's colour transform stay: they say how to show the pixels.
- PNG and WebP: only the chunks that draw the picture are kept (allow-lists), so text,
  time, EXIF, XMP, C2PA and private chunks go (and WebP's header flags for them).
- GIF: the blocks are copied except comments, plain-text and application extensions (XMP
  travels in one) other than the loop count and the ICC colour profile, in every frame; the
  compressed pixels are copied untouched.
- BMP holds no metadata. TIFF and HEIF mix metadata into their structure: Pillow reads and
  writes them again without it (TIFF losslessly; HEIF at quality 95), a HEIF only when it
  has EXIF or XMP (its thumbnails and depth maps, pictures of the same photo, are not
  looked at).
- Orientation is kept: where the camera recorded one (EXIF Orientation other than 1), the
  stripped file carries a new EXIF block holding that tag alone, so the picture shows the
  same way; a re-encoded one is turned upright instead.
- A photo with nothing to take out is returned as the same bytes.

``strip_metadata`` runs in a worker thread (it may decode a whole TIFF or HEIF); Pillow is
already loaded by ``images.check_image``, which has proved the file readable.
"""

from __future__ import annotations

import asyncio
import io
import logging
import struct
import zlib
from dataclasses import replace

from bot.services.images import ImageFacts, ImageRejected, Problem, check_image

log = logging.getLogger(__name__)

ORIENTATION = 0x0112  # EXIF tag
# Written again by Pillow, turned upright: their width and height may swap.
REENCODED = frozenset({"TIFF", "HEIF"})
UPRIGHT = 1

_SOI, _EOI, _SOS, _COM = 0xD8, 0xD9, 0xDA, 0xFE
_APP0, _APP1, _APP2, _APP14 = 0xE0, 0xE1, 0xE2, 0xEE
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn: no length follows
_ICC = b"ICC_PROFILE\x00"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The chunks that draw the picture (PNG 3rd edition, APNG): everything else is left out.
_PNG_PICTURE = {
    *(b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT"),
    *(b"sRGB", b"cICP", b"mDCV", b"cLLI", b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT"),
}
_WEBP_EXIF_FLAG, _WEBP_XMP_FLAG = 0x08, 0x04
# The chunks that draw a WebP (simple, extended, animated): everything else is left out.
_WEBP_PICTURE = {b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ICCP", b"ANIM", b"ANMF"}
# Where Pillow puts a HEIF's metadata when it reads one.
_INFO_METADATA = ("exif", "xmp", "XML:com.adobe.xmp")
_GIF_EXTENSION, _GIF_IMAGE, _GIF_TRAILER = 0x21, 0x2C, 0x3B
_GIF_GRAPHIC_CONTROL = 0xF9  # frame timing and transparency: part of the picture
_GIF_APPLICATION = 0xFF
# Application extensions that are picture: the loop count (two spellings) and the colour
# profile (ICC, as PNG and WebP keep theirs). XMP and the rest go.
_GIF_KEPT_APPLICATIONS = {b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012"}


async def picture_only(data: bytes, facts: ImageFacts) -> tuple[bytes, ImageFacts]:
    """The photo as it will leave the bot: without GPS, camera and other metadata
    (``photo_metadata``), with the facts of what is sent."""
    try:
        clean = await asyncio.to_thread(strip_metadata, data, facts.format)
        if facts.format in REENCODED and clean is not data:  # turned upright: sides may swap
            return clean, await asyncio.to_thread(check_image, clean)
    except ImageRejected:
        raise
    except Exception as exc:  # never send it with its metadata: refuse it as unreadable
        log.warning("taking the metadata out of a %s failed: %r", facts.format, exc)
        raise ImageRejected(Problem.CORRUPT, facts, facts.size) from exc
    return clean, replace(facts, size=len(clean))


def strip_metadata(data: bytes, fmt: str) -> bytes:
    """``data`` (of Pillow format ``fmt``, as ``check_image`` found it) without metadata."""
    if fmt in ("JPEG", "MPO"):
        return _jpeg(data)
    if fmt == "PNG":
        return _png(data)
    if fmt == "WEBP":
        return _webp(data)
    if fmt == "GIF":
        return _gif(data)
    if fmt == "BMP":
        return data
    return _reencoded(data, fmt)


def _orientation(exif_payload: bytes) -> int:
    """The EXIF Orientation in a block (``Exif\\0\\0`` + TIFF, or bare TIFF), else upright."""
    from PIL import Image

    exif = Image.Exif()
    try:
        exif.load(exif_payload)
        value = exif.get(ORIENTATION, UPRIGHT)
    except (OSError, ValueError, SyntaxError, struct.error, KeyError, TypeError):
        return UPRIGHT
    return value if isinstance(value, int) and 1 <= value <= 8 else UPRIGHT


def _orientation_only(orientation: int) -> bytes:
    """An EXIF block (``Exif\\0\\0`` + TIFF) holding the orientation and nothing else."""
    from PIL import Image

    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif.tobytes()


def _jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        return _reencoded(data, "JPEG")
    kept: list[bytes] = []  # segments after SOI
    orientation = UPRIGHT
    dropped = False
    i, end = 2, len(data)
    while True:
        if i + 1 >= end or data[i] != 0xFF:
            return _reencoded(data, "JPEG")  # not a layout we can copy: Pillow writes it
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == _EOI:
            kept.append(b"\xff\xd9")
            dropped = dropped or i + 2 < end  # MPO pictures, maker trailers
            break
        if marker in _STANDALONE:
            kept.append(data[i : i + 2])
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        following = i + 2 + length
        if length < 2 or following > end:
            return _reencoded(data, "JPEG")
        segment = data[i:following]
        if marker == _SOS:  # the header, then compressed data up to the next marker
            following = _scan_end(data, following)
            kept.append(data[i:following])
        elif _is_metadata(marker, segment):
            dropped = True
            if marker == _APP1 and segment[4:10] == b"Exif\x00\x00":
                orientation = _orientation(segment[4:])
        elif marker == _APP0 and segment[16:18] != b"\x00\x00":
            # JFIF may carry a thumbnail of the (maybe uncropped) photo: the header only.
            kept.append(b"\xff\xe0\x00\x10" + segment[4:16] + b"\x00\x00")
            dropped = True
        else:
            kept.append(segment)
        i = following
    if not dropped:
        return data
    if orientation != UPRIGHT:
        payload = _orientation_only(orientation)
        app1 = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
        at = 1 if kept and kept[0][1] == _APP0 else 0  # after JFIF, which must come first
        kept.insert(at, app1)
    return b"\xff\xd8" + b"".join(kept)


def _is_metadata(marker: int, segment: bytes) -> bool:
    if marker == _COM:
        return True
    if marker == _APP2:
        return not segment[4:].startswith(_ICC)
    if marker == _APP0:  # JFIF's header is kept; JFXX (thumbnails) and others go
        return segment[4:9] != b"JFIF\x00" or len(segment) < 18
    return 0xE1 <= marker <= 0xEF and marker != _APP14


def _scan_end(data: bytes, i: int) -> int:
    """Where the compressed data starting at ``i`` ends: at the first marker that is not a
    stuffed 0xFF00, a restart marker or a fill byte."""
    end = len(data)
    while True:
        i = data.find(b"\xff", i)
        if i < 0 or i + 1 >= end:
            return end
        following = data[i + 1]
        if following == 0x00 or following in _STANDALONE or following == 0xFF:
            i += 1
            continue
        return i


def _png(data: bytes) -> bytes:
    """Keep the chunks that draw the picture (an allow-list: private chunks and ones not yet
    known, C2PA's among them, may carry anything), the orientation in an eXIf of its own
    ahead of the pixels."""
    if not data.startswith(_PNG_SIGNATURE):
        return _reencoded(data, "PNG")
    chunks: list[tuple[bytes, int, int]] = []  # kind, start, end
    orientation = UPRIGHT
    i, end = len(_PNG_SIGNATURE), len(data)
    while i + 8 <= end:
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        following = i + 12 + length
        if kind == b"eXIf":
            orientation = _orientation(data[i + 8 : following - 4])
        chunks.append((kind, i, following))
        i = following
        if kind == b"IEND":
            break
    if i >= end and all(kind in _PNG_PICTURE for kind, _, _ in chunks):
        return data  # nothing to take out
    kept: list[bytes] = []
    for kind, start, stop in chunks:
        if kind not in _PNG_PICTURE:
            continue
        if kind == b"IDAT" and orientation != UPRIGHT:
            kept.append(_png_chunk(b"eXIf", _orientation_only(orientation)[6:]))  # bare TIFF
            orientation = UPRIGHT  # written once, before the first IDAT
        kept.append(data[start:stop])
    return _PNG_SIGNATURE + b"".join(kept)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body).to_bytes(4, "big")
    return len(body).to_bytes(4, "big") + kind + body + crc


def _webp(data: bytes) -> bytes:
    """Keep the chunks that draw the picture (an allow-list, as for PNG), the orientation in
    an EXIF chunk of its own; the output is built from offsets, never copies of copies."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return _reencoded(data, "WEBP")
    kept: list[tuple[bytes, int, int]] = []  # kind, start of its body, its size
    orientation = UPRIGHT
    dropped = False
    i, end = 12, min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    while i + 8 <= end:
        kind = data[i : i + 4]
        size = int.from_bytes(data[i + 4 : i + 8], "little")
        if kind == b"EXIF":
            orientation = _orientation(data[i + 8 : i + 8 + size])
        if kind in _WEBP_PICTURE:
            kept.append((kind, i + 8, size))
        else:
            dropped = True
        i += 8 + size + (size & 1)
    if not dropped and end == len(data):
        return data
    parts: list[bytes] = []
    for n, (kind, start, size) in enumerate(kept):
        body = data[start : start + size]
        if n == 0 and kind == b"VP8X":
            flags = body[0] & ~(_WEBP_EXIF_FLAG | _WEBP_XMP_FLAG)
            if orientation != UPRIGHT:
                flags |= _WEBP_EXIF_FLAG
            body = bytes([flags]) + body[1:]
        parts += [kind, size.to_bytes(4, "little"), body, b"\x00" * (size & 1)]
    if kept and kept[0][0] == b"VP8X" and orientation != UPRIGHT:
        exif = _orientation_only(orientation)[6:]
        parts += [b"EXIF", len(exif).to_bytes(4, "little"), exif, b"\x00" * (len(exif) & 1)]
    body = b"".join(parts)
    return b"RIFF" + (len(body) + 4).to_bytes(4, "little") + b"WEBP" + body


def _gif(data: bytes) -> bytes:
    """The GIF's blocks but the extensions that are not picture, in one pass."""
    flags = data[10]
    i = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)  # header, screen, colours
    keep = [data[:i]]
    dropped = False
    while i < len(data):
        start, kind = i, data[i]
        if kind == 0:  # a stray terminator between blocks: readers skip it
            i += 1
            continue
        if kind == _GIF_TRAILER:
            keep.append(data[i : i + 1])
            break  # anything after the trailer is not GIF
        if kind == _GIF_IMAGE:
            local = data[i + 9]
            i += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1  # + LZW code size
            i = _gif_sub_blocks(data, i)
            keep.append(data[start:i])
            continue
        if kind != _GIF_EXTENSION:
            raise ValueError(f"unexpected GIF block {kind:#x} at {i}")
        label = data[i + 1]
        i = _gif_sub_blocks(data, i + 2)
        kept = data[start + 3 : start + 14] in _GIF_KEPT_APPLICATIONS
        if label == _GIF_GRAPHIC_CONTROL or (label == _GIF_APPLICATION and kept):
            keep.append(data[start:i])
        else:
            dropped = True
    cleaned = b"".join(keep)
    return cleaned if dropped or len(cleaned) != len(data) else data


def _gif_sub_blocks(data: bytes, i: int) -> int:
    """Where the sub-blocks starting at ``i`` end (after their zero terminator)."""
    while True:
        size = data[i]
        i += 1 + size
        if size == 0:
            return i


def _reencoded(data: bytes, fmt: str) -> bytes:
    """Pillow reads the picture and writes it again, upright, with no metadata."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        if fmt == "HEIF" and not any(opened.info.get(key) for key in _INFO_METADATA):
            return data  # nothing to take out: not written again
        colours = opened.info.get("icc_profile")  # how to show the pixels: kept
        picture = ImageOps.exif_transpose(opened)
        picture.info.clear()  # comments, XMP, EXIF: not written again
        out = io.BytesIO()
        profile = {"icc_profile": colours} if colours else {}
        if fmt == "TIFF":
            picture.save(out, format="TIFF", compression="tiff_deflate", **profile)
        elif fmt == "HEIF":
            picture.save(out, format="HEIF", quality=95, **profile)
        else:
            picture.save(out, format=fmt if fmt != "MPO" else "JPEG", quality=95, **profile)
        return out.getvalue()
