"""Photos waiting for a URL-only provider's fetch, in the database beside everything else.

A provider may fetch a photo's URL more than once (a retry, a HEAD or a check and then the
fetch, an upstream service fetching again), and later than the upload call (while the photo
row is ``uploading`` or ``processing``), perhaps after the bot restarted, and, with several
workers behind a load balancer, from any of them. So a URL serves any number of GETs until
it expires, and the photo, bytes included, is a row of the shared database
(storage/media.py), not a file or an entry in one process's memory:

- A row goes by sha256 of the URL's token, never the token: reading the table gives nobody
  a URL. The token is 256 random bits plus the file extension.
- Expired rows are removed on each publish and by :meth:`MediaStore.sweep` (the web server
  runs it once a minute), and a photo's row goes as soon as its upload is settled
  (:meth:`MediaStore.retire`): once the provider says Active or Failed it has what it
  needs.
- At most ``max_files`` photos and ``max_bytes`` in all, across workers: past that
  :meth:`MediaStore.publish` raises :class:`MediaFull` and the upload is refused with a
  message, never queued without bound. The check and the insert are one write transaction.

Expiry is wall-clock time (rows outlive the process, and every worker reads them).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Protocol

from storage.media import MediaRepo, MediaTotals, NewMedia, StoredMedia

__all__ = ["MediaFull", "MediaStore", "MediaTotals", "PhotoHost", "StoredMedia", "media_tag"]


class PhotoHost(Protocol):
    """Where URL-only providers fetch photos from: the bot's media store."""

    async def publish(
        self, data: bytes, mime_type: str, extension: str, tag: str | None = None
    ) -> str: ...

    async def retire(self, tag: str) -> int: ...


def media_tag(asset_id: int) -> str:
    """The tag an uploaded photo's published copy goes by (retired when it is settled)."""
    return f"asset-{asset_id}"


class MediaFull(Exception):
    """The store holds as many photos (or bytes) as it may: refuse, the user sends later."""


class MediaStore:
    """Photos behind unguessable, expiring, repeatable URLs, kept in the database."""

    def __init__(
        self,
        repo: MediaRepo,
        ttl: float,
        clock: Callable[[], float] = time.time,
        *,
        max_files: int = 1000,
        max_bytes: int = 1024 * 1024 * 1024,
    ) -> None:
        self.repo = repo
        self.ttl = ttl
        self.clock = clock
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.base_url = ""

    async def publish(
        self, data: bytes, mime_type: str, extension: str, tag: str | None = None
    ) -> str:
        """Store ``data``; its public URL. Raises :class:`MediaFull` when the store is full."""
        token = f"{secrets.token_urlsafe(32)}.{extension}"
        now = self.clock()
        photo = NewMedia(_key(token), data, mime_type, now + self.ttl, tag)
        held = await self.repo.put(photo, now, max_files=self.max_files, max_bytes=self.max_bytes)
        if held is not None:
            raise MediaFull(f"{held.files} photos, {held.size} bytes waiting for providers")
        return f"{self.base_url}/media/{token}"

    async def get(self, token: str, *, content: bool = True) -> StoredMedia | None:
        """The photo behind ``token``, as often as asked (its bytes unless ``content`` is
        false: a HEAD); None if unknown or expired."""
        return await self.repo.get(_key(token), self.clock(), content=content)

    async def retire(self, tag: str) -> int:
        """Remove the photos published under ``tag`` (their upload is settled)."""
        return await self.repo.retire(tag)

    async def sweep(self) -> int:
        """Remove every expired photo; how many went."""
        return await self.repo.sweep(self.clock())

    async def totals(self) -> MediaTotals:
        """How many photos and bytes the store holds (expired ones until swept)."""
        return await self.repo.totals()


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
