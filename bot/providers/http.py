"""HTTP for provider clients: timeouts always on, retries only where repeating is safe.

GET requests are retried on 408/409/429/5xx, timeouts and connection errors, with
jittered exponential backoff that honours ``Retry-After``. POST requests are never
retried here: a repeated create or upload could charge or duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bot.providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    RejectReason,
)

log = logging.getLogger(__name__)

RETRYABLE = {408, 409, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_seconds: float = 0.5
    max_seconds: float = 10.0
    max_retry_after: float = 30.0

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
    """One ``httpx.AsyncClient`` per provider, tied to the application's lifetime."""

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
        self.client = httpx.AsyncClient(
            base_url=base_url,
            headers=dict(headers),
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )
        self.retry = retry or RetryPolicy()
        self.message_of = message_of
        self.classify = classify

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send; return a 2xx response or raise a :class:`ProviderError` subclass."""
        safe = method.upper() == "GET"
        attempts = self.retry.attempts if safe else 1
        last: ProviderError | None = None
        for attempt in range(attempts):
            try:
                response = await self.client.request(method, path, **kwargs)
            except httpx.TimeoutException as exc:
                last = ProviderUnavailable(f"timed out: {method} {path}")
                log.warning("provider timeout %s %s: %s", method, path, type(exc).__name__)
            except httpx.ConnectError as exc:
                # Never reached the provider: nothing was sent, so nothing was taken.
                last = ProviderUnavailable(f"could not connect: {exc}", code="not_connected")
                log.warning("provider connection refused %s %s", method, path)
            except httpx.TransportError as exc:
                last = ProviderUnavailable(f"connection failed: {type(exc).__name__}")
                log.warning("provider connection error %s %s: %s", method, path, exc)
            else:
                if response.status_code < 400:
                    return response
                error = self._error(response)
                if self.classify is not None:
                    error = self.classify(response, error)
                if not _retryable(response.status_code, error):
                    raise error
                last = error
                log.warning("provider %s %s answered %d", method, path, response.status_code)
                if attempt + 1 < attempts:
                    await asyncio.sleep(self.retry.delay(attempt, retry_after_seconds(response)))
                continue
            if attempt + 1 < attempts:
                await asyncio.sleep(self.retry.delay(attempt, None))
        assert last is not None
        raise last

    def _error(self, response: httpx.Response) -> ProviderError:
        """The default reading of an error status; ``classify`` may refine it."""
        status = response.status_code
        message = self.message_of(response)
        code = error_code(response)
        if status == 401:
            return ProviderAuthError(message, status=status)
        if status == 429:
            return ProviderRateLimited(message, retry_after=retry_after_seconds(response))
        if status >= 500:
            return ProviderUnavailable(message, status=status)
        reason = {
            403: RejectReason.QUOTA,
            404: RejectReason.NOT_FOUND,
            409: RejectReason.GROUP_NOT_ACTIVE,
            413: RejectReason.TOO_LARGE,
        }.get(status, RejectReason.INVALID)
        return ProviderRejected(message, reason=reason, status=status, code=code)


def _retryable(status: int, error: ProviderError) -> bool:
    return status in RETRYABLE or isinstance(error, (ProviderRateLimited, ProviderUnavailable))
