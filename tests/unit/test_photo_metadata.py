"""Photos leave the bot with the picture only (bot/services/photo_metadata.py): GPS, camera,
dates, XMP, IPTC and comments gone, pixels and orientation as they were, and a photo with
nothing to take out left byte for byte."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image, ImageOps

from bot.services.images import check_image
from bot.services.photo_metadata import ORIENTATION, strip_metadata

GPS_IFD, MAKE, MODEL, DATETIME = 0x8825, 0x010F, 0x0110, 0x0132
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>secret place</rdf:RDF></x:xmpmeta>'


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[DATETIME] = "PhoneCo", "Phone 12", "2026:11:30 10:00:00"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 1.0)})
    return exif


def picture(width: int = 640, height: int = 400) -> Image.Image:
    image = Image.new("RGB", (width, height))
    image.paste((200, 30, 30), (0, 0, width // 2, height // 3))  # a corner to tell turns by
    return image


def saved(fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    picture().save(out, format=fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_no_camera_data(data: bytes) -> None:
    exif = opened(data).getexif()
    assert MAKE not in exif and MODEL not in exif and DATETIME not in exif
    assert not exif.get_ifd(GPS_IFD)
    for marker in (b"PhoneCo", b"Phone 12", b"secret place", b"2026:11:30", b"a comment"):
        assert marker not in data


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_jpeg_loses_gps_camera_xmp_and_comments_but_not_its_pixels(orientation: int) -> None:
    original = saved(
        "JPEG", exif=camera_exif(orientation), xmp=XMP, comment=b"a comment", quality=90
    )
    assert b"PhoneCo" in original and b"secret place" in original
    clean = strip_metadata(original, "JPEG")
    assert_no_camera_data(clean)
    before, after = opened(original), opened(clean)
    assert after.size == before.size == (640, 400)
    assert after.tobytes() == before.tobytes()  # the compressed pixels were copied as they are
    assert after.getexif().get(ORIENTATION, 1) == orientation
    shown = ImageOps.exif_transpose(after)
    assert shown.size == ImageOps.exif_transpose(before).size
    assert check_image(clean).format == "JPEG"


def test_a_jpeg_with_no_metadata_is_left_byte_for_byte() -> None:
    original = saved("JPEG", quality=90)
    assert strip_metadata(original, "JPEG") is original


def test_a_progressive_jpeg_with_restart_markers_keeps_every_scan() -> None:
    original = saved(
        "JPEG", exif=camera_exif(), progressive=True, quality=80, restart_marker_rows=2
    )
    clean = strip_metadata(original, "JPEG")
    assert_no_camera_data(clean)
    assert opened(clean).tobytes() == opened(original).tobytes()


def test_whatever_follows_a_jpeg_picture_is_cut() -> None:
    original = saved("JPEG", quality=90) + b"maker trailer: serial 12345"
    clean = strip_metadata(original, "JPEG")
    assert clean == original[: original.rindex(b"\xff\xd9") + 2]


def test_the_colour_profile_stays() -> None:
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = saved("JPEG", exif=camera_exif(), icc_profile=srgb)
    assert opened(strip_metadata(original, "JPEG")).info.get("icc_profile") == srgb


@pytest.mark.parametrize("orientation", [1, 8])
def test_a_png_loses_its_text_and_exif_chunks(orientation: int) -> None:
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "a comment")
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    original = saved("PNG", pnginfo=text, exif=camera_exif(orientation))
    clean = strip_metadata(original, "PNG")
    assert_no_camera_data(clean)
    assert opened(clean).tobytes() == opened(original).tobytes()
    assert opened(clean).getexif().get(ORIENTATION, 1) == orientation
    assert strip_metadata(saved("PNG"), "PNG") == saved("PNG")


@pytest.mark.parametrize("orientation", [1, 3])
def test_a_webp_loses_its_exif_and_xmp(orientation: int) -> None:
    original = saved("WEBP", exif=camera_exif(orientation), xmp=XMP, lossless=True)
    clean = strip_metadata(original, "WEBP")
    assert_no_camera_data(clean)
    assert opened(clean).tobytes() == opened(original).tobytes()
    assert opened(clean).getexif().get(ORIENTATION, 1) == orientation
    plain = saved("WEBP", lossless=True)
    assert strip_metadata(plain, "WEBP") is plain


def test_a_tiff_is_written_again_upright_without_its_tags() -> None:
    original = saved("TIFF", exif=camera_exif(6))
    clean = strip_metadata(original, "TIFF")
    assert_no_camera_data(clean)
    upright = ImageOps.exif_transpose(opened(original))
    assert opened(clean).size == upright.size == (400, 640)
    assert opened(clean).convert("RGB").tobytes() == upright.convert("RGB").tobytes()


def test_a_png_with_only_exif_loses_it_and_private_chunks_go_too() -> None:
    original = saved("PNG", exif=camera_exif(6))
    at = original.index(b"IEND") - 4
    private = (4).to_bytes(4, "big") + b"prIv" + b"SEEN" + (0).to_bytes(4, "big")
    original = original[:at] + private + original[at:]
    clean = strip_metadata(original, "PNG")
    assert_no_camera_data(clean)
    assert b"prIv" not in clean
    assert opened(clean).getexif().get(ORIENTATION) == 6


def test_orientation_after_the_pixels_is_kept_before_them() -> None:
    original = saved("PNG")
    exif = camera_exif(6).tobytes()[6:]
    chunk = (
        len(exif).to_bytes(4, "big")
        + b"eXIf"
        + exif
        + zlib.crc32(b"eXIf" + exif).to_bytes(4, "big")
    )
    at = original.index(b"IEND") - 4  # eXIf after IDAT: readers may ignore it there
    clean = strip_metadata(original[:at] + chunk + original[at:], "PNG")
    assert clean.index(b"eXIf") < clean.index(b"IDAT")
    assert opened(clean).getexif().get(ORIENTATION) == 6
    assert b"PhoneCo" not in clean


def test_thousands_of_unknown_chunks_all_go() -> None:
    original = saved("PNG", exif=camera_exif(6))
    at = original.index(b"IDAT") - 4
    empty = (0).to_bytes(4, "big") + b"zzZz" + (0).to_bytes(4, "big")
    clean = strip_metadata(original[:at] + empty * 20_000 + original[at:], "PNG")
    assert b"zzZz" not in clean
    assert opened(clean).tobytes() == opened(original).tobytes()


def test_thumbnails_in_jfif_and_jfxx_go() -> None:
    original = saved("JPEG", quality=90)
    thumb = bytes([2, 1]) + b"\x10\x20\x30" * 2  # a 2x1 RGB thumbnail in the JFIF header
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01" + thumb
    jfxx = b"JFXX\x00\x13" + b"THUMB-SECRET"
    segments = b"".join(
        b"\xff\xe0" + (len(body) + 2).to_bytes(2, "big") + body for body in (jfif, jfxx)
    )
    at = original.index(b"\xff\xdb")  # before the first quantisation table
    tampered = original[:2] + segments + original[at:]
    clean = strip_metadata(tampered, "JPEG")
    assert b"THUMB-SECRET" not in clean and b"\x10\x20\x30" not in clean
    assert clean[2:6] == b"\xff\xe0\x00\x10" and clean[6:11] == b"JFIF\x00"
    assert opened(clean).tobytes() == opened(original).tobytes()


def test_a_webp_keeps_only_what_draws_it() -> None:
    original = saved("WEBP", exif=camera_exif(6), xmp=XMP, lossless=True)
    extra = b"C2PA" + (6).to_bytes(4, "little") + b"signed"
    riff = original[:4] + (int.from_bytes(original[4:8], "little") + len(extra)).to_bytes(
        4, "little"
    )
    clean = strip_metadata(riff + original[8:] + extra, "WEBP")
    assert b"C2PA" not in clean and b"signed" not in clean
    assert_no_camera_data(clean)
    assert opened(clean).getexif().get(ORIENTATION) == 6
    assert opened(clean).tobytes() == opened(original).tobytes()


def gif_with_metadata() -> tuple[bytes, bytes]:
    """A looping two-frame GIF, and the same with a comment and an XMP application
    extension after the first frame and a comment before the trailer."""
    frames = [picture().convert("P"), ImageOps.mirror(picture()).convert("P")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], loop=0)
    clean = out.getvalue()
    comment = b"\x21\xfe" + bytes([len(b"shot at home")]) + b"shot at home" + b"\x00"
    xmp = b"\x21\xff\x0bXMP DataXMP" + bytes([len(XMP)]) + XMP + b"\x00"
    second = clean.index(b"\x21\xf9", clean.index(b"\x2c"))  # the second frame's control
    dirty = clean[:second] + comment + xmp + clean[second:-1] + comment + b"\x3b" + b"junk"
    return clean, dirty


def test_a_gif_loses_comments_and_xmp_in_every_frame_but_keeps_its_frames() -> None:
    clean, dirty = gif_with_metadata()
    assert b"secret place" in dirty
    stripped = strip_metadata(dirty, "GIF")
    assert stripped == clean
    assert b"secret place" not in stripped and b"shot at home" not in stripped
    with Image.open(io.BytesIO(stripped)) as gif:
        assert gif.n_frames == 2 and gif.info.get("loop") == 0


def test_a_gif_keeps_its_colour_profile_and_skips_stray_terminators() -> None:
    clean, _ = gif_with_metadata()
    icc = b"\x21\xff\x0bICCRGBG1012\x04prof\x00"
    first = clean.index(b"\x21\xf9")
    with_icc = clean[:first] + icc + clean[first:]
    stray = with_icc[:-1] + b"\x00\x3b"  # a zero byte before the trailer, as some writers do
    assert strip_metadata(stray, "GIF") == with_icc


def test_a_gif_with_no_metadata_is_left_byte_for_byte() -> None:
    clean, _ = gif_with_metadata()
    assert strip_metadata(clean, "GIF") is clean
