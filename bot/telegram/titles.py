"""Group titles, read from Telegram when a message names a group: the bot stores no chat
titles (they change, and they are the group's data)."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import Bot
from telegram.error import TelegramError


async def group_title(bot: Bot, chat_id: int) -> str | None:
    """The group's title now; None if Telegram won't say (the bot left, say)."""
    try:
        chat = await bot.get_chat(chat_id)
    except TelegramError:
        return None
    return chat.title


async def group_titles(bot: Bot, chat_ids: Iterable[int]) -> dict[int, str]:
    titles = {}
    for chat_id in dict.fromkeys(chat_ids):
        if (title := await group_title(bot, chat_id)) is not None:
            titles[chat_id] = title
    return titles
