"""Message content as Telegram stores it: formatting, captions, keyboards, inline results."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.telegram_api.common import (
    JSON,
    MAX_CALLBACK_DATA,
    MAX_CAPTION,
    MAX_TEXT,
    _bad,
    _words,
)
from tests.fakes.telegram_api.files import FileStore
from tests.fakes.telegram_api.html import HtmlParseError, _trim, parse_html
from tests.fakes.telegram_api.models import BotMessage, _Media

_BUTTON_ACTIONS = _words(
    "url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat "
    "switch_inline_query_chosen_chat copy_text callback_game pay"
)


class Content(FileStore):
    """Checks and converts what the bot sends, with Telegram's error texts."""

    def _format(
        self, text: str, parse_mode: Any, entities: Any
    ) -> tuple[str, list[JSON], str | None]:
        """(plain text, entities, parse mode) as Telegram would store the message."""
        mode = str(parse_mode) if parse_mode else None
        if isinstance(entities, list):
            plain, found = text, [dict(e) for e in entities]
        elif mode is None or mode.lower() in ("markdown", "markdownv2"):
            plain, found = text, []  # Markdown is not parsed by the fake
        elif mode.lower() == "html":
            try:
                plain, found = parse_html(text, strict_ampersand=self.strict_html)
            except HtmlParseError as error:
                raise _bad(f"can't parse entities: {error}") from None
        else:
            raise _bad("unsupported parse_mode")
        plain, found = _trim(plain, found)
        return plain, found, mode

    def _caption(self, source: JSON) -> tuple[str, list[JSON], str | None]:
        caption = source.get("caption")
        if caption is None or caption == "":
            return "", [], None
        plain, entities, mode = self._format(
            str(caption), source.get("parse_mode"), source.get("caption_entities")
        )
        if len(plain) > MAX_CAPTION:
            raise _bad("message caption is too long")
        return plain, entities, mode

    def _check_markup(self, markup: Any, *, inline_only: bool = False) -> JSON | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad(
                    'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of '
                    "Arrays"
                )
            for row in rows:
                for button in row:
                    _check_inline_button(button)
            return markup
        if inline_only:
            raise _bad("can't parse inline keyboard markup JSON object")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad(
                    'Field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    label = button.get("text") if isinstance(button, dict) else button
                    if not isinstance(label, str) or not label:
                        raise _bad("can't parse keyboard button: Text must be non-empty")
            return markup
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return markup
        raise _bad("can't parse reply keyboard markup JSON object")

    def _inline_result_content(self, result: JSON) -> tuple[str, str, list[JSON], _Media]:
        """(kind, plain text, entities, media) of the message an inline result posts."""
        content = result.get("input_message_content")
        if isinstance(content, dict) and "message_text" in content:
            text, entities, _mode = self._format(
                str(content["message_text"]), content.get("parse_mode"), content.get("entities")
            )
            if not text:
                raise _bad("message text is empty")
            if len(text) > MAX_TEXT:
                raise _bad("message is too long")
            return "text", text, entities, _Media({}, None)
        result_type = str(result["type"])
        kind = {"gif": "animation", "mpeg4_gif": "animation"}.get(result_type, result_type)
        caption, entities, _mode = self._caption(result)
        for key in (f"{result_type}_file_id", f"{kind}_file_id"):
            stored = self._files.get(str(result.get(key, "")))
            if stored is not None:
                return kind, caption, entities, self._media_body(kind, stored)
        return kind, caption, entities, _Media({}, None)


def _inline(message: BotMessage) -> JSON | None:
    return message.reply_markup if message.inline_keyboard is not None else None


def _set_inline_markup(message: BotMessage, markup: JSON | None) -> None:
    """An edit replaces (or, without reply_markup, removes) the inline keyboard only."""
    if markup is not None or message.inline_keyboard is not None:
        message.reply_markup = markup


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise _bad("can't parse inline keyboard button: Can't find field \"text\"")
    if not text:
        raise _bad("BUTTON_TEXT_EMPTY")
    actions = sorted(key for key in _BUTTON_ACTIONS if button.get(key) not in (None, ""))
    # Telegram treats an empty switch_inline_query* as a real action (it opens the inline mode).
    actions += [
        key
        for key in ("switch_inline_query", "switch_inline_query_current_chat")
        if button.get(key) == ""
    ]
    if not actions:
        raise _bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise _bad(
            "can't parse inline keyboard button: exactly one of the optional fields must be "
            f"used, found {actions} (fake check; Telegram would silently use one)"
        )
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
            raise _bad("BUTTON_DATA_INVALID")
    if "url" in actions:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
            raise _bad("BUTTON_URL_INVALID")
