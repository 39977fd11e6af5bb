"""Photos and image files into the current face."""

from __future__ import annotations

import logging
from collections import deque

from telegram import Bot, Update
from telegram.error import BadRequest

from bot import texts
from bot.context import Context
from bot.services.errors import ServiceRefused
from bot.services.uploads import DownloadTooBig, FileFetcher
from storage.assets import IncomingFile

log = logging.getLogger(__name__)

REFUSED_ALBUMS = "refused_albums"


def telegram_fetcher(bot: Bot) -> FileFetcher:
    """Download a file's bytes; the file URL (it holds the token) never leaves this function."""

    async def fetch(file_id: str) -> bytes:
        try:
            file = await bot.get_file(file_id)
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                raise DownloadTooBig from None
            raise
        return bytes(await file.download_as_bytearray())

    return fetch


async def on_photo(update: Update, context: Context) -> None:
    message = update.effective_message
    assert message is not None and message.photo
    largest = message.photo[-1]
    await _receive(
        update,
        context,
        IncomingFile(
            tg_file_id=largest.file_id,
            tg_file_unique_id=largest.file_unique_id,
            file_name=None,
            mime_type="image/jpeg",
            file_size=largest.file_size,
            width=largest.width,
            height=largest.height,
        ),
    )


async def on_document(update: Update, context: Context) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    doc = message.document
    await _receive(
        update,
        context,
        IncomingFile(
            tg_file_id=doc.file_id,
            tg_file_unique_id=doc.file_unique_id,
            file_name=doc.file_name,
            mime_type=doc.mime_type,
            file_size=doc.file_size,
            width=None,
            height=None,
        ),
    )


async def _receive(update: Update, context: Context, file: IncomingFile) -> None:
    svc = context.bot_data.services
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    assert user is not None and chat is not None and message is not None
    album = message.media_group_id
    try:
        received = await svc.uploads.receive(user.id, chat.id, album, file)
    except ServiceRefused as refused:
        # One refusal per album, not one per photo in it.
        chat_data = context.chat_data if context.chat_data is not None else {}
        refused_albums: deque[str] = chat_data.setdefault(REFUSED_ALBUMS, deque(maxlen=20))
        if album is not None:
            if album in refused_albums:
                return
            refused_albums.append(album)
        await message.reply_text(texts.refusal(refused.refusal, refused.detail))
        return
    # The progress message exists before any background work can edit it.
    await svc.uploads.report_batch(received.batch.id)
    context.application.create_task(
        svc.uploads.process(received.asset.id, telegram_fetcher(context.bot)),
        update=update,
        name=f"upload-{received.asset.id}",
    )
