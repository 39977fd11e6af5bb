"""At-least-once handling of Telegram updates across kill -9.

The Updater confirms an update to Telegram with its next getUpdates, right after putting
it on the queue, so an update still in a handler when the process dies is gone for good
(webhook mode: once the call is answered). :class:`DurableUpdateQueue` writes each update
to the inbox before it goes on the queue, and the updater awaits that ``put`` before it
confirms anything; :class:`DurableProcessor` marks it done when its handling ends; at the
next start :func:`replay` queues what was cut off.

A replayed update runs its handler again. Handlers whose effect must not happen twice
make it idempotent by the update's id (a face start, a stored photo) or by a guarded status
transition (a paid submit); a plain reply may be sent twice in the one window between a
send and the done mark (documented in the README).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Sequence
from typing import Any

from telegram import Bot, Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import SimpleUpdateProcessor

from bot.services.inbox import KeptUpdate, UpdateInbox
from bot.telegram.texts import common as texts

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # an update whose handling died this often is dropped, not retried forever


class DurableUpdateQueue(asyncio.Queue[object]):
    """The Application's update queue; updates are kept in the inbox before they queue."""

    def __init__(self) -> None:
        super().__init__()
        self.inbox: UpdateInbox | None = None
        self._replaying: set[int] = set()

    def bind(self, inbox: UpdateInbox) -> None:
        self.inbox = inbox

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and self.inbox is not None:
            if item.update_id in self._replaying:
                # Telegram sends again what it never saw confirmed; the replay has it.
                return
            payload = json.dumps(item.to_dict())
            try:
                known = not await self.inbox.keep(item.update_id, payload)
            except Exception as exc:
                # The updater retries a NetworkError with the offset unchanged; any other
                # error would end polling for good.
                raise NetworkError(f"could not keep update {item.update_id}: {exc}") from exc
            if known:
                log.info("update %d was seen before; not handled again", item.update_id)
                return
        await super().put(item)

    async def replay(self, update: Update) -> None:
        """Queue an update an earlier run kept but did not finish."""
        self._replaying.add(update.update_id)
        await super().put(update)


class DurableProcessor(SimpleUpdateProcessor):
    """Marks an update done in the inbox once its handlers have run (or failed)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.inbox: UpdateInbox | None = None

    def bind(self, inbox: UpdateInbox) -> None:
        self.inbox = inbox

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine
        # Not in a finally: an update cut off by cancellation (shutdown) runs again at the
        # next start. A handler's own exception was already given to the error handler.
        if isinstance(update, Update) and self.inbox is not None:
            await self.inbox.done(update.update_id)


async def replay(
    unfinished: Sequence[KeptUpdate],
    inbox: UpdateInbox,
    queue: DurableUpdateQueue,
    bot: Bot,
) -> int:
    """Queue the updates an earlier run received and did not finish (read by
    ``inbox.unfinished`` before this run could receive any); how many."""
    count = 0
    for kept in unfinished:
        update = Update.de_json(json.loads(kept.payload), bot)
        if update is None or kept.attempts > MAX_ATTEMPTS:
            await inbox.done(kept.update_id)
            if update is not None:
                log.error("update %d failed %d times; dropped", kept.update_id, kept.attempts - 1)
                await _tell_dropped(bot, update)
            continue
        await queue.replay(update)
        count += 1
    if count:
        log.info("replaying %d update(s) a restart cut off", count)
    return count


async def _tell_dropped(bot: Bot, update: Update) -> None:
    """The sender of a dropped update hears that it was not done, rather than nothing."""
    chat = update.effective_chat
    if chat is None:
        return
    try:
        await bot.send_message(chat.id, texts.update_dropped())
    except TelegramError as exc:
        log.info("telling chat %d about a dropped update failed: %s", chat.id, exc)
