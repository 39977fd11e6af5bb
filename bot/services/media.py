"""Photos waiting for a URL-only provider's fetch, on disk beside the database.

A provider may fetch a photo's URL more than once (a retry, a HEAD or a check and then the
fetch, an upstream service fetching again), and later than the upload call (while the photo
row is ``uploading`` or ``processing``), perhaps after the bot restarted. So a URL serves any
number of GETs until it expires, and it lives in files, not in memory:

- ``<folder>/<sha256(token)>`` holds the bytes; ``<sha256(token)>.json`` holds the expiry,
  the MIME type and the tag (whose upload it is). Only the hash is on disk: a listing of the
  folder gives nobody a URL. The token is 256 random bits plus the file extension.
- Expired files are removed at start, on each publish and by :meth:`MediaStore.sweep`
  (the web server runs it once a minute), and a photo's files go as soon as its upload is
  settled (:meth:`MediaStore.retire`): once the provider says Active or Failed it has what it
  needs.
- At most ``max_files`` photos and ``max_bytes`` in all: past that :meth:`MediaStore.publish`
  raises :class:`MediaFull` and the upload is refused with a message, never queued without
  bound.

Expiry is wall-clock time (the files outlive the process). One process owns the folder; the
index in memory mirrors the files and is rebuilt from them by :meth:`MediaStore.open`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class PhotoHost(Protocol):
    """Where URL-only providers fetch photos from: the bot's media store."""

    async def publish(
        self, data: bytes, mime_type: str, extension: str, tag: str | None = None
    ) -> str: ...

    def retire(self, tag: str) -> int: ...


def media_tag(asset_id: int) -> str:
    """The tag an uploaded photo's published copy goes by (retired when it is settled)."""
    return f"asset-{asset_id}"


_META = ".json"
_PARTIAL = ".partial"


class MediaFull(Exception):
    """The store holds as many photos (or bytes) as it may: refuse, the user sends later."""


@dataclass(frozen=True)
class StoredMedia:
    path: Path
    mime_type: str
    expires_at: float
    size: int
    tag: str | None


class MediaStore:
    """Photos behind unguessable, expiring, repeatable URLs, kept in ``folder``."""

    def __init__(
        self,
        folder: Path,
        ttl: float,
        clock: Callable[[], float] = time.time,
        *,
        max_files: int = 1000,
        max_bytes: int = 1024 * 1024 * 1024,
    ) -> None:
        self.folder = folder
        self.ttl = ttl
        self.clock = clock
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.base_url = ""
        self._items: dict[str, StoredMedia] = {}  # sha256(token) hex -> what is on disk
        self._reserved = 0  # bytes being written right now
        self._opened = False

    # ------------------------------------------------------------------ lifecycle

    def open(self) -> None:
        """Create the folder, drop what expired or was half written, index the rest."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._items.clear()
        now = self.clock()
        for meta_path in self.folder.glob(f"*{_META}"):
            item = _read_meta(meta_path)
            key = meta_path.name.removesuffix(_META)
            if item is None or item.expires_at <= now or not item.path.is_file():
                _remove(meta_path, self.folder / key)
                continue
            self._items[key] = item
        for path in self.folder.iterdir():
            # A write cut off by a crash, or bytes whose metadata never made it.
            orphan = path.name.removesuffix(_META) not in self._items
            if path.is_file() and (path.name.endswith(_PARTIAL) or orphan):
                _remove(path)
        self._opened = True
        if self._items:
            log.info("media store: %d photo(s) kept from before the restart", len(self._items))

    # ------------------------------------------------------------------ use

    async def publish(
        self, data: bytes, mime_type: str, extension: str, tag: str | None = None
    ) -> str:
        """Store ``data``; its public URL. Raises :class:`MediaFull` when the store is full."""
        if not self._opened:
            self.open()
        self.sweep()
        size = len(data)
        if len(self._items) >= self.max_files or self.used_bytes + size > self.max_bytes:
            raise MediaFull(
                f"{len(self._items)} photos, {self.used_bytes} bytes waiting for providers"
            )
        token = f"{secrets.token_urlsafe(32)}.{extension}"
        key = _key(token)
        item = StoredMedia(self.folder / key, mime_type, self.clock() + self.ttl, size, tag)
        # Reserve before the write, which yields: concurrent publishes must not overshoot.
        self._reserved += size
        try:
            await asyncio.to_thread(_write, item, data)
        finally:
            self._reserved -= size
        self._items[key] = item
        return f"{self.base_url}/media/{token}"

    def get(self, token: str) -> StoredMedia | None:
        """The photo behind ``token``, as often as asked; None if unknown or expired."""
        key = _key(token)
        item = self._items.get(key)
        if item is None:
            return None
        if item.expires_at <= self.clock():
            self._drop(key)
            return None
        return item

    def retire(self, tag: str) -> int:
        """Remove the photos published under ``tag`` (their upload is settled)."""
        keys = [k for k, item in self._items.items() if item.tag == tag]
        for key in keys:
            self._drop(key)
        return len(keys)

    def sweep(self) -> int:
        """Remove every expired photo; how many went."""
        now = self.clock()
        expired = [k for k, item in self._items.items() if item.expires_at <= now]
        for key in expired:
            self._drop(key)
        return len(expired)

    @property
    def used_bytes(self) -> int:
        return sum(item.size for item in self._items.values()) + self._reserved

    def __len__(self) -> int:
        return len(self._items)

    def _drop(self, key: str) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            _remove(item.path, item.path.with_name(key + _META))


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _write(item: StoredMedia, data: bytes) -> None:
    """Bytes first, then the metadata that makes them servable; each renamed into place."""
    meta = {
        "expires_at": item.expires_at,
        "mime_type": item.mime_type,
        "size": item.size,
        "tag": item.tag,
    }
    meta_path = item.path.with_name(item.path.name + _META)
    for path, content in ((item.path, data), (meta_path, json.dumps(meta).encode())):
        partial = path.with_name(path.name + _PARTIAL)
        partial.write_bytes(content)
        os.replace(partial, path)


def _read_meta(meta_path: Path) -> StoredMedia | None:
    try:
        meta = json.loads(meta_path.read_text())
        tag = meta.get("tag")
        return StoredMedia(
            meta_path.with_name(meta_path.name.removesuffix(_META)),
            str(meta["mime_type"]),
            float(meta["expires_at"]),
            int(meta["size"]),
            tag if isinstance(tag, str) else None,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _remove(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
