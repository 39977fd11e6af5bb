"""Provider reads (status polls, listings) sent through aiohttp's connection pool.

A status poll per running job is the bot's hottest request: 1,000 running jobs after a
restart are 1,000 GETs that should all be asked within seconds. Through httpx's own transport
(httpcore) a poll cost about 2 ms of CPU on this machine kind: httpcore scans its pool and asks
anyio for each socket's details several times a request, and the client merges URLs, cookies
and auth on top. Sent by aiohttp it costs about 0.5 ms. So reads go through here and come
back as ``httpx.Response`` objects, built the way httpx builds requests (query strings
encoded by ``httpx.QueryParams``, JSON bodies as httpx writes them), so that vendor code and
the retry and error handling in ``bot/providers/http.py`` cannot tell the two apart. aiohttp's
errors are mapped onto httpx's by what they say about the request: a connection never made
is ``ConnectError``/``ConnectTimeout``, anything after it went out a read error or timeout.

Writes (creates, uploads) stay on httpx's own transport: they are few, and their errors are
the ones ``ProviderError.not_taken`` was built on.

This module imports aiohttp, so ``ProviderHTTP`` imports it in a thread at the first read
(about 0.3 s, most of it aiohttp building TLS contexts it never uses here): the event loop
goes on answering people meanwhile, and a start with nothing to poll never loads it.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx

from bot.tls import tls_context

CONNECTIONS = 32  # per provider; polls are bounded lower (16 in flight) upstream


class Reads:
    """GETs and read-only POSTs to one provider, each answered as an ``httpx.Response``."""

    def __init__(self, base_url: str, headers: Mapping[str, str], timeout: float) -> None:
        self._prefix = base_url.rstrip("/")
        self._headers = dict(headers)
        # Decided once, as the host never changes: aiohttp's trust_env would look the proxy
        # and ~/.netrc up again on every request, through two thread hops that doubled a
        # poll's cost.
        self._proxy = env_proxy(base_url)
        # ``connect`` covers waiting for a pooled connection too, as httpx's pool timeout.
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=timeout, sock_read=timeout
        )
        connector = aiohttp.TCPConnector(limit=CONNECTIONS, ssl=tls_context())
        # Bodies stay as sent: httpx.Response decodes a Content-Encoding itself.
        self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        url = self._prefix + path
        if params:
            url += "?" + str(httpx.QueryParams(params))
        sent = {**self._headers, **headers} if headers else self._headers
        body = None
        if json is not None:
            # As httpx writes a ``json=`` body, so a read sent here is the same bytes.
            body = jsonlib.dumps(
                json, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            ).encode()
            sent = {**sent, "Content-Type": "application/json"}
        with _as_httpx_errors():
            async with self._session.request(
                method,
                url,
                headers=sent,
                data=body,
                timeout=self._timeout,
                proxy=self._proxy,
                allow_redirects=False,
            ) as answer:
                content = await answer.read()
        # An error carries its request, which a vendor's classifier may look at (OrcaRouter's
        # 403 does). An answer does not: nothing reads it, and parsing the URL again for it
        # was a fifth of a poll's cost.
        failed = answer.status >= 400
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            content=content,
            request=httpx.Request(method, url, headers=sent) if failed else None,
        )

    async def aclose(self) -> None:
        await self._session.close()


def env_proxy(base_url: str) -> str | None:
    """The proxy the environment names for this host (``HTTPS_PROXY``, ``ALL_PROXY``,
    ``NO_PROXY``), as httpx's own transport takes it."""
    parts = urlsplit(base_url)
    if parts.hostname is None or urllib.request.proxy_bypass(parts.hostname):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parts.scheme) or proxies.get("all")


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """aiohttp's errors as the httpx ones ``ProviderHTTP.request`` handles, by what each says
    about the request: never connected, timed out connecting, or failed after it went out."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:  # before TimeoutError: it is one
        raise httpx.ConnectTimeout(str(exc) or "timed out connecting") from exc
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(str(exc)) from exc
    except TimeoutError as exc:  # aiohttp.SocketTimeoutError among them
        raise httpx.ReadTimeout(str(exc) or "timed out reading the answer") from exc
    except aiohttp.ClientPayloadError as exc:
        raise httpx.ReadError(str(exc)) from exc
    except aiohttp.ClientResponseError as exc:  # an answer that is not HTTP
        raise httpx.RemoteProtocolError(str(exc)) from exc
    except aiohttp.ClientError as exc:  # disconnected, reset: after the request went out
        raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from exc
