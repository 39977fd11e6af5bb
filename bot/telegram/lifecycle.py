"""One way to run the Application, for polling and webhook mode, the process and the tests.

:func:`start` does what ``Application.run_polling`` does before it idles (initialize, which
asks getMe and so checks the token; ``post_init``, which opens everything the bot owns; the
updater's polling unless updates come by webhook; ``start``), and :func:`stop` undoes
whatever of that was done, in reverse. :func:`run` is the process: start, serve until
SIGINT or SIGTERM, stop. A start that cannot succeed (a token Telegram rejects, a Bot API
that cannot be reached, a port taken) raises :class:`StartupError` with one line that says
what to fix, after closing what it opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.telegram.retry import describe

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class StartupError(Exception):
    """The bot cannot start; the message says why and what to do, in one line."""


async def start(app: AnyApplication, *, webhook: bool, poll_timeout: int = 10) -> None:
    """Start ``app``; on failure, close what was opened and raise (StartupError when the
    cause is one an operator fixes)."""
    try:
        try:
            await app.initialize()
        except InvalidToken:  # its message repeats the token: not a word of it is shown
            raise StartupError(
                "Telegram rejected the bot token (getMe: Unauthorized): check "
                "TELEGRAM_BOT_TOKEN (@BotFather's /mybots shows it)"
            ) from None
        except NetworkError as exc:  # getMe's retries ran out (bot/telegram/retry.py)
            raise StartupError(
                f"cannot reach the Bot API at {_api_base(app)} ({describe(exc)}): "
                "check the network or TELEGRAM_API_BASE_URL"
            ) from None
        if app.post_init is not None:
            await app.post_init(app)
        if not webhook:
            assert app.updater is not None
            await app.updater.start_polling(
                poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
            )
        await app.start()
    except BaseException:
        await stop(app)
        raise


async def stop(app: AnyApplication) -> None:
    """Stop what :func:`start` got as far as starting, in reverse order; safe to repeat."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    if app.post_stop is not None:
        await app.post_stop(app)
    await app.shutdown()  # a no-op unless initialize finished
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    # A failed initialize may have opened the Bot API's connection pools: close them too.
    with contextlib.suppress(Exception):
        await app.bot.shutdown()


async def run(app: AnyApplication, *, webhook: bool) -> None:
    """The process: start, serve until SIGINT or SIGTERM, stop."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await start(app, webhook=webhook)
    try:
        await stopping.wait()
    finally:
        await stop(app)


def _api_base(app: AnyApplication) -> str:
    """The Bot API's address without the token that follows it in every URL."""
    base: str = app.bot.base_url
    token: str = app.bot.token
    return base[: -len(token)] if token and base.endswith(token) else base
