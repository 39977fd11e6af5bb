"""How the ToAPIs simulator fetches an asset's ``source_url``: a HEAD check, then the GET,
from 127.0.0.1 only."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx

from sandbox.common import AssetOutcome
from sandbox.media import MAX_IMAGE_BYTES, ImageInfo, ImageRejected, inspect_image

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


async def fetch_source(url: str, wait: float) -> tuple[AssetOutcome | None, ImageInfo | None]:
    """GET ``url`` and check the image: (None, info) if good, (Failed outcome, None) if not.

    ``wait`` bounds each step of the GET, in seconds. Other hosts are never fetched (the
    simulator must not reach out); they fail the asset as an unreachable URL would.
    """
    if urlsplit(url).hostname not in LOCAL_HOSTS:
        return _failed("the simulator fetches from 127.0.0.1 only"), None
    data = bytearray()
    try:
        async with httpx.AsyncClient(timeout=wait) as client:
            # Reachability first, then the file: a URL that serves only once fails here.
            probe = await client.head(url)
            if probe.status_code != 200:
                return _failed(f"HEAD source_url answered {probe.status_code}"), None
            async with client.stream("GET", url) as response:
                if response.status_code != 200:
                    return _failed(f"GET source_url answered {response.status_code}"), None
                async for chunk in response.aiter_bytes():
                    data.extend(chunk)
                    if len(data) >= MAX_IMAGE_BYTES:
                        return _failed("source is 30 MB or more", "InvalidImage"), None
    except httpx.HTTPError as exc:
        return _failed(f"GET source_url failed: {type(exc).__name__}"), None
    try:
        return None, await asyncio.to_thread(inspect_image, bytes(data))
    except ImageRejected as exc:
        return _failed(exc.message, "InvalidImage"), None


def _failed(message: str, code: str = "SourceUrlUnreachable") -> AssetOutcome:
    return AssetOutcome(status="Failed", code=code, message=message)
