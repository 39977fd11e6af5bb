"""``realface-bot`` / ``python -m bot``: run the bot with long polling, or with a webhook on
the bot's own HTTP server when REALFACE_WEBHOOK_URL is set (bot/telegram/lifecycle.py).

What stops it from starting (configuration, a token Telegram rejects, a Bot API it cannot
reach, a port taken) ends it with a line that says what to fix, not a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

PROG = "realface-bot"
EXIT_CONFIG = 2  # the environment does not describe a runnable bot
EXIT_STARTUP = 1  # it does, and Telegram or the machine said no


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Telegram bot for face-verified video generation. Configured by "
        "environment variables (see the README).",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run against the built-in provider simulators (same as REALFACE_SANDBOX=1)",
    )
    return parser.parse_args(argv)


def fail(message: str, code: int) -> NoReturn:
    for line in message.strip().splitlines() or [message]:
        print(f"{PROG}: {line}", file=sys.stderr)
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    env = dict(os.environ)
    if args.sandbox:
        env["REALFACE_SANDBOX"] = "1"
    # What the bot loads and builds before it serves (modules, classes, the Application)
    # lives as long as the process: the cyclic collector would only walk it, ever more of
    # it on each pass (~0.1 s of a start). So it is off until the bot is built, and
    # gc.freeze() then sets all of that aside for every later collection.
    gc.disable()
    try:
        from bot.app import build_application
        from bot.config import ConfigError, Settings
        from bot.telegram.lifecycle import StartupError, run

        try:
            settings = Settings.from_env(env)
        except ConfigError as exc:
            fail(str(exc), EXIT_CONFIG)
        app = build_application(settings)
    finally:
        gc.freeze()
        gc.enable()
    try:
        asyncio.run(run(app, webhook=settings.webhook_url is not None))
    except StartupError as exc:
        fail(str(exc), EXIT_STARTUP)
    except ConfigError as exc:  # what only shows once things are built (a provider's URL)
        fail(str(exc), EXIT_CONFIG)


if __name__ == "__main__":
    main()
