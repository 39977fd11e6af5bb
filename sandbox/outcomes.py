"""What a simulator is told to do next: scripted asset and video outcomes, injected faults."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.media import check_padded_size

_DEFAULT_MESSAGES = {
    "FaceMismatch": "Face consistency verification failed.",
    "ContentModeration": "The image did not pass content moderation.",
    "OutputVideoSensitiveContentDetected": "The generated video may contain sensitive content.",
    "InternalServiceError": "The service encountered an unexpected internal error.",
}


@dataclass
class _Outcome:
    """A scripted result: ``status``, and for a failure its ``code`` and ``message``."""

    status: str
    code: str | None = None
    message: str | None = None

    def _settle(self, status: str, failed: str, default_code: str) -> None:
        """Check the fields; a failure without a code or message gets the usual ones."""
        _check_optional_str(self.code, "code")
        _check_optional_str(self.message, "message")
        if status == failed:
            self.code = self.code or default_code
            self.message = self.message or _default_message(self.code)

    def error(self) -> dict[str, str | None]:
        """The failure as vendors write it: ``{"code", "message"}``."""
        return {"code": self.code, "message": self.message}


@dataclass
class AssetOutcome(_Outcome):
    """Scripted result for the next uploaded asset (FIFO); the default is Active."""

    status: str = "Active"

    def __post_init__(self) -> None:
        if not isinstance(self.status, str) or self.status.lower() not in ("active", "failed"):
            raise ValueError("AssetOutcome.status must be 'Active' or 'Failed'")
        self.status = self.status.title()
        self._settle(self.status, "Failed", "FaceMismatch")


@dataclass
class VideoOutcome(_Outcome):
    """Scripted result for the next created video (FIFO); the default is completed."""

    status: str = "completed"
    video_bytes: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, str) or self.status.lower() not in ("completed", "failed"):
            raise ValueError("VideoOutcome.status must be 'completed' or 'failed'")
        self.status = self.status.lower()
        if self.video_bytes is not None:
            if not isinstance(self.video_bytes, int) or isinstance(self.video_bytes, bool):
                raise ValueError("VideoOutcome.video_bytes must be an int")
            check_padded_size(self.video_bytes)
        self._settle(self.status, "failed", "InternalServiceError")


FaultKind = Literal["status", "timeout", "reset", "hold"]
FAULT_KINDS: tuple[FaultKind, ...] = ("status", "timeout", "reset", "hold")
# How long a "timeout" fault holds an answer when it sets no ``delay`` of its own: far past
# any client timeout the tests use, yet bounded, so a client that never gives up still ends.
TIMEOUT_HOLD_SECONDS = 60.0
# The misbehaviours :func:`flaky` spreads its faults over: a status, or a kind.
FLAKY_MIX: tuple[int | FaultKind, ...] = (503, 429, "timeout", "reset")


@dataclass
class Fault:
    """A scripted misbehaviour for requests matching ``method`` (None = any) and a prefix.

    ``kind``:

    - ``status``: answer ``status`` in the vendor's error envelope (429 adds ``Retry-After``),
      after ``delay`` seconds; status 0 answers normally (a slow answer).
    - ``timeout``: hold the answer until the client gives up and disconnects (at most
      ``delay`` seconds, or :data:`TIMEOUT_HOLD_SECONDS`), then drop the connection unanswered.
    - ``reset``: drop the connection at once with a TCP reset, unanswered.
    - ``hold``: hold the request until the test sets ``release`` (at most ``delay`` seconds
      when it is set too), then answer normally.

    ``processed``: the provider does the work first (the route runs and its state changes),
    then the fault strikes; for a POST that is "created, but the answer was lost". Otherwise
    the route never runs (``hold``: it runs once released). ``answer_late`` is the older name
    for ``processed``.

    ``rate`` and ``seed``: only a seeded random fraction of the matching requests is faulted;
    the rest pass untouched (and the next armed fault may take them). ``times`` counts faulted
    requests down to when the fault is spent; None never spends it.
    """

    method: str | None
    path_prefix: str
    status: int = 500
    retry_after: float = 1
    delay: float = 0.0
    times: int | None = 1
    answer_late: bool = False
    kind: FaultKind = "status"
    processed: bool = False
    rate: float = 1.0
    seed: int | None = None
    release: asyncio.Event | None = field(default=None, repr=False, compare=False)
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_optional_str(self.method, "method")
        self.method = self.method.upper() if self.method else None
        if not isinstance(self.path_prefix, str) or not self.path_prefix.startswith("/"):
            raise ValueError("Fault.path_prefix must start with '/'")
        if not isinstance(self.status, int) or not (self.status == 0 or 400 <= self.status <= 599):
            raise ValueError("Fault.status must be 0 or 400..599")
        for name in ("retry_after", "delay"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Fault.{name} must be a number >= 0")
        if self.times is not None and (not isinstance(self.times, int) or self.times < 1):
            raise ValueError("Fault.times must be an int >= 1 or null")
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"Fault.kind must be one of {', '.join(FAULT_KINDS)}")
        if self.kind == "hold" and self.release is None and not self.delay:
            raise ValueError("a hold Fault needs a release event or a delay")
        if self.release is not None and not isinstance(self.release, asyncio.Event):
            raise ValueError("Fault.release must be an asyncio.Event")
        rate = self.rate
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 < rate <= 1:
            raise ValueError("Fault.rate must be a number in (0, 1]")
        seed = self.seed
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError("Fault.seed must be an int or null")
        self.processed = bool(self.processed or self.answer_late)
        self._rng = random.Random(self.seed)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and path.startswith(self.path_prefix)

    def strikes(self) -> bool:
        """Whether this matching request is one of the faulted fraction (a seeded draw)."""
        return self.rate >= 1 or self._rng.random() < self.rate

    @property
    def label(self) -> str:
        """What the fault does, for the simulator's log of faulted requests."""
        return str(self.status) if self.kind == "status" else self.kind


def flaky(
    method: str | None,
    path_prefix: str,
    rate: float,
    *,
    seed: int = 0,
    mix: tuple[int | FaultKind, ...] = FLAKY_MIX,
    retry_after: float = 0,
    processed: bool = False,
) -> list[Fault]:
    """Faults that together strike a seeded ``rate`` of the matching requests, spread evenly
    over ``mix`` (an error status, or a kind such as ``"timeout"``), never spent.

    Faults are tried in order and each draws only for the requests the ones before it let
    through, so the i-th gets rate ``share / (1 - i * share)`` to strike ``share`` of all.
    """
    if not mix or not 0 < rate <= 1:
        raise ValueError("flaky needs a non-empty mix and a rate in (0, 1]")
    share = rate / len(mix)
    faults = []
    for i, what in enumerate(mix):
        kind: dict[str, Any] = {"status": what} if isinstance(what, int) else {"kind": what}
        faults.append(
            Fault(
                method,
                path_prefix,
                retry_after=retry_after,
                times=None,
                processed=processed,
                rate=min(1.0, share / (1 - i * share)),
                seed=seed * len(mix) + i,
                **kind,
            )
        )
    return faults


def _check_optional_str(value: object, name: str) -> None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string or null")


def _default_message(code: str) -> str:
    return _DEFAULT_MESSAGES.get(code, f"Failed: {code}.")
