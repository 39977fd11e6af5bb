"""Photos and image files into the current face."""

from __future__ import annotations

import logging
from collections import deque

from telegram import Bot, Message, Update
from telegram.error import BadRequest

from bot.services.errors import ServiceRefused
from bot.services.uploads import DownloadTooBig, FileFetcher, IncomingFile
from bot.telegram.actor import actor_of
from bot.telegram.context import Context
from bot.telegram.retry import UNLIMITED, retry_of
from bot.telegram.texts.refusals import refusal_text

log = logging.getLogger(__name__)

REFUSED_ALBUMS = "refused_albums"


def telegram_fetcher(bot: Bot) -> FileFetcher:
    """Download a file's bytes; the file URL (it holds the token) never leaves this function.

    getFile is retried by the bot's rate limiter; the download, a GET that is always safe to
    repeat, by the same policy here (bot/telegram_retry.py). Only when that gives up does
    the error reach UploadService, which marks the photo failed ("send it again").
    """
    retry = retry_of(bot)

    async def fetch(file_id: str) -> bytes:
        try:
            file = await bot.get_file(file_id)
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                raise DownloadTooBig from None
            raise
        data = await retry.run("download", file.download_as_bytearray, unknown_repeats=UNLIMITED)
        return bytes(data)

    return fetch


def incoming_file(message: Message) -> IncomingFile | None:
    """The photo (its largest size) or the document in a message, as Telegram describes it."""
    if message.photo:
        largest = message.photo[-1]
        return IncomingFile(
            tg_file_id=largest.file_id,
            tg_file_unique_id=largest.file_unique_id,
            file_name=None,
            mime_type="image/jpeg",
            file_size=largest.file_size,
            width=largest.width,
            height=largest.height,
        )
    doc = message.document
    if doc is None:
        return None
    return IncomingFile(
        tg_file_id=doc.file_id,
        tg_file_unique_id=doc.file_unique_id,
        file_name=doc.file_name,
        mime_type=doc.mime_type,
        file_size=doc.file_size,
        width=None,
        height=None,
    )


async def on_file(update: Update, context: Context) -> None:
    """A photo or a file in a private chat goes into the user's current face."""
    message = update.effective_message
    assert message is not None
    file = incoming_file(message)
    if file is not None:
        await receive_file(update, context, file)


async def receive_file(
    update: Update, context: Context, file: IncomingFile, *, reply_to: int | None = None
) -> None:
    """Hand a photo to UploadService (it decides which face, and whether this person may),
    then let it be checked and uploaded in the background."""
    svc = context.bot_data.services
    message = update.effective_message
    assert message is not None
    album = message.media_group_id
    try:
        received = await svc.uploads.receive(
            await actor_of(update, context),
            file,
            album,
            reply_to=reply_to,
            # The same update handled again after a crash must not store a second photo.
            request_key=f"u{update.update_id}",
        )
    except ServiceRefused as refused:
        # One refusal per album, not one per photo in it.
        chat_data = context.chat_data if context.chat_data is not None else {}
        refused_albums: deque[str] = chat_data.setdefault(REFUSED_ALBUMS, deque(maxlen=20))
        if album is not None:
            if album in refused_albums:
                return
            refused_albums.append(album)
        await message.reply_text(refusal_text(refused.refusal, refused.detail))
        return
    if received is None:
        return  # a reply to some other message of ours: not an upload
    # The progress message exists before any background work can edit it.
    await svc.uploads.report_batch(received.batch.id)
    context.application.create_task(
        svc.uploads.process(received.asset.id, telegram_fetcher(context.bot)),
        update=update,
        name=f"upload-{received.asset.id}",
    )
