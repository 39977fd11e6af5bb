"""Every handler is registered here and nowhere else."""

from __future__ import annotations

from collections.abc import Callable

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import texts
from bot.callbacks import Action, decode
from bot.context import Context
from bot.handlers import common, faces, generate, invite, uploads


def actions(*wanted: Action) -> Callable[[object], bool]:
    def match(data: object) -> bool:
        callback = decode(data) if isinstance(data, str) else None
        return callback is not None and callback.action in wanted

    return match


async def cb_outdated(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(texts.button_outdated(), show_alert=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    # Gatekeepers first (group -1), then features (group 0).
    app.add_handler(TypeHandler(Update, common.on_any_update), group=-1)

    # Edited messages never re-run a command (shared/TELEGRAM.md).
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", common.cmd_start, filters=private))
    app.add_handler(CommandHandler("help", common.cmd_help, filters=private))
    app.add_handler(CommandHandler("cancel", common.cmd_cancel, filters=private))
    app.add_handler(CommandHandler("newface", faces.cmd_newface, filters=private))
    app.add_handler(CommandHandler("faces", faces.cmd_faces, filters=private))
    app.add_handler(CommandHandler("generate", generate.cmd_generate, filters=private))
    app.add_handler(CommandHandler("settings", generate.cmd_settings, filters=private))
    app.add_handler(CommandHandler("videos", generate.cmd_videos, filters=private))

    app.add_handler(
        CallbackQueryHandler(
            invite.cb_invite, pattern=actions(Action.READY, Action.DECLINE, Action.INVITE_LINK)
        )
    )
    app.add_handler(
        CallbackQueryHandler(
            faces.cb_faces,
            pattern=actions(
                Action.NEW_LINK,
                Action.SIM_PASS,
                Action.FACE_SHOW,
                Action.FACE_LIST,
                Action.FACE_USE,
                Action.FACE_RENAME,
                Action.FACE_DELETE,
                Action.FACE_DELETE_YES,
            ),
        )
    )
    app.add_handler(
        CallbackQueryHandler(
            generate.cb_generate,
            pattern=actions(
                Action.GEN_FACE,
                Action.GEN_ASSET,
                Action.GEN_PICKED,
                Action.GEN_CONFIRM,
                Action.GEN_SETTINGS,
                Action.GEN_CANCEL,
                Action.GEN_AGAIN,
                Action.GEN_FORGET,
                Action.SETTING,
                Action.SETTINGS_DONE,
                Action.VIDEO_SEND,
            ),
        )
    )
    app.add_handler(CallbackQueryHandler(faces.cb_provider, pattern=actions(Action.FACE_PROVIDER)))
    app.add_handler(CallbackQueryHandler(cb_outdated))

    app.add_handler(MessageHandler(private & filters.PHOTO, uploads.on_photo))
    app.add_handler(MessageHandler(private & filters.Document.ALL, uploads.on_document))
    app.add_handler(MessageHandler(private & filters.COMMAND, common.on_unknown_command))
    app.add_handler(MessageHandler(private & filters.TEXT, common.on_text))
    app.add_handler(MessageHandler(private, common.on_unexpected))

    app.add_error_handler(common.on_error)
