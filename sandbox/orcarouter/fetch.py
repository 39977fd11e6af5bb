"""The simulator's outgoing HTTP: fetching an upload's URL and visiting a ``return_url``.

Both go to loopback hosts only (127.0.0.1, localhost, ::1): the simulator never reaches out
to the internet. Redirects are not followed.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

import httpx

from sandbox.media import MAX_IMAGE_BYTES

log = logging.getLogger(__name__)

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
FETCH_TIMEOUT = 10.0
VISIT_TIMEOUT = 5.0


class FetchFailed(Exception):
    """The asset's URL could not be fetched; ``code`` is the asset's ``Error.Code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def is_loopback(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") and (parsed.hostname or "") in LOOPBACK


async def fetch_image(url: str) -> bytes:
    """GET ``url`` once; at most ``MAX_IMAGE_BYTES`` (+1, so a too-large file shows)."""
    if not is_loopback(url):
        raise FetchFailed("DownloadFailed", "The simulator fetches http(s) URLs on 127.0.0.1 only")
    try:
        async with (
            httpx.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=False) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise FetchFailed(
                    "DownloadFailed",
                    f"Failed to download the asset: HTTP {response.status_code}",
                )
            kept = bytearray()
            async for chunk in response.aiter_bytes():
                kept.extend(chunk)
                if len(kept) > MAX_IMAGE_BYTES:
                    break
            return bytes(kept)
    except httpx.HTTPError as exc:
        raise FetchFailed(
            "DownloadFailed", f"Failed to download the asset: {type(exc).__name__}"
        ) from None


def with_query(url: str, params: dict[str, str]) -> str:
    parsed = urlparse(url)
    query = [*parse_qsl(parsed.query, keep_blank_values=True), *params.items()]
    return urlunparse(parsed._replace(query=urlencode(query)))


async def visit(url: str) -> tuple[int | None, str | None]:
    """GET ``url`` as a browser landing on it; (status, None) or (None, error)."""
    if not is_loopback(url):
        log.info("not visiting non-loopback return_url %s", url)
        return None, "not a loopback URL"
    try:
        async with httpx.AsyncClient(timeout=VISIT_TIMEOUT, follow_redirects=False) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        log.warning("return_url visit failed: %s", type(exc).__name__)
        return None, type(exc).__name__
    return response.status_code, None
