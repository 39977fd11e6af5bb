"""The fake's data types: users and chats, the bot's messages, calls, files, queries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_api.common import JSON


@dataclass
class FakeUser:
    id: int
    first_name: str
    username: str | None = None
    language_code: str = "en"
    last_name: str | None = None

    @property
    def private_chat_id(self) -> int:
        return self.id

    def to_api(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user


@dataclass
class FakeChat:
    id: int
    type: str  # "private" | "group" | "supergroup"
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    statuses: dict[int, str] = field(default_factory=dict)  # user id -> ChatMember status

    def to_api(self) -> JSON:
        chat: JSON = {"id": self.id, "type": self.type}
        if self.title is not None:
            chat["title"] = self.title
        if self.first_name is not None:
            chat["first_name"] = self.first_name
        if self.username is not None:
            chat["username"] = self.username
        return chat

    def status_of(self, user_id: int) -> str:
        return self.statuses.get(user_id, "left")


@dataclass
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None
    switch_inline_query: str | None = None
    switch_inline_query_current_chat: str | None = None
    switch_inline_query_chosen_chat: JSON | None = None
    web_app: JSON | None = None
    login_url: JSON | None = None
    copy_text: JSON | None = None
    raw: JSON = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: JSON | str) -> Button:
        if isinstance(raw, str):  # a reply-keyboard button may be a bare string
            return cls(text=raw, raw={"text": raw})
        return cls(
            text=str(raw.get("text", "")),
            callback_data=raw.get("callback_data"),
            url=raw.get("url"),
            switch_inline_query=raw.get("switch_inline_query"),
            switch_inline_query_current_chat=raw.get("switch_inline_query_current_chat"),
            switch_inline_query_chosen_chat=raw.get("switch_inline_query_chosen_chat"),
            web_app=raw.get("web_app"),
            login_url=raw.get("login_url"),
            copy_text=raw.get("copy_text"),
            raw=raw,
        )


@dataclass(eq=False)
class BotMessage:
    """A message the bot sent, always in its current version (edits update it in place)."""

    chat_id: int
    message_id: int
    kind: str  # "text" | "photo" | "video" | "document" | "animation" | "sticker" | ...
    text: str = ""  # plain text or caption, entities parsed out
    html: str | None = None  # the text/caption exactly as sent (HTML when parse_mode=HTML)
    reply_markup: JSON | None = None  # as sent (inline or reply keyboard)
    file_bytes: bytes | None = field(default=None, repr=False)
    file_id: str | None = None
    history: list[str] = field(default_factory=list)  # previous plain texts, one per edit
    deleted: bool = False
    inline_message_id: str | None = None
    params: JSON = field(default_factory=dict, repr=False)  # the original send params
    # Beyond the agreed fields:
    entities: list[JSON] = field(default_factory=list, repr=False)
    parse_mode: str | None = None
    media: JSON = field(default_factory=dict, repr=False)  # e.g. {"photo": [PhotoSize, ...]}
    date: int = 0
    edit_date: int | None = None
    media_group_id: str | None = None
    reply_to_message: JSON | None = field(default=None, repr=False)
    forward_origin: JSON | None = field(default=None, repr=False)
    index: int = -1  # position in FakeTelegram.sent
    chat: JSON = field(default_factory=dict, repr=False)
    sender: JSON = field(default_factory=dict, repr=False)
    via_bot: JSON | None = field(default=None, repr=False)

    @property
    def edits(self) -> int:
        return len(self.history)

    @property
    def inline_keyboard(self) -> list[list[JSON]] | None:
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            rows: list[list[JSON]] = self.reply_markup["inline_keyboard"]
            return rows
        return None

    def buttons(self) -> list[Button]:
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [Button.from_api(button) for row in rows for button in row]

    def button(self, text: str) -> Button:
        for candidate in self.buttons():
            if text in candidate.text:
                return candidate
        labels = [b.text for b in self.buttons()]
        raise AssertionError(
            f"no button containing {text!r} in message {self.message_id}: {labels}"
        )

    def to_api(self) -> JSON:
        """The Bot API Message object for the current version."""
        msg: JSON = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        if self.via_bot:
            msg["via_bot"] = self.via_bot
        if self.edit_date:
            msg["edit_date"] = self.edit_date
        if self.forward_origin:
            msg["forward_origin"] = self.forward_origin
        if self.reply_to_message:
            msg["reply_to_message"] = self.reply_to_message
        if self.media_group_id:
            msg["media_group_id"] = self.media_group_id
        if self.params.get("protect_content"):
            msg["has_protected_content"] = True
        msg.update(self.media)
        if self.kind == "text":
            msg["text"] = self.text
            if self.entities:
                msg["entities"] = self.entities
        elif self.text:
            msg["caption"] = self.text
            if self.entities:
                msg["caption_entities"] = self.entities
        if self.inline_keyboard is not None:
            msg["reply_markup"] = self.reply_markup
        return msg


@dataclass
class UploadedFile:
    """One multipart file part of a request."""

    name: str
    filename: str
    content_type: str | None
    data: bytes = field(repr=False)


@dataclass
class ApiCall:
    method: str
    params: JSON
    at: float  # time.monotonic() when the request arrived
    files: dict[str, UploadedFile] = field(default_factory=dict, repr=False)
    error: str | None = None  # the error description when the call failed
    result: Any = field(default=None, repr=False)
    fault: str | None = None  # Fault.label when an injected fault struck this call


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # "photo" | "thumbnail" | "document" | "video" | "animation" | "sticker"
    data: bytes = field(repr=False)
    width: int = 0
    height: int = 0
    duration: int = 0
    file_name: str | None = None
    mime_type: str | None = None
    file_path: str | None = None
    thumbnail: StoredFile | None = field(default=None, repr=False)

    @property
    def file_size(self) -> int:
        return len(self.data)

    def _base(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }

    def photo_size(self) -> JSON:
        return {**self._base(), "width": self.width, "height": self.height}

    def document(self) -> JSON:
        doc = self._base()
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        if self.thumbnail:
            doc["thumbnail"] = self.thumbnail.photo_size()
        return doc

    def video(self) -> JSON:
        return {
            **self.document(),
            "width": self.width,
            "height": self.height,
            "duration": self.duration,
        }

    def sticker(self) -> JSON:
        return {
            **self._base(),
            "type": "regular",
            "width": self.width,
            "height": self.height,
            "is_animated": False,
            "is_video": False,
            "emoji": "🙂",
        }


@dataclass
class _Query:
    """A callback or inline query waiting for its answer."""

    id: str
    user_id: int
    query: str
    at: float
    answer: JSON | None = None


@dataclass
class _Media:
    body: JSON  # Message fields, e.g. {"video": {...}}
    file: StoredFile | None


class _Signal:
    """Wakes every waiter on fire(); waiting never misses a fire that happens after it began."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def fire(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait(self, seconds: float) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, max(seconds, 0))
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)
