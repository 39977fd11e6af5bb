"""Which listed real-person group belongs to which pending verification (package docstring,
"Finding the new group"): claim tags first, then creation and first-seen times."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.providers.base import GroupInfo, GroupState, PendingVerification
from bot.providers.parsing import first_str as _str
from bot.providers.powertokens.parsing import group_key, timestamp

log = logging.getLogger(__package__)  # the package's logger, as before it was split

MAX_NAME = 64  # "Name must be no more than 64 characters" (PowerTokens CLI)
CLOCK_SKEW = 60.0  # provider clock vs ours, seconds
PASS_WINDOW = 180.0  # the link lives 120 s; up to 60 s more for the group to appear
# Groups remembered beyond a listing that was cut short: twice the most one listing reads.
SEEN_CAP = 4000
_TAG = re.compile(r" #(rf[0-9a-f]{8})$")


@dataclass
class GroupRow:
    group_id: str
    name: str | None
    created_at: float | None  # provider time with a known zone, else None
    state: GroupState
    raw: dict[str, Any]
    seen_at: float | None = None  # when this client first listed it

    def info(self) -> GroupInfo:
        return GroupInfo(self.group_id, self.state, self.name, None, self.raw)


@dataclass(frozen=True)
class Match:
    key: int
    row: GroupRow
    rename: str | None = field(default=None)  # the claim name to give it, if not yet tagged


def match_groups(
    rows: Sequence[GroupRow],
    pending: Sequence[PendingVerification],
    known_groups: set[str],
    seen: dict[str, float],
    issued: dict[str, float] | None = None,
) -> list[Match]:
    """Which listed groups belong to which pending verification (package docstring, 1-3).

    ``seen``: group id -> when this client first listed it; ``issued``: session id -> when this
    client got the link (on its own clock; ``started_at`` stands in for sessions it did not
    issue, e.g. after a restart).
    """
    issued = issued or {}

    def start(p: PendingVerification) -> float:
        return issued.get(p.session_id or "", p.started_at)

    by_tag = {claim_tag(p.session_id or f"face-{p.key}"): p for p in pending}
    matches: list[Match] = []
    waiting = {p.key: p for p in pending}
    fresh: list[GroupRow] = []
    for row in rows:
        if row.group_id in known_groups:
            continue
        tag = _TAG.search(row.name or "")
        if tag is None:
            fresh.append(row)
            continue
        owner = by_tag.get(tag.group(1))
        if owner is not None and owner.key in waiting:
            matches.append(Match(owner.key, row))
            del waiting[owner.key]
    fresh.sort(key=lambda r: r.created_at or seen.get(r.group_id) or r.seen_at or 0.0)
    for row in fresh:
        eligible = sorted(
            (p for p in waiting.values() if _may_belong(row, start(p), seen)),
            key=lambda p: (start(p), p.key),
        )
        if not eligible:
            continue
        if len(eligible) > 1:
            # Guessing could bind one user's face to another user's verified person: wait
            # (the sessions' windows close, or a tag tells them apart) rather than guess.
            log.warning(
                "group %s could belong to any of faces %s: not binding it",
                row.group_id,
                [p.key for p in eligible],
            )
            continue
        chosen = eligible[0]
        tag_source = chosen.session_id or f"face-{chosen.key}"
        matches.append(Match(chosen.key, row, claim_name(chosen.name, tag_source)))
        del waiting[chosen.key]
    return matches


def _may_belong(row: GroupRow, started: float, seen: dict[str, float]) -> bool:
    first_seen = seen.get(row.group_id, row.seen_at)
    if first_seen is not None and first_seen <= started:
        return False  # it was there before this verification started
    if row.created_at is not None:
        return started - CLOCK_SKEW <= row.created_at <= started + PASS_WINDOW
    return True


def note_listing(
    seen: dict[str, float],
    listed: Sequence[str],
    listed_at: float,
    *,
    complete: bool,
    cap: int = SEEN_CAP,
) -> None:
    """Record a group listing in ``seen`` (group id -> when first listed), bounded.

    A group's first sighting must survive as long as the provider lists it: forgotten and
    listed again, it would look new and could be bound to someone's pending verification.
    So only groups missing from the listing go: all of them after a complete listing (they
    were deleted and cannot come back), else the longest-known beyond ``cap``.
    """
    for group_id in listed:
        seen.setdefault(group_id, listed_at)
    present = set(listed)
    absent = [g for g in seen if g not in present]
    if not complete:
        absent = sorted(absent, key=seen.__getitem__)[: max(0, len(seen) - cap)]
    for group_id in absent:
        del seen[group_id]


def claim_tag(session_id: str) -> str:
    return "rf" + hashlib.sha256(session_id.encode()).hexdigest()[:8]


def claim_name(face_name: str, session_id: str) -> str:
    """``"<face name> #rf<8 hex>"`` within the 64-character name limit."""
    suffix = f" #{claim_tag(session_id)}"
    return face_name[: MAX_NAME - len(suffix)].rstrip() + suffix


def group_row(row: dict[str, Any]) -> GroupRow | None:
    group_id = group_key(row)
    kind = row.get("group_type", row.get("groupType", row.get("GroupType")))
    if group_id is None or (kind is not None and str(kind) not in ("1", "real_human")):
        return None
    status = (_str(row, "status", "Status") or "").lower()
    failed = status in ("failed", "disabled", "rejected", "expired")
    created = None
    for key in ("created_at", "create_time", "createdAt", "CreateTime", "created"):
        if key in row:
            created = timestamp(row[key])
            break
    return GroupRow(
        group_id=group_id,
        name=_str(row, "group_name", "name", "groupName", "Name"),
        created_at=created,
        state=GroupState.FAILED if failed else GroupState.ACTIVE,
        raw=row,
    )
