"""A fake Telegram Bot API server for tests, spoken to over real HTTP on 127.0.0.1.

An unmodified python-telegram-bot ``Application`` (in this process or in a subprocess) talks to
it through ``ApplicationBuilder().base_url(fake.base_url).base_file_url(fake.base_file_url)``.
The test drives it from Python: it acts as users (``send_text``, ``send_photo``, ``press``, ...),
which queues real Bot API updates for ``getUpdates``, and it reads what the bot did (``sent``,
``calls``, ``next_message``, ``wait_for``). The Python API only touches the in-memory state; the
bot only ever sees HTTP.

Behaviour follows the real Bot API where it catches bot bugs: HTML is parsed like tdlib does
(byte offsets and error texts included), text/caption/callback_data limits, keyboard checks,
"message is not modified", edits without ``reply_markup`` drop the keyboard, getFile refuses
files over 20 MB, a user must have started the bot before it can write to them, privacy mode
in groups. Deliberate differences are listed in the README-style notes on ``FakeTelegram``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import itertools
import json
import logging
import mimetypes
import re
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

import telegram
from aiohttp import BodyPartReader, web
from PIL import Image, UnidentifiedImageError

__all__ = [
    "ApiCall",
    "BotMessage",
    "Button",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "HtmlParseError",
    "StoredFile",
    "UploadedFile",
    "parse_html",
]

log = logging.getLogger(__name__)

JSON = dict[str, Any]
T = TypeVar("T")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
GET_FILE_LIMIT = 20 * 1024 * 1024
UPLOAD_PHOTO_LIMIT = 10 * 1024 * 1024
UPLOAD_FILE_LIMIT = 50 * 1024 * 1024
_BODY_LIMIT = UPLOAD_FILE_LIMIT + 1024 * 1024

GROUP_ANONYMOUS_BOT: JSON = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Update types a bot gets when it never passed allowed_updates (or passed an empty list).
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = _words(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note"
)
_BUTTON_ACTIONS = _words(
    "url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat "
    "switch_inline_query_chosen_chat copy_text callback_game pay"
)
# Parameters whose values are strings even when they look like JSON numbers or literals.
# PTB sends every str raw and everything else JSON-encoded, so the fake must know which is which.
_STRING_PARAMS = _words(
    "text caption parse_mode callback_query_id inline_query_id inline_message_id file_id url "
    "next_offset query title description short_description name language_code action emoji "
    "message_effect_id business_connection_id secret_token ip_address photo document video "
    "animation audio voice video_note sticker thumbnail cover custom_title payload currency "
    "provider_token start_parameter first_name last_name phone_number vcard question "
    "explanation web_app_query_id game_short_name result_id"
)
_NUMBER_RE = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,64})(@[A-Za-z0-9_]{3,64})?(?=\s|$)")
_FILE_ID_PREFIX = {
    "photo": "AgAC",
    "thumbnail": "AAMC",
    "document": "BQAC",
    "video": "BAAC",
    "animation": "CgAC",
    "sticker": "CAAC",
    "audio": "CQAC",
    "voice": "AwAC",
    "video_note": "DQAC",
}
_FILE_FOLDER = {
    "photo": "photos",
    "thumbnail": "thumbnails",
    "document": "documents",
    "video": "videos",
    "animation": "animations",
    "sticker": "stickers",
    "audio": "music",
    "voice": "voice",
    "video_note": "video_notes",
}


def _bot_api_methods() -> dict[str, str]:
    """Lower-case name -> Bot API method name, taken from PTB's camelCase aliases."""
    names = {
        name
        for name in dir(telegram.Bot)
        if name[:1].islower() and "_" not in name and name != name.lower()
    }
    names.add("close")
    return {name.lower(): name for name in names}


_KNOWN_METHODS = _bot_api_methods()


# --------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status = error_code."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_api(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


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


# --------------------------------------------------------------------------------------------
# HTML parse mode: a port of tdlib's parse_html (same error texts and byte offsets)
# --------------------------------------------------------------------------------------------


class HtmlParseError(ValueError):
    pass


_HTML_TAGS = _words(
    "a b strong i em u ins s strike del code pre tg-spoiler span blockquote tg-emoji"
)
_HTML_SPACE = frozenset(b" \t\r\n\x0b\x00")
_HTML_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"', b"apos": "'"}
_SIMPLE_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}


def _decode_html_entity(raw: bytes, pos: int) -> tuple[str, int] | None:
    """The character of the entity starting at raw[pos] ('&') and the position after it."""
    end = pos + 1
    if raw[end : end + 1] == b"#":
        end += 1
        hexadecimal = raw[end : end + 1] == b"x"
        if hexadecimal:
            end += 1
        digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
        start = end
        while end < len(raw) and raw[end] in digits:
            end += 1
        if end == start or end - pos >= 10:
            return None
        code = int(raw[start:end], 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        start = end
        while end < len(raw) and chr(raw[end]).isascii() and chr(raw[end]).isalpha():
            end += 1
        named = _HTML_ENTITIES.get(raw[start:end])
        if named is None:
            return None
        char = named
    if raw[end : end + 1] == b";":
        end += 1
    return char, end


def _utf16_len(text: str) -> int:
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[JSON]]:
    """Parse Bot API HTML into (plain text, MessageEntity dicts with UTF-16 offsets).

    Raises HtmlParseError with tdlib's message. With strict_ampersand a '&' that does not start
    an entity is refused (the real Bot API keeps it as text, but the docs require &amp;).
    """
    raw = text.encode("utf-8")
    size = len(raw)
    out: list[str] = []
    utf16 = 0
    entities: list[JSON] = []
    # (tag name, argument, utf16 offset, len(out) at the start)
    nested: list[tuple[str, str, int, int]] = []

    def at(index: int) -> int:
        return raw[index] if index < size else 0

    i = 0
    while i < size:
        char = raw[i]
        if char == ord("&"):
            decoded = _decode_html_entity(raw, i)
            if decoded is not None:
                out.append(decoded[0])
                utf16 += _utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise HtmlParseError(
                    f'Character "&" at byte offset {i} must be escaped as "&amp;" '
                    "(strict check of the fake; the real Bot API would keep it as text)"
                )
        if char != ord("<"):
            end = i + 1
            while end < size and raw[end] not in b"<&":
                end += 1
            chunk = raw[i:end].decode("utf-8", "replace")
            out.append(chunk)
            utf16 += _utf16_len(chunk)
            i = end
            continue

        begin = i
        i += 1
        if at(i) != ord("/"):  # a start tag
            while at(i) not in _HTML_SPACE and at(i) != ord(">"):
                i += 1
            if at(i) == 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            tag = raw[begin + 1 : i].decode("utf-8", "replace").lower()
            if tag not in _HTML_TAGS:
                raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while at(i) != ord(">"):
                while at(i) != 0 and at(i) in _HTML_SPACE:
                    i += 1
                if at(i) == ord(">"):
                    break
                attribute_begin = i
                while at(i) not in _HTML_SPACE and at(i) not in b"=>":
                    i += 1
                attribute = raw[attribute_begin:i].decode("utf-8", "replace").lower()
                if not attribute:
                    raise HtmlParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while at(i) != 0 and at(i) in _HTML_SPACE:
                    i += 1
                if at(i) != ord("="):
                    if tag == "blockquote" and attribute == "expandable":
                        argument = "expandable"
                        continue
                    if at(i) == 0:
                        raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                    raise HtmlParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {begin}'
                    )
                i += 1
                while at(i) != 0 and at(i) in _HTML_SPACE:
                    i += 1
                if at(i) == 0:
                    raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                value: list[str] = []
                if at(i) not in b"'\"":
                    token_begin = i
                    while at(i) != 0 and (
                        (chr(at(i)).isascii() and chr(at(i)).isalnum()) or at(i) in b".-"
                    ):
                        i += 1
                    value.append(raw[token_begin:i].decode("ascii").lower())
                    if at(i) not in _HTML_SPACE and at(i) != ord(">"):
                        raise HtmlParseError(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    while at(i) != quote and at(i) != 0:
                        if at(i) == ord("&"):
                            decoded = _decode_html_entity(raw, i)
                            if decoded is not None:
                                value.append(decoded[0])
                                i = decoded[1]
                                continue
                        end = i + 1
                        while end < size and raw[end] not in (quote, ord("&")):
                            end += 1
                        value.append(raw[i:end].decode("utf-8", "replace"))
                        i = end
                    if at(i) == quote:
                        i += 1
                if at(i) == 0:
                    raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
                attribute_value = "".join(value)
                if tag == "a" and attribute == "href":
                    argument = attribute_value
                elif tag == "code" and attribute == "class":
                    if attribute_value.startswith("language-"):
                        argument = attribute_value.removeprefix("language-")
                elif tag == "span" and attribute == "class":
                    if attribute_value.startswith("tg-"):
                        argument = attribute_value.removeprefix("tg-")
                elif tag == "tg-emoji" and attribute == "emoji-id":
                    argument = attribute_value
                elif tag == "blockquote" and attribute == "expandable":
                    argument = "expandable"
            if tag == "span" and argument != "spoiler":
                raise HtmlParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            nested.append((tag, argument, utf16, len(out)))
        else:  # an end tag
            if not nested:
                raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
            while at(i) not in _HTML_SPACE and at(i) != ord(">"):
                i += 1
            end_tag = raw[begin + 2 : i].decode("utf-8", "replace").lower()
            while at(i) != 0 and at(i) in _HTML_SPACE:
                i += 1
            if at(i) != ord(">"):
                raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
            tag, argument, offset, out_start = nested.pop()
            if end_tag and end_tag != tag:
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                    f'found "</{end_tag}>"'
                )
            length = utf16 - offset
            if length > 0:
                _close_html_entity(
                    entities, tag, argument, offset, length, "".join(out[out_start:])
                )
        i += 1  # past '>'
    if nested:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{nested[-1][0]}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(out), entities


def _close_html_entity(
    entities: list[JSON], tag: str, argument: str, offset: int, length: int, inner: str
) -> None:
    span: JSON = {"offset": offset, "length": length}
    if tag in _SIMPLE_TAG_ENTITY:
        entities.append({"type": _SIMPLE_TAG_ENTITY[tag], **span})
    elif tag == "a":
        url = argument or inner
        if not url:
            return
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
            url = "http://" + url
        entities.append({"type": "text_link", **span, "url": url})
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise HtmlParseError("Invalid custom emoji identifier specified")
        entities.append({"type": "custom_emoji", **span, "custom_emoji_id": argument})
    elif tag == "blockquote":
        kind = "expandable_blockquote" if argument == "expandable" else "blockquote"
        entities.append({"type": kind, **span})
    elif tag == "code":
        entity: JSON = {"type": "code", **span}
        if argument:
            entity["language"] = argument
        entities.append(entity)
    elif tag == "pre":
        for index, other in enumerate(entities):
            if (
                other["type"] == "code"
                and other["offset"] == offset
                and other["length"] == length
                and other.get("language")
            ):
                entities[index] = {"type": "pre", **span, "language": other["language"]}
                return
        entities.append({"type": "pre", **span})


def _trim(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Strip leading and trailing whitespace as Telegram does, keeping entities in range."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    total = _utf16_len(stripped)
    fixed: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return stripped, fixed


def _command_entities(text: str) -> list[JSON]:
    match = _COMMAND_RE.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}]


# --------------------------------------------------------------------------------------------
# Media helpers
# --------------------------------------------------------------------------------------------


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def _thumbnail_jpeg(data: bytes, side: int = 90) -> tuple[bytes, int, int]:
    with Image.open(io.BytesIO(data)) as image:
        small = image.convert("RGB")
        small.thumbnail((side, side))
        buffer = io.BytesIO()
        small.save(buffer, format="JPEG", quality=80)
        return buffer.getvalue(), small.width, small.height


def _mp4_info(data: bytes) -> tuple[int, int, int]:
    """Best-effort (width, height, seconds) from an MP4's moov box; zeros when unknown."""
    found = {"width": 0, "height": 0, "duration": 0}

    def walk(start: int, end: int) -> None:
        pos = start
        while pos + 8 <= end:
            size, kind = struct.unpack_from(">I4s", data, pos)
            header = 8
            if size == 1:
                size = struct.unpack_from(">Q", data, pos + 8)[0]
                header = 16
            elif size == 0:
                size = end - pos
            if size < header:
                return
            body, box_end = pos + header, min(pos + size, end)
            if kind in (b"moov", b"trak", b"mdia"):
                walk(body, box_end)
            elif kind == b"mvhd":
                if data[body] == 1:
                    timescale, duration = struct.unpack_from(">IQ", data, body + 20)
                else:
                    timescale, duration = struct.unpack_from(">II", data, body + 12)
                if timescale:
                    found["duration"] = round(duration / timescale)
            elif kind == b"tkhd" and not found["width"]:
                offset = body + (88 if data[body] == 1 else 76)
                width, height = struct.unpack_from(">II", data, offset)
                found["width"], found["height"] = width >> 16, height >> 16
            pos += size

    with contextlib.suppress(struct.error, IndexError):
        walk(0, len(data))
    return found["width"], found["height"], found["duration"]


def _sticker_webp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (512, 512), (255, 200, 0, 255)).save(buffer, format="WEBP")
    return buffer.getvalue()


def _decode_param(name: str, value: Any) -> Any:
    """PTB sends str values raw and everything else JSON-encoded; undo that per parameter."""
    if not isinstance(value, str) or name in _STRING_PARAMS:
        return value
    stripped = value.strip()
    if (
        stripped[:1] in ("{", "[")
        or stripped in ("true", "false", "null")
        or _NUMBER_RE.fullmatch(stripped)
    ):
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    return value


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _error_response(error: ApiError) -> web.Response:
    return web.json_response(error.to_api(), status=error.code, dumps=_dumps)


def _short(params: JSON, limit: int = 160) -> str:
    text = _dumps(params)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """A Bot API server on 127.0.0.1 plus a Python API to act as users and inspect the bot.

    Knobs (plain attributes): ``strict_html`` (refuse a bare '&'), ``privacy_mode`` (groups),
    ``query_answer_timeout`` (seconds a callback/inline query may stay unanswered).

    Deliberate differences from the real Bot API: photos are stored as uploaded (Telegram
    re-encodes them as JPEG and adds more sizes; here a <=90 px JPEG thumbnail plus the
    original); MarkdownV2/Markdown are not parsed (stored as sent); webhooks are recorded but
    never called; URLs are fetched only from ``serve_url``; a button with more than one action
    field is refused (Telegram uses the first).
    """

    def __init__(
        self,
        token: str = "123456789:TEST-fake-token-for-tests-only",
        bot_username: str = "realface_test_bot",
        bot_id: int = 123456789,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_first_name = "RealFace Test Bot"
        self.base_url = ""
        self.base_file_url = ""
        self.port = 0
        self.strict_html = True
        self.privacy_mode = True
        self.query_answer_timeout = 15.0

        self.sent: list[BotMessage] = []
        self.calls: list[ApiCall] = []
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.webhook: JSON = {"url": ""}
        self.menu_buttons: dict[int | None, JSON] = {}

        self._counter = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._updates: list[JSON] = []
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._message_ids: dict[int, int] = {}
        self._user_messages: dict[tuple[int, int], JSON] = {}
        self._deleted_user_messages: set[tuple[int, int]] = set()
        self._bot_messages: dict[tuple[int, int], BotMessage] = {}
        self._inline_messages: dict[str, BotMessage] = {}
        self._files: dict[str, StoredFile] = {}
        self._photo_sets: dict[str, list[StoredFile]] = {}
        self._file_paths: dict[str, StoredFile] = {}
        self._url_content: dict[str, bytes] = {}
        self._sticker: StoredFile | None = None
        self._commands: dict[tuple[str, int | None, int | None, str], list[JSON]] = {}
        self._callback_queries: dict[str, _Query] = {}
        self._inline_queries: dict[str, _Query] = {}
        self._failures: dict[str, list[ApiError]] = {}
        self._started: set[int] = set()
        self._blocked: set[int] = set()
        self._last_activity = time.monotonic()
        self._activity = _Signal()
        self._updates_signal = _Signal()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Callable[[JSON, dict[str, UploadedFile]], Any]] = {
            "getMe": self._get_me,
            "logOut": self._ok,
            "close": self._ok,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "sendPhoto": lambda p, f: self._send_media(p, f, "photo"),
            "sendDocument": lambda p, f: self._send_media(p, f, "document"),
            "sendVideo": lambda p, f: self._send_media(p, f, "video"),
            "sendAnimation": lambda p, f: self._send_media(p, f, "animation"),
            "sendAudio": lambda p, f: self._send_media(p, f, "audio"),
            "sendVoice": lambda p, f: self._send_media(p, f, "voice"),
            "sendVideoNote": lambda p, f: self._send_media(p, f, "video_note"),
            "sendSticker": lambda p, f: self._send_media(p, f, "sticker"),
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageMedia": self._edit_message_media,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=_BODY_LIMIT)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a client that gives up on a long poll cancels its handler.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.base_url = f"http://127.0.0.1:{self.port}/bot"
        self.base_file_url = f"http://127.0.0.1:{self.port}/file/bot"
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        self._updates_signal.fire()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # ---------------------------------------------------------------- people and chats

    @property
    def bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def add_user(
        self,
        first_name: str = "Alice",
        *,
        user_id: int | None = None,
        username: str | None = None,
        language_code: str = "en",
    ) -> FakeUser:
        user = FakeUser(
            id=user_id if user_id is not None else 5_000_000 + next(self._counter) * 17,
            first_name=first_name,
            username=username,
            language_code=language_code,
        )
        self.users[user.id] = user
        self.chats[user.id] = FakeChat(
            id=user.id, type="private", first_name=first_name, username=username
        )
        return user

    def add_group(
        self,
        title: str,
        members: Sequence[FakeUser] = (),
        admins: Sequence[FakeUser] = (),
        *,
        creator: FakeUser | None = None,
        bot_is_admin: bool = False,
    ) -> FakeChat:
        """A basic group (negative id) with the bot in it; admins need not be in members."""
        chat = FakeChat(id=-(4_000_000_000 + next(self._counter)), type="group", title=title)
        for user in members:
            chat.statuses[user.id] = "member"
        for user in admins:
            chat.statuses[user.id] = "administrator"
        if creator is not None:
            chat.statuses[creator.id] = "creator"
        chat.statuses[self.bot_id] = "administrator" if bot_is_admin else "member"
        self.chats[chat.id] = chat
        return chat

    def set_member_status(self, chat: FakeChat, user: FakeUser | int, status: str) -> None:
        """status: "creator" | "administrator" | "member" | "restricted" | "left" | "kicked"."""
        chat.statuses[user if isinstance(user, int) else user.id] = status

    def serve_url(self, url: str, data: bytes) -> None:
        """Content Telegram finds when the bot sends a file by this HTTP URL."""
        self._url_content[url] = data

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int = 1,
        *,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail with this error."""
        parameters: JSON | None = None
        if error_code == 429:
            parameters = {"retry_after": retry_after}
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif description is None:
            description = {
                400: "Bad Request: injected failure",
                403: "Forbidden: injected failure",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(error_code, "injected failure")
        canonical = _KNOWN_METHODS.get(method.lower(), method)
        self._failures.setdefault(canonical, []).extend(
            ApiError(error_code, description, parameters) for _ in range(times)
        )

    # ---------------------------------------------------------------- acting as a user

    async def send_text(
        self,
        user: FakeUser,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: BotMessage | int | None = None,
        as_anonymous_admin: bool = False,
        forward_from: FakeUser | None = None,
    ) -> JSON:
        chat = self._user_chat(user, chat_id)
        message = self._new_user_message(user, chat, reply_to, as_anonymous_admin, forward_from)
        message["text"] = text
        entities = [] if forward_from else _command_entities(text)
        if entities:
            message["entities"] = entities
        return await self._deliver(chat, message)

    async def send_photo(
        self,
        user: FakeUser,
        data: bytes,
        *,
        caption: str | None = None,
        media_group_id: str | None = None,
        chat_id: int | None = None,
        reply_to: BotMessage | int | None = None,
    ) -> JSON:
        size = _image_size(data)
        if size is None:
            raise ValueError(
                "send_photo needs bytes Pillow can read; Telegram refuses a non-image as a "
                "photo (use send_document for other files)"
            )
        chat = self._user_chat(user, chat_id)
        sizes = self._store_photo(data, *size)
        message = self._new_user_message(user, chat, reply_to, False, None)
        message["photo"] = [photo.photo_size() for photo in sizes]
        self._add_caption(message, caption, media_group_id)
        return await self._deliver(chat, message)

    async def send_document(
        self,
        user: FakeUser,
        data: bytes,
        *,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
        chat_id: int | None = None,
        reply_to: BotMessage | int | None = None,
    ) -> JSON:
        chat = self._user_chat(user, chat_id)
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = self._store_file("document", data, file_name=file_name, mime_type=mime)
        message = self._new_user_message(user, chat, reply_to, False, None)
        message["document"] = stored.document()
        self._add_caption(message, caption, media_group_id)
        return await self._deliver(chat, message)

    async def send_sticker(self, user: FakeUser, *, chat_id: int | None = None) -> JSON:
        chat = self._user_chat(user, chat_id)
        if self._sticker is None:
            self._sticker = self._store_file("sticker", _sticker_webp(), width=512, height=512)
        message = self._new_user_message(user, chat, None, False, None)
        message["sticker"] = self._sticker.sticker()
        return await self._deliver(chat, message)

    async def edit_text(self, user: FakeUser, message: JSON, new_text: str) -> JSON:
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        stored = self._user_messages.get(key)
        if stored is None or stored.get("from", {}).get("id") != user.id:
            raise ValueError(f"{user.first_name} did not send message {key}")
        if "text" not in stored:
            raise ValueError("edit_text edits text messages only")
        stored["text"] = new_text
        stored["edit_date"] = int(time.time())
        entities = _command_entities(new_text)
        if entities:
            stored["entities"] = entities
        else:
            stored.pop("entities", None)
        if self._bot_sees(self.chats[key[0]], stored):
            self._enqueue("edited_message", copy.deepcopy(stored))
        await asyncio.sleep(0)
        return copy.deepcopy(stored)

    async def press(
        self,
        user: FakeUser,
        message: BotMessage,
        *,
        text: str | None = None,
        data: str | None = None,
        chat_id: int | None = None,
    ) -> str:
        """Press an inline button (text substring or exact callback_data); returns the query id."""
        if text is None and data is None:
            raise ValueError("press needs text= or data=")
        if message.deleted:
            raise AssertionError(f"message {message.message_id} was deleted: nothing to press")
        if chat_id is not None and chat_id != message.chat_id:
            raise ValueError(f"message {message.message_id} is in chat {message.chat_id}")
        candidates = [Button.from_api(b) for row in message.inline_keyboard or [] for b in row]
        button = next(
            (
                b
                for b in candidates
                if (data is not None and b.callback_data == data)
                or (data is None and text is not None and text in b.text)
            ),
            None,
        )
        if button is None:
            labels = [(b.text, b.callback_data) for b in candidates]
            raise AssertionError(f"no inline button {text or data!r} in {labels}")
        if button.callback_data is None:
            raise AssertionError(f"button {button.text!r} is not a callback button: {button.raw}")
        query_id = str(4_000_000_000_000 + next(self._counter) * 7919)
        self._callback_queries[query_id] = _Query(query_id, user.id, "", time.monotonic())
        query: JSON = {
            "id": query_id,
            "from": user.to_api(),
            "chat_instance": str((message.chat_id * 1_000_003) % (2**62)),
            "data": button.callback_data,
        }
        if message.inline_message_id is not None:
            query["inline_message_id"] = message.inline_message_id
        else:
            query["message"] = message.to_api()
        self._enqueue("callback_query", query)
        await asyncio.sleep(0)
        return query_id

    def callback_answer(self, query_id: str) -> JSON | None:
        query = self._callback_queries.get(query_id)
        return None if query is None else query.answer

    async def wait_answer(self, query_id: str, timeout: float = 10) -> JSON:
        """The answer (possibly {} for a bare answer()) once the bot has answered."""
        await self.wait_for(
            lambda: self.callback_answer(query_id) is not None,
            timeout,
            what=f"answerCallbackQuery for {query_id}",
        )
        return self.callback_answer(query_id) or {}

    async def inline_query(
        self, user: FakeUser, query: str, offset: str = "", *, chat_type: str = "sender"
    ) -> str:
        query_id = str(7_000_000_000_000 + next(self._counter) * 7919)
        self._inline_queries[query_id] = _Query(query_id, user.id, query, time.monotonic())
        self._enqueue(
            "inline_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "query": query,
                "offset": offset,
                "chat_type": chat_type,
            },
        )
        await asyncio.sleep(0)
        return query_id

    def inline_answer(self, query_id: str) -> JSON | None:
        """What answerInlineQuery said: results, cache_time, is_personal, next_offset, button."""
        query = self._inline_queries.get(query_id)
        return None if query is None else query.answer

    async def wait_inline_answer(self, query_id: str, timeout: float = 10) -> JSON:
        return await self.wait_for(
            lambda: self.inline_answer(query_id), timeout, what=f"answerInlineQuery {query_id}"
        )

    async def choose_inline_result(
        self,
        user: FakeUser,
        result_id: str,
        query: str,
        inline_message_id: str | None = None,
    ) -> None:
        """Send a chosen_inline_result update (needs inline feedback on in BotFather)."""
        chosen: JSON = {"result_id": result_id, "from": user.to_api(), "query": query}
        if inline_message_id is not None:
            chosen["inline_message_id"] = inline_message_id
        self._enqueue("chosen_inline_result", chosen)
        await asyncio.sleep(0)

    async def post_inline_result(
        self,
        user: FakeUser,
        query_id: str,
        result_id: str,
        *,
        chat_id: int | None = None,
        choose: bool = True,
    ) -> BotMessage:
        """The user taps a result: it is posted into a chat "via @bot" and becomes a BotMessage.

        As in Telegram, it gets an inline_message_id only when the result has an inline
        keyboard; with `choose` a chosen_inline_result update carrying that id is sent too.
        """
        answer = self.inline_answer(query_id)
        if answer is None:
            raise AssertionError(f"inline query {query_id} has no answer yet")
        result = next((r for r in answer["results"] if str(r.get("id")) == result_id), None)
        if result is None:
            ids = [r.get("id") for r in answer["results"]]
            raise AssertionError(f"no result {result_id!r} among {ids}")
        chat = self._user_chat(user, chat_id)
        kind, text, entities, media = self._inline_result_content(result)
        markup = result.get("reply_markup")
        inline_id = f"AgAAA{next(self._counter):08d}BQ" if markup else None
        message = BotMessage(
            chat_id=chat.id,
            message_id=self._next_message_id(chat.id),
            kind=kind,
            text=text,
            html=(result.get("input_message_content") or {}).get("message_text")
            or result.get("caption"),
            reply_markup=markup,
            file_bytes=media.file.data if media.file else None,
            file_id=media.file.file_id if media.file else None,
            inline_message_id=inline_id,
            params=dict(result),
            entities=entities,
            media=media.body,
            date=int(time.time()),
            index=len(self.sent),
            chat=chat.to_api(),
            sender=user.to_api(),
            via_bot=self.bot_user,
        )
        self.sent.append(message)
        if inline_id is not None:
            self._inline_messages[inline_id] = message
        if choose:
            query = self._inline_queries[query_id].query
            await self.choose_inline_result(user, result_id, query, inline_id)
        return message

    async def send_raw_update(self, update_type: str, payload: JSON) -> JSON:
        """Queue any update (e.g. my_chat_member) built by the test; returns the Update."""
        update = self._enqueue(update_type, payload)
        await asyncio.sleep(0)
        return update

    async def block_bot(self, user: FakeUser) -> None:
        """The user blocks the bot: sends fail with 403 and a my_chat_member update arrives."""
        self._blocked.add(user.id)
        await self._my_chat_member(user, "member", "kicked")

    async def unblock_bot(self, user: FakeUser) -> None:
        self._blocked.discard(user.id)
        await self._my_chat_member(user, "kicked", "member")

    # ---------------------------------------------------------------- reading what the bot did

    def messages(self, chat_id: int) -> list[BotMessage]:
        return [message for message in self.sent if message.chat_id == chat_id]

    def commands(
        self,
        scope_type: str = "default",
        chat_id: int | None = None,
        language_code: str = "",
        *,
        user_id: int | None = None,
    ) -> list[JSON]:
        return list(self._commands.get((scope_type, chat_id, user_id, language_code), []))

    def failed_calls(self) -> list[ApiCall]:
        """Calls the fake answered with an error (injected failures included)."""
        return [call for call in self.calls if call.error is not None]

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id].data

    def mark(self) -> int:
        return len(self.sent)

    async def wait_for(
        self,
        predicate: Callable[[], T | bool | None],
        timeout: float = 10.0,
        *,
        what: str = "condition",
    ) -> T:
        """The first truthy value of predicate(), checked after every API call and every 0.05 s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value  # type: ignore[return-value]
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout} s waiting for {what}\n{self.dump()}"
                )
            await self._activity.wait(min(0.05, remaining))

    async def next_message(
        self,
        chat_id: int,
        *,
        after: int | None = None,
        contains: str | None = None,
        timeout: float = 10.0,
    ) -> BotMessage:
        """The first message in chat_id sent at or after the mark `after` (default: the start)."""
        start = after or 0

        def find() -> BotMessage | None:
            for message in self.sent[start:]:
                if message.chat_id == chat_id and (contains is None or contains in message.text):
                    return message
            return None

        what = f"a message in chat {chat_id} from #{start}" + (
            f" containing {contains!r}" if contains is not None else ""
        )
        return await self.wait_for(find, timeout, what=what)

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 10) -> None:
        """Until no update is waiting and no API call (but getUpdates) came for `quiet` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            idle_for = time.monotonic() - self._last_activity
            if not self._updates and idle_for >= quiet:
                return
            if loop.time() >= deadline:
                pending = [u["update_id"] for u in self._updates]
                raise AssertionError(
                    f"not idle after {timeout} s (pending updates {pending})\n{self.dump()}"
                )
            await asyncio.sleep(min(0.05, max(quiet - idle_for, 0.01)))

    def dump(self, last: int = 10) -> str:
        lines = [f"last {last} bot messages:"]
        for message in self.sent[-last:]:
            flags = " (deleted)" if message.deleted else ""
            buttons = [b.text for b in message.buttons()]
            lines.append(
                f"  #{message.index} chat={message.chat_id} id={message.message_id} "
                f"{message.kind}{flags}: {message.text[:200]!r} buttons={buttons}"
            )
        lines.append(f"last {last} API calls (without getUpdates):")
        calls = [call for call in self.calls if call.method != "getUpdates"][-last:]
        for call in calls:
            error = f" -> {call.error}" if call.error else ""
            lines.append(f"  {call.method} {_short(call.params)}{error}")
        return "\n".join(lines)

    # ---------------------------------------------------------------- user-side internals

    def _user_chat(self, user: FakeUser, chat_id: int | None) -> FakeChat:
        if user.id not in self.users:
            raise ValueError(f"unknown user {user}: create it with add_user()")
        chat = self.chats.get(chat_id if chat_id is not None else user.id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        if chat.type == "private" and chat.id != user.id:
            raise ValueError(f"chat {chat.id} is another user's private chat")
        if chat.type != "private" and chat.status_of(user.id) in ("left", "kicked"):
            raise ValueError(f"{user.first_name} is not a member of {chat.title}")
        return chat

    def _new_user_message(
        self,
        user: FakeUser,
        chat: FakeChat,
        reply_to: BotMessage | int | None,
        as_anonymous_admin: bool,
        forward_from: FakeUser | None,
    ) -> JSON:
        admin = chat.type != "private" and chat.status_of(user.id) in ("creator", "administrator")
        if as_anonymous_admin and not admin:
            raise ValueError(f"{user.first_name} is not an admin of chat {chat.id}")
        reply_id = reply_to if isinstance(reply_to, int | None) else reply_to.message_id
        target = None if reply_id is None else self._message_json(chat.id, reply_id)
        if reply_id is not None and target is None:
            raise ValueError(f"no message {reply_id} in chat {chat.id} to reply to")
        message: JSON = {
            "message_id": self._next_message_id(chat.id),
            "from": user.to_api(),
            "chat": chat.to_api(),
            "date": int(time.time()),
        }
        if as_anonymous_admin:
            message["from"] = dict(GROUP_ANONYMOUS_BOT)
            message["sender_chat"] = chat.to_api()
        if forward_from is not None:
            message["forward_origin"] = {
                "type": "user",
                "sender_user": forward_from.to_api(),
                "date": int(time.time()) - 60,
            }
        if target is not None:
            target.pop("reply_to_message", None)
            message["reply_to_message"] = target
        if chat.type == "private":
            self._started.add(user.id)
            self._blocked.discard(user.id)
        return message

    @staticmethod
    def _add_caption(message: JSON, caption: str | None, media_group_id: str | None) -> None:
        if caption:
            message["caption"] = caption
            entities = _command_entities(caption)
            if entities:
                message["caption_entities"] = entities
        if media_group_id is not None:
            message["media_group_id"] = media_group_id

    async def _deliver(self, chat: FakeChat, message: JSON) -> JSON:
        self._user_messages[(chat.id, message["message_id"])] = message
        if self._bot_sees(chat, message):
            self._enqueue("message", copy.deepcopy(message))
        await asyncio.sleep(0)
        return copy.deepcopy(message)

    def _bot_sees(self, chat: FakeChat, message: JSON) -> bool:
        """Privacy mode: in groups a bot sees commands, replies to itself, or all if admin."""
        if chat.type == "private" or not self.privacy_mode:
            return True
        if chat.status_of(self.bot_id) in ("administrator", "creator"):
            return True
        match = _COMMAND_RE.match(message.get("text") or message.get("caption") or "")
        if match and (match.group(2) is None or match.group(2)[1:] == self.bot_username):
            return True
        reply = message.get("reply_to_message") or {}
        return bool(reply.get("from", {}).get("id") == self.bot_id)

    async def _my_chat_member(self, user: FakeUser, old: str, new: str) -> None:
        bot_user = self.bot_user
        self._enqueue(
            "my_chat_member",
            {
                "chat": self.chats[user.id].to_api(),
                "from": user.to_api(),
                "date": int(time.time()),
                "old_chat_member": self._chat_member_json(bot_user, old),
                "new_chat_member": self._chat_member_json(bot_user, new),
            },
        )
        await asyncio.sleep(0)

    def _enqueue(self, update_type: str, payload: JSON) -> JSON:
        update = {"update_id": next(self._update_ids), update_type: payload}
        self._updates.append(update)
        self._last_activity = time.monotonic()
        self._updates_signal.fire()
        self._activity.fire()
        return update

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _message_json(self, chat_id: int, message_id: int) -> JSON | None:
        """A copy of the current version of any message still in the chat."""
        bot_message = self._bot_messages.get((chat_id, message_id))
        if bot_message is not None:
            return None if bot_message.deleted else bot_message.to_api()
        key = (chat_id, message_id)
        if key in self._user_messages and key not in self._deleted_user_messages:
            return copy.deepcopy(self._user_messages[key])
        return None

    # ---------------------------------------------------------------- files

    def _store_file(
        self,
        kind: str,
        data: bytes,
        *,
        width: int = 0,
        height: int = 0,
        duration: int = 0,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = next(self._counter)
        stored = StoredFile(
            file_id=f"{_FILE_ID_PREFIX.get(kind, 'BQAC')}AgIAAxkBAAI{number:06d}Zm{number * 31:x}",
            file_unique_id=f"AQAD{number:x}X",
            kind=kind,
            data=data,
            width=width,
            height=height,
            duration=duration,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        return stored

    def _store_photo(self, data: bytes, width: int, height: int) -> list[StoredFile]:
        thumb_bytes, thumb_width, thumb_height = _thumbnail_jpeg(data)
        thumb = self._store_file("photo", thumb_bytes, width=thumb_width, height=thumb_height)
        full = self._store_file("photo", data, width=width, height=height)
        sizes = [thumb, full]
        for size in sizes:
            self._photo_sets[size.file_id] = sizes
        return sizes

    def _file_path(self, stored: StoredFile) -> str:
        if stored.file_path is None:
            extension = "jpg" if stored.kind in ("photo", "thumbnail") else "bin"
            if stored.file_name and "." in stored.file_name:
                extension = re.sub(r"[^A-Za-z0-9]", "", stored.file_name.rsplit(".", 1)[1])
                extension = extension[:10] or "bin"
            elif stored.mime_type:
                guessed = mimetypes.guess_extension(stored.mime_type)
                extension = guessed.lstrip(".") if guessed else extension
            folder = _FILE_FOLDER.get(stored.kind, "documents")
            stored.file_path = f"{folder}/file_{next(self._counter)}.{extension}"
            self._file_paths[stored.file_path] = stored
        return stored.file_path

    # ---------------------------------------------------------------- HTTP

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        requested = request.match_info["method"]
        method = _KNOWN_METHODS.get(requested.lower())
        if method is None:
            return _error_response(ApiError(404, "Not Found"))
        try:
            params, files = await _read_params(request)
        except ApiError as error:
            return _error_response(error)
        call = ApiCall(method, params, time.monotonic(), files)
        self.calls.append(call)
        polling = method == "getUpdates"
        if not polling:
            self._last_activity = time.monotonic()
        try:
            failures = self._failures.get(method)
            if failures:
                raise failures.pop(0)
            if polling:
                result: Any = await self._get_updates(params)
            else:
                handler = self._handlers.get(method)
                if handler is None:
                    handler = self._send_other if method.startswith("send") else self._ok
                result = handler(params, files)
        except ApiError as error:
            call.error = error.description
            response = _error_response(error)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            # Malformed parameters (or a bug in the fake): answer like Telegram, log loudly.
            log.exception("FakeTelegram could not handle %s", method)
            call.error = f"Bad Request: invalid parameters: {error!r}"
            response = _error_response(ApiError(400, call.error))
        else:
            call.result = result
            response = web.json_response({"ok": True, "result": result}, dumps=_dumps)
        if not polling or call.result:
            self._last_activity = time.monotonic()
        self._activity.fire()
        return response

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        stored = self._file_paths.get(request.match_info["path"])
        if stored is None:
            return _error_response(ApiError(404, "Not Found: file not found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    # ---------------------------------------------------------------- Bot API: updates, setup

    def _ok(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        return True

    def _get_me(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _allowed(self, update_type: str) -> bool:
        if self._allowed_updates is None:
            return update_type not in _NOT_DEFAULT_UPDATES
        return update_type in self._allowed_updates

    def _set_allowed_updates(self, value: Any) -> None:
        if isinstance(value, list):
            self._allowed_updates = frozenset(map(str, value)) or None

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if "allowed_updates" in params:
            self._set_allowed_updates(params["allowed_updates"])
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.fire()  # an older poll still waiting learns it was replaced
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            kept = []
            for update in self._updates:
                update_type = next(key for key in update if key != "update_id")
                if self._allowed(update_type):
                    kept.append(update)
                else:
                    log.warning("dropping %s update: not in allowed_updates", update_type)
            self._updates = kept
            remaining = deadline - loop.time()
            if kept or remaining <= 0 or self._closing:
                return kept[:limit]
            await self._updates_signal.wait(remaining)

    def _set_webhook(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in params:
            self._set_allowed_updates(params["allowed_updates"])
        self.webhook = {"url": url}
        for key in ("max_connections", "ip_address", "secret_token"):
            if key in params:
                self.webhook[key] = params[key]
        return True

    def _delete_webhook(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": ""}
        return True

    def _get_webhook_info(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        info: JSON = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if "max_connections" in self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    def _scope_key(self, params: JSON) -> tuple[str, int | None, int | None, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad("can't parse BotCommandScope JSON object")
        chat_id = scope.get("chat_id")
        if chat_id is not None:
            chat = self._resolve_chat(chat_id)
            if chat is None:
                raise _bad("chat not found")
            chat_id = chat.id
        user_id = scope.get("user_id")
        return (
            str(scope["type"]),
            chat_id,
            int(user_id) if user_id is not None else None,
            str(params.get("language_code") or ""),
        )

    def _set_my_commands(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands specified")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad("command description must be non-empty")
        key = self._scope_key(params)
        if commands:
            self._commands[key] = [dict(command) for command in commands]
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
        return list(self._commands.get(self._scope_key(params), []))

    def _delete_my_commands(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        self._commands.pop(self._scope_key(params), None)
        return True

    def _set_chat_menu_button(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        chat_id = params.get("chat_id")
        self.menu_buttons[int(chat_id) if chat_id is not None else None] = params.get(
            "menu_button"
        ) or {"type": "default"}
        return True

    def _get_chat_menu_button(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat_id = params.get("chat_id")
        key = int(chat_id) if chat_id is not None else None
        return self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "commands"}

    # ---------------------------------------------------------------- Bot API: sending

    def _resolve_chat(self, chat_id: Any) -> FakeChat | None:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            return next((c for c in self.chats.values() if c.username == chat_id[1:]), None)
        try:
            return self.chats.get(int(chat_id))
        except (TypeError, ValueError):
            return None

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

    def _media(
        self,
        kind: str,
        reference: Any,
        upload: UploadedFile | None,
        options: JSON,
        files: dict[str, UploadedFile],
    ) -> _Media:
        """Resolve a media parameter: a direct upload, attach://name, a URL or a file_id."""
        if upload is None and isinstance(reference, str) and reference.startswith("attach://"):
            upload = files.get(reference.removeprefix("attach://"))
            if upload is None:
                raise _bad("wrong file identifier/HTTP URL specified")
        if upload is not None:
            return self._media_from_bytes(kind, upload.data, upload, options, files)
        if isinstance(reference, str) and reference.startswith(("http://", "https://")):
            data = self._url_content.get(reference)
            if data is None:
                raise _bad("failed to get HTTP URL content")
            name = reference.rsplit("/", 1)[-1] or "file"
            return self._media_from_bytes(
                kind, data, UploadedFile(kind, name, None, data), options, files
            )
        if not isinstance(reference, str) or not reference:
            raise _bad(f"there is no {kind} in the request")
        stored = self._files.get(reference)
        if stored is None:
            raise _bad("wrong file identifier/HTTP URL specified")
        if (kind == "photo") != (stored.kind == "photo"):
            raise _bad("type of file mismatch")
        return self._media_body(kind, stored)

    def _media_from_bytes(
        self,
        kind: str,
        data: bytes,
        upload: UploadedFile,
        options: JSON,
        files: dict[str, UploadedFile],
    ) -> _Media:
        if kind == "photo":
            if len(data) > UPLOAD_PHOTO_LIMIT:
                raise ApiError(413, "Request Entity Too Large")
            size = _image_size(data)
            if size is None:
                raise _bad("IMAGE_PROCESS_FAILED")
            width, height = size
            if width + height > 10000 or max(width, height) > 20 * max(min(width, height), 1):
                raise _bad("PHOTO_INVALID_DIMENSIONS")
            sizes = self._store_photo(data, width, height)
            return self._media_body("photo", sizes[-1])
        if len(data) > UPLOAD_FILE_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        generic_name = upload.filename == "application.octet-stream"
        mime = upload.content_type if upload.content_type not in (None, "") else None
        if mime in (None, "application/octet-stream"):
            mime = mimetypes.guess_type(upload.filename)[0] or mime
        if kind in ("video", "animation", "video_note"):
            width, height, duration = _mp4_info(data)
            if kind == "video_note" and options.get("length"):
                width = height = int(options["length"])
            stored = self._store_file(
                kind,
                data,
                width=int(options.get("width") or width),
                height=int(options.get("height") or height),
                duration=int(options.get("duration") or duration),
                file_name=None if generic_name else upload.filename,
                mime_type="video/mp4" if mime in (None, "application/octet-stream") else mime,
            )
        elif kind == "sticker":
            width, height = _image_size(data) or (512, 512)
            stored = self._store_file("sticker", data, width=width, height=height)
        else:
            stored = self._store_file(
                kind if kind in ("audio", "voice") else "document",
                data,
                duration=int(options.get("duration") or 0),
                file_name=upload.filename,
                mime_type=mime or "application/octet-stream",
            )
        thumbnail = options.get("thumbnail")
        thumb_upload = files.get("thumbnail") if kind != "photo" else None
        if isinstance(thumbnail, str) and thumbnail.startswith("attach://"):
            thumb_upload = files.get(thumbnail.removeprefix("attach://"))
        if thumb_upload is not None and thumb_upload is not upload:
            thumb_size = _image_size(thumb_upload.data)
            if thumb_size is not None:
                stored.thumbnail = self._store_file(
                    "thumbnail", thumb_upload.data, width=thumb_size[0], height=thumb_size[1]
                )
        return self._media_body(kind, stored)

    def _media_body(self, kind: str, stored: StoredFile) -> _Media:
        if kind in ("audio", "voice"):
            return _Media({kind: {**stored.document(), "duration": stored.duration}}, stored)
        if kind == "video_note":
            note = {**stored.document(), "length": stored.width, "duration": stored.duration}
            return _Media({"video_note": note}, stored)
        if kind == "photo":
            sizes = self._photo_sets.get(stored.file_id, [stored])
            return _Media({"photo": [size.photo_size() for size in sizes]}, sizes[-1])
        if kind == "video":
            return _Media({"video": stored.video()}, stored)
        if kind == "animation":
            return _Media({"animation": stored.video(), "document": stored.document()}, stored)
        if kind == "sticker":
            return _Media({"sticker": stored.sticker()}, stored)
        return _Media({kind: stored.document()}, stored)

    def _send_other(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        """Any other send* method (location, poll, dice...): a content-less message, recorded."""
        method = self.calls[-1].method
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

    # ---------------------------------------------------------------- Bot API: editing

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

    # ---------------------------------------------------------------- Bot API: queries, files

    def _open_query(self, queries: dict[str, _Query], query_id: Any) -> _Query:
        query = queries.get(str(query_id))
        if (
            query is None
            or query.answer is not None
            or time.monotonic() - query.at > self.query_answer_timeout
        ):
            raise _bad(QUERY_TOO_OLD)
        return query

    def _answer_callback_query(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        query = self._open_query(self._callback_queries, params.get("callback_query_id"))
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        query.answer = {
            key: params[key]
            for key in ("text", "show_alert", "url", "cache_time")
            if key in params
        }
        return True

    def _answer_inline_query(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        query = self._open_query(self._inline_queries, params.get("inline_query_id"))
        results = params.get("results")
        if not isinstance(results, list):
            raise _bad("can't parse JSON encoded inline query results")
        if len(results) > 50:
            raise _bad("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict) or "type" not in result:
                raise _bad("can't parse InlineQueryResult JSON object")
            result_id = str(result.get("id", ""))
            if not 1 <= len(result_id.encode()) <= 64:
                raise _bad("RESULT_ID_INVALID")
            if result_id in seen:
                raise _bad("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            self._check_markup(result.get("reply_markup"), inline_only=True)
            self._inline_result_content(result)  # validates texts and captions
        if len(str(params.get("next_offset", "")).encode()) > 64:
            raise _bad("NEXT_OFFSET_INVALID")
        query.answer = {
            key: params[key]
            for key in ("results", "cache_time", "is_personal", "next_offset", "button")
            if key in params
        }
        return True

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

    def _get_file(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        if stored.file_size > GET_FILE_LIMIT:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": self._file_path(stored),
        }

    # ---------------------------------------------------------------- Bot API: chats

    def _known_chat(self, params: JSON) -> FakeChat:
        if params.get("chat_id") in (None, ""):
            raise _bad("chat_id is empty")
        chat = self._resolve_chat(params["chat_id"])
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _get_chat(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat = self._known_chat(params)
        return {
            **chat.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _user_json(self, user_id: int) -> JSON:
        if user_id == self.bot_id:
            return self.bot_user
        user = self.users.get(user_id)
        if user is None:
            raise _bad("user not found")
        return user.to_api()

    @staticmethod
    def _chat_member_json(user: JSON, status: str) -> JSON:
        member: JSON = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_pin_messages=True,
            )
        elif status == "restricted":
            member.update(
                is_member=True,
                can_send_messages=False,
                can_send_audios=False,
                can_send_documents=False,
                can_send_photos=False,
                can_send_videos=False,
                can_send_video_notes=False,
                can_send_voice_notes=False,
                can_send_polls=False,
                can_send_other_messages=False,
                can_add_web_page_previews=False,
                can_change_info=False,
                can_invite_users=False,
                can_pin_messages=False,
                can_manage_topics=False,
                until_date=0,
            )
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _get_chat_member(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat = self._known_chat(params)
        user_id = int(params.get("user_id") or 0)
        user = self._user_json(user_id)
        if chat.type == "private":
            status = "member" if user_id in (chat.id, self.bot_id) else "left"
            if user_id == self.bot_id and chat.id in self._blocked:
                status = "kicked"
        else:
            status = chat.status_of(user_id)
        return self._chat_member_json(user, status)

    def _get_chat_administrators(self, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
        chat = self._known_chat(params)
        if chat.type == "private":
            raise _bad("there are no administrators in the private chat")
        return [
            self._chat_member_json(self._user_json(user_id), status)
            for user_id, status in chat.statuses.items()
            if status in ("creator", "administrator")
        ]


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


async def _read_params(request: web.Request) -> tuple[JSON, dict[str, UploadedFile]]:
    """Parameters from the query string and the body (form, multipart or JSON), decoded."""
    raw: JSON = dict(request.query)
    files: dict[str, UploadedFile] = {}
    content_type = request.content_type
    try:
        if content_type == "application/json":
            body = await request.read()
            if body.strip():
                data = json.loads(body)
                if not isinstance(data, dict):
                    raise _bad("JSON object expected")
                raw.update(data)
        elif content_type == "multipart/form-data":
            total = 0
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                chunks = bytearray()
                while chunk := await part.read_chunk():
                    total += len(chunk)
                    if total > _BODY_LIMIT:
                        raise ApiError(413, "Request Entity Too Large")
                    chunks.extend(chunk)
                data_bytes = bytes(part.decode(bytes(chunks)))
                if part.filename is not None:
                    content = part.headers.get("Content-Type")
                    files[part.name] = UploadedFile(part.name, part.filename, content, data_bytes)
                else:
                    raw[part.name] = data_bytes.decode(part.get_charset("utf-8"))
        elif content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            raw.update({key: value for key, value in form.items() if isinstance(value, str)})
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request Entity Too Large") from None
    except (ValueError, UnicodeDecodeError):
        raise _bad("can't parse request body") from None
    return {key: _decode_param(key, value) for key, value in raw.items()}, files
