"""Bot API methods that change sent messages: editMessage*, deleteMessage(s)."""

from __future__ import annotations

import time

from tests.fakes.telegram_api.common import JSON, MAX_TEXT, NOT_MODIFIED, _bad
from tests.fakes.telegram_api.content import Content, _inline, _set_inline_markup
from tests.fakes.telegram_api.models import BotMessage, FakeChat, UploadedFile


class EditingMethods(Content):
    """Handlers take (params, files) and return the result or raise ApiError."""

    def _edit_target(self, params: JSON) -> BotMessage:
        inline_id = params.get("inline_message_id")
        if inline_id:
            message = self._inline_messages.get(str(inline_id))
            if message is None:
                raise _bad("MESSAGE_ID_INVALID")
            return message
        chat = self._resolve_chat(params.get("chat_id"))
        if chat is None:
            raise _bad("chat not found")
        if params.get("message_id") is None:
            raise _bad("message identifier is not specified")
        key = (chat.id, int(params["message_id"]))
        message = self._bot_messages.get(key)
        if message is None or message.deleted:
            if key in self._user_messages and key not in self._deleted_user_messages:
                raise _bad("message can't be edited")
            raise _bad("message to edit not found")
        return message

    @staticmethod
    def _edited(message: BotMessage) -> JSON | bool:
        message.edit_date = int(time.time())
        return True if message.inline_message_id else message.to_api()

    def _edit_message_text(self, params: JSON, files: dict[str, UploadedFile]) -> JSON | bool:
        message = self._edit_target(params)
        if message.kind != "text":
            raise _bad("there is no text in the message to edit")
        raw = params.get("text")
        if raw is None or str(raw) == "":
            raise _bad("message text is empty")
        text, entities, mode = self._format(
            str(raw), params.get("parse_mode"), params.get("entities")
        )
        if not text:
            raise _bad("message text is empty")
        if len(text) > MAX_TEXT:
            raise _bad("message is too long")
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if text == message.text and entities == message.entities and markup == _inline(message):
            raise _bad(NOT_MODIFIED)
        message.history.append(message.text)
        message.text, message.html, message.entities, message.parse_mode = (
            text,
            str(raw),
            entities,
            mode,
        )
        _set_inline_markup(message, markup)
        return self._edited(message)

    def _edit_message_caption(self, params: JSON, files: dict[str, UploadedFile]) -> JSON | bool:
        message = self._edit_target(params)
        if message.kind == "text":
            raise _bad("there is no caption in the message to edit")
        caption, entities, mode = self._caption(params)
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if caption == message.text and entities == message.entities and markup == _inline(message):
            raise _bad(NOT_MODIFIED)
        message.history.append(message.text)
        message.text, message.html, message.entities, message.parse_mode = (
            caption,
            params.get("caption"),
            entities,
            mode,
        )
        _set_inline_markup(message, markup)
        return self._edited(message)

    def _edit_message_reply_markup(
        self, params: JSON, files: dict[str, UploadedFile]
    ) -> JSON | bool:
        message = self._edit_target(params)
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if markup == _inline(message):
            raise _bad(NOT_MODIFIED)
        message.history.append(message.text)
        _set_inline_markup(message, markup)
        return self._edited(message)

    def _edit_message_media(self, params: JSON, files: dict[str, UploadedFile]) -> JSON | bool:
        message = self._edit_target(params)
        item = params.get("media")
        if not isinstance(item, dict) or item.get("type") not in (
            "photo",
            "video",
            "animation",
            "document",
            "audio",
        ):
            raise _bad("can't parse InputMedia JSON object")
        media_kinds = ("photo", "video", "animation", "document", "audio")
        if message.kind not in media_kinds and message.inline_message_id is None:
            # An inline message may go from text to media (a placeholder becoming the video).
            raise _bad("there is no media in the message to edit")
        reference = item.get("media")
        if message.inline_message_id and (
            not isinstance(reference, str) or reference.startswith("attach://")
        ):
            raise _bad("can't upload a new file to an inline message: send it by file_id")
        caption, entities, mode = self._caption(item)
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        media = self._media(item["type"], reference, None, item, files)
        if (
            media.body == message.media
            and caption == message.text
            and entities == message.entities
            and markup == _inline(message)
        ):
            raise _bad(NOT_MODIFIED)
        message.history.append(message.text)
        message.kind = item["type"]
        message.media = media.body
        message.file_bytes = media.file.data if media.file else None
        message.file_id = media.file.file_id if media.file else None
        message.text, message.html, message.entities, message.parse_mode = (
            caption,
            item.get("caption"),
            entities,
            mode,
        )
        _set_inline_markup(message, markup)
        return self._edited(message)

    def _delete_one(self, chat: FakeChat, message_id: int) -> bool:
        key = (chat.id, message_id)
        message = self._bot_messages.get(key)
        if message is not None and not message.deleted:
            message.deleted = True
            return True
        if key in self._user_messages and key not in self._deleted_user_messages:
            if chat.type != "private" and chat.status_of(self.bot_id) not in (
                "administrator",
                "creator",
            ):
                raise _bad("message can't be deleted")
            self._deleted_user_messages.add(key)
            return True
        return False

    def _delete_message(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat is None:
            raise _bad("chat not found")
        if not self._delete_one(chat, int(params.get("message_id") or 0)):
            raise _bad("message to delete not found")
        return True

    def _delete_messages(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat is None:
            raise _bad("chat not found")
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message_ids must contain 1-100 identifiers")
        for message_id in ids:
            self._delete_one(chat, int(message_id))
        return True
