"""Every handler is registered here and nowhere else."""

from __future__ import annotations

from collections.abc import Callable

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.telegram.callbacks import Action, decode
from bot.telegram.context import Context
from bot.telegram.handlers import (
    common,
    faces,
    generate,
    groups,
    inline,
    invite,
    language,
    privacy,
    uploads,
)
from bot.telegram.handlers.admin_gate import admin_only
from bot.telegram.texts import common as texts


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
    # Gatekeepers first (groups -2 and -1), then features (group 0). PTB runs at most one
    # handler per group, and the catch-all gatekeeper matches every update: the admin cache
    # needs a group of its own, or a demotion would count only once the cache expires.
    app.add_handler(
        ChatMemberHandler(groups.on_chat_member, ChatMemberHandler.ANY_CHAT_MEMBER), group=-2
    )
    app.add_handler(TypeHandler(Update, common.on_any_update), group=-1)

    # Edited messages never re-run a command (shared/TELEGRAM.md).
    message = filters.UpdateType.MESSAGE
    private = message & filters.ChatType.PRIVATE
    group = message & filters.ChatType.GROUPS
    anywhere = private | group
    app.add_handler(CommandHandler("start", common.cmd_start, filters=private))
    app.add_handler(CommandHandler("help", common.cmd_help, filters=private))
    app.add_handler(CommandHandler("help", groups.cmd_group_help, filters=group))
    app.add_handler(CommandHandler("cancel", common.cmd_cancel, filters=anywhere))
    app.add_handler(CommandHandler("privacy", common.cmd_privacy, filters=private))
    app.add_handler(CommandHandler("forgetme", privacy.cmd_forgetme, filters=private))
    app.add_handler(CommandHandler("language", language.cmd_language, filters=anywhere))
    app.add_handler(CommandHandler("newface", admin_only(faces.cmd_newface), filters=anywhere))
    app.add_handler(CommandHandler("faces", admin_only(faces.cmd_faces), filters=anywhere))
    app.add_handler(CommandHandler("myfaces", faces.cmd_myfaces, filters=private))
    app.add_handler(CommandHandler("generate", generate.cmd_generate, filters=anywhere))
    app.add_handler(
        CommandHandler("settings", admin_only(generate.cmd_settings), filters=anywhere)
    )
    app.add_handler(CommandHandler("videos", generate.cmd_videos, filters=private))
    app.add_handler(CommandHandler("provider", groups.cmd_provider, filters=group))
    app.add_handler(CommandHandler("access", groups.cmd_access, filters=group))
    app.add_handler(CommandHandler("allow", groups.cmd_allow, filters=group))
    app.add_handler(CommandHandler("deny", groups.cmd_deny, filters=group))
    app.add_handler(CommandHandler("quota", groups.cmd_quota, filters=group))
    app.add_handler(CommandHandler("jobs", groups.cmd_jobs, filters=group))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, groups.on_migrate))

    app.add_handler(
        CallbackQueryHandler(
            faces.cb_myfaces,
            pattern=actions(Action.MY_FACES, Action.WITHDRAW, Action.WITHDRAW_YES),
        )
    )
    app.add_handler(
        CallbackQueryHandler(
            privacy.cb_forget, pattern=actions(Action.FORGET_YES, Action.FORGET_NO)
        )
    )
    app.add_handler(CallbackQueryHandler(language.cb_language, pattern=actions(Action.LANGUAGE)))
    app.add_handler(
        CallbackQueryHandler(
            invite.cb_invite,
            pattern=actions(Action.READY, Action.DECLINE, Action.INVITE_LINK, Action.TAKE_OVER),
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
                Action.FACE_PAGE,
                Action.FACE_USE,
                Action.FACE_RENAME,
                Action.FACE_DELETE,
                Action.FACE_DELETE_YES,
                Action.FACE_CONSENT_INVITE,
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
                Action.GEN_MODE,
                Action.GEN_ADD_FACE,
                Action.GEN_PHOTOS,
                Action.GEN_FACES,
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
    app.add_handler(
        CallbackQueryHandler(
            groups.cb_group, pattern=actions(Action.GROUP_PROVIDER, Action.GROUP_ACCESS)
        )
    )
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    app.add_handler(ChosenInlineResultHandler(inline.on_chosen_result))
    app.add_handler(
        CallbackQueryHandler(
            inline.cb_inline, pattern=actions(Action.INLINE_GO, Action.INLINE_CANCEL)
        )
    )
    app.add_handler(CallbackQueryHandler(cb_outdated))

    app.add_handler(
        MessageHandler(private & (filters.PHOTO | filters.Document.ALL), uploads.on_file)
    )
    app.add_handler(
        MessageHandler(
            group & filters.REPLY & (filters.PHOTO | filters.Document.ALL), groups.on_group_photo
        )
    )
    # In groups the bot sees only replies to it: answers to its questions (a new name).
    app.add_handler(
        MessageHandler(group & filters.REPLY & filters.TEXT & ~filters.COMMAND, common.on_text)
    )
    app.add_handler(MessageHandler(private & filters.COMMAND, common.on_unknown_command))
    app.add_handler(MessageHandler(private & filters.TEXT, common.on_text))
    app.add_handler(MessageHandler(private, common.on_unexpected))

    app.add_error_handler(common.on_error)
