"""Files and media: image and MP4 probes, the file store, resolving a media parameter."""

from __future__ import annotations

import contextlib
import io
import mimetypes
import re
import struct
from typing import Any

from PIL import Image, UnidentifiedImageError

from tests.fakes.telegram_api.common import (
    JSON,
    UPLOAD_FILE_LIMIT,
    UPLOAD_PHOTO_LIMIT,
    ApiError,
    _bad,
)
from tests.fakes.telegram_api.models import StoredFile, UploadedFile, _Media
from tests.fakes.telegram_api.state import FakeState

_FILE_ID_PREFIX = {
    "photo": "AgAC",
    "thumbnail": "AAMC",
    "document": "BQAC",
    "video": "BAAC",
    "animation": "CgAC",
    "sticker": "CAAC",
    "audio": "CQAC",
    "voice": "AwAC",
    "video_note": "DQAC",
}
_FILE_FOLDER = {
    "photo": "photos",
    "thumbnail": "thumbnails",
    "document": "documents",
    "video": "videos",
    "animation": "animations",
    "sticker": "stickers",
    "audio": "music",
    "voice": "voice",
    "video_note": "video_notes",
}


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def _thumbnail_jpeg(data: bytes, side: int = 90) -> tuple[bytes, int, int]:
    with Image.open(io.BytesIO(data)) as image:
        small = image.convert("RGB")
        small.thumbnail((side, side))
        buffer = io.BytesIO()
        small.save(buffer, format="JPEG", quality=80)
        return buffer.getvalue(), small.width, small.height


def _mp4_info(data: bytes) -> tuple[int, int, int]:
    """Best-effort (width, height, seconds) from an MP4's moov box; zeros when unknown."""
    found = {"width": 0, "height": 0, "duration": 0}

    def walk(start: int, end: int) -> None:
        pos = start
        while pos + 8 <= end:
            size, kind = struct.unpack_from(">I4s", data, pos)
            header = 8
            if size == 1:
                size = struct.unpack_from(">Q", data, pos + 8)[0]
                header = 16
            elif size == 0:
                size = end - pos
            if size < header:
                return
            body, box_end = pos + header, min(pos + size, end)
            if kind in (b"moov", b"trak", b"mdia"):
                walk(body, box_end)
            elif kind == b"mvhd":
                if data[body] == 1:
                    timescale, duration = struct.unpack_from(">IQ", data, body + 20)
                else:
                    timescale, duration = struct.unpack_from(">II", data, body + 12)
                if timescale:
                    found["duration"] = round(duration / timescale)
            elif kind == b"tkhd" and not found["width"]:
                offset = body + (88 if data[body] == 1 else 76)
                width, height = struct.unpack_from(">II", data, offset)
                found["width"], found["height"] = width >> 16, height >> 16
            pos += size

    with contextlib.suppress(struct.error, IndexError):
        walk(0, len(data))
    return found["width"], found["height"], found["duration"]


def _sticker_webp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (512, 512), (255, 200, 0, 255)).save(buffer, format="WEBP")
    return buffer.getvalue()


class FileStore(FakeState):
    """Files the fake holds (uploads, user media, URL content) and the media they make."""

    def _store_file(
        self,
        kind: str,
        data: bytes,
        *,
        width: int = 0,
        height: int = 0,
        duration: int = 0,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = next(self._counter)
        stored = StoredFile(
            file_id=f"{_FILE_ID_PREFIX.get(kind, 'BQAC')}AgIAAxkBAAI{number:06d}Zm{number * 31:x}",
            file_unique_id=f"AQAD{number:x}X",
            kind=kind,
            data=data,
            width=width,
            height=height,
            duration=duration,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        return stored

    def _store_photo(self, data: bytes, width: int, height: int) -> list[StoredFile]:
        thumb_bytes, thumb_width, thumb_height = _thumbnail_jpeg(data)
        thumb = self._store_file("photo", thumb_bytes, width=thumb_width, height=thumb_height)
        full = self._store_file("photo", data, width=width, height=height)
        sizes = [thumb, full]
        for size in sizes:
            self._photo_sets[size.file_id] = sizes
        return sizes

    def _file_path(self, stored: StoredFile) -> str:
        if stored.file_path is None:
            extension = "jpg" if stored.kind in ("photo", "thumbnail") else "bin"
            if stored.file_name and "." in stored.file_name:
                extension = re.sub(r"[^A-Za-z0-9]", "", stored.file_name.rsplit(".", 1)[1])
                extension = extension[:10] or "bin"
            elif stored.mime_type:
                guessed = mimetypes.guess_extension(stored.mime_type)
                extension = guessed.lstrip(".") if guessed else extension
            folder = _FILE_FOLDER.get(stored.kind, "documents")
            stored.file_path = f"{folder}/file_{next(self._counter)}.{extension}"
            self._file_paths[stored.file_path] = stored
        return stored.file_path

    def _media(
        self,
        kind: str,
        reference: Any,
        upload: UploadedFile | None,
        options: JSON,
        files: dict[str, UploadedFile],
    ) -> _Media:
        """Resolve a media parameter: a direct upload, attach://name, a URL or a file_id."""
        if upload is None and isinstance(reference, str) and reference.startswith("attach://"):
            upload = files.get(reference.removeprefix("attach://"))
            if upload is None:
                raise _bad("wrong file identifier/HTTP URL specified")
        if upload is not None:
            return self._media_from_bytes(kind, upload.data, upload, options, files)
        if isinstance(reference, str) and reference.startswith(("http://", "https://")):
            data = self._url_content.get(reference)
            if data is None:
                raise _bad("failed to get HTTP URL content")
            name = reference.rsplit("/", 1)[-1] or "file"
            return self._media_from_bytes(
                kind, data, UploadedFile(kind, name, None, data), options, files
            )
        if not isinstance(reference, str) or not reference:
            raise _bad(f"there is no {kind} in the request")
        stored = self._files.get(reference)
        if stored is None:
            raise _bad("wrong file identifier/HTTP URL specified")
        if (kind == "photo") != (stored.kind == "photo"):
            raise _bad("type of file mismatch")
        return self._media_body(kind, stored)

    def _media_from_bytes(
        self,
        kind: str,
        data: bytes,
        upload: UploadedFile,
        options: JSON,
        files: dict[str, UploadedFile],
    ) -> _Media:
        if kind == "photo":
            if len(data) > UPLOAD_PHOTO_LIMIT:
                raise ApiError(413, "Request Entity Too Large")
            size = _image_size(data)
            if size is None:
                raise _bad("IMAGE_PROCESS_FAILED")
            width, height = size
            if width + height > 10000 or max(width, height) > 20 * max(min(width, height), 1):
                raise _bad("PHOTO_INVALID_DIMENSIONS")
            sizes = self._store_photo(data, width, height)
            return self._media_body("photo", sizes[-1])
        if len(data) > UPLOAD_FILE_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        generic_name = upload.filename == "application.octet-stream"
        mime = upload.content_type if upload.content_type not in (None, "") else None
        if mime in (None, "application/octet-stream"):
            mime = mimetypes.guess_type(upload.filename)[0] or mime
        if kind in ("video", "animation", "video_note"):
            width, height, duration = _mp4_info(data)
            if kind == "video_note" and options.get("length"):
                width = height = int(options["length"])
            stored = self._store_file(
                kind,
                data,
                width=int(options.get("width") or width),
                height=int(options.get("height") or height),
                duration=int(options.get("duration") or duration),
                file_name=None if generic_name else upload.filename,
                mime_type="video/mp4" if mime in (None, "application/octet-stream") else mime,
            )
        elif kind == "sticker":
            width, height = _image_size(data) or (512, 512)
            stored = self._store_file("sticker", data, width=width, height=height)
        else:
            stored = self._store_file(
                kind if kind in ("audio", "voice") else "document",
                data,
                duration=int(options.get("duration") or 0),
                file_name=upload.filename,
                mime_type=mime or "application/octet-stream",
            )
        thumbnail = options.get("thumbnail")
        thumb_upload = files.get("thumbnail") if kind != "photo" else None
        if isinstance(thumbnail, str) and thumbnail.startswith("attach://"):
            thumb_upload = files.get(thumbnail.removeprefix("attach://"))
        if thumb_upload is not None and thumb_upload is not upload:
            thumb_size = _image_size(thumb_upload.data)
            if thumb_size is not None:
                stored.thumbnail = self._store_file(
                    "thumbnail", thumb_upload.data, width=thumb_size[0], height=thumb_size[1]
                )
        return self._media_body(kind, stored)

    def _media_body(self, kind: str, stored: StoredFile) -> _Media:
        if kind in ("audio", "voice"):
            return _Media({kind: {**stored.document(), "duration": stored.duration}}, stored)
        if kind == "video_note":
            note = {**stored.document(), "length": stored.width, "duration": stored.duration}
            return _Media({"video_note": note}, stored)
        if kind == "photo":
            sizes = self._photo_sets.get(stored.file_id, [stored])
            return _Media({"photo": [size.photo_size() for size in sizes]}, sizes[-1])
        if kind == "video":
            return _Media({"video": stored.video()}, stored)
        if kind == "animation":
            return _Media({"animation": stored.video(), "document": stored.document()}, stored)
        if kind == "sticker":
            return _Media({"sticker": stored.sticker()}, stored)
        return _Media({kind: stored.document()}, stored)
