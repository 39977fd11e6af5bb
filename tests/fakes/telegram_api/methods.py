"""Bot API methods other than sending and editing messages (see sending.py, editing.py).

getMe, getUpdates and webhooks, commands, descriptions and the menu button, answers to callback
and inline queries, getFile, and the chat lookups.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from tests.fakes.telegram_api.common import (
    GET_FILE_LIMIT,
    JSON,
    QUERY_TOO_OLD,
    ApiError,
    _bad,
    log,
)
from tests.fakes.telegram_api.content import Content
from tests.fakes.telegram_api.models import FakeChat, UploadedFile, _Query

# Update types a bot gets when it never passed allowed_updates (or passed an empty list).
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class GeneralMethods(Content):
    """Handlers take (params, files) and return the result or raise ApiError."""

    # ---------------------------------------------------------------- updates, setup

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

    def _set_my_description(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        return self._set_description(params, "description", 512)

    def _get_my_description(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        return self._get_description(params, "description")

    def _set_my_short_description(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        return self._set_description(params, "short_description", 120)

    def _get_my_short_description(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        return self._get_description(params, "short_description")

    def _set_description(self, params: JSON, field: str, limit: int) -> bool:
        """setMyDescription / setMyShortDescription: per language; empty removes it."""
        text = params.get(field) or ""
        if not isinstance(text, str) or len(text) > limit:
            raise _bad(f"{field} must be a string of at most {limit} characters")
        key = (field, str(params.get("language_code") or ""))
        if text:
            self._descriptions[key] = text
        else:
            self._descriptions.pop(key, None)
        return True

    def _get_description(self, params: JSON, field: str) -> JSON:
        return {field: self._descriptions.get((field, str(params.get("language_code") or "")), "")}

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

    # ---------------------------------------------------------------- queries, files

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

    # ---------------------------------------------------------------- chats

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
        return self.chat_member_json(user, status)

    def _get_chat_administrators(self, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
        chat = self._known_chat(params)
        if chat.type == "private":
            raise _bad("there are no administrators in the private chat")
        return [
            self.chat_member_json(self._user_json(user_id), status)
            for user_id, status in chat.statuses.items()
            if status in ("creator", "administrator")
        ]
