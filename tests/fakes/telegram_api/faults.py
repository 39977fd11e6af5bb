"""Faults a test injects into the fake Bot API, on methods and on file downloads.

The vocabulary is the provider simulators' (``sandbox/outcomes.py``), so one test can
speak to both. A :class:`Fault` matches a Bot API method (any spelling PTB uses), or
:data:`FILE_DOWNLOAD` for ``GET /file/bot<token>/<path>``, or every method but getUpdates and
every download (``method=None``). It strikes the next ``times`` matching requests, or, with
``rate`` and ``seed``, a seeded random fraction of them. What it does (``kind``):

- ``status``: answer an error in the Bot API envelope (429 carries
  ``parameters.retry_after``; ``html=True`` answers an HTML page instead, as Telegram's front
  proxy does for some 5xx), after ``delay`` seconds; status 0 answers normally, late.
- ``timeout``: hold the answer until the client gives up and disconnects (its read timeout;
  at most ``delay`` seconds or :data:`HOLD_SECONDS`), then drop the connection unanswered.
- ``reset``: drop the connection at once with a TCP reset, unanswered.

``processed``: the call is carried out first (the message is really sent, the state
changes) and then the fault strikes, so only the answer is lost: "sent, but the bot can't
know". Otherwise nothing happens. The request body is always read in full first, as
Telegram reads it before it acts, so the client has sent everything either way. On a
download, ``processed`` means the headers and half of the file go out before the fault.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from tests.fakes.telegram_api.common import ApiError

FILE_DOWNLOAD = "file"  # the "method" of GET /file/bot<token>/<path>
# How long a timeout fault holds an answer when it sets no delay: far past any client's read
# timeout, yet bounded, so a client that never gives up still ends.
HOLD_SECONDS = 60.0

FaultKind = Literal["status", "timeout", "reset"]
FAULT_KINDS: tuple[FaultKind, ...] = ("status", "timeout", "reset")
# What flaky() spreads its faults over by default: the "429 or 502".
FLAKY_MIX: tuple[int | FaultKind, ...] = (429, 502)

_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    403: "Forbidden: injected failure",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_HTML_PAGE = (
    "<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class Fault:
    """A scripted misbehaviour of the fake for requests to ``method`` (see the module doc)."""

    method: str | None = None
    kind: FaultKind = "status"
    status: int = 502
    description: str | None = None
    retry_after: int = 1
    processed: bool = False
    html: bool = False
    delay: float = 0.0
    times: int | None = 1
    rate: float = 1.0
    seed: int | None = None
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"Fault.kind must be one of {', '.join(FAULT_KINDS)}")
        if not isinstance(self.status, int) or not (self.status == 0 or 400 <= self.status <= 599):
            raise ValueError("Fault.status must be 0 or 400..599")
        # Telegram's retry_after is whole seconds, at least 1; PTB ignores a 0.
        if not isinstance(self.retry_after, int) or self.retry_after < 1:
            raise ValueError("Fault.retry_after must be an int >= 1")
        if not isinstance(self.delay, int | float) or self.delay < 0:
            raise ValueError("Fault.delay must be a number >= 0")
        if self.times is not None and (not isinstance(self.times, int) or self.times < 1):
            raise ValueError("Fault.times must be an int >= 1 or None")
        if not isinstance(self.rate, int | float) or not 0 < self.rate <= 1:
            raise ValueError("Fault.rate must be a number in (0, 1]")
        self._rng = random.Random(self.seed)

    def matches(self, method: str) -> bool:
        if self.method is None:
            return method != "getUpdates"
        return self.method == method

    def strikes(self) -> bool:
        """Whether this matching request is one of the faulted fraction (a seeded draw)."""
        return self.rate >= 1 or self._rng.random() < self.rate

    def error(self) -> ApiError:
        if self.status == 429:
            description = self.description or f"Too Many Requests: retry after {self.retry_after}"
            return ApiError(429, description, {"retry_after": self.retry_after})
        return ApiError(
            self.status,
            self.description or _DESCRIPTIONS.get(self.status, "injected failure"),
        )

    def html_page(self) -> str:
        phrase = _DESCRIPTIONS.get(self.status, "Error").split(":")[0]
        return _HTML_PAGE.format(code=self.status, phrase=phrase)

    @property
    def label(self) -> str:
        """What the fault did, for the fake's log of faulted requests."""
        what = str(self.status) if self.kind == "status" else self.kind
        return f"{what} after processing" if self.processed else what


def flaky(
    rate: float,
    *,
    methods: tuple[str, ...] | None = None,
    mix: tuple[int | FaultKind, ...] = FLAKY_MIX,
    seed: int = 0,
    retry_after: int = 1,
    processed: bool = False,
) -> list[Fault]:
    """Faults that together strike a seeded ``rate`` of the calls to each of ``methods``
    (None: every method but getUpdates, and downloads), spread evenly over ``mix``, never spent.

    Faults are tried in order and each draws only for the requests the ones before it let
    through, so the i-th gets rate ``share / (1 - i * share)`` to strike ``share`` of all.
    """
    if not mix or not 0 < rate <= 1:
        raise ValueError("flaky needs a non-empty mix and a rate in (0, 1]")
    share = rate / len(mix)
    faults = []
    for m, method in enumerate(methods or (None,)):
        for i, what in enumerate(mix):
            status, kind = (what, "status") if isinstance(what, int) else (502, what)
            faults.append(
                Fault(
                    method,
                    kind=kind,
                    status=status,
                    retry_after=retry_after,
                    processed=processed,
                    times=None,
                    rate=min(1.0, share / (1 - i * share)),
                    seed=(seed * 1000 + m) * len(mix) + i,
                )
            )
    return faults
