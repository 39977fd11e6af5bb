"""The /language buttons: one per language there is a catalog for, each in its own name."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram import i18n
from bot.telegram.callbacks import Action, Callback
from bot.telegram.texts.language import name_of


def languages() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            ("✓ " if language == i18n.current() else "") + name_of(language),
            callback_data=Callback(Action.LANGUAGE, language).encode(),
        )
        for language in i18n.languages()
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])
