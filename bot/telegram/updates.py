"""At-least-once handling of Telegram updates across kill -9, with no write for an update
handled before Telegram is told it arrived.

Telegram forgets an update once it is confirmed: by the next getUpdates whose offset passes
it (polling), or when its webhook call is answered. An update still being handled at that
moment would be lost by a kill -9, so it must be in the inbox by then; one that finished
before it never needs to be written. So:

- :class:`DurableUpdateQueue` queues each update and tracks it in memory, writing nothing.
- Polling: :class:`ConfirmingRequest` (the getUpdates connection) runs
  :meth:`DurableUpdateQueue.before_confirming` before each getUpdates. It waits for the
  updates in hand to finish while they do (until none has finished for ``grace``, 0.1 s,
  plus 0.05 s for each still in hand, or ``patience``, 1 s, in all), then keeps the ones
  still running in one write; if that write fails, the getUpdates fails (a NetworkError,
  which PTB's updater retries with the offset unchanged), so nothing unkept is ever
  confirmed. The wait holds back only the next getUpdates, and only while handlers are
  busy with the last batch.
- Webhook: :meth:`DurableUpdateQueue.receive` puts the update, waits the same way for its
  own handling, and keeps it if it still runs, before the call is answered.
- :class:`DurableProcessor` tells the queue when an update's handling ends; only a kept one
  is then marked done (marks that come together share one write).
- At the next start :func:`replay` queues what was kept and not finished; an update whose
  handling died :data:`MAX_ATTEMPTS` times is dropped and its sender told.

A replayed update runs its handler again. Handlers whose effect must not happen twice make
it idempotent by the update's id (a face start, a stored photo) or by a guarded status
transition (a paid submit). What a plain reply may do twice: (1) as before, an update kept
and killed between its reply and its done mark is replayed and replies again; (2) new with
this scheme, an update that finished unwritten in the moment before the getUpdates or
webhook answer that confirms it (while the rest of its batch finished: at most
``patience``) is sent again by Telegram after a kill -9 and handled again (the old scheme
wrote it first and skipped it). State changes are safe in both cases for the reasons
above; only a read-only reply (a /start greeting, an inline answer) can arrive twice.

Within one run an update Telegram sends again (its confirmation failed) is recognised by
its id (the last :data:`REMEMBERED` ids, the replays, and the inbox's recently done ones).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from telegram import Bot, Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import SimpleUpdateProcessor
from telegram.request import HTTPXRequest

from bot.services.foreground import Foreground
from bot.services.inbox import KeptUpdate, UpdateInbox
from bot.telegram import i18n
from bot.telegram.texts import common as texts

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # an update whose handling died this often is dropped, not retried forever
# Before a confirmation the updates in hand may finish unwritten: the wait ends once none
# has finished for GRACE_SECONDS plus PER_UPDATE_SECONDS for each one still in hand (handled
# side by side, a burst's first update ends only when most of the burst's work is done), or
# after PATIENCE_SECONDS in all; what still runs is then kept.
GRACE_SECONDS = 0.1
PER_UPDATE_SECONDS = 0.05
PATIENCE_SECONDS = 1.0
REMEMBERED = 10_000  # update ids remembered to recognise one Telegram sends again


class DurableUpdateQueue(asyncio.Queue[object]):
    """The Application's update queue; it keeps in the inbox whatever is still being handled
    when Telegram is about to be told it arrived."""

    def __init__(self, grace: float = GRACE_SECONDS, patience: float = PATIENCE_SECONDS) -> None:
        super().__init__()
        self.inbox: UpdateInbox | None = None
        self.grace = grace
        self.patience = patience
        self._unkept: dict[int, Update] = {}  # being handled, not in the inbox
        self._kept: set[int] = set()  # in the inbox, not yet marked done
        self._finishing: set[int] = set()  # kept and handled: their done mark is due
        self._recent: deque[int] = deque()
        self._seen: set[int] = set()  # ids of _recent, and of the updates kept at start
        self._writing = asyncio.Lock()  # one inbox write at a time, in order
        self._progress = asyncio.Event()  # an unkept update finished

    def bind(
        self,
        inbox: UpdateInbox,
        unfinished: Iterable[KeptUpdate] = (),
        handled: Iterable[int] = (),
    ) -> None:
        """Start keeping updates; ``unfinished`` (to be replayed) and ``handled`` (recently
        done) are in the inbox already, and Telegram may send them again."""
        self.inbox = inbox
        for update_id in sorted(handled):
            self._remember(update_id)
        for kept in unfinished:
            self._seen.add(kept.update_id)
            self._kept.add(kept.update_id)

    def _remember(self, update_id: int) -> None:
        if len(self._recent) >= REMEMBERED:
            self._seen.discard(self._recent.popleft())
        self._recent.append(update_id)
        self._seen.add(update_id)

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and self.inbox is not None:
            update_id = item.update_id
            if update_id in self._seen:
                # Telegram sends again what it never saw confirmed: it is in hand already,
                # was handled, or waits for its replay.
                log.info("update %d was seen before; not handled again", update_id)
                return
            self._remember(update_id)
            self._unkept[update_id] = item
        await super().put(item)

    async def replay(self, update: Update) -> None:
        """Queue an update an earlier run kept but did not finish."""
        self._seen.add(update.update_id)
        self._kept.add(update.update_id)
        await super().put(update)

    def dropped(self, update_id: int) -> None:
        """A kept update that is not replayed (see :func:`replay`) needs no done mark."""
        self._kept.discard(update_id)

    async def before_confirming(self) -> None:
        """Polling: the next getUpdates confirms every update received so far. Wait a
        moment for those in hand, then keep the rest (NetworkError if that fails)."""
        await self._wait(lambda: not self._unkept)
        await self._keep(None)

    async def receive(self, update: Update) -> None:
        """Webhook: queue ``update``; once this returns, answering the call is safe."""
        await self.put(update)
        update_id = update.update_id
        await self._wait(lambda: update_id not in self._unkept)
        await self._keep(update_id)

    async def finished(self, update_id: int) -> None:
        """An update's handling ended; a kept one is marked done."""
        if self._unkept.pop(update_id, None) is not None:
            self._progress.set()
            return
        if update_id not in self._kept:
            return
        self._finishing.add(update_id)
        async with self._writing:
            # Whoever holds the lock next marks every update that finished meanwhile.
            due = sorted(self._finishing)
            self._finishing.clear()
            if not due or self.inbox is None:
                return
            self._kept.difference_update(due)
            try:
                await self.inbox.done(due)
            except Exception:
                log.exception("marking updates %s done failed; they run again at next start", due)

    def _quiet(self) -> float:
        """How long no update may finish before the wait gives up on those in hand."""
        return self.grace + PER_UPDATE_SECONDS * len(self._unkept)

    async def _wait(self, settled: Callable[[], bool]) -> None:
        """Until ``settled()``, while updates keep finishing (see :meth:`_quiet`), at most
        ``patience`` in all. A burst the CPU works through ends one update after another;
        a slow provider call ends none."""
        if settled():
            return
        loop = asyncio.get_running_loop()
        start = loop.time()
        quiet_until = start + self._quiet()
        while not settled():
            remaining = min(quiet_until, start + max(self.patience, self.grace)) - loop.time()
            if remaining <= 0:
                return
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), remaining)
            except TimeoutError:
                return
            quiet_until = loop.time() + self._quiet()

    async def _keep(self, only: int | None) -> None:
        """Write the unkept updates in hand (or just ``only``) to the inbox, in one write."""
        if self.inbox is None or not self._unkept:
            return
        async with self._writing:
            if only is None:
                batch, self._unkept = self._unkept, {}
            elif only in self._unkept:
                batch = {only: self._unkept.pop(only)}
            else:
                return
            if not batch:
                return
            # From here an update of the batch that finishes waits for this write, then is
            # marked done; if the write fails it is unkept again.
            self._kept.update(batch)
            try:
                await self.inbox.keep(
                    [(update_id, json.dumps(u.to_dict())) for update_id, u in batch.items()]
                )
            except BaseException as exc:
                for update_id, update in batch.items():
                    self._kept.discard(update_id)
                    if update_id in self._finishing:
                        self._finishing.discard(update_id)
                    else:
                        self._unkept[update_id] = update
                if not isinstance(exc, Exception):
                    raise
                # The updater retries a NetworkError with the offset unchanged (and an
                # unanswered webhook call is sent again): nothing unkept is confirmed.
                raise NetworkError(f"could not keep updates {_ids(batch)}: {exc}") from exc
            log.info("kept update(s) %s: still being handled when confirmed", _ids(batch))


def _ids(updates: Iterable[int]) -> str:
    return ", ".join(map(str, updates))


class ConfirmingRequest(HTTPXRequest):
    """The getUpdates connection: each getUpdates confirms the updates received before it,
    so the queue keeps the ones still being handled first. (PTB's Updater puts a batch on
    the queue and then calls getUpdates with the next offset; this request is the one seam
    between the two that PTB offers: ``ApplicationBuilder.get_updates_request``.)"""

    def __init__(self, queue: DurableUpdateQueue, **options: Any) -> None:
        super().__init__(**options)
        self.queue = queue

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        await self.queue.before_confirming()
        return await super().do_request(*args, **kwargs)


class DurableProcessor(SimpleUpdateProcessor):
    """Tells the queue when an update's handlers have run (or failed)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.queue: DurableUpdateQueue | None = None
        # Background polling rounds make way while updates are handled (services/foreground.py).
        self.foreground = Foreground()

    def bind(self, queue: DurableUpdateQueue) -> None:
        self.queue = queue

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        self.foreground.enter()
        try:
            await coroutine
        finally:
            self.foreground.leave()
        # Not in a finally: an update cut off by cancellation (shutdown) was kept by the
        # last getUpdates and runs again at the next start. A handler's own exception was
        # already given to the error handler.
        if isinstance(update, Update) and self.queue is not None:
            await self.queue.finished(update.update_id)


async def replay(
    unfinished: Sequence[KeptUpdate],
    inbox: UpdateInbox,
    queue: DurableUpdateQueue,
    bot: Bot,
) -> int:
    """Queue the updates an earlier run kept and did not finish (read by
    ``inbox.unfinished`` before this run could receive any); how many."""
    count = 0
    for kept in unfinished:
        update = Update.de_json(json.loads(kept.payload), bot)
        if update is None or kept.attempts > MAX_ATTEMPTS:
            await inbox.done([kept.update_id])
            queue.dropped(kept.update_id)
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
    user = update.effective_user
    # No stored choice is read here (the services are not up yet): their app's language.
    with i18n.speaking(i18n.best(user.language_code or "") if user else i18n.SOURCE):
        text = texts.update_dropped()
    try:
        await bot.send_message(chat.id, text)
    except TelegramError as exc:
        log.info("telling chat %d about a dropped update failed: %s", chat.id, exc)
