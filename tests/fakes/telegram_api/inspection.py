"""Reading what the bot did: its messages and API calls, and waiting for them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from tests.fakes.telegram_api.common import JSON, _dumps
from tests.fakes.telegram_api.models import ApiCall, BotMessage
from tests.fakes.telegram_api.state import FakeState

T = TypeVar("T")


def _short(params: JSON, limit: int = 160) -> str:
    text = _dumps(params)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Inspection(FakeState):
    """messages, calls_to, wait_for, next_message, wait_idle, dump, ..."""

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

    def description(self, language_code: str = "", *, short: bool = False) -> str:
        """The bot's description (``short``: its short description) set for a language."""
        field = "short_description" if short else "description"
        return self._descriptions.get((field, language_code), "")

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
        timeout: float = 30.0,
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
        timeout: float = 30.0,
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
            if call.fault and not call.error:
                error = f" -> answer lost ({call.fault})"
            lines.append(f"  {call.method} {_short(call.params)}{error}")
        return "\n".join(lines)
