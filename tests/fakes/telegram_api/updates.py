"""The user side: acting as users queues the Bot API updates the bot gets from getUpdates."""

from __future__ import annotations

import asyncio
import copy
import mimetypes
import time

from tests.fakes.telegram_api.common import _COMMAND_RE, GROUP_ANONYMOUS_BOT, JSON
from tests.fakes.telegram_api.content import Content
from tests.fakes.telegram_api.files import _image_size, _sticker_webp
from tests.fakes.telegram_api.html import _command_entities
from tests.fakes.telegram_api.inspection import Inspection
from tests.fakes.telegram_api.models import BotMessage, Button, FakeChat, FakeUser, _Query


class UserActions(Content, Inspection):
    """send_text, send_photo, press, inline_query, ...: what users do, as updates."""

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
        # A forwarded message keeps its entities, a /command's bot_command among them.
        entities = _command_entities(text)
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

    async def wait_answer(self, query_id: str, timeout: float = 30) -> JSON:
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

    async def wait_inline_answer(self, query_id: str, timeout: float = 30) -> JSON:
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

    # ---------------------------------------------------------------- internals

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
                "old_chat_member": self.chat_member_json(bot_user, old),
                "new_chat_member": self.chat_member_json(bot_user, new),
            },
        )
        await asyncio.sleep(0)
