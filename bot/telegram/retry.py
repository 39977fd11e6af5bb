"""Transient Bot API faults are retried with backoff; a call that may already have been
carried out is repeated only where a second copy does less harm than none.

Every Bot API call of the Application goes through :class:`RetryingRateLimiter` (PTB's
``AIORateLimiter`` with a retry loop around it), the streamed video upload included; the
photo download (``bot.telegram.handlers.uploads.telegram_fetcher``), which bypasses PTB's
request layer, uses the same :class:`TelegramRetry`.

What a failure tells us (:func:`classify`; PTB wraps httpx's exception as ``__cause__``):

- **Not done**, retried: a 429 (``RetryAfter``: waited out as asked, by every call at once,
  since flood control is per bot), an error answer of Telegram's servers (5xx: "Bad
  Gateway", "Internal Server Error", ...; the answer says the method failed, and we take
  Telegram at its word, except for a streamed upload: below), and a request that never
  fully left (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``, ``WriteError``,
  ``WriteTimeout``): Telegram reads a request whole before it acts on it.
- **Unknown**: the request went out whole and no answer came (``ReadTimeout``,
  ``ReadError``, ``RemoteProtocolError``: the connection closed without an answer).
  Telegram may have carried it out. Whether to send again is chosen per method below.
- **Final**: everything else (``BadRequest``, ``Forbidden``, ``ChatMigrated``, a 413 ...):
  an answer to act on, raised at once.

After an unknown outcome, per method (:func:`repeats_after_unknown`):

- Repeated freely: getters, ``set*``, ``delete*``, ``edit*``, ``answer*``, ``pin*``,
  ``sendChatAction``: doing them twice is doing them once. An answer that says the first
  try did it counts as success (True, which PTB's methods may return): "query is too
  old" for ``answer*``, "message to delete not found" for ``delete*``, "message is not
  modified" for ``edit*`` (a handler would otherwise stop half-way on it).
- Sent once more: ``sendMessage``, ``sendPhoto``, ``sendDocument``, ``sendAnimation``, and
  ``sendVideo`` / ``copyMessage`` by file_id. What people wait for arrives by these (the
  verification card, the invitee's link, "is verified", upload progress, the answer to a
  command); losing one leaves a person stuck, while a second copy is a visible oddity.
  So at most two copies, never more: a second unknown outcome is raised.
- Never repeated: every other method (``sendMediaGroup``, ``forwardMessage``, ...; the bot
  sends none of them today) and any upload streamed from a file handle (below).

An upload streamed from a file handle (the video) is judged more strictly
(:func:`classify_streamed`): a 45 MB video twice is worse than a link. It is sent again only
when its body surely never left: a 429 (Telegram answers it before taking the upload) or a
connection that was never made (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``,
``ProxyError``). Any other transient failure once bytes went out is an unknown outcome: a
5xx (Telegram's front may answer 502 while the upload is carried out behind it), an answer
lost or unreadable (not JSON), or a write cut off part-way (only a body that surely never
left is streamed again). It is raised at once, as :class:`OutcomeUnknown` where the error
alone would not say so, and ``bot.telegram.notifiers.videos`` tells the person the video may
be in the chat and gives the link (``bot.services.video_jobs`` then sends nothing more).

Backoff is doubling from ``base_seconds`` (capped at ``max_delay_seconds``) with jitter
(half fixed, half random), so many calls failing together do not come back together. All
retries of one call end within ``deadline_seconds``; a wait that would end past it (a long
flood wait included) is not begun, and the last error is raised for the caller's own
handling. ``sendChatAction`` gets a 5 s deadline (an action shown later is pointless) and
``getMe`` 10 s (it runs at start: an unreachable Bot API should stop the start quickly).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any, TypeVar

import httpx
from telegram import Bot, InputFile
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import AIORateLimiter

from bot.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
ApiResult = bool | dict[str, Any] | list[dict[str, Any]]

UNLIMITED = 1_000_000  # repeats after an unknown outcome: as many as the deadline allows


class Outcome(Enum):
    """What a transient failure says about the call."""

    NOT_DONE = "not done"  # Telegram did not act on it: safe to send again
    UNKNOWN = "unknown"  # it went out whole and no answer came: Telegram may have acted


# httpx's transport errors by whether the request had fully left when it failed.
_NEVER_CONNECTED = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
_NOT_SENT = (*_NEVER_CONNECTED, httpx.WriteError, httpx.WriteTimeout)
_SENT = (httpx.ReadError, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.CloseError)
# PTB turns every error answer it has no class for into a NetworkError that carries only the
# description (or "<phrase> (<code>)" when the body was not JSON): these are Telegram's 5xx.
_SERVER_TROUBLE = re.compile(
    r"bad gateway|gateway time-?out|service unavailable|internal server error|\(5\d\d\)",
    re.IGNORECASE,
)

_SEND_ONCE_MORE = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendAnimation", "sendVideo", "copyMessage"}
)
_REPEATABLE_PREFIXES = ("get", "set", "delete", "edit", "answer", "pin", "unpin")
_REPEATABLE = frozenset({"sendChatAction", "leaveChat"})
# An action shown later is pointless; getMe runs at start, where a Bot API that cannot be
# reached should end the start within seconds (bot/telegram/lifecycle.py), not a minute.
_DEADLINES = {"sendChatAction": 5.0, "getMe": 10.0}
# After an unknown outcome, these answers mean the first try did the work.
_ALREADY_DONE = {
    "answerCallbackQuery": "query is too old",
    "answerInlineQuery": "query is too old",
    "deleteMessage": "message to delete not found",
    "deleteMessages": "message to delete not found",
}
_EDIT_DONE = "message is not modified"
# An answer to a query too old to answer has nothing left to do: the person's client stopped
# waiting for it. That happens on the first try too, when an update is handled again after a
# restart (bot/telegram/updates.py); it must not end the handler in an apology.
_STALE_QUERY = ("query is too old", "query id is invalid")
_ANSWERS = frozenset({"answerCallbackQuery", "answerInlineQuery"})


class OutcomeUnknown(NetworkError):
    """A streamed upload went out (whole or in part) and the answer says nothing sure about
    it: a 5xx, an unreadable answer, a write cut off. Raised from the error it stands for."""


def classify(error: BaseException) -> Outcome | None:
    """NOT_DONE or UNKNOWN for a transient failure; None for a final answer."""
    if isinstance(error, OutcomeUnknown):
        return Outcome.UNKNOWN
    if isinstance(error, RetryAfter):
        return Outcome.NOT_DONE
    if isinstance(error, BadRequest) or not isinstance(error, NetworkError):
        return None  # BadRequest first: PTB makes it a NetworkError too
    cause = error.__cause__
    if isinstance(cause, _NOT_SENT):
        return Outcome.NOT_DONE
    if isinstance(cause, _SENT):
        return Outcome.UNKNOWN
    if isinstance(error, TimedOut):
        return Outcome.UNKNOWN  # a timeout we cannot place: assume the worst
    if cause is None or isinstance(cause, TelegramError):
        # An error answer (the cause, if any, is the failed parse of an HTML page).
        return Outcome.NOT_DONE if _SERVER_TROUBLE.search(error.message) else None
    return None  # a bug in making the request (UnsupportedProtocol, ...): not transient


def classify_streamed(error: BaseException) -> Outcome | None:
    """:func:`classify` for an upload streamed from a file handle: NOT_DONE only when no byte
    of it can have been taken; every other transient failure is UNKNOWN."""
    if isinstance(error, RetryAfter):
        return Outcome.NOT_DONE
    if isinstance(error, NetworkError) and isinstance(error.__cause__, _NEVER_CONNECTED):
        return Outcome.NOT_DONE
    if classify(error) is not None or _unreadable(error):
        return Outcome.UNKNOWN
    return None


def _unreadable(error: BaseException) -> bool:
    """PTB's "Invalid server response": a 2xx answer that is not JSON."""
    return type(error) is TelegramError and isinstance(error.__cause__, ValueError)


def unknown_outcome(error: TelegramError) -> TelegramError:
    """``error`` itself where :func:`classify` reads it as UNKNOWN, else an
    :class:`OutcomeUnknown` standing for it, so callers that classify see the truth."""
    if classify(error) is Outcome.UNKNOWN:
        return error
    return OutcomeUnknown(f"no sure answer to the upload: {describe(error)}")


def repeats_after_unknown(method: str) -> int:
    """How many more times ``method`` may be sent once an outcome is unknown."""
    if method in _REPEATABLE or method.startswith(_REPEATABLE_PREFIXES):
        return UNLIMITED
    if method in _SEND_ONCE_MORE:
        return 1
    return 0


def retry_after_seconds(error: RetryAfter) -> float:
    value = error.retry_after  # a timedelta with PTB_TIMEDELTA (bot/__init__.py), else int
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def describe(error: BaseException) -> str:
    cause = error.__cause__
    if isinstance(cause, httpx.HTTPError):
        return f"{type(error).__name__} ({type(cause).__name__})"
    return f"{type(error).__name__}: {error}"


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 0.5
    max_delay_seconds: float = 10.0
    deadline_seconds: float = 60.0

    def delay(self, retry: int, jitter: float) -> float:
        """The wait before retry number ``retry`` (1, 2, ...); ``jitter`` is in [0, 1)."""
        step: float = min(self.max_delay_seconds, self.base_seconds * 2.0 ** (retry - 1))
        return step / 2 + step / 2 * jitter


class TelegramRetry:
    """Runs a Bot API call with the retries described in the module docstring."""

    def __init__(self, policy: RetryPolicy, *, jitter: Callable[[], float] = random.random):
        self.policy = policy
        self._jitter = jitter
        self._flood_until = 0.0  # loop time until which a 429 holds every call back

    async def run(
        self,
        method: str,
        attempt: Callable[[], Awaitable[T]],
        *,
        unknown_repeats: int | None = None,
        already_done: T | None = None,
        judge: Callable[[BaseException], Outcome | None] = classify,
    ) -> T:
        """``attempt()`` until it succeeds, fails for good, or the deadline is near.

        ``unknown_repeats`` overrides :func:`repeats_after_unknown`; ``already_done`` is
        returned when, after an unknown outcome, Telegram's answer says the work is done;
        ``judge`` reads each failure (:func:`classify_streamed` for a streamed upload). An
        unknown outcome past the allowed repeats is raised as :func:`unknown_outcome`.
        """
        loop = asyncio.get_running_loop()
        budget = min(self.policy.deadline_seconds, _DEADLINES.get(method, math.inf))
        deadline = loop.time() + budget
        allowed = repeats_after_unknown(method) if unknown_repeats is None else unknown_repeats
        retries = unknown = 0
        while True:
            held = self._flood_until - loop.time()
            if held > 0:
                await asyncio.sleep(held)
            try:
                return await attempt()
            except TelegramError as error:
                outcome = judge(error)
                if outcome is None:
                    if method in _ANSWERS and already_done is not None and _stale(error):
                        log.info("Bot API %s: the query is too old to answer", method)
                        return already_done
                    if unknown and already_done is not None and _done_before(method, error):
                        log.info("Bot API %s: the try whose answer was lost did it", method)
                        return already_done
                    raise
                if outcome is Outcome.UNKNOWN:
                    if unknown >= allowed:
                        log.warning(
                            "Bot API %s: no sure answer (%s); not sent again",
                            method,
                            describe(error),
                        )
                        stand_in = unknown_outcome(error)
                        if stand_in is error:
                            raise
                        raise stand_in from error
                    unknown += 1
                retries += 1
                if isinstance(error, RetryAfter):
                    wait = retry_after_seconds(error) + 0.1  # as AIORateLimiter waits
                else:
                    wait = self.policy.delay(retries, self._jitter())
                if loop.time() + wait > deadline:
                    log.warning(
                        "Bot API %s: gave up after %d tries: %s", method, retries, describe(error)
                    )
                    raise
                log.warning(
                    "Bot API %s failed (%s); try %d in %.2f s",
                    method,
                    describe(error),
                    retries + 1,
                    wait,
                )
                if isinstance(error, RetryAfter):  # flood control is per bot: everyone waits
                    self._flood_until = max(self._flood_until, loop.time() + wait)
                await asyncio.sleep(wait)


def _stale(error: TelegramError) -> bool:
    message = error.message.lower()
    return any(marker in message for marker in _STALE_QUERY)


def _done_before(method: str, error: TelegramError) -> bool:
    marker = _EDIT_DONE if method.startswith("edit") else _ALREADY_DONE.get(method)
    return marker is not None and marker in error.message.lower()


class _Flood(Exception):
    """Carries a RetryAfter past AIORateLimiter, whose own retry would log it as an error."""

    def __init__(self, error: RetryAfter) -> None:
        super().__init__(str(error))
        self.error = error


def _flood_aware(
    callback: Callable[..., Coroutine[Any, Any, ApiResult]],
) -> Callable[..., Coroutine[Any, Any, ApiResult]]:
    async def call(*args: Any, **kwargs: Any) -> ApiResult:
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as error:
            raise _Flood(error) from error

    return call


class RetryingRateLimiter(AIORateLimiter):
    """PTB's rate limiter (overall and per-group throttling) with :class:`TelegramRetry`
    around each call: the throttle is passed again before every retry, never held while
    waiting. 429s are handled here, not by ``AIORateLimiter.max_retries`` (kept at 0)."""

    def __init__(
        self,
        retry: TelegramRetry,
        *,
        group_max_rate: float,
        group_time_period: float = 60,
        overall_max_rate: float = 30,
        shared_groups: bool = False,
    ) -> None:
        super().__init__(
            max_retries=0,
            overall_max_rate=overall_max_rate,
            # Several workers pace groups together (group_pace), not each on its own.
            group_max_rate=0 if shared_groups else group_max_rate,
            group_time_period=group_time_period,
        )
        self.retry = retry
        # Several workers: waits for the group's next slot booked in the shared database
        # (bot/services/shared_state.py); set once the database is open.
        self.group_pace: Callable[[int], Awaitable[None]] | None = None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, ApiResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> ApiResult:
        throttled = super().process_request
        guarded = _flood_aware(callback)

        group = _group_of(data) if self.group_pace is not None else None

        async def attempt() -> ApiResult:
            if group is not None and self.group_pace is not None:
                await self.group_pace(group)
            try:
                return await throttled(guarded, args, kwargs, endpoint, data, rate_limit_args)
            except _Flood as flood:
                raise flood.error from None

        if _streams_a_file(data):
            return await self.retry.run(
                endpoint, attempt, unknown_repeats=0, already_done=True, judge=classify_streamed
            )
        return await self.retry.run(endpoint, attempt, already_done=True)


def _group_of(data: dict[str, Any]) -> int | None:
    """The group (or channel) a call sends to, as PTB's limiter tells groups apart: a
    negative chat id."""
    chat_id = data.get("chat_id")
    try:
        chat = int(chat_id) if chat_id is not None else None
    except (TypeError, ValueError):
        return None
    return chat if chat is not None and chat < 0 else None


def _streams_a_file(data: dict[str, Any]) -> bool:
    """Whether the call uploads a file read from its handle as it goes (a video), as opposed
    to bytes in memory (a QR card) or a file_id."""
    return any(
        isinstance(value, InputFile) and not isinstance(value.input_file_content, bytes)
        for value in data.values()
    )


def retry_of(bot: Bot) -> TelegramRetry:
    """The retry policy of ``bot``'s own calls (a default one for a bot without ours)."""
    limiter = getattr(bot, "rate_limiter", None)
    if isinstance(limiter, RetryingRateLimiter):
        return limiter.retry
    return TelegramRetry(RetryPolicy())


def rate_limiter(settings: Settings) -> RetryingRateLimiter:
    """The bot's limiter as its settings describe it (the bare-PTB baselines in
    ``benchmarks/`` take the same one)."""
    return RetryingRateLimiter(
        TelegramRetry(
            RetryPolicy(
                base_seconds=settings.telegram_retry_base_seconds,
                deadline_seconds=settings.telegram_retry_deadline_seconds,
            )
        ),
        group_max_rate=settings.group_messages_per_minute,
        group_time_period=60,
        overall_max_rate=settings.messages_per_second,
        shared_groups=settings.shared_database,
    )
