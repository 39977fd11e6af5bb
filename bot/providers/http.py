"""HTTP for provider clients: timeouts always on, retries only where repeating is safe.

GET requests (and POSTs a client marks ``idempotent``: reads such as PowerTokens' listings)
are retried on 408/409/429/5xx, timeouts and connection errors, with jittered exponential
backoff that honours ``Retry-After``, within ``RetryPolicy.attempts`` and
``RetryPolicy.deadline_seconds``. Other POSTs are never retried here: a repeated create or
upload could charge or duplicate. None of the five providers documents an idempotency key
(Token360's video ``request_id`` only labels its webhook), so no POST is made safe that way.

What a failed call raises says whether the provider may have acted on it
(:attr:`ProviderError.not_taken`): a refusal, a 429 or a connection never made (refused, or
timed out while connecting) is "not taken"; a 5xx, a timeout waiting for the answer or a
connection dropped after the request went out leaves it unknown.

Reads (GETs and idempotent POSTs: status polls, listings) go through aiohttp's pool
(``bot/providers/reads.py``, a quarter of the CPU); writes through httpx's own transport, whose
errors say exactly whether a request went out, which ``not_taken`` relies on.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from bot.providers.base import (
    NOT_CONNECTED,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    RejectReason,
)
from bot.tls import tls_context

if TYPE_CHECKING:
    from bot.providers.reads import Reads

log = logging.getLogger(__name__)

RETRYABLE = {408, 409, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class RetryPolicy:
    """How a request that is safe to repeat is repeated: at most ``attempts`` sends, waits
    doubling from ``base_seconds`` (jittered, at most ``max_seconds``; a ``Retry-After`` is
    honoured up to ``max_retry_after``), and no wait that would end past ``deadline_seconds``
    after the first send: the caller (a poll) would rather ask again later."""

    attempts: int = 4
    base_seconds: float = 0.5
    max_seconds: float = 10.0
    max_retry_after: float = 30.0
    deadline_seconds: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        backoff: float = min(self.max_seconds, self.base_seconds * 2.0**attempt)
        return backoff * (0.5 + random.random() / 2)


def retry_after_seconds(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


Send = Callable[..., Awaitable[httpx.Response]]
MessageOf = Callable[[httpx.Response], str]
# A vendor's say on what an error response means (e.g. Sunra's 403 is a rate limit);
# gets the response and the default classification, returns the error to raise.
Classify = Callable[[httpx.Response, "ProviderError"], "ProviderError"]


def error_code(response: httpx.Response) -> str | None:
    """The provider's own error code, from the usual places in an error body."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code") or error.get("type")
        return str(code) if code else None
    for key in ("code", "error_code"):
        code = body.get(key)
        if isinstance(code, str) and code:
            return code
    return None


def default_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("msg", "message", "error", "detail"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("code")
            if value:
                return str(value)
    return response.reason_phrase


class ProviderHTTP:
    """A provider's HTTP, tied to the application's lifetime: writes through one
    ``httpx.AsyncClient``, reads through :class:`bot.providers.reads.Reads`."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        timeout: float,
        retry: RetryPolicy | None = None,
        message_of: MessageOf = default_message,
        classify: Classify | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url, self._timeout = base_url, timeout
        self._writes = httpx.AsyncClient(
            base_url=base_url,
            headers=dict(headers),
            timeout=httpx.Timeout(timeout),
            transport=transport,
            verify=tls_context(),  # one for all providers, CAs loaded at first use
        )
        self._own_transport = transport is not None  # a test's answers reads too
        self._reads: Reads | None = None
        self._opening = asyncio.Lock()
        self._closed = False
        self.retry = retry or RetryPolicy()
        self.message_of = message_of
        self.classify = classify

    async def aclose(self) -> None:
        self._closed = True
        await self._writes.aclose()
        async with self._opening:  # a first read opening them now finds the client closed
            if self._reads is not None:
                await self._reads.aclose()

    async def _sender(self, safe: bool) -> Send:
        if not safe or self._own_transport:
            return self._writes.request
        if self._reads is not None:
            return self._reads.request
        async with self._opening:  # 16 first polls at once open one
            if self._reads is None:
                # It imports aiohttp: in a thread, so updates are answered meanwhile.
                reads = await asyncio.to_thread(importlib.import_module, "bot.providers.reads")
                if self._closed:
                    raise RuntimeError("this provider's client has been closed")
                headers = self._writes.headers  # httpx's defaults with the provider's own
                self._reads = reads.Reads(self._base_url, headers, self._timeout)
        return self._reads.request

    async def request(
        self, method: str, path: str, *, idempotent: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """Send; return a 2xx response or raise a :class:`ProviderError` subclass.

        ``idempotent``: a POST that only reads, and so is as safe to repeat as a GET.
        """
        safe = method.upper() == "GET" or idempotent
        attempts = self.retry.attempts if safe else 1
        deadline = time.monotonic() + self.retry.deadline_seconds
        last: ProviderError | None = None
        send = await self._sender(safe)
        for attempt in range(attempts):
            retry_after: float | None = None
            try:
                response = await send(method, path, **kwargs)
            except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # No connection was made: nothing was sent, so nothing was taken.
                last = ProviderUnavailable(
                    f"timed out connecting: {method} {path}", code=NOT_CONNECTED
                )
                log.warning("provider connect timeout %s %s: %s", method, path, type(exc).__name__)
            except httpx.TimeoutException as exc:
                last = ProviderUnavailable(f"timed out: {method} {path}")
                log.warning("provider timeout %s %s: %s", method, path, type(exc).__name__)
            except httpx.ConnectError as exc:
                # Never reached the provider: nothing was sent, so nothing was taken.
                last = ProviderUnavailable(f"could not connect: {exc}", code=NOT_CONNECTED)
                log.warning("provider connection refused %s %s", method, path)
            except httpx.TransportError as exc:
                last = ProviderUnavailable(f"connection failed: {type(exc).__name__}")
                log.warning("provider connection error %s %s: %s", method, path, exc)
            except httpx.HTTPError as exc:
                # An answer that could not be read (DecodingError, TooManyRedirects): as with a
                # cut connection, whether a POST took effect is unknown.
                last = ProviderUnavailable(f"unreadable answer: {type(exc).__name__}")
                log.warning("provider answer unreadable %s %s: %r", method, path, exc)
            else:
                if response.status_code < 400:
                    return response
                error = self._error(response)
                if self.classify is not None:
                    error = self.classify(response, error)
                if not _retryable(response.status_code, error):
                    raise error
                last = error
                retry_after = retry_after_seconds(response)
                log.warning("provider %s %s answered %d", method, path, response.status_code)
            if attempt + 1 >= attempts:
                break
            wait = self.retry.delay(attempt, retry_after)
            if time.monotonic() + wait > deadline:
                log.warning("provider %s %s: no time left to try again", method, path)
                break
            await asyncio.sleep(wait)
        assert last is not None
        raise last

    def _error(self, response: httpx.Response) -> ProviderError:
        """The default reading of an error status; ``classify`` may refine it."""
        return status_error(
            response.status_code,
            self.message_of(response),
            code=error_code(response),
            retry_after=retry_after_seconds(response),
        )


REJECT_REASONS: Mapping[int, RejectReason] = {
    403: RejectReason.QUOTA,
    404: RejectReason.NOT_FOUND,
    409: RejectReason.GROUP_NOT_ACTIVE,
    413: RejectReason.TOO_LARGE,
}


def status_error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    retry_after: float | None = None,
    reasons: Mapping[int, RejectReason] = REJECT_REASONS,
) -> ProviderError:
    """What an error status means: 401 auth, 429 rate limited, 5xx unavailable, any other a
    rejection for the reason ``reasons`` gives (else INVALID). The vendor's ``code`` goes on a
    rejection only: for the others the services act on the kind (auth, busy, down)."""
    if status == 401:
        return ProviderAuthError(message, status=status)
    if status == 429:
        return ProviderRateLimited(message, retry_after=retry_after)
    if status >= 500:
        return ProviderUnavailable(message, status=status)
    reason = reasons.get(status, RejectReason.INVALID)
    return ProviderRejected(message, reason=reason, status=status, code=code)


def _retryable(status: int, error: ProviderError) -> bool:
    return status in RETRYABLE or isinstance(error, (ProviderRateLimited, ProviderUnavailable))
