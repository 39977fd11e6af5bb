"""The fake's in-memory state, and the few helpers every part of it needs.

``FakeTelegram`` is assembled from mixins (files, content, updates, inspection and the Bot API
method modules), each a subclass of ``FakeState``, so they all see the same attributes.
"""

from __future__ import annotations

import copy
import itertools
import time
from typing import Any

from tests.fakes.telegram_api.common import JSON
from tests.fakes.telegram_api.faults import Fault
from tests.fakes.telegram_api.models import (
    ApiCall,
    BotMessage,
    FakeChat,
    FakeUser,
    StoredFile,
    _Query,
    _Signal,
)


class FakeState:
    """Everything the fake remembers: users, chats, messages, files, queries, pending updates."""

    def __init__(self, token: str, bot_username: str, bot_id: int) -> None:
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
        self.last_update_id = 0  # the newest update given to the bot
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
        # ("description" | "short_description", language_code) -> the text set for it
        self._descriptions: dict[tuple[str, str], str] = {}
        self._callback_queries: dict[str, _Query] = {}
        self._inline_queries: dict[str, _Query] = {}
        self._faults: list[Fault] = []
        self.faulted: list[tuple[str, str]] = []  # (method, Fault.label) of each struck request
        self.downloads: list[str] = []  # file paths the bot fetched (GET /file/bot<token>/...)
        self._started: set[int] = set()
        self._blocked: set[int] = set()
        self._last_activity = time.monotonic()
        self._activity = _Signal()
        self._updates_signal = _Signal()
        self._closing = False

    @property
    def bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _enqueue(self, update_type: str, payload: JSON) -> JSON:
        update = {"update_id": next(self._update_ids), update_type: payload}
        self.last_update_id = update["update_id"]
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

    def _resolve_chat(self, chat_id: Any) -> FakeChat | None:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            return next((c for c in self.chats.values() if c.username == chat_id[1:]), None)
        try:
            return self.chats.get(int(chat_id))
        except (TypeError, ValueError):
            return None

    @staticmethod
    def chat_member_json(user: JSON, status: str) -> JSON:
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
