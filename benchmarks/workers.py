"""Several workers on one PostgreSQL (issue 14): throughput and provider-poll capacity with
1, 2 and 3 workers on this machine; the baseline is 1 worker.

What runs, for each number of workers N in turn: N real ``python -m bot`` processes
(``tests.harness.BotProcess``, webhook mode, ``tests.workers.worker_settings``) on a new
PostgreSQL database (``own_database``, dropped afterwards), against a fresh fake Bot API
(tests/fakes/telegram_api) and a Token360 simulator (sandbox/token360), both in this
process. ``tests.workers.seed`` writes the same work for every N: ``--people`` people, each
with a verified face, an album of 3 photos processing and 3 videos queued at the provider
(600 items for 100 people), all due at once. The simulator answers every request after
``ANSWER_DELAY`` (a slow provider): each worker bounds the requests it has in flight to one
provider (16 for video polls, 8 for photo polls), so a slow provider is where more workers
should help. Settings are the test-suite's fast ones (tests/conftest.py): polls every
0.05 s, videos backing off to 0.2 s; the production limits otherwise (30 Bot API messages a
second and 1,200 photo polls a minute, each counted per worker).

Two phases per run, both on ``time.monotonic()``:

- polling: once every worker is registered (``workers`` table) and every video has been
  asked about once, nothing is ready at the simulator for ``--window`` seconds: every item
  stays due, more often than the workers can ask (300 videos polled every 0.2 s would be
  1,500 GETs/s), so the status requests they make together in that window (``GET
  /v1/videos/<id>`` and ``GET /v1/assets...`` in ``sim.requests``), divided by its length,
  are the provider-poll capacity;
- drain: then every item becomes ready at once (the simulator's records are moved back in
  time), and the seconds until every video is delivered and every photo is Active and told
  (``query`` on the database every 0.1 s; a moment is when the look that saw it returned,
  so at most a look late) give the throughput: items per second. The lag of each outcome
  (the row's ``updated_at`` minus the moment all became ready) gives a median and p95.

In both phases the CPU is accounted (``/proc``): the machine's busy cores, and of them the
workers' (utime + stime), PostgreSQL's (the backends serving the run's database), this
process's (the simulator and the fake Bot API) and the rest (other work on the machine): on
2 cores, workers added soon wait for a core instead of for the provider.

Checked while measuring, a line printed for each violation: no item asked about twice at
once (``sim.overlapping`` empty), exactly 3 ``sendVideo`` to every person, one album
message each, every worker exiting with 0 on SIGTERM; and ERROR lines or tracebacks in the
workers' log (the logs are kept then, and their folder printed).

Printed: workers, drain seconds, items/s, provider status GETs/s while polling and while
draining, lag, medians over ``--repeats`` interleaved runs, with the ratios to 1 worker;
then each run's details: the status GETs by kind; how soon an item was asked again while
polling (a video's polls are due 0.2 s apart, a face's photo lists people x 60 / 1,200 s
apart: a gap under half of that is a poll made before it was due, which a lease does not
prevent: only two at once; noted, with the query ``sim.requests`` leaves out, by an aiohttp
middleware added to the simulator's app); the Bot API calls to chats a second while
draining (PTB's limiter allows 30 a second in each worker); the CPU shares; and the
machine's load.

Usage: python -m benchmarks.workers [--quick] [--postgres URL] [--people 100] [--window 8]
[--repeats 2] (the server from --postgres or REALFACE_TEST_POSTGRES; ``bash .ci/postgres
start`` starts one and prints its URL)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.config import ProviderKey, Settings
from sandbox.token360 import Token360Simulator
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import BotProcess, forget_connections, query
from tests.postgres import url_for
from tests.workers import ACCOUNT, Seeded, seed, worker_settings

ANSWER_DELAY = 0.05  # seconds the simulator takes over every request: a slow provider
# Items stay in the making this long unless moved on: only the drain makes them ready.
HOLD_SECONDS = 3600.0
LEASE_SECONDS = 10.0  # nobody is killed here; this only sets how often leases are renewed
START_TIMEOUT = 120.0  # for N workers to start on a busy machine
WARM_TIMEOUT = 60.0  # for every video to be asked about once
CHECK_EVERY = 0.1  # seconds between two looks at the database while draining
STATUS_PREFIXES = ("/v1/videos/", "/v1/assets")  # a video's status, a face's photos
PHOTOS_EACH = 3
VIDEOS_EACH = 3
POLL_SECONDS = 0.05  # the settings' poll_seconds: a video's n-th poll waits 0.05 x 1.5^n s,
VIDEO_MAX_POLL = 0.2  # at most video_max_poll_seconds: 0.2 s from its 4th poll on
VIDEO_SETTLED = 4
# Photo polls a minute for one provider: a face's photos are listed every people x 60 / this
# seconds (bot/services/tracking.py Schedule.photo_interval), from its first poll on.
PHOTO_POLLS_PER_MINUTE = 1200
# The album message's first line (bot/telegram/texts/uploads.py, English): parse_mode HTML,
# and the fake Bot API keeps the text as sent, tags included.
ALBUM = re.compile(r"📤 <b>\d+ photos?</b> for")
TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Plan:
    people: int
    window: float  # seconds of the polling phase
    drain_timeout: float  # seconds the drain may take before the run is given up
    repeats: int
    workers: tuple[int, ...] = (1, 2, 3)

    @property
    def items(self) -> int:
        return self.people * (PHOTOS_EACH + VIDEOS_EACH)


FULL = Plan(people=100, window=8.0, drain_timeout=120.0, repeats=2)
QUICK = Plan(people=30, window=4.0, drain_timeout=60.0, repeats=1)


# ---------------------------------------------------------------- CPU


@dataclass(frozen=True)
class Cpu:
    """CPU seconds used so far by the machine, the workers, this process and PostgreSQL's
    backends serving the run's database; and when."""

    machine: float
    workers: float
    ours: float
    postgres: float
    at: float

    @classmethod
    def now(cls, workers: list[BotProcess], database: str) -> Cpu:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
        ticks = [int(f) for f in fields]  # user nice system idle iowait irq softirq steal
        busy = sum(ticks) - ticks[3] - ticks[4]
        return cls(
            machine=busy / TICK,
            workers=sum(_process_cpu(w.proc.pid) for w in workers if w.proc is not None),
            ours=time.process_time(),
            postgres=sum(_process_cpu(pid) for pid in _backends(database)),
            at=time.monotonic(),
        )

    def since(self, before: Cpu) -> Share:
        wall = max(self.at - before.at, 1e-9)
        return Share(
            machine=(self.machine - before.machine) / wall,
            workers=(self.workers - before.workers) / wall,
            ours=(self.ours - before.ours) / wall,
            # A backend that ended in between takes its time with it: an undercount, small
            # while the workers keep their pools' connections.
            postgres=max(0.0, self.postgres - before.postgres) / wall,
        )


def _process_cpu(pid: int) -> float:
    """utime + stime of a process so far; 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    after_name = stat.rpartition(")")[2].split()  # the name may hold spaces
    return (int(after_name[11]) + int(after_name[12])) / TICK


def _backends(database: str) -> list[int]:
    """PostgreSQL's processes serving ``database`` (its URL), by their titles ("postgres:
    user dbname host(port) state"): not those of other databases on the same server (a test
    run), nor the server's own (checkpointer, WAL writer: small here, fsync is off)."""
    name = database.rpartition("/")[2]
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").split()
                if title[:1] == [b"postgres:"] and name.encode() in title[1:3]:
                    pids.append(int(entry.name))
    return pids


@dataclass(frozen=True)
class Share:
    """Cores busy on average: the machine's, and of them the workers', this process's and
    PostgreSQL's; the rest is other work on the machine."""

    machine: float = 0.0
    workers: float = 0.0
    ours: float = 0.0
    postgres: float = 0.0

    def __str__(self) -> str:
        rest = max(0.0, self.machine - self.workers - self.ours - self.postgres)
        return (
            f"{self.machine:.2f} of {os.cpu_count()} cores busy: workers {self.workers:.2f}, "
            f"PostgreSQL {self.postgres:.2f}, simulator + fake Bot API {self.ours:.2f}, "
            f"other {rest:.2f}"
        )


# ---------------------------------------------------------------- one run


class Asked:
    """When each status request reached the simulator's routes (after its answer delay), with
    its query (``sim.requests`` keeps neither): an aiohttp middleware, added before the
    simulator starts, inside its own."""

    def __init__(self) -> None:
        self.log: list[tuple[float, str]] = []  # (time.monotonic(), path with query)

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.method == "GET" and request.path.startswith(STATUS_PREFIXES):
            self.log.append((time.monotonic(), request.path_qs))
        return await handler(request)

    def gaps(self, prefix: str, settled: int, start: float, end: float) -> list[float]:
        """Seconds between two status requests for one item (a video; a face's photos) under
        ``prefix``, for those made between ``start`` and ``end`` after at least ``settled``
        earlier ones: by then the item's polls are a fixed interval apart, so a gap much
        shorter is a poll made before it was due (another worker asking again)."""
        seen: Counter[str] = Counter()
        last: dict[str, float] = {}
        gaps = []
        for at, item in self.log:
            if not item.startswith(prefix):
                continue
            if start <= at <= end and seen[item] >= settled:
                gaps.append(at - last[item])
            seen[item] += 1
            last[item] = at
        return gaps


@dataclass
class Result:
    workers: int
    items: int
    seed_seconds: float = 0.0
    start_seconds: float = 0.0  # launch to every worker registered and every video asked
    window: float = float("nan")
    polling_gets: Counter[str] = field(default_factory=Counter)
    video_gaps: list[float] = field(default_factory=list)  # Asked.gaps in the window
    photo_gaps: list[float] = field(default_factory=list)
    polling_cpu: Share = Share()
    videos_seconds: float | None = None  # ready to the last video delivered
    photos_seconds: float | None = None  # ready to the last photo told
    drain_gets: int = 0
    # Bot API calls to a chat: what PTB's limiter paces, 30 a second in each worker.
    drain_chat_calls: Counter[str] = field(default_factory=Counter)
    drain_refused: Counter[str] = field(default_factory=Counter)  # answered with an error
    drain_cpu: Share = Share()
    lags: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def drain_seconds(self) -> float:
        """Ready to the last item finished (NaN if the drain was given up)."""
        if self.videos_seconds is None or self.photos_seconds is None:
            return float("nan")
        return max(self.videos_seconds, self.photos_seconds)

    @property
    def items_per_second(self) -> float:
        return self.items / self.drain_seconds

    @property
    def polling_per_second(self) -> float:
        return sum(self.polling_gets.values()) / self.window

    @property
    def drain_per_second(self) -> float:
        return self.drain_gets / self.drain_seconds


def status_gets(requests: list[tuple[str, str]]) -> Counter[str]:
    """Provider status requests by kind (the path prefix they start with)."""
    counted: Counter[str] = Counter()
    for method, path in requests:
        if method == "GET":
            for prefix in STATUS_PREFIXES:
                if path.startswith(prefix):
                    counted[prefix] += 1
    return counted


async def count(database: str, sql: str) -> int:
    # query() blocks on its own thread's loop: off this loop, which serves the simulator
    # and the fake Bot API the workers are talking to.
    rows = await asyncio.to_thread(query, database, sql)
    return int(rows[0][0])


async def delivered(database: str) -> int:
    return await count(database, "SELECT COUNT(*) FROM videos WHERE status = 'delivered'")


async def photos_told(database: str) -> int:
    return await count(
        database, "SELECT COUNT(*) FROM assets WHERE status = 'active' AND reported = 1"
    )


def base_settings(
    tg: FakeTelegram, sim: Token360Simulator, database: str, files: Path
) -> Settings:
    """tests/conftest.py's ``settings``: fast polls, the production limits otherwise."""
    return Settings(
        telegram_token=tg.token,
        telegram_api_base_url=tg.base_url,
        telegram_file_base_url=tg.base_file_url,
        database=database,
        data_dir=files,
        poll_seconds=POLL_SECONDS,
        poll_requests_per_minute=PHOTO_POLLS_PER_MINUTE,
        providers={"token360": ProviderKey(ACCOUNT, sim.base_url)},
        verification_grace_seconds=0.5,
        max_poll_seconds=0.5,
        http_timeout_seconds=2.0,
        retry_base_seconds=0.01,
        progress_edit_seconds=0.0,
        group_progress_edit_seconds=0.0,
        admin_cache_seconds=0.5,
        group_messages_per_minute=10_000,
        video_max_poll_seconds=VIDEO_MAX_POLL,
        http_host="127.0.0.1",
        http_port=0,
    )


async def wait_until(
    check: Callable[[], Awaitable[bool]], within: float, what: str, workers: list[BotProcess]
) -> None:
    """Until ``check()`` is true; a worker that died or ``within`` seconds passing ends
    the run."""
    deadline = time.monotonic() + within
    while not await check():
        codes = [w.proc.poll() for w in workers if w.proc is not None]
        if any(code is not None for code in codes):
            raise RuntimeError(f"a worker exited ({codes}) before {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {within:g} s waiting for {what}")
        await asyncio.sleep(CHECK_EVERY)


@contextlib.asynccontextmanager
async def own_database(server: str) -> AsyncIterator[str]:
    """A new empty database on ``server``, migrated by the first to open it (the seeding),
    dropped afterwards. Not ``tests.postgres.fresh_database``: its first call in a process
    drops and remakes the one shared template, which breaks a test run using the same
    server at that moment (and such a run breaks this one)."""
    import asyncpg

    name = f"bench_workers_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(url_for(server, "postgres"))
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        url = url_for(server, name)
        try:
            yield url
        finally:
            await asyncio.to_thread(forget_connections, url)  # query()'s kept connection
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


def make_ready(sim: Token360Simulator, at: float) -> None:
    """Every photo and video at the simulator done at ``at`` (its clock): their records
    moved back by the hold, as if made that long before."""
    for asset in sim.store.assets.values():
        asset.created_at = at - HOLD_SECONDS
    for video in sim.store.videos.values():
        video.created_at = at - HOLD_SECONDS


@dataclass
class Rig:
    """What one run's workers talk to, and what watches them."""

    tg: FakeTelegram
    sim: Token360Simulator
    asked: Asked
    database: str = ""


async def measure(n: int, plan: Plan, server: str, log_path: Path) -> Result:
    tg = FakeTelegram()
    await tg.start()
    # Videos queued for half the hold and running the other half; photos processing all of it.
    sim = Token360Simulator(
        api_keys=(ACCOUNT,),
        processing_seconds=HOLD_SECONDS,
        video_queued_seconds=HOLD_SECONDS / 2,
        video_running_seconds=HOLD_SECONDS / 2,
    )
    rig = Rig(tg, sim, Asked())
    sim.app.middlewares.append(rig.asked.middleware)
    await sim.start()
    result = Result(workers=n, items=plan.items)
    try:
        async with own_database(server) as rig.database:
            await _run(n, plan, rig, log_path, result)
    finally:
        await sim.stop()
        await tg.stop()
    return result


async def _run(n: int, plan: Plan, rig: Rig, log_path: Path, result: Result) -> None:
    tg, sim, database = rig.tg, rig.sim, rig.database
    people = [tg.add_user(f"Person {p}") for p in range(plan.people)]
    for person in people:  # each has written to the bot, so it may write to them
        await tg.send_text(person, "/start")
    sim.answer_delay = ANSWER_DELAY
    began = time.monotonic()
    seeded = await seed(
        database,
        sim,
        [p.id for p in people],
        time.time(),
        photos_each=PHOTOS_EACH,
        videos_each=VIDEOS_EACH,
        spread=0.0,
    )
    result.seed_seconds = time.monotonic() - began
    files = log_path.parent / f"files-{uuid.uuid4().hex[:8]}"
    base = base_settings(tg, sim, database, files)
    workers = [
        BotProcess(
            worker_settings(base, tg, sim, database, k, lease_seconds=LEASE_SECONDS), log_path
        )
        for k in range(n)
    ]
    launched = time.monotonic()
    try:
        for worker in workers:
            worker.start()

        async def registered() -> bool:
            return await count(database, "SELECT COUNT(*) FROM workers") == n

        videos = {f"/v1/videos/{task}" for task in seeded.video_tasks}

        async def all_asked() -> bool:
            return videos <= {item for _, item in rig.asked.log}

        await wait_until(registered, START_TIMEOUT, f"{n} workers registered", workers)
        await wait_until(all_asked, WARM_TIMEOUT, "every video asked about once", workers)
        result.start_seconds = time.monotonic() - launched
        await _poll_and_drain(plan, rig, seeded, workers, result)
    finally:
        result.problems += await stop(workers)
        shutil.rmtree(files, ignore_errors=True)


async def _poll_and_drain(
    plan: Plan, rig: Rig, seeded: Seeded, workers: list[BotProcess], result: Result
) -> None:
    tg, sim, database = rig.tg, rig.sim, rig.database
    # Polling: everything due, nothing ready; a fixed window, the requests in it counted.
    mark, cpu = len(sim.requests), Cpu.now(workers, database)
    await asyncio.sleep(plan.window)
    after = Cpu.now(workers, database)
    result.window, result.polling_cpu = after.at - cpu.at, after.since(cpu)
    result.polling_gets = status_gets(sim.requests[mark:])
    result.video_gaps = rig.asked.gaps("/v1/videos/", VIDEO_SETTLED, cpu.at, after.at)
    result.photo_gaps = rig.asked.gaps("/v1/assets", 1, cpu.at, after.at)
    # Drain: everything ready at once.
    mark, told, cpu = len(sim.requests), len(tg.calls), Cpu.now(workers, database)
    ready_wall, ready = time.time(), time.monotonic()
    make_ready(sim, ready_wall)
    photos, videos = len(seeded.photos), len(seeded.videos)
    deadline = ready + plan.drain_timeout
    while result.videos_seconds is None or result.photos_seconds is None:
        if result.videos_seconds is None and await delivered(database) == videos:
            result.videos_seconds = time.monotonic() - ready
        if result.photos_seconds is None and await photos_told(database) == photos:
            result.photos_seconds = time.monotonic() - ready
        if time.monotonic() > deadline:
            result.problems.append(
                f"drain given up after {plan.drain_timeout:g} s: "
                f"{await delivered(database)}/{videos} videos delivered, "
                f"{await photos_told(database)}/{photos} photos told"
            )
            break
        await asyncio.sleep(CHECK_EVERY)
    result.drain_cpu = Cpu.now(workers, database).since(cpu)
    result.drain_gets = sum(status_gets(sim.requests[mark:]).values())
    to_chats = [c for c in tg.calls[told:] if "chat_id" in c.params]
    result.drain_chat_calls = Counter(c.method for c in to_chats)
    result.drain_refused = Counter(f"{c.method}: {c.error}" for c in to_chats if c.error)
    rows = await asyncio.to_thread(
        query,
        database,
        "SELECT updated_at FROM videos WHERE status = 'delivered' UNION ALL "
        "SELECT updated_at FROM assets WHERE status = 'active'",
    )
    result.lags = [float(row[0]) - ready_wall for row in rows]
    result.problems += check(tg, sim, seeded)


def check(tg: FakeTelegram, sim: Token360Simulator, seeded: Seeded) -> list[str]:
    """What the workers must never do, however fast: each violation a line."""
    problems: list[str] = []
    if sim.overlapping:
        problems.append(
            f"{len(sim.overlapping)} requests came while the same one was being answered, "
            f"e.g. {sim.overlapping[0]}"
        )
    videos_to = Counter(
        int(c.params["chat_id"]) for c in tg.calls_to("sendVideo") if c.error is None
    )
    wrong = {p: videos_to[p] for p in seeded.people if videos_to[p] != VIDEOS_EACH}
    if wrong:
        problems.append(
            f"sendVideo not {VIDEOS_EACH} to {len(wrong)} people, e.g. {sorted(wrong.items())[:3]}"
        )
    albums = Counter(
        int(c.params["chat_id"])
        for c in tg.calls_to("sendMessage")
        if c.error is None and ALBUM.search(str(c.params.get("text")))
    )
    other = {p: albums[p] for p in seeded.people if albums[p] != 1}
    if other:
        problems.append(
            f"album messages not 1 to {len(other)} people, e.g. {sorted(other.items())[:3]}"
        )
    return problems


async def stop(workers: list[BotProcess]) -> list[str]:
    """SIGTERM to every worker at once (killed if one lingers); bad exits as problems."""
    started = [w for w in workers if w.proc is not None]
    codes = await asyncio.gather(*(w.terminate() for w in started), return_exceptions=True)
    problems = []
    for worker, code in zip(started, codes, strict=True):
        assert worker.proc is not None
        if isinstance(code, BaseException):
            worker.proc.kill()
            problems.append(f"worker {worker.proc.pid} did not stop: {code!r}")
        elif code != 0:
            problems.append(f"worker {worker.proc.pid} exited with {code}")
    return problems


def log_errors(path: Path) -> list[str]:
    """The ERROR and CRITICAL lines in a workers' log, and each traceback's last line."""
    if not path.exists():
        return []
    lines = path.read_text(errors="replace").splitlines()
    found = []
    for i, line in enumerate(lines):
        if " ERROR " in line or " CRITICAL " in line:
            found.append(line)
        elif line.startswith("Traceback"):
            last = next((x for x in lines[i + 1 :] if x and not x.startswith(" ")), "")
            found.append(f"traceback ending: {last}")
    return found


# ---------------------------------------------------------------- report


def median_p95(values: list[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    ordered = sorted(values)
    return statistics.median(ordered), ordered[round(0.95 * (len(ordered) - 1))]


def report(results: dict[int, list[Result]], plan: Plan, logs: Path) -> None:
    one, five, _ = os.getloadavg()
    print(
        f"workers: {plan.people} people x ({PHOTOS_EACH} photos + {VIDEOS_EACH} videos) = "
        f"{plan.items} items due at once; Token360 answers each request after "
        f"{ANSWER_DELAY * 1000:.0f} ms; {plan.window:g} s of polling, then all ready at once; "
        f"median of {plan.repeats} interleaved run(s)"
    )
    print(
        f"machine now: load average {one:.1f} / {five:.1f} on {os.cpu_count()} CPUs, shared "
        "by the workers, PostgreSQL, the simulator and the fake Bot API (and other work)"
    )

    def med(n: int, figure: Callable[[Result], float]) -> float:
        return statistics.median(figure(r) for r in results[n])

    base = min(results)  # 1 worker
    base_throughput = med(base, lambda r: r.items_per_second)
    base_polling = med(base, lambda r: r.polling_per_second)
    header = (
        f"{'workers':>7} {'seconds':>8} {'items/s':>8} {'ratio':>6} "
        f"{'poll GETs/s':>12} {'ratio':>6} {'drain GETs/s':>13} {'lag p50 s':>10} {'p95 s':>6}"
    )
    print(header)
    print("-" * len(header))
    for n in sorted(results):
        lags = [lag for r in results[n] for lag in r.lags]
        p50, p95 = median_p95(lags)
        throughput = med(n, lambda r: r.items_per_second)
        polling = med(n, lambda r: r.polling_per_second)
        print(
            f"{n:>7} {med(n, lambda r: r.drain_seconds):>8.2f} {throughput:>8.1f} "
            f"{throughput / base_throughput:>5.2f}x "
            f"{polling:>12.1f} {polling / base_polling:>5.2f}x "
            f"{med(n, lambda r: r.drain_per_second):>13.1f} {p50:>10.2f} {p95:>6.2f}"
        )
    print(
        "seconds: all ready to the last video delivered and photo told; poll GETs/s: provider "
        "status requests while all was due and nothing ready; drain GETs/s: the same after; "
        "lag: ready to each row's outcome, over all runs; ratio: N workers / 1 worker"
    )
    photo_interval = max(POLL_SECONDS, plan.people * 60 / PHOTO_POLLS_PER_MINUTE)
    problems = 0
    for n in sorted(results):
        for run, r in enumerate(results[n], 1):
            kinds = ", ".join(
                f"{prefix} {r.polling_gets[prefix] / r.window:.0f}/s" for prefix in STATUS_PREFIXES
            )
            print(
                f"{n} worker(s), run {run}: seeded {r.seed_seconds:.1f} s, started "
                f"{r.start_seconds:.1f} s; videos all delivered {r.videos_seconds or 0:.2f} s, "
                f"photos all told {r.photos_seconds or 0:.2f} s; polling {kinds}"
            )
            for what, gaps, due in (
                ("a video polled", r.video_gaps, VIDEO_MAX_POLL),
                ("a face's photos listed", r.photo_gaps, photo_interval),
            ):
                if gaps:
                    early = sum(1 for gap in gaps if gap < due / 2)
                    print(
                        f"    {what} again after {statistics.median(gaps):.2f} s (median; due "
                        f"{due:g} s after); {early} of {len(gaps)} ({early / len(gaps):.0%}) "
                        f"within {due / 2:g} s: asked before due"
                    )
            calls = sum(r.drain_chat_calls.values())
            methods = ", ".join(f"{m} {k}" for m, k in r.drain_chat_calls.most_common())
            refused = "; ".join(f"{k} x {e}" for e, k in r.drain_refused.most_common(3))
            print(
                f"    Bot API calls to chats while draining: {calls / r.drain_seconds:.1f}/s "
                f"({calls / r.drain_seconds / n:.1f}/s per worker; {methods})"
            )
            if refused:
                print(f"    of them refused: {refused}")
            print(f"    CPU polling: {r.polling_cpu}")
            print(f"    CPU drain:   {r.drain_cpu}")
            for problem in r.problems:
                print(f"    PROBLEM: {problem}")
            problems += len(r.problems)
        errors = log_errors(logs / f"workers-{n}.log")
        if errors:
            print(f"  {n} worker(s): {len(errors)} error lines in the workers' log, first:")
            for line in errors[:5]:
                print(f"    {line[:240]}")
    if not problems:
        print(
            "checked: no provider request made while the same one was answered; "
            f"{VIDEOS_EACH} sendVideo and one album message to each person; clean exits"
        )


# ---------------------------------------------------------------- main


def server_url(given: str | None) -> str:
    url = (given or os.environ.get("REALFACE_TEST_POSTGRES", "")).strip()
    if not url:
        raise SystemExit(
            "benchmarks.workers needs a PostgreSQL server: pass --postgres postgresql://... or "
            "set REALFACE_TEST_POSTGRES (`bash .ci/postgres start` starts one and prints its URL)"
        )
    return url


@contextlib.contextmanager
def log_folder() -> Iterator[Path]:
    """Where the workers write their logs (one per number of workers): removed afterwards
    unless one has errors or the run failed."""
    folder = Path(tempfile.mkdtemp(prefix="realface-workers-"))
    keep = True
    try:
        yield folder
        keep = any(log_errors(path) for path in folder.glob("*.log"))
    finally:
        if keep:
            print(f"workers' logs kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


async def run(plan: Plan, server: str, logs: Path) -> dict[int, list[Result]]:
    results: dict[int, list[Result]] = {n: [] for n in plan.workers}
    for repeat in range(plan.repeats):
        for n in plan.workers:  # interleaved: a busier spell of the machine hits all alike
            began = time.monotonic()
            result = await measure(n, plan, server, logs / f"workers-{n}.log")
            results[n].append(result)
            print(
                f"  run {repeat + 1}, {n} worker(s): {result.drain_seconds:.1f} s drain, "
                f"{time.monotonic() - began:.0f} s wall",
                file=sys.stderr,
                flush=True,
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 people, 4 s polling, 1 run")
    parser.add_argument("--postgres", help="server URL (default: REALFACE_TEST_POSTGRES)")
    parser.add_argument("--people", type=int, default=None, help="6 items each")
    parser.add_argument("--window", type=float, default=None, help="polling phase, seconds")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved runs")
    args = parser.parse_args()
    server = server_url(args.postgres)
    plan = QUICK if args.quick else FULL
    plan = Plan(
        people=args.people or plan.people,
        window=args.window or plan.window,
        drain_timeout=plan.drain_timeout,
        repeats=args.repeats or plan.repeats,
    )
    with log_folder() as logs:
        results = asyncio.run(run(plan, server, logs))
        report(results, plan, logs)


if __name__ == "__main__":
    main()
