"""Telling new real-human groups apart by time: the sessions this client knows and the window
in which each could have made a group (rule 3 of ``OrcaRouter.check_verifications``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.providers.base import PendingVerification
from bot.providers.orcarouter.parsing import created_at

LINK_TTL = 120.0
# Matching new groups to sessions by time (see check_verifications).
CLOCK_SLACK = 10.0  # our clock against OrcaRouter's CreateTime (whole seconds)
PASS_WINDOW = LINK_TTL + 60.0  # a check begun just before the link expires may end later
MEMORY_SECONDS = 3600.0  # sessions older than this (before the newest) are forgotten


@dataclass
class _Session:
    """A session this client started or was told about, for telling groups apart."""

    key: int | None  # our face key, once a pending list has named it
    started_at: float | None  # bot clock; None until a pending list has named it
    registered: float  # time.monotonic() when first heard of

    def covers(self, created: float) -> bool:
        if self.started_at is None:  # not placed yet: it could own any group
            return True
        return self.started_at - CLOCK_SLACK <= created <= self.started_at + PASS_WINDOW


def remember(sessions: dict[str, _Session], pending: Sequence[PendingVerification]) -> None:
    """Place the pending faces' sessions in time; drop sessions too old to matter."""
    for p in pending:
        session_id = p.session_id or f"face:{p.key}:{p.started_at}"
        session = sessions.setdefault(session_id, _Session(None, None, 0.0))
        session.key, session.started_at = p.key, p.started_at
    newest = max(p.started_at for p in pending)
    now = time.monotonic()
    for session_id, s in list(sessions.items()):
        stale = s.started_at is None and now - s.registered > PASS_WINDOW
        if stale or (s.started_at is not None and s.started_at < newest - MEMORY_SECONDS):
            del sessions[session_id]


def forget(sessions: dict[str, _Session], key: int) -> None:
    for session_id in [sid for sid, s in sessions.items() if s.key == key]:
        del sessions[session_id]


def match_by_time(
    sessions: dict[str, _Session],
    listed: dict[str, dict[str, Any]],
    taken: set[str],
    settled: set[int],
) -> dict[str, int]:
    """Group id -> face key for each group in exactly one face's windows, the only such
    group for that face; repeated as matched faces drop out. Never a guess."""
    unknown = -1  # stands for sessions not yet placed; it never wins a group
    holders: dict[str, set[int]] = {}
    for gid, row in listed.items():
        created = created_at(row)
        if gid in taken or created is None:
            continue
        keys = {
            unknown if s.key is None or s.started_at is None else s.key
            for s in sessions.values()
            if s.covers(created) and s.key not in settled
        }
        if keys:
            holders[gid] = keys
    matched: dict[str, int] = {}
    progress = True
    while progress:
        progress = False
        sole: dict[int, list[str]] = {}
        for gid, keys in holders.items():
            if len(keys) == 1 and unknown not in keys:
                sole.setdefault(next(iter(keys)), []).append(gid)
        for key, gids in sole.items():
            if len(gids) != 1:  # two groups only this face could own: do not choose
                continue
            matched[gids[0]] = key
            del holders[gids[0]]
            for keys in holders.values():
                keys.discard(key)
            progress = True
    return matched
