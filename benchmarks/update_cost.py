"""CPU per update (/faces, /start, inline keystrokes), /faces latency, and database writes
per update that changes nothing: the bot against a bare python-telegram-bot app.

What runs: the unmodified bot (``python -m bot``) and the baseline (``python -m
benchmarks.bare_ptb``: a bare PTB Application with the same RetryingRateLimiter, built like
bot/app.py, answering each update with the bot's own reply to it, same text and keyboard or
inline results) in turn, each in its own process against a fresh fake Bot API
(tests/fakes/telegram_api) and the Token360 simulator on 127.0.0.1: bot, baseline, bot,
baseline... ``--repeats`` times; medians are reported.

The database is seeded once through the repositories (storage/) and copied for every bot
run: three known users (their rows as Telegram describes them, so nothing about them
changes) with 10, 100 and 1,000 active faces of 10 active photos each.

- CPU per update: utime + stime of the whole process (every thread, aiosqlite's included)
  from /proc/<pid>/stat, read before a burst of N updates sent at once and after the last
  answer arrived (plus 0.1 s for the work that follows it, such as the inbox's done mark).
  Bursts: /faces from each of the three users, /start, and inline-query keystrokes (the
  prompt typed one character at a time) from the user with 100 faces. The table shows the
  median and each variant's range over the runs (on a loaded machine, runs of one variant
  differ by tens of percent). Inline answers given after the query's 15 s life (the fake
  then refuses them, as Telegram does) are counted and printed.
- Latency: /faces sent one at a time, from the update being queued to the reply reaching
  the fake Bot API; median and p95.
- Writes per update: one more bot run in which every ``Database.write`` transaction is
  logged (``--count-writes-bot``: the bot's own main() with ``Database.write`` wrapped to log
  who opened the transaction and how many rows it changed, ``sqlite3.total_changes``), and
  the WAL is read from outside: ``PRAGMA wal_checkpoint(TRUNCATE)`` empties it before a
  burst, and the commit frames found in it after the burst are the transactions that
  changed the file. Write transactions begun but changing nothing (BEGIN IMMEDIATE ...
  COMMIT) take the writer lock and cost round trips, but write no page: both are counted.

Goals (issue 10): /faces for 100 faces x 10 photos at most 2x the bare app's CPU per update;
/start at most 1.3x; /faces for 1,000 faces under 200 ms (p95); zero writes for /start and an
inline query from a known user.

Usage: python -m benchmarks.update_cost [--quick] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import json
import os
import pstats
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import storage

HZ = os.sysconf("SC_CLK_TCK")
PHOTOS = 10
# (user id, first name, faces): each face has PHOTOS active photos.
USERS = ((7_100_001, "Ten", 10), (7_100_002, "Hundred", 100), (7_100_003, "Thousand", 1000))
TEN, HUNDRED, THOUSAND = (u[0] for u in USERS)
INLINE_USER = HUNDRED
PROMPT = "a slow dolly shot of a person walking along a beach at sunset, waves rolling in"
MIN_PROMPT = 3  # bot/services/video_inline.py: shorter queries are refused, not offered
# The length of PROMPT's shortest prefix with MIN_PROMPT visible characters.
FIRST_OFFERED = next(
    i for i in range(len(PROMPT)) if len(PROMPT[:i].replace(" ", "")) >= MIN_PROMPT
)
WRITE_LOG = "BENCH_WRITE_LOG"
PROFILE = "BENCH_PROFILE"
INSTRUMENTED = ["-m", "benchmarks.update_cost", "--instrumented-bot"]


@dataclass(frozen=True)
class Plan:
    repeats: int
    burst: int  # updates per burst (/faces 10 and 100, /start, inline)
    burst_large: int  # /faces with 1,000 faces
    latency: int  # /faces sent one at a time, per user
    writes: int  # updates per kind in the write-counting run


FULL = Plan(repeats=3, burst=60, burst_large=8, latency=20, writes=20)
QUICK = Plan(repeats=1, burst=20, burst_large=3, latency=3, writes=10)


@dataclass
class Run:
    """One process's figures."""

    cpu_ms: dict[str, float] = field(default_factory=dict)  # per update, by burst
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    idle_ms_per_s: float = 0.0
    late_inline: int = 0  # inline answers sent after the query expired (15 s)


# ---------------------------------------------------------------- seeding


async def seed(path: Path) -> None:
    """Users, faces and photos through the repositories, as the bot would have stored them."""
    from storage.assets import AssetRepo, IncomingFile
    from storage.database import Database
    from storage.faces import FaceRepo
    from storage.models import AssetState, Owner, OwnerKind
    from storage.users import UserRepo

    now = time.time() - 86400
    async with Database(path) as db:
        users, faces, assets = UserRepo(db), FaceRepo(db), AssetRepo(db)
        for user_id, name, count in USERS:
            await users.remember(user_id, name, None, "en", now)
            for f in range(count):
                face = await faces.create_active(
                    owner=Owner(OwnerKind.USER, user_id),
                    created_by=user_id,
                    chat_id=user_id,
                    name=f"{name} face {f + 1}",
                    provider="token360",
                    now=now,
                )
                ids = []
                for p in range(PHOTOS):
                    file = IncomingFile(
                        f"file-{face.id}-{p}", f"u-{face.id}-{p}", None, None, None, None, None
                    )
                    _, asset, _ = await assets.add_to_batch(
                        chat_id=user_id,
                        user_id=user_id,
                        face_id=face.id,
                        media_group_id=f"album-{face.id}",
                        file=file,
                        name_prefix=f"realface-{face.id}",
                        now=now,
                    )
                    await assets.transition(
                        asset.id, AssetState.ACTIVE, now, provider_asset_id=f"asset-{asset.id}"
                    )
                    ids.append(asset.id)
                await assets.mark_reported(ids)  # progress was told long ago


async def seeded(reseed: bool) -> Path:
    """The seeded database, kept in the temp directory between runs (seeding 11,100 photos
    through the repositories takes about a minute); a new one whenever storage/ changes."""
    digest = hashlib.sha256(repr((USERS, PHOTOS)).encode())
    for source in sorted(Path(storage.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    cache = Path(tempfile.gettempdir()) / "realface-bench"
    template = cache / f"update_cost-{digest.hexdigest()[:16]}.sqlite3"
    if template.exists() and not reseed:
        return template
    cache.mkdir(exist_ok=True)
    partial = template.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    await seed(partial)
    checkpoint(partial)  # every row in the main file, so that a copy of it is whole
    partial.rename(template)
    faces = sum(u[2] for u in USERS)
    print(
        f"seeded {faces} faces, {faces * PHOTOS} photos in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return template


# ---------------------------------------------------------------- processes


def cpu_ticks(pid: int) -> int:
    """utime + stime of every thread of ``pid``, in clock ticks."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def spawn(argv: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, *argv], env=env, stdout=log, stderr=subprocess.STDOUT
        )


def keep_replies(path: Path, replies: dict[str, Any]) -> None:
    """The bot's replies, for the baseline to send the same (the first bot run's)."""
    if not path.exists():
        path.write_text(json.dumps(replies))


def size_of(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def append(path: str, line: str) -> None:
    with open(path, "a") as out:
        out.write(line)


class Variant:
    """A bot or baseline process against its own fake Bot API."""

    def __init__(self, name: str, argv: list[str], tmp: Path, sim_url: str) -> None:
        self.name = name
        self.argv = argv
        self.tmp = tmp
        self.sim_url = sim_url
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self, tg: Any, extra_env: dict[str, str]) -> None:
        from bot.config import ProviderKey, Settings
        from tests.harness import env_for

        settings = Settings(
            telegram_token=tg.token,
            telegram_api_base_url=tg.base_url,
            telegram_file_base_url=tg.base_file_url,
            database=str(self.tmp / "bot.sqlite3"),
            providers={"token360": ProviderKey("bench", self.sim_url)},
            http_host="127.0.0.1",
            http_port=0,
        )
        self.proc = spawn(self.argv, env_for(settings) | extra_env, self.tmp / f"{self.name}.log")
        await tg.wait_for(lambda: tg.calls_to("getUpdates"), 60, what=f"{self.name} polling")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        for _ in range(200):
            if self.proc.poll() is not None:
                return
            await asyncio.sleep(0.05)
        self.proc.kill()
        self.proc.wait()


# ---------------------------------------------------------------- driving


async def answered(tg: Any, user_id: int, mark: int, count: int) -> None:
    await tg.wait_for(
        lambda: sum(1 for m in tg.sent[mark:] if m.chat_id == user_id) >= count,
        120,
        what=f"{count} replies to {user_id}",
    )


async def burst_commands(tg: Any, user: Any, command: str, n: int) -> None:
    """``n`` commands queued at once (as many people at once would), then every reply."""
    mark = tg.mark()
    await asyncio.gather(*(tg.send_text(user, command) for _ in range(n)))
    await answered(tg, user.id, mark, n)


def keystrokes(n: int) -> list[str]:
    """The prompt typed one character at a time, cycling, from its first MIN_PROMPT visible
    characters on (shorter queries are refused with no results: not what is measured)."""
    first = FIRST_OFFERED
    return [PROMPT[: first + i % (len(PROMPT) - first)] for i in range(n)]


async def burst_inline(tg: Any, user: Any, n: int) -> None:
    """``n`` keystrokes queued at once, then every answer (one refused as too old, sent after
    the fake's 15 s, counts as given: see :func:`late_answers`)."""
    ids = set(await asyncio.gather(*(tg.inline_query(user, text) for text in keystrokes(n))))

    def all_answered() -> bool:
        calls = tg.calls_to("answerInlineQuery")
        return {str(c.params.get("inline_query_id")) for c in calls} >= ids

    await tg.wait_for(all_answered, 120, what="inline answers")


def late_answers(tg: Any) -> int:
    """Inline answers the fake refused because the query was older than 15 s."""
    return sum(1 for c in tg.calls_to("answerInlineQuery") if c.error and "too old" in c.error)


async def cpu_per_update(pid: int, n: int, work: Callable[[], Awaitable[None]]) -> float:
    before = cpu_ticks(pid)
    await work()
    await asyncio.sleep(0.1)  # what follows the answer (the inbox's done mark)
    return (cpu_ticks(pid) - before) * 1000 / HZ / n


async def latencies(tg: Any, user: Any, n: int) -> list[float]:
    out = []
    for _ in range(n):
        mark = tg.mark()
        start = time.perf_counter()
        await tg.send_text(user, "/faces")
        await answered(tg, user.id, mark, 1)
        out.append((time.perf_counter() - start) * 1000)
    return out


def add_users(tg: Any) -> dict[int, Any]:
    return {uid: tg.add_user(name, user_id=uid) for uid, name, _ in USERS}


async def measure(variant: Variant, plan: Plan, env: dict[str, str], replies: Path) -> Run:
    """Start ``variant``, warm it up, run every burst and the latencies; capture the bot's
    replies (for the baseline) when ``replies`` does not exist yet."""
    from tests.fakes.telegram_api import FakeTelegram

    run = Run()
    async with FakeTelegram() as tg:
        users = add_users(tg)
        await variant.start(tg, env)
        try:
            # Warm-up: every path once (imports, caches), then let start-up work settle.
            seen: dict[str, dict[int, Any]] = {"start": {}, "faces": {}}
            for uid in (TEN, HUNDRED, THOUSAND):
                for kind in seen:
                    await burst_commands(tg, users[uid], f"/{kind}", 1)
                    reply = tg.messages(uid)[-1]
                    seen[kind][uid] = {"html": reply.html, "reply_markup": reply.reply_markup}
            inline = [await tg.inline_query(users[INLINE_USER], PROMPT) for _ in range(2)]
            answer = await tg.wait_inline_answer(inline[-1])
            keep_replies(replies, {"messages": seen, "inline": {INLINE_USER: answer}})
            await asyncio.sleep(1.0)
            before = cpu_ticks(variant.pid)
            await asyncio.sleep(1.0)
            run.idle_ms_per_s = (cpu_ticks(variant.pid) - before) * 1000 / HZ
            pid = variant.pid
            for uid, n in ((TEN, plan.burst), (HUNDRED, plan.burst), (THOUSAND, plan.burst_large)):
                run.cpu_ms[f"faces{uid}"] = await cpu_per_update(
                    pid, n, lambda u=users[uid], n=n: burst_commands(tg, u, "/faces", n)
                )
            run.cpu_ms["start"] = await cpu_per_update(
                pid, plan.burst, lambda: burst_commands(tg, users[TEN], "/start", plan.burst)
            )
            late = late_answers(tg)
            run.cpu_ms["inline"] = await cpu_per_update(
                pid, plan.burst, lambda: burst_inline(tg, users[INLINE_USER], plan.burst)
            )
            run.late_inline = late_answers(tg) - late
            for uid in (TEN, HUNDRED, THOUSAND):
                run.latency_ms[f"faces{uid}"] = await latencies(tg, users[uid], plan.latency)
        finally:
            await variant.stop()
    return run


# ---------------------------------------------------------------- writes


@dataclass
class Writes:
    updates: int
    begun: int  # write transactions (BEGIN IMMEDIATE)
    changed: int  # of which changed at least one row
    wal_commits: int  # commit frames appended to the WAL
    by_caller: Counter[str]


def checkpoint(db: Path) -> None:
    """Empty the WAL (TRUNCATE), retrying while the bot's writer holds it."""
    conn = sqlite3.connect(db, timeout=5)
    try:
        for _ in range(100):
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return
            time.sleep(0.01)
        raise RuntimeError("could not checkpoint the WAL")
    finally:
        conn.close()


def wal_commits(db: Path) -> int:
    """Commit frames in the WAL that belong to its current generation (salts match)."""
    wal = Path(f"{db}-wal").read_bytes() if Path(f"{db}-wal").exists() else b""
    if len(wal) < 32:
        return 0
    page_size = struct.unpack(">I", wal[8:12])[0]
    salts = wal[16:24]
    commits, offset = 0, 32
    while offset + 24 + page_size <= len(wal):
        header = wal[offset : offset + 24]
        if header[8:16] != salts:
            break
        if struct.unpack(">I", header[4:8])[0]:
            commits += 1
        offset += 24 + page_size
    return commits


def read_log(path: Path) -> list[tuple[str, int]]:
    if not path.exists():
        return []
    rows = [line.split("\t") for line in path.read_text().splitlines() if line]
    return [(caller, int(changed)) for caller, changed in rows]


async def count_writes(tmp: Path, sim_url: str, n: int) -> dict[str, Writes]:
    from tests.fakes.telegram_api import FakeTelegram

    db, log = tmp / "bot.sqlite3", tmp / "writes.log"
    variant = Variant("counting-bot", INSTRUMENTED, tmp, sim_url)
    out: dict[str, Writes] = {}
    async with FakeTelegram() as tg:
        users = add_users(tg)
        await variant.start(tg, {WRITE_LOG: str(log)})
        try:
            for uid in (TEN, HUNDRED):
                await burst_commands(tg, users[uid], "/start", 1)
                await burst_commands(tg, users[uid], "/faces", 1)
            await burst_inline(tg, users[INLINE_USER], 1)
            kinds: dict[str, Callable[[], Awaitable[None]]] = {
                "/start": lambda: burst_commands(tg, users[TEN], "/start", n),
                "inline query": lambda: burst_inline(tg, users[INLINE_USER], n),
                "/faces (100)": lambda: burst_commands(tg, users[HUNDRED], "/faces", n),
            }
            for kind, work in kinds.items():
                await settle(log)
                checkpoint(db)
                seen = len(read_log(log))
                await work()
                await settle(log)
                rows = read_log(log)[seen:]
                out[kind] = Writes(
                    updates=n,
                    begun=len(rows),
                    changed=sum(1 for _, changed in rows if changed),
                    wal_commits=wal_commits(db),
                    by_caller=Counter(caller for caller, _ in rows),
                )
        finally:
            await variant.stop()
    return out


async def profile(tmp: Path, sim_url: str, n: int) -> dict[str, pstats.Stats]:
    """cProfile of the bot's event-loop thread during each burst (aiosqlite's threads are
    not profiled: their time shows as waiting in the loop's select)."""
    from tests.fakes.telegram_api import FakeTelegram

    stats_path = tmp / "burst.prof"
    variant = Variant("profiled-bot", INSTRUMENTED, tmp, sim_url)
    out: dict[str, pstats.Stats] = {}
    async with FakeTelegram() as tg:
        users = add_users(tg)
        await variant.start(tg, {PROFILE: str(stats_path)})
        try:
            for uid in (TEN, HUNDRED, THOUSAND):
                await burst_commands(tg, users[uid], "/faces", 1)
            await burst_inline(tg, users[INLINE_USER], 1)
            await burst_commands(tg, users[TEN], "/start", 1)
            kinds: dict[str, Callable[[], Awaitable[None]]] = {
                "/faces, 100 faces": lambda: burst_commands(tg, users[HUNDRED], "/faces", n),
                "/faces, 1,000 faces": lambda: burst_commands(tg, users[THOUSAND], "/faces", 2),
                "/start": lambda: burst_commands(tg, users[TEN], "/start", n),
                "inline query": lambda: burst_inline(tg, users[INLINE_USER], n),
            }
            for kind, work in kinds.items():
                await asyncio.sleep(0.3)
                os.kill(variant.pid, signal.SIGUSR1)
                await work()
                await asyncio.sleep(0.1)
                os.kill(variant.pid, signal.SIGUSR2)
                await tg.wait_for(lambda: size_of(stats_path) > 0, 10, what="profile")
                out[kind] = load_stats(stats_path)
        finally:
            await variant.stop()
    return out


def load_stats(path: Path) -> pstats.Stats:
    stats = pstats.Stats(str(path))
    path.unlink()
    return stats


def print_profiles(profiles: dict[str, pstats.Stats], top: int = 12) -> None:
    """Per burst: the functions of our own code with the most cumulative time."""
    root = str(Path(storage.__file__).parent.parent)
    for kind, stats in profiles.items():
        total = stats.total_tt  # type: ignore[attr-defined]
        print()
        print(f"profile, {kind}: {total * 1000:.0f} ms in the event loop's thread")
        entries = stats.stats  # type: ignore[attr-defined]
        ours = [
            (cum, calls, tt, f"{Path(file).relative_to(root)}:{line} {name}")
            for (file, line, name), (_, calls, tt, cum, _) in entries.items()
            if file.startswith(root) and "/benchmarks/" not in file and "/.venv/" not in file
        ]
        for cum, calls, tt, where in sorted(ours, reverse=True)[:top]:
            print(f"  {cum * 1000:8.0f} ms cum {tt * 1000:7.0f} ms own {calls:>8} calls  {where}")


async def settle(log: Path, quiet: float = 0.3) -> None:
    """Until no write transaction was logged for ``quiet`` seconds."""
    size, still = -1, 0.0
    while still < quiet:
        now = size_of(log)
        still = still + 0.05 if now == size else 0.0
        size = now
        await asyncio.sleep(0.05)


def instrumented_bot() -> None:
    """``python -m bot`` with every write transaction logged (caller, rows changed) when
    ``BENCH_WRITE_LOG`` is set, and cProfile (event-loop thread) between SIGUSR1 and SIGUSR2
    when ``BENCH_PROFILE`` is set (SIGUSR2 writes the stats there)."""
    import bot.__main__

    if os.environ.get(WRITE_LOG):
        log_writes(os.environ[WRITE_LOG])
    if os.environ.get(PROFILE):
        profile_on_signals(os.environ[PROFILE])
    bot.__main__.main([])


def profile_on_signals(path: str) -> None:
    profiler = cProfile.Profile()

    def on(*_: object) -> None:
        profiler.enable()

    def off(*_: object) -> None:
        profiler.disable()
        profiler.dump_stats(path)
        profiler.clear()

    signal.signal(signal.SIGUSR1, on)
    signal.signal(signal.SIGUSR2, off)


def log_writes(path: str) -> None:
    from storage.database import Database

    original = Database.write

    class Logged:
        def __init__(self, inner: Any, caller: str) -> None:
            self.inner, self.caller = inner, caller

        async def __aenter__(self) -> Any:
            self.conn = await self.inner.__aenter__()
            self.before = self.conn._conn.total_changes
            return self.conn

        async def __aexit__(self, *exc: Any) -> Any:
            result = await self.inner.__aexit__(*exc)
            changed = self.conn._conn.total_changes - self.before
            append(path, f"{self.caller}\t{changed}\n")
            return result

    def write(self: Database) -> Any:
        return Logged(original(self), sys._getframe(1).f_code.co_qualname)

    Database.write = write  # type: ignore[method-assign,assignment]


# ---------------------------------------------------------------- report


def de_json_microseconds() -> float:
    """How fast this machine is right now: PTB's Update.de_json of a /start, in µs
    (shared/TELEGRAM.md measured 110 µs on an idle machine of this kind)."""
    from telegram import Update

    data = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": TEN, "type": "private", "first_name": "Ten"},
            "from": {"id": TEN, "is_bot": False, "first_name": "Ten", "language_code": "en"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    times = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(200):
            Update.de_json(data, None)
        times.append((time.process_time() - start) / 200 * 1e6)
    return statistics.median(times)


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(bots: list[Run], bares: list[Run], writes: dict[str, Writes], plan: Plan) -> None:
    print(
        f"machine now: Update.de_json {de_json_microseconds():.0f} µs (110 µs idle, "
        "shared/TELEGRAM.md): absolute figures scale with load, ratios far less"
    )

    def cpu(runs: list[Run], key: str) -> float:
        return median([r.cpu_ms[key] for r in runs])

    def lat(runs: list[Run], key: str, how: Callable[[list[float]], float]) -> float:
        return median([how(r.latency_ms[key]) for r in runs])

    rows: list[tuple[str, float, float, str, str, str]] = []

    def spread(runs: list[Run], key: str) -> str:
        values = [r.cpu_ms[key] for r in runs]
        return f"{min(values):.0f}-{max(values):.0f}"

    def ratio_row(label: str, key: str, limit: float | None) -> None:
        b, base = cpu(bots, key), cpu(bares, key)
        ratio = b / base
        goal = f"<= {limit:g}x" if limit else "-"
        met = ("yes" if ratio <= limit else "NO") if limit else ""
        runs = f"{spread(bots, key)} / {spread(bares, key)}"
        rows.append((label, b, base, f"{ratio:.1f}x", f"{goal:<9} {met:<3}", runs))

    ratio_row("/faces, 10 faces x 10", f"faces{TEN}", None)
    ratio_row("/faces, 100 faces x 10", f"faces{HUNDRED}", 2.0)
    ratio_row("/faces, 1,000 faces x 10", f"faces{THOUSAND}", None)
    ratio_row("/start", "start", 1.3)
    ratio_row("inline keystroke (100 faces)", "inline", None)
    print(
        f"CPU per update, ms (median of {len(bots)} runs; bursts of {plan.burst}, "
        f"{plan.burst_large} for 1,000 faces)"
    )
    print(
        f"{'update':<30} {'bot':>8} {'bare PTB':>9} {'ratio':>7}  goal           runs bot / bare"
    )
    for label, b, base, ratio, goal, runs in rows:
        print(f"{label:<30} {b:>8.2f} {base:>9.2f} {ratio:>7}  {goal}  {runs}")
    print(
        f"(idle CPU: bot {median([r.idle_ms_per_s for r in bots]):.1f} ms/s, "
        f"bare {median([r.idle_ms_per_s for r in bares]):.1f} ms/s; inline answers too late "
        f"for the 15 s query life: bot {[r.late_inline for r in bots]}, "
        f"bare {[r.late_inline for r in bares]} of {plan.burst})"
    )
    print()
    print(f"/faces latency, ms ({plan.latency} sent one at a time; median of runs)")
    print(f"{'faces':<30} {'bot p50':>8} {'bot p95':>8} {'bare p50':>9} {'bare p95':>9}  goal")
    for label, uid in (("10 x 10", TEN), ("100 x 10", HUNDRED), ("1,000 x 10", THOUSAND)):
        key = f"faces{uid}"
        bot50, bot95 = lat(bots, key, median), lat(bots, key, p95)
        goal = ""
        if uid == THOUSAND:
            goal = f"p95 < 200 ms {'yes' if bot95 < 200 else 'NO'}"
        print(
            f"{label:<30} {bot50:>8.1f} {bot95:>8.1f} "
            f"{lat(bares, key, median):>9.1f} {lat(bares, key, p95):>9.1f}  {goal}"
        )
    print()
    print("Database writes per update, known user (bare PTB: 0; goal: 0 for /start and inline)")
    print(f"{'update':<30} {'begun':>6} {'changed':>8} {'WAL commits':>12}  goal   by whom")
    for kind, w in writes.items():
        goal = "-    "
        if kind != "/faces (100)":
            goal = "0 " + ("yes" if w.wal_commits == 0 and w.begun == 0 else "NO ")
        whom = ", ".join(f"{c} {k / w.updates:g}" for c, k in w.by_caller.most_common())
        print(
            f"{kind:<30} {w.begun / w.updates:>6.2f} {w.changed / w.updates:>8.2f} "
            f"{w.wal_commits / w.updates:>12.2f}  {goal}  {whom}"
        )


async def run(plan: Plan, reseed: bool, profiling: bool) -> None:
    from sandbox.token360 import Token360Simulator

    sim = Token360Simulator(api_keys=("bench",))
    await sim.start()
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            template = await seeded(reseed)
            replies = tmp / "replies.json"
            bots: list[Run] = []
            bares: list[Run] = []
            for repeat in range(plan.repeats):
                for kind in ("bot", "bare"):
                    work = tmp / f"{kind}-{repeat}"
                    work.mkdir()
                    if kind == "bot":
                        shutil.copy(template, work / "bot.sqlite3")
                        variant = Variant("bot", ["-m", "bot"], work, sim.base_url)
                        bots.append(await measure(variant, plan, {}, replies))
                    else:
                        variant = Variant(
                            "bare", ["-m", "benchmarks.bare_ptb"], work, sim.base_url
                        )
                        env = {"BENCH_REPLIES": str(replies)}
                        bares.append(await measure(variant, plan, env, replies))
                    print(f"repeat {repeat + 1}: {kind} done", file=sys.stderr)
            work = tmp / "writes"
            work.mkdir()
            shutil.copy(template, work / "bot.sqlite3")
            writes = await count_writes(work, sim.base_url, plan.writes)
            profiles = {}
            if profiling:
                work = tmp / "profile"
                work.mkdir()
                shutil.copy(template, work / "bot.sqlite3")
                profiles = await profile(work, sim.base_url, plan.burst)
    finally:
        await sim.stop()
    report(bots, bares, writes, plan)
    print_profiles(profiles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer updates, one repeat")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--reseed", action="store_true", help="seed again, not from the cache")
    parser.add_argument(
        "--profile", action="store_true", help="also profile one bot run's bursts (cProfile)"
    )
    parser.add_argument("--instrumented-bot", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.instrumented_bot:
        instrumented_bot()
        return
    plan = QUICK if args.quick else FULL
    if args.repeats:
        plan = Plan(args.repeats, plan.burst, plan.burst_large, plan.latency, plan.writes)
    asyncio.run(run(plan, args.reseed, args.profile))


if __name__ == "__main__":
    main()
