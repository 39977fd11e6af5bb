"""Cold start: from process start to the first getUpdates, and the time to import the bot.

Measured: (1) the time from spawning the process to the first ``getUpdates`` call the fake Bot
API (in this process, on 127.0.0.1) receives, for ``python -m bot`` (long polling, a fresh
SQLite file, Token360 pointed at its simulator here) and for a bare python-telegram-bot app
(``python -m benchmarks.cold_start --bare``: ApplicationBuilder, the bot's own
``RetryingRateLimiter`` with the same rates, one /start handler, ``run_polling``); both times
are ``time.monotonic()`` readings, which the kernel shares between processes. Also the CPU
time (user + system, from ``/proc/<pid>/stat``) the process had used when that getUpdates
arrived: less sensitive to other work on the machine than the wall time. (2) The import
time: ``import bot.app`` (what ``bot.__main__.main`` imports) against ``import telegram.ext``
plus the rate limiter's module, each in a fresh interpreter, the cyclic collector on for both
(``main`` imports with it off), and ``python -X importtime`` of the bot, summed per top-level
package (self time) to list the heaviest imports.

Runs are interleaved (bot, bare, bot, bare...), each in its own process; medians reported.
Goal (issue 10): the bot's cold start at most 1.3x the bare app's.

Usage: python -m benchmarks.cold_start [--quick] [--repeats 7]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

GOAL = 1.3
BOT_IMPORT = "import bot.app"  # what bot.__main__.main() imports
BARE_IMPORT = "import telegram.ext; import bot.telegram.retry"


def bare_app() -> None:
    """A bare PTB app under the bot's rate limiter, polling the Bot API from the environment."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

    from bot.telegram.retry import RetryingRateLimiter, RetryPolicy, TelegramRetry

    async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text("hello")

    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .base_file_url(os.environ["TELEGRAM_FILE_BASE_URL"])
        .rate_limiter(
            RetryingRateLimiter(
                TelegramRetry(RetryPolicy(base_seconds=0.5, deadline_seconds=60)),
                group_max_rate=20,
                group_time_period=60,
                overall_max_rate=30,
            )
        )
        .build()
    )
    app.add_handler(CommandHandler("start", cmd_start))
    app.run_polling(poll_interval=0, timeout=1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time process ``pid`` has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def start_once(variant: str, tmp: Path) -> tuple[float, float]:
    """Seconds from spawning ``variant`` to its first getUpdates at a fresh fake Bot API,
    and the CPU seconds it had used by then."""
    from bot.config import ProviderKey, Settings
    from sandbox.token360 import Token360Simulator
    from tests.fakes.telegram_api import FakeTelegram
    from tests.harness import env_for

    tg = FakeTelegram()
    await tg.start()
    sim = Token360Simulator(api_keys=("bench",))
    await sim.start()
    try:
        settings = Settings(
            telegram_token=tg.token,
            telegram_api_base_url=tg.base_url,
            telegram_file_base_url=tg.base_file_url,
            database=str(tmp / f"{variant}-{time.monotonic_ns()}.sqlite3"),
            providers={"token360": ProviderKey("bench", sim.base_url)},
            http_host="127.0.0.1",
            http_port=0,
        )
        module = "bot" if variant == "bot" else "benchmarks.cold_start"
        extra = [] if variant == "bot" else ["--bare"]
        log = (tmp / f"{variant}.log").open("ab")
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *extra,
            env=env_for(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            call = await tg.wait_for(
                lambda: next((c for c in tg.calls if c.method == "getUpdates"), None),
                timeout=60,
                what=f"{variant}'s first getUpdates",
            )
            cpu = cpu_seconds(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        return call.at - started, cpu
    finally:
        await sim.stop()
        await tg.stop()


def import_seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def heaviest_imports(statement: str, top: int = 12) -> list[tuple[str, float, int]]:
    """(top-level package, self import time in ms, modules) from ``-X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    spent: dict[str, float] = defaultdict(float)
    modules: dict[str, int] = defaultdict(int)
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line[len("import time:") :].split("|")
        root = name.strip().split(".")[0]
        spent[root] += int(self_us) / 1000
        modules[root] += 1
    ranked = sorted(spent.items(), key=lambda item: -item[1])[:top]
    return [(root, ms, modules[root]) for root, ms in ranked]


def row(label: str, bot: float, bare: float, goal: str = "") -> str:
    return f"{label:30}{bot:>10.3f}{bare:>10.3f}{bot / bare:>8.2f}x  {goal}"


async def run(repeats: int) -> None:
    starts: dict[str, list[float]] = {"bot": [], "bare": []}
    cpus: dict[str, list[float]] = {"bot": [], "bare": []}
    imports: dict[str, list[float]] = {"bot": [], "bare": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            for variant in ("bot", "bare"):
                wall, cpu = await start_once(variant, Path(tmp))
                starts[variant].append(wall)
                cpus[variant].append(cpu)
                statement = BOT_IMPORT if variant == "bot" else BARE_IMPORT
                imports[variant].append(await asyncio.to_thread(import_seconds, statement))
    bot_start, bare_start = (statistics.median(starts[v]) for v in ("bot", "bare"))
    bot_cpu, bare_cpu = (statistics.median(cpus[v]) for v in ("bot", "bare"))
    bot_import, bare_import = (statistics.median(imports[v]) for v in ("bot", "bare"))
    print(f"cold start, median of {repeats} interleaved runs (seconds)")
    header = f"{'':30}{'bot':>10}{'bare PTB':>10}{'ratio':>9}  goal"
    print(header)
    print("-" * len(header))
    ratio = bot_start / bare_start
    print(row("start to first getUpdates", bot_start, bare_start, f"<= {GOAL}x"))
    print(row("CPU to first getUpdates", bot_cpu, bare_cpu))
    print(row("import (fresh interpreter)", bot_import, bare_import))
    print(
        f"goal cold start <= {GOAL}x bare: {'met' if ratio <= GOAL else 'NOT met'} ({ratio:.2f}x)"
    )
    print(
        "runs, start (bot | bare): "
        + ", ".join(
            f"{b:.2f} | {p:.2f}" for b, p in zip(starts["bot"], starts["bare"], strict=True)
        )
    )
    print(f"heaviest imports of `{BOT_IMPORT}` (self time summed per top-level package):")
    for root, ms, count in heaviest_imports(BOT_IMPORT):
        print(f"  {root:24}{ms:>8.1f} ms  {count:>4} modules")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_app()
        return
    asyncio.run(run(args.repeats or (3 if args.quick else 7)))


if __name__ == "__main__":
    main()
