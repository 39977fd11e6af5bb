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
from urllib.parse import quote, urlsplit

import aiohttp
import httpx
from multidict import CIMultiDict
from yarl import URL

from bot.tls import tls_context

CONNECTIONS = 32  # per provider; polls are bounded lower (16 in flight) upstream
# What a path keeps as it is, as httpx does: the delimiters, and escapes already made (a
# vendor quotes an id with ``quote(..., safe="")``).
PATH_SAFE = "/%:@!$&'()*+,;=-._~"
HEADER_BYTES = 65_536  # aiohttp's own 8 KB refuses a long header that httpx reads


class Reads:
    """GETs and read-only POSTs to one provider, each answered as an ``httpx.Response``."""

    def __init__(self, base_url: str, headers: Mapping[str, str], timeout: float) -> None:
        """``headers``: the provider's httpx client's, defaults included, so reads and writes
        name the same User-Agent and accept the encodings httpx can decode."""
        self._prefix = base_url.rstrip("/")
        self._headers = CIMultiDict(headers)  # merged case-insensitively, as httpx does
        # Decided once, as the host never changes: aiohttp's trust_env would look the proxy
        # and ~/.netrc up again on every request, through two thread hops that doubled a
        # poll's cost.
        self._proxy = env_proxy(base_url)
        # ``connect`` covers waiting for a pooled connection too, as httpx's pool timeout.
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=timeout, sock_read=timeout
        )
        connector = aiohttp.TCPConnector(limit=CONNECTIONS, ssl=tls_context())
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,  # httpx.Response decodes a Content-Encoding itself
            cookie_jar=aiohttp.DummyCookieJar(),  # no provider session lives in cookies
            max_line_size=HEADER_BYTES,
            max_field_size=HEADER_BYTES,
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        if not path.startswith("/"):
            raise ValueError(f"a provider path starts with /: {path!r}")
        url = self._prefix + quote(path, safe=PATH_SAFE)
        if params:
            url += "?" + str(httpx.QueryParams(params))
        sent = self._headers
        if headers or json is not None:
            sent = sent.copy()
            sent.update(headers or {})
        body = None
        if json is not None:
            # As httpx writes a ``json=`` body, so a read sent here is the same bytes.
            body = jsonlib.dumps(
                json, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            ).encode()
            sent.setdefault("Content-Type", "application/json")
        with _as_httpx_errors():
            async with self._session.request(
                method,
                URL(url, encoded=True),  # as httpx encoded it: sent as it is
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
            extensions={"reason_phrase": (answer.reason or "").encode()},
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
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and "://" not in proxy:
        proxy = "http://" + proxy  # as httpx reads ``HTTPS_PROXY=host:port``
    return proxy or None


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
    except aiohttp.InvalidURL as exc:  # a bug, not a fault of the provider's: not retried
        raise httpx.InvalidURL(str(exc)) from exc
    except aiohttp.ClientResponseError as exc:  # an answer that is not HTTP
        raise httpx.RemoteProtocolError(str(exc)) from exc
    # aiohttp itself sends a GET again once when a kept-alive connection turns out closed: a
    # ConnectError then may follow a send that arrived. Only writes rely on "never sent",
    # and they do not come here.
    except aiohttp.ClientError as exc:  # disconnected, reset: after the request went out
        raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from exc
