"""The Telegram side of video jobs: the progress message, chat actions, the MP4 upload.

The upload goes through httpx's streaming multipart rather than python-telegram-bot's
InputFile, which reads the whole file into memory: a 45 MB video must not cost 45 MB.
Its failures are turned into PTB's exceptions, so the bot's retry policy applies to it as
to every other call (bot/telegram_retry.py): 429s, 5xx and uploads that never fully left
are sent again with backoff. An upload that went out whole without an answer is never sent
again (a second 45 MB copy is worse than a link): the person gets the link, told that the
video may already be in the chat. A 403 means "no private chat" only when Telegram says so.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardMarkup, InputMediaVideo, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.services.bounded import RecentTimes
from bot.services.clock import Clock
from bot.services.mp4 import probe
from bot.services.notify import DeliveryRefused, Undelivered
from bot.telegram.keyboards import videos as video_keyboards
from bot.telegram.retry import Outcome, TelegramRetry, classify, retry_of
from bot.telegram.texts import videos as video_texts
from storage.faces import FaceRepo
from storage.models import JobStatus, VideoJob

log = logging.getLogger(__name__)


class TelegramVideoNotifier:
    def __init__(
        self,
        bot: Bot,
        *,
        faces: FaceRepo,
        clock: Clock,
        edit_interval: float = 5.0,
        action_interval: float = 4.5,
        group_edit_interval: float = 15.0,
        upload_timeout: float = 600.0,
        answer_timeout: float = 60.0,
        retry: TelegramRetry | None = None,
    ) -> None:
        self.bot = bot
        self.faces = faces
        self.clock = clock
        self.edit_interval = edit_interval
        self.group_edit_interval = group_edit_interval
        self.action_interval = action_interval
        # Bounded: entries older than the interval they throttle are of no use.
        self._last_edit: RecentTimes[int] = RecentTimes(max(edit_interval, group_edit_interval))
        self._last_action: RecentTimes[int] = RecentTimes(action_interval)
        self.retry = retry or retry_of(bot)
        # answer_timeout: Telegram takes a while to process a large upload before it answers.
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(answer_timeout, connect=10.0, write=upload_timeout)
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def face_name(self, job: VideoJob) -> str:
        face = await self.faces.get(job.face_id) if job.face_id is not None else None
        return face.name if face else "?"

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

    async def job_progress(self, job: VideoJob, *, force: bool = False) -> None:
        now = self.clock()
        interval = self.group_edit_interval if job.chat_id < 0 else self.edit_interval
        if not force and now - self._last_edit.get(job.id, 0.0) < interval:
            return
        self._last_edit[job.id] = now
        await self._edit(job, video_texts.progress(job, await self.face_name(job), now))

    async def job_outcome(self, job: VideoJob) -> None:
        self._last_edit.pop(job.id, None)
        name = await self.face_name(job)
        if job.status is JobStatus.DELIVERED and job.inline_message_id is not None:
            await self._inline_video(job, name)
        elif job.status is JobStatus.DELIVERED:
            await self._edit(job, video_texts.delivered_card(job, name))
        elif job.status is JobStatus.TOO_LARGE:
            await self._edit(job, video_texts.link_instead(job, name, self.bot.username))
        elif job.status is JobStatus.FAILED:
            await self._edit(
                job,
                video_texts.failed(job, name),
                video_keyboards.outcome(job, retry=video_texts.retry_helps(job)),
            )
        elif job.status is JobStatus.NEEDS_DECISION:
            await self._edit(
                job, video_texts.needs_decision(job, name), video_keyboards.needs_decision(job)
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

    async def send_video(self, job: VideoJob, path: Path, size: int) -> str:
        info = probe(path)
        fields: dict[str, Any] = {
            "chat_id": job.chat_id,
            "caption": video_texts.video_caption(job, await self.face_name(job)),
            "parse_mode": ParseMode.HTML.value,
            "supports_streaming": "true",
            "reply_markup": json.dumps(video_keyboards.under_video(job).to_dict()),
        }
        if info.duration is not None:
            fields["duration"] = max(1, round(info.duration))
        if info.width and info.height:
            fields["width"], fields["height"] = info.width, info.height
        if job.message_id is not None:
            fields["reply_parameters"] = json.dumps(
                {"message_id": job.message_id, "allow_sending_without_reply": True}
            )
        if job.inline_message_id is not None:
            fields.pop("reply_parameters", None)
        message = await self._post_video(fields, path)
        if message.video is None:
            raise TelegramError("sendVideo returned no video")
        log.info("job %d delivered: %d bytes", job.id, size)
        return message.video.file_id

    async def _post_video(self, fields: dict[str, Any], path: Path) -> Message:
        """Upload, retried as the bot's policy says, never again once it may have arrived."""
        url = f"{self.bot.base_url}/sendVideo"
        data = {k: str(v) for k, v in fields.items()}

        async def attempt() -> Message:
            with path.open("rb") as video:
                try:
                    response = await self.http.post(
                        url, data=data, files={"video": (path.name, video, "video/mp4")}
                    )
                except httpx.TimeoutException as exc:  # as PTB's own request raises them
                    raise TimedOut from exc
                except httpx.HTTPError as exc:
                    raise NetworkError(f"httpx.{type(exc).__name__}: {exc}") from exc
            return self._sent_video(response)

        try:
            return await self.retry.run("sendVideo", attempt, unknown_repeats=0)
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

    def _sent_video(self, response: httpx.Response) -> Message:
        """The sent message, or the error PTB would raise for this answer."""
        try:
            body = response.json()
        except ValueError:  # an HTML error page from a proxy
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.is_success and body.get("ok"):
            message = Message.de_json(body["result"], self.bot)
            assert message is not None
            return message
        description = str(
            body.get("description") or f"{response.reason_phrase} ({response.status_code})"
        )
        retry_after = (body.get("parameters") or {}).get("retry_after")
        if retry_after:
            raise RetryAfter(int(retry_after))
        if response.status_code == 403:
            raise Forbidden(description)
        if response.status_code == 400:
            raise BadRequest(description)
        raise NetworkError(description)


# The only 403s that mean the person has no private chat with the bot to receive a video in.
_NO_PRIVATE_CHAT = ("bot was blocked by the user", "bot can't initiate conversation")
