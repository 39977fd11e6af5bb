"""Per-key state kept in memory that cannot grow without bound, as drop-in replacements for
the ``defaultdict(asyncio.Lock)`` and ``dict[key, float]`` that did (issue 8).

- :class:`KeyedLocks`: ``locks[key]`` is the one lock for ``key`` while anyone holds or
  awaits it; once nobody refers to it, it is gone (weak values), so a lock per inline message
  or per job costs nothing after use.
- :class:`RecentTimes`: key -> when something last happened, for rate limits ("not more
  often than every N seconds"). An entry older than ``horizon`` can no longer hold anything
  back, so it is dropped; past ``cap`` entries the oldest go first.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class KeyedLocks(Generic[K]):
    """``async with locks[key]:`` serialises work per key; idle keys keep nothing."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[K, asyncio.Lock] = weakref.WeakValueDictionary()

    def __getitem__(self, key: K) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def __len__(self) -> int:
        return len(self._locks)


class RecentTimes(Generic[K]):
    """When each key last did something, remembered for ``horizon`` seconds, at most ``cap``.

    Times are assumed not to go backwards between writes (one clock), so the entries stay in
    time order and the old ones are dropped from the front.
    """

    def __init__(self, horizon: float, cap: int = 10_000) -> None:
        self.horizon = horizon
        self.cap = cap
        self._times: OrderedDict[K, float] = OrderedDict()

    def get(self, key: K, default: float = 0.0) -> float:
        return self._times.get(key, default)

    def __setitem__(self, key: K, when: float) -> None:
        self._times[key] = when
        self._times.move_to_end(key)
        while self._times:
            oldest, at = next(iter(self._times.items()))
            if at > when - self.horizon and len(self._times) <= self.cap:
                break
            del self._times[oldest]

    def pop(self, key: K, default: float | None = None) -> float | None:
        return self._times.pop(key, default)

    def __len__(self) -> int:
        return len(self._times)
