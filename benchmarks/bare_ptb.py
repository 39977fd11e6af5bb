"""The baseline of benchmarks.update_cost: a bare python-telegram-bot Application.

It is configured from the same environment as ``python -m bot`` (bot.config.Settings) and
built as bot/app.py builds the bot's: the same RetryingRateLimiter (bot/telegram/retry.py,
same rates and retry policy), HTML defaults, 16 concurrent updates, the same connection
pools and long polling (timeout 10 s, as bot/telegram/lifecycle.py). It has no database, no
inbox and no services: each update is answered at once with a reply the benchmark read from
the bot's own answer to the same update (``BENCH_REPLIES``, a JSON file), so it sends the
same text and builds the same keyboard or inline results:

- ``/start``, ``/faces``: ``reply_text(html, reply_markup=...)`` with the bot's reply for
  that user (the keyboard is rebuilt from JSON for every update, as the bot builds its own);
- an inline query: ``answer`` with the bot's results (articles rebuilt for every update),
  ``cache_time``, ``is_personal`` and ``next_offset``.

Not run by hand: benchmarks.update_cost starts it (``python -m benchmarks.bare_ptb``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
)

from bot.config import Settings
from bot.telegram.retry import rate_limiter

JSON = dict[str, Any]


class Replies:
    """What the bot answered, by kind ("start", "faces") and user id, and inline answers."""

    def __init__(self, path: Path) -> None:
        data = json.loads(path.read_text())
        self.messages: dict[str, dict[int, JSON]] = {
            kind: {int(user): reply for user, reply in by_user.items()}
            for kind, by_user in data["messages"].items()
        }
        self.inline: dict[int, JSON] = {int(u): a for u, a in data["inline"].items()}


def _markup(reply: JSON) -> InlineKeyboardMarkup | None:
    markup = reply.get("reply_markup")
    return InlineKeyboardMarkup.de_json(markup, None) if markup else None


def _article(result: JSON) -> InlineQueryResultArticle:
    content = result["input_message_content"]
    return InlineQueryResultArticle(
        id=result["id"],
        title=result["title"],
        description=result.get("description"),
        input_message_content=InputTextMessageContent(
            content["message_text"], parse_mode=content.get("parse_mode")
        ),
        reply_markup=_markup(result),
    )


def bare_builder(settings: Settings) -> ApplicationBuilder:  # type: ignore[type-arg]
    """PTB configured as ``bot/app.py`` configures it (token, URLs, defaults, pools, the
    bot's rate limiter), with nothing of the bot behind it."""
    return (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .get_updates_connection_pool_size(4)
        .concurrent_updates(16)
        .connection_pool_size(16)
        .read_timeout(settings.telegram_read_timeout_seconds)
        .rate_limiter(rate_limiter(settings))
    )


def build(settings: Settings, replies: Replies) -> Application:  # type: ignore[type-arg]
    app = bare_builder(settings).build()

    def replier(kind: str) -> Any:
        async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message, user = update.effective_message, update.effective_user
            assert message is not None and user is not None
            canned = replies.messages[kind][user.id]
            await message.reply_text(canned["html"], reply_markup=_markup(canned))

        return reply

    async def on_inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        assert query is not None
        canned = replies.inline[query.from_user.id]
        await query.answer(
            [_article(r) for r in canned["results"]],
            cache_time=canned.get("cache_time"),
            is_personal=canned.get("is_personal"),
            next_offset=canned.get("next_offset"),
        )

    app.add_handler(CommandHandler("start", replier("start")))
    app.add_handler(CommandHandler("faces", replier("faces")))
    app.add_handler(InlineQueryHandler(on_inline_query))
    return app


def main() -> None:
    settings = Settings.from_env(dict(os.environ))
    app = build(settings, Replies(Path(os.environ["BENCH_REPLIES"])))
    app.run_polling(poll_interval=0.0, timeout=10, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
