"""What several simulators keep alike, declared once: an uploaded image's facts and a Seedance
request's parameters. A vendor's records inherit these and add only what is their own."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from sandbox.media import ImageInfo

# Ark deletes a finished MP4 after 24 h (shared/PROVIDERS.md); every simulated link lives so long.
VIDEO_URL_TTL = 24 * 3600


@dataclass(kw_only=True)
class StoredImage:
    """An image a simulator took as bytes: its type, size and pixel dimensions."""

    mime_type: str
    size_bytes: int
    width: int
    height: int
    # The bytes as they arrived, for a test to look into (metadata stripped?); a record made
    # without an upload (seeded, copied by a URL the simulator did not fetch) has none.
    content: bytes = field(default=b"", repr=False)

    @staticmethod
    def of(info: ImageInfo, data: bytes) -> dict[str, Any]:
        """The facts of an accepted upload, as keywords for a record that keeps them."""
        return {
            "mime_type": info.mime_type,
            "size_bytes": len(data),
            "width": info.width,
            "height": info.height,
            "content": data,
        }

    def image(self) -> dict[str, Any]:
        """This record's image facts, as keywords for the next record of the same image."""
        return _values(self, StoredImage)


@dataclass(kw_only=True)
class Seedance:
    """A Seedance 2.0 request's parameters (shared/PROVIDERS.md), as a simulator checked them."""

    model: str
    prompt: str
    duration: int
    resolution: str
    ratio: str
    generate_audio: bool

    def seedance(self) -> dict[str, Any]:
        """These parameters as keywords, for the job that a checked request becomes."""
        return _values(self, Seedance)


def _values(record: object, kind: type) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in fields(kind)}
