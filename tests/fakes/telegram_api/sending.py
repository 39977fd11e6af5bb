"""Bot API methods that send messages: send*, copyMessage, forwardMessage, sendChatAction."""

from __future__ import annotations

import re
import time

from tests.fakes.telegram_api.common import JSON, MAX_TEXT, ApiError, _bad, _words
from tests.fakes.telegram_api.content import Content
from tests.fakes.telegram_api.models import BotMessage, FakeChat, UploadedFile, _Media

_CHAT_ACTIONS = _words(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note"
)


class SendingMethods(Content):
    """Handlers take (params, files) and return the result or raise ApiError."""

    def _target_chat(self, params: JSON) -> FakeChat:
        """The chat a message goes to, with Telegram's refusals."""
        if params.get("chat_id") in (None, ""):
            raise _bad("chat_id is empty")
        chat = self._resolve_chat(params["chat_id"])
        if chat is None:
            raise _bad("chat not found")
        if chat.type == "private":
            if chat.id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat.id not in self._started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.status_of(self.bot_id) in ("left", "kicked"):
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    def _reply_to(self, chat: FakeChat, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        if reply is None and params.get("reply_to_message_id") is not None:
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply"),
            }
        if not isinstance(reply, dict):
            return None
        target_chat = self._resolve_chat(reply.get("chat_id", chat.id)) or chat
        target = self._message_json(target_chat.id, int(reply.get("message_id") or 0))
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise _bad("message to be replied not found")
        target.pop("reply_to_message", None)
        return target

    def _post(
        self,
        chat: FakeChat,
        kind: str,
        params: JSON,
        *,
        text: str,
        html: str | None,
        entities: list[JSON],
        parse_mode: str | None,
        markup: JSON | None,
        reply: JSON | None,
        media: _Media | None = None,
        media_group_id: str | None = None,
        forward_origin: JSON | None = None,
    ) -> BotMessage:
        message = BotMessage(
            chat_id=chat.id,
            message_id=self._next_message_id(chat.id),
            kind=kind,
            text=text,
            html=html,
            reply_markup=markup,
            file_bytes=media.file.data if media and media.file else None,
            file_id=media.file.file_id if media and media.file else None,
            params=params,
            entities=entities,
            parse_mode=parse_mode,
            media=media.body if media else {},
            date=int(time.time()),
            media_group_id=media_group_id,
            reply_to_message=reply,
            forward_origin=forward_origin,
            index=len(self.sent),
            chat=chat.to_api(),
            sender=self.bot_user,
        )
        self.sent.append(message)
        self._bot_messages[(chat.id, message.message_id)] = message
        return message

    def _send_message(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat = self._target_chat(params)
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
        markup = self._check_markup(params.get("reply_markup"))
        reply = self._reply_to(chat, params)
        message = self._post(
            chat,
            "text",
            params,
            text=text,
            html=str(raw),
            entities=entities,
            parse_mode=mode,
            markup=markup,
            reply=reply,
        )
        return message.to_api()

    def _send_media(self, params: JSON, files: dict[str, UploadedFile], kind: str) -> JSON:
        chat = self._target_chat(params)
        caption, entities, mode = self._caption(params)
        markup = self._check_markup(params.get("reply_markup"))
        reply = self._reply_to(chat, params)
        media = self._media(kind, params.get(kind), files.get(kind), params, files)
        message = self._post(
            chat,
            kind,
            params,
            text=caption,
            html=params.get("caption"),
            entities=entities,
            parse_mode=mode,
            markup=markup,
            reply=reply,
            media=media,
        )
        return message.to_api()

    def _send_media_group(self, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
        chat = self._target_chat(params)
        items = params.get("media")
        if not isinstance(items, list):
            raise _bad("can't parse media JSON array")
        if not 2 <= len(items) <= 10:
            raise _bad("media group must contain 2-10 items")
        kinds = {item.get("type") for item in items if isinstance(item, dict)}
        if len(kinds) > 1 and kinds & {"document", "audio"}:
            raise _bad("Can't use the media of the specified type in the album")
        reply = self._reply_to(chat, params)
        group_id = str(13_000_000_000_000_000 + next(self._counter))
        prepared = []
        for item in items:
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "video",
                "document",
                "audio",
            ):
                raise _bad("can't parse InputMedia JSON object")
            caption, entities, mode = self._caption(item)
            media = self._media(item["type"], item.get("media"), None, item, files)
            prepared.append((item, caption, entities, mode, media))
        messages = [
            self._post(
                chat,
                item["type"],
                {**params, "media": item},
                text=caption,
                html=item.get("caption"),
                entities=entities,
                parse_mode=mode,
                markup=None,
                reply=reply,
                media=media,
                media_group_id=group_id,
            )
            for item, caption, entities, mode, media in prepared
        ]
        return [message.to_api() for message in messages]

    def _send_other(self, params: JSON, files: dict[str, UploadedFile], method: str) -> JSON:
        """Any other send* method (location, poll, dice...): a content-less message, recorded."""
        kind = re.sub(r"(?<!^)([A-Z])", r"_\1", method.removeprefix("send")).lower()
        chat = self._target_chat(params)
        message = self._post(
            chat,
            kind,
            params,
            text="",
            html=None,
            entities=[],
            parse_mode=None,
            markup=self._check_markup(params.get("reply_markup")),
            reply=self._reply_to(chat, params),
        )
        return message.to_api()

    def _send_chat_action(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _source_content(self, params: JSON) -> tuple[JSON, str, str, list[JSON], _Media | None]:
        source_chat = self._resolve_chat(params.get("from_chat_id"))
        if source_chat is None:
            raise _bad("chat not found")
        source = self._message_json(source_chat.id, int(params.get("message_id") or 0))
        if source is None:
            raise _bad("message to copy not found")
        if "text" in source:
            return source, "text", source["text"], source.get("entities", []), None
        for kind in ("photo", "video", "animation", "document", "sticker"):
            if kind in source:
                body: JSON = {kind: source[kind]}
                if kind == "animation" and "document" in source:
                    body["document"] = source["document"]
                file_id = (
                    source[kind][-1]["file_id"] if kind == "photo" else source[kind]["file_id"]
                )
                media = _Media(body, self._files.get(file_id))
                return (
                    source,
                    kind,
                    source.get("caption", ""),
                    source.get("caption_entities", []),
                    media,
                )
        raise _bad("message can't be copied")

    def _copy_message(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat = self._target_chat(params)
        _source, kind, text, entities, media = self._source_content(params)
        mode: str | None = None
        if "caption" in params and kind != "text":
            text, entities, mode = self._caption(params)
        message = self._post(
            chat,
            kind,
            params,
            text=text,
            html=params.get("caption", text),
            entities=entities,
            parse_mode=mode,
            markup=self._check_markup(params.get("reply_markup")),
            reply=self._reply_to(chat, params),
            media=media,
        )
        return {"message_id": message.message_id}

    def _forward_message(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat = self._target_chat(params)
        try:
            source, kind, text, entities, media = self._source_content(params)
        except ApiError as error:
            if error.description.endswith("message to copy not found"):
                raise _bad("message to forward not found") from None
            raise
        origin = source.get("forward_origin") or {
            "type": "user",
            "sender_user": source.get("from", self.bot_user),
            "date": source.get("date", int(time.time())),
        }
        message = self._post(
            chat,
            kind,
            params,
            text=text,
            html=text,
            entities=entities,
            parse_mode=None,
            markup=None,
            reply=None,
            media=media,
            forward_origin=origin,
        )
        return message.to_api()
