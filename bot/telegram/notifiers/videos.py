"""The Telegram side of :class:`bot.services.notify.VideoMessages`: the progress message,
chat actions, the MP4 upload.

The upload is PTB's ``send_video`` with the file handle given to the request unread
(``InputFile(fh, read_file_handle=False)``): httpx streams it from disk in 64 KB chunks, so a
45 MB video does not cost 45 MB of memory. It goes through the bot's rate limiter and retry
policy (bot/telegram/retry.py), judged strictly: only 429s and connections never made are
sent again (httpx rewinds the file for each try). Once bytes went out, a 5xx or an answer
lost or unreadable is never followed by a second upload (a second 45 MB copy is worse than a
link): the person gets the link, told that the video may already be in the chat. A 403
means "no private chat" only when Telegram says so.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

from telegram import Bot, InlineKeyboardMarkup, InputFile, InputMediaVideo, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.services.bounded import RecentTimes
from bot.services.clock import Clock
from bot.services.job_failures import job_failure
from bot.services.languages import LanguageService
from bot.services.mp4 import probe
from bot.services.notify import DeliveryRefused, Undelivered
from bot.telegram import i18n
from bot.telegram.keyboards import videos as video_keyboards
from bot.telegram.retry import Outcome, classify
from bot.telegram.texts import videos as video_texts
from storage.models import JobStatus, VideoJob

log = logging.getLogger(__name__)

SHOWN_CAP = 10_000  # cards whose last text is remembered (a hash each)


class TelegramVideoNotifier:
    def __init__(
        self,
        bot: Bot,
        *,
        clock: Clock,
        edit_interval: float = 5.0,
        action_interval: float = 4.5,
        group_edit_interval: float = 15.0,
        upload_timeout: float = 600.0,
        answer_timeout: float = 60.0,
        languages: LanguageService | None = None,
    ) -> None:
        self.bot = bot
        self.languages = languages
        self.clock = clock
        self.edit_interval = edit_interval
        self.group_edit_interval = group_edit_interval
        self.action_interval = action_interval
        # Bounded: entries older than the interval they throttle are of no use.
        self._last_edit: RecentTimes[int] = RecentTimes(max(edit_interval, group_edit_interval))
        self._last_action: RecentTimes[int] = RecentTimes(action_interval)
        # The progress text each card was last edited to (bounded: oldest first out); after
        # a restart it is empty, and the runner edits only on a change of stage anyway.
        self._shown: OrderedDict[int, int] = OrderedDict()  # job id -> hash of its text
        # Per upload: writing 50 MB may take minutes on a slow link, and Telegram takes a
        # while to process a large upload before it answers.
        self.upload_timeout = upload_timeout
        self.answer_timeout = answer_timeout

    async def _edit(
        self, job: VideoJob, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        if job.message_id is None and job.inline_message_id is None:
            return
        try:
            if job.inline_message_id is not None:
                await self.bot.edit_message_text(
                    text,
                    inline_message_id=job.inline_message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
                return
            await self.bot.edit_message_text(
                text,
                chat_id=job.chat_id,
                message_id=job.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                log.info("progress edit for job %d refused: %s", job.id, exc.message)
        except Forbidden:
            log.info("chat %d blocked the bot", job.chat_id)

    async def _language(self, job: VideoJob) -> str:
        """A card is read in its chat's language; an inline card, in its requester's."""
        if self.languages is None:
            return i18n.SOURCE
        chat = job.user_id if job.inline_message_id is not None else job.chat_id
        return await self.languages.of_chat(chat)

    async def job_progress(self, job: VideoJob, face_name: str, *, force: bool = False) -> None:
        """Edit the card when its text would change, never with the text it already shows
        (``force`` lifts the interval, not that)."""
        with i18n.speaking(await self._language(job)):
            await self._progress(job, face_name, force=force)

    async def _progress(self, job: VideoJob, face_name: str, *, force: bool) -> None:
        text = video_texts.progress(job, face_name)
        if self._shown.get(job.id) == hash(text):
            return
        now = self.clock()
        interval = self.group_edit_interval if job.chat_id < 0 else self.edit_interval
        if not force and now - self._last_edit.get(job.id, 0.0) < interval:
            return
        self._last_edit[job.id] = now
        self._shown[job.id] = hash(text)
        self._shown.move_to_end(job.id)
        while len(self._shown) > SHOWN_CAP:
            self._shown.popitem(last=False)
        try:
            await self._edit(job, text)
        except BaseException:
            self._shown.pop(job.id, None)  # not shown: the next change tries again
            raise

    async def job_outcome(self, job: VideoJob, face_name: str) -> None:
        with i18n.speaking(await self._language(job)):
            await self._outcome(job, face_name)

    async def _outcome(self, job: VideoJob, face_name: str) -> None:
        self._last_edit.pop(job.id, None)
        self._shown.pop(job.id, None)
        if job.status is JobStatus.DELIVERED and job.inline_message_id is not None:
            await self._inline_video(job, face_name)
        elif job.status is JobStatus.DELIVERED:
            await self._edit(job, video_texts.delivered_card(job, face_name))
        elif job.status is JobStatus.TOO_LARGE:
            await self._edit(job, video_texts.link_instead(job, face_name, self.bot.username))
        elif job.status is JobStatus.FAILED:
            await self._edit(
                job,
                video_texts.failed(job, face_name),
                video_keyboards.outcome(job, retry=job_failure(job).retry_helps),
            )
        elif job.status is JobStatus.NEEDS_DECISION:
            await self._edit(
                job,
                video_texts.needs_decision(job, face_name),
                video_keyboards.needs_decision(job),
            )

    async def _inline_video(self, job: VideoJob, name: str) -> None:
        """Replace the inline placeholder with the video, by the file_id Telegram gave us."""
        assert job.inline_message_id is not None and job.tg_file_id is not None
        try:
            await self.bot.edit_message_media(
                InputMediaVideo(
                    job.tg_file_id,
                    caption=video_texts.video_caption(job, name),
                    parse_mode=ParseMode.HTML,
                    supports_streaming=True,
                ),
                inline_message_id=job.inline_message_id,
            )
        except BadRequest as exc:
            log.info("inline media edit for job %d refused: %s", job.id, exc.message)

    async def working(self, job: VideoJob) -> None:
        if job.inline_message_id is not None:
            return  # no chat to show it in: the placeholder's progress says enough
        now = self.clock()
        if now - self._last_action.get(job.chat_id, 0.0) < self.action_interval:
            return
        self._last_action[job.chat_id] = now
        try:
            await self.bot.send_chat_action(job.chat_id, ChatAction.UPLOAD_VIDEO)
        except TelegramError as exc:
            log.info("chat action for %d failed: %s", job.chat_id, exc)

    async def send_video(self, job: VideoJob, face_name: str, path: Path, size: int) -> str:
        with i18n.speaking(await self._language(job)):
            return await self._send_video(job, face_name, path, size)

    async def _send_video(self, job: VideoJob, face_name: str, path: Path, size: int) -> str:
        info = probe(path)
        duration = max(1, round(info.duration)) if info.duration is not None else None
        reply = None
        if job.message_id is not None and job.inline_message_id is None:
            reply = ReplyParameters(job.message_id, allow_sending_without_reply=True)
        try:
            # Open for the whole call: the request reads the handle, and every retry of the
            # rate limiter reads it again from the start.
            with path.open("rb") as video:
                message = await self.bot.send_video(
                    job.chat_id,
                    InputFile(video, filename=path.name, read_file_handle=False),
                    caption=video_texts.video_caption(job, face_name),
                    parse_mode=ParseMode.HTML,
                    supports_streaming=True,
                    reply_markup=video_keyboards.under_video(job),
                    duration=duration,
                    width=info.width or None,
                    height=info.height or None,
                    reply_parameters=reply,
                    write_timeout=self.upload_timeout,
                    read_timeout=self.answer_timeout,
                )
        except Forbidden as exc:
            reason = Undelivered.FORBIDDEN
            if any(words in exc.message.lower() for words in _NO_PRIVATE_CHAT):
                reason = Undelivered.NO_PRIVATE_CHAT
            raise DeliveryRefused(reason, exc.message) from exc
        except BadRequest as exc:
            raise DeliveryRefused(Undelivered.REFUSED, exc.message) from exc
        except TelegramError as exc:
            if classify(exc) is Outcome.UNKNOWN:
                raise DeliveryRefused(Undelivered.UNCERTAIN, str(exc)) from exc
            if "entity too large" in exc.message.lower():
                raise DeliveryRefused(Undelivered.TOO_LARGE, exc.message) from exc
            raise  # not taken, and a later try may succeed: the job runner decides
        if message.video is None:
            raise TelegramError("sendVideo returned no video")
        log.info("job %d delivered: %d bytes", job.id, size)
        return message.video.file_id


# The only 403s that mean the person has no private chat with the bot to receive a video in.
_NO_PRIVATE_CHAT = ("bot was blocked by the user", "bot can't initiate conversation")
