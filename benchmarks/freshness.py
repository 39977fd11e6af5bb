"""Freshness: how soon a person hears that a photo turned Active, and at what provider cost.

Scenario (issue 10): 1,000 photos processing at Token360 in 100 asset groups (one face and
one ten-photo album per person, 100 people in private chats), each photo turning Active at a
seeded random time spread over ``--spread`` seconds. Measured per photo: the delay from the
moment it turned Active at the provider to the first Bot API call (``editMessageText`` or
``sendMessage``, as the fake Bot API records it with its arrival time) whose text shows that
photo as Active. Reported: median and p95 of that delay, and provider requests per minute
(the peak minute, and the mean until the last photo was told).

How: the real Application (``tests.harness.RunningBot``: the composition root, the Telegram
notifiers, the bot's rate limiter and retries) runs in this process against the fake Bot API
and a Token360 simulator on 127.0.0.1; rows are seeded through ``storage`` repositories and
the simulator's records before the bot starts. The time is simulated, as in
``benchmarks/polling_cost.py``, but only the idle part: the clock the bot and the simulator
share runs at real speed while work is being done (a tick's provider requests, database
writes, Telegram edits through the 30/s limiter all count in full) and jumps over the
pause that ``Tracker.run`` would sleep between ticks. So a delay of 10 s here is
10 s a person would wait, with the in-process simulators' CPU counted as the bot's. The
tracker's own loop is parked (``Tracker.run`` is replaced in this process only) and the
benchmark calls ``tracker.tick()`` itself, then skips ``await tracker.pause_seconds()``
(what ``Tracker.run`` waits): keep this driver in step if ``Tracker.run``'s cadence changes.

Baseline ("naive 3-s polling"): the same bot, same simulator, same telling path
(``UploadService.apply`` then ``report_batch``, i.e. the same edits), but polling is one
``GET /v1/assets/{id}`` per still-processing photo every 3 s (eight at a time), no backoff,
no group listing: 20 requests per photo per minute (20,000/min for 1,000 photos). Its
expected delay is half the interval plus the time a round takes.

Goal (issue 10): p95 at most 10 s, at no more than 0.1x the naive request rate (2,000/min
for 1,000 photos). Each run is its own process (``--variant``); runs are interleaved, bot
then baseline, same seed for both, ``--repeats`` times, medians reported.

Usage: python -m benchmarks.freshness [--quick] [--repeats 3] [--spread 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.polling_cost import ASSETS_PER_GROUP, GROUPS
from bot.config import ProviderKey, Settings
from bot.providers.base import AssetRef
from bot.services import tracking
from sandbox.common import AssetOutcome
from sandbox.token360 import GROUP_ACTIVE, Asset, AssetGroup, Token360Simulator
from storage.assets import AssetRepo, IncomingFile
from storage.database import Database
from storage.faces import FaceRepo
from storage.models import AssetState, FaceStatus, Owner, OwnerKind
from storage.users import UserRepo
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot

NAIVE_POLL_SECONDS = 3.0
NAIVE_CONCURRENCY = 8
# Polling 1,000 photos one GET each takes the in-process simulator about 5 ms of CPU a
# request, so the baseline runs on a sample of this many groups; its request figures are
# scaled per photo, its delays are the sample's (a larger round would only make them worse).
NAIVE_GROUPS = 10
ACTIVE_LINE = re.compile(r"Active: <code>([^<]+)</code>")
TELLING = ("editMessageText", "sendMessage", "editMessageCaption")


class Timeline:
    """Real time while work is done, plus the idle time skipped between ticks."""

    def __init__(self) -> None:
        self.base = 1_800_000_000.0
        self.skipped = 0.0
        self.start = time.monotonic()

    def __call__(self) -> float:
        return self.at(time.monotonic())

    def at(self, monotonic: float) -> float:
        """The simulated time of a ``time.monotonic()`` reading taken since the last skip."""
        return self.base + self.skipped + (monotonic - self.start)

    def skip(self, seconds: float) -> None:
        self.skipped += seconds


class ScheduledSimulator(Token360Simulator):
    """Token360 whose assets each turn Active at their own scheduled time."""

    def __init__(self, clock: Timeline) -> None:
        super().__init__(api_keys=("bench",), processing_seconds=10**9, clock=clock)
        self._due: list[tuple[float, str]] = []  # (active at, asset id), sorted
        self._next = 0

    def schedule(self, active_at: dict[str, float]) -> None:
        self._due = sorted((at, asset_id) for asset_id, at in active_at.items())
        self._next = 0

    def _settle(self) -> None:
        now = self._clock()
        while self._next < len(self._due) and self._due[self._next][0] <= now:
            at, asset_id = self._due[self._next]
            asset = self.store.assets[asset_id]
            asset.status, asset.updated_at = "Active", at
            self._next += 1
        super()._settle()


@dataclass
class Seeded:
    batches: list[int]
    asset_ids: list[str]  # provider asset ids, in seeding order


async def seed(path: Path, sim: ScheduledSimulator, people: list[int], now: float) -> Seeded:
    """One verified face and one ten-photo album per person, every photo Processing at the
    provider (the simulator's records are written directly, as the upload would leave them)."""
    batches: list[int] = []
    asset_ids: list[str] = []
    record_ids = iter(range(1, 10**9))
    async with Database(path) as db:
        users, faces, assets = UserRepo(db), FaceRepo(db), AssetRepo(db)
        for g, person in enumerate(people):
            await users.remember(person, f"Person {g}", None, "en", now)
            group = AssetGroup(
                group_id="ag_" + secrets.token_hex(12),
                account="bench",
                name=f"face {g}",
                kind="REAL_FACE",
                status=GROUP_ACTIVE,
                created_at=now,
                updated_at=now,
                seq=g + 1,
                passed_at=now,
            )
            sim.store.groups[group.group_id] = group
            face = await faces.create(
                owner=Owner(OwnerKind.USER, person),
                created_by=person,
                chat_id=person,
                name=f"face {g}",
                provider="token360",
                provider_group_id=group.group_id,
                provider_session_id=None,
                now=now,
                status=FaceStatus.ACTIVE,
            )
            for a in range(ASSETS_PER_GROUP):
                batch, row, _ = await assets.add_to_batch(
                    chat_id=person,
                    user_id=person,
                    face_id=face.id,
                    media_group_id=f"album-{g}",
                    file=IncomingFile(f"f{g}-{a}", f"u{g}-{a}", None, None, None, None, None),
                    name_prefix=f"realface-{face.id}",
                    now=now,
                )
                asset = Asset(
                    record_id=next(record_ids),
                    asset_id="ta_" + secrets.token_hex(16),
                    account="bench",
                    group_id=group.group_id,
                    name=row.name,
                    mime_type="image/jpeg",
                    size_bytes=48_000,
                    width=400,
                    height=500,
                    created_at=now,
                    updated_at=now,
                    outcome=AssetOutcome(),
                )
                sim.store.assets[asset.asset_id] = asset
                await assets.transition(
                    row.id,
                    AssetState.PROCESSING,
                    now,
                    provider_asset_id=asset.asset_id,
                    next_poll_at=now,
                )
                asset_ids.append(asset.asset_id)
                if batch.id not in batches:
                    batches.append(batch.id)
    return Seeded(batches, asset_ids)


async def _parked(self: tracking.Tracker) -> None:
    """Stands in for ``Tracker.run``: the benchmark ticks the tracker on its own clock."""
    await asyncio.Event().wait()


async def naive_round(services: Any, pending: dict[str, Any]) -> None:
    """One GET per still-processing photo, then tell the changed albums (the bot's path)."""
    provider = services.providers.get("token360")
    slots = asyncio.Semaphore(NAIVE_CONCURRENCY)

    async def look(row: Any) -> Any:
        async with slots:
            return await provider.get_asset(AssetRef(row.provider_asset_id, None, None))

    rows = list(pending.values())
    infos = await asyncio.gather(*(look(row) for row in rows))
    changed: set[int] = set()
    for row, info in zip(rows, infos, strict=True):
        if await services.uploads.apply(row, info, expect=AssetState.PROCESSING):
            changed.add(row.batch_id)
            del pending[row.provider_asset_id]
    for batch_id in sorted(changed):
        await services.uploads.report_batch(batch_id)


async def measure(variant: str, seed_value: int, groups: int, spread: float) -> dict[str, Any]:
    clock = Timeline()
    tg = FakeTelegram()
    await tg.start()
    sim = ScheduledSimulator(clock)
    await sim.start()
    tracking.Tracker.run = _parked  # type: ignore[method-assign]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                telegram_token=tg.token,
                telegram_api_base_url=tg.base_url,
                telegram_file_base_url=tg.base_file_url,
                database=str(Path(tmp) / "bench.sqlite3"),
                providers={"token360": ProviderKey("bench", sim.base_url)},
                http_host="127.0.0.1",
                http_port=0,
            )
            people = [tg.add_user(f"Person {g}") for g in range(groups)]
            seeded = await seed(settings.database, sim, [p.id for p in people], clock())
            bot = await RunningBot(settings, clock=clock).start()
            try:
                return await _drive(variant, seed_value, spread, clock, tg, sim, bot, seeded)
            finally:
                await bot.stop()
    finally:
        await sim.stop()
        await tg.stop()


async def _drive(
    variant: str,
    seed_value: int,
    spread: float,
    clock: Timeline,
    tg: FakeTelegram,
    sim: ScheduledSimulator,
    bot: RunningBot,
    seeded: Seeded,
) -> dict[str, Any]:
    services = bot.services
    # Each person has started the bot and sees "processing at the provider" for each photo.
    for user in tg.users.values():
        await tg.send_text(user, "/start")
    await tg.wait_for(
        lambda: {m.chat_id for m in tg.sent} >= set(tg.users), timeout=120, what="/start"
    )
    for batch_id in seeded.batches:
        await services.uploads.report_batch(batch_id)
    processing = await services.uploads.assets.with_states([AssetState.PROCESSING])
    rows = {a.provider_asset_id: a for a in processing}

    rng = random.Random(seed_value)
    t0 = clock()
    active_at = {a: t0 + rng.uniform(1.0, spread) for a in seeded.asset_ids}
    sim.schedule(active_at)
    sim.reset_counts()
    mark = len(tg.calls)
    told: dict[str, float] = {}
    per_minute: Counter[int] = Counter()
    deadline = t0 + spread + 300
    ticks = 0
    busy = longest = 0.0
    while len(told) < len(active_at) and clock() < deadline:
        started, before = clock(), sim.count()
        if variant == "bot":
            await services.tracker.tick()
            idle = await services.tracker.pause_seconds()
        else:
            await naive_round(services, rows)
            idle = NAIVE_POLL_SECONDS
        per_minute[int((started - t0) // 60)] += sim.count() - before
        busy += clock() - started
        longest = max(longest, clock() - started)
        ticks += 1
        for call in tg.calls[mark:]:
            if call.method in TELLING and call.error is None:
                text = str(call.params.get("text") or call.params.get("caption") or "")
                for asset_id in ACTIVE_LINE.findall(text):
                    if asset_id in active_at and asset_id not in told:
                        told[asset_id] = clock.at(call.at)
        mark = len(tg.calls)
        clock.skip(idle)
    delays = sorted(told[a] - active_at[a] for a in told)
    last = max(told.values(), default=t0)
    minutes = max((last - t0) / 60, 1 / 60)
    return {
        "variant": variant,
        "photos": len(active_at),
        "told": len(told),
        "median": statistics.median(delays) if delays else float("nan"),
        "p95": delays[max(0, -(-95 * len(delays) // 100) - 1)] if delays else float("nan"),
        "max": delays[-1] if delays else float("nan"),
        "peak_per_minute": max(per_minute.values(), default=0),
        "mean_per_minute": sum(per_minute.values()) / minutes,
        "requests": sum(per_minute.values()),
        "ticks": ticks,
        "busy_seconds": busy,
        "longest_round": longest,
        "sim_seconds": clock() - t0,
    }


def run_one(variant: str, seed_value: int, groups: int, spread: float) -> dict[str, Any]:
    """One variant in its own process; its result is the last line it prints."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.freshness",
        "--variant",
        variant,
        "--seed",
        str(seed_value),
        "--groups",
        str(groups),
        "--spread",
        str(spread),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"{variant} run failed ({done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(
    results: dict[str, list[dict[str, Any]]], groups: int, naive_groups: int, spread: float
) -> None:
    photos = groups * ASSETS_PER_GROUP
    scale = groups / naive_groups
    for result in results["naive"]:  # request figures per photo, for as many photos
        for key in ("peak_per_minute", "mean_per_minute", "requests", "told"):
            result[key] *= scale
    naive_rate = photos * 60 / NAIVE_POLL_SECONDS
    budget = 0.1 * naive_rate

    def med(variant: str, key: str) -> float:
        return statistics.median(r[key] for r in results[variant])

    repeats = len(results["bot"])
    print(
        f"freshness: {photos} photos in {groups} groups turning Active at seeded random times "
        f"over {spread:g} s; median of {repeats} interleaved runs"
    )
    if scale != 1:
        print(
            f"(naive run on {naive_groups * ASSETS_PER_GROUP} of them; its request counts "
            f"scaled x{scale:g}, its delays as measured)"
        )
    header = f"{'':34}{'realface-bot':>13}{'naive 3-s':>11}{'ratio':>8}  goal"
    print(header)
    print("-" * len(header))
    rows = [
        ("told after, median (s)", "median", "{:.1f}", ""),
        ("told after, p95 (s)", "p95", "{:.1f}", "<= 10 s"),
        ("told after, max (s)", "max", "{:.1f}", ""),
        ("provider requests/min, peak", "peak_per_minute", "{:.0f}", f"<= {budget:.0f}"),
        ("provider requests/min, mean", "mean_per_minute", "{:.0f}", ""),
        ("photos told (of all)", "told", "{:.0f}", f"{photos}"),
        ("rounds (ticks)", "ticks", "{:.0f}", ""),
        ("busy real seconds in rounds", "busy_seconds", "{:.1f}", ""),
        ("longest round (real s)", "longest_round", "{:.2f}", ""),
    ]
    for label, key, fmt, goal in rows:
        bot, naive = med("bot", key), med("naive", key)
        ratio = f"{bot / naive:.2f}x" if naive else "-"
        print(f"{label:34}{fmt.format(bot):>13}{fmt.format(naive):>11}{ratio:>8}  {goal}")
    p95, peak = med("bot", "p95"), med("bot", "peak_per_minute")
    print(
        f"goal p95 <= 10 s: {'met' if p95 <= 10 else 'NOT met'} ({p95:.1f} s); "
        f"goal <= {budget:.0f} requests/min (0.1x naive's {naive_rate:.0f}): "
        f"{'met' if peak <= budget else 'NOT met'} ({peak:.0f}, "
        f"{peak / naive_rate:.3f}x naive)"
    )
    print(
        "naive expected: median 1.5 s, p95 2.85 s plus a round's time; "
        f"{naive_rate:.0f} requests/min while all {photos} are pending"
    )
    print("per run (bot p95 s / peak req/min | naive p95 / peak):")
    for b, n in zip(results["bot"], results["naive"], strict=True):
        print(
            f"  {b['p95']:.1f} / {b['peak_per_minute']} | {n['p95']:.1f} / {n['peak_per_minute']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 groups, 60 s, 1 repeat")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--groups", type=int, default=None)
    parser.add_argument("--spread", type=float, default=None)
    parser.add_argument("--variant", choices=("bot", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    groups = args.groups or (NAIVE_GROUPS if args.quick else GROUPS)
    naive_groups = min(groups, NAIVE_GROUPS)
    spread = args.spread or (60.0 if args.quick else 300.0)
    repeats = args.repeats or (1 if args.quick else 3)
    if args.variant:
        result = asyncio.run(measure(args.variant, args.seed, groups, spread))
        print(json.dumps(result))
        return
    results: dict[str, list[dict[str, Any]]] = {"bot": [], "naive": []}
    for repeat in range(repeats):
        for variant in ("bot", "naive"):
            started = time.monotonic()
            size = groups if variant == "bot" else naive_groups
            result = run_one(variant, repeat + 1, size, spread)
            result["wall"] = time.monotonic() - started
            results[variant].append(result)
            print(
                f"  run {repeat + 1} {variant}: p95 {result['p95']:.1f} s, "
                f"peak {result['peak_per_minute']} req/min, {result['wall']:.0f} s wall",
                file=sys.stderr,
                flush=True,
            )
    report(results, groups, naive_groups, spread)


if __name__ == "__main__":
    main()
