"""``realface-bot`` / ``python -m bot``: run the bot with long polling, or with a webhook
on the bot's own HTTP server when REALFACE_WEBHOOK_URL is set."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from telegram import Update

from bot.app import AnyApplication, build_application
from bot.config import ConfigError, Settings


async def serve_webhook(app: AnyApplication) -> None:
    """What ``run_polling`` does, with updates arriving at our server instead of polling."""
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)  # starts the HTTP server and sets the webhook
    await app.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"realface-bot: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    app = build_application(settings)
    if settings.webhook_url:
        asyncio.run(serve_webhook(app))
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
