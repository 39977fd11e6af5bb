"""Group chats: admin commands, photo replies to upload prompts, supergroup upgrades."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.telegram.callbacks import Action, Callback, decode
from bot.telegram.context import Context
from bot.telegram.handlers.scope import admin_only, scope_of
from bot.telegram.handlers.uploads import incoming_file, receive_file
from bot.telegram.texts import common as texts
from bot.telegram.texts import groups as group_texts
from bot.telegram.texts import videos as video_texts
from storage.chats import Access

log = logging.getLogger(__name__)

ACCESS_ORDER = (Access.EVERYONE, Access.ADMINS, Access.LISTED)


def _buttons(labels: list[str], action: Action, current: int | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ("✓ " if i == current else "") + label,
                    callback_data=Callback(action, str(i)).encode(),
                )
            ]
            for i, label in enumerate(labels)
        ]
    )


async def cmd_group_help(update: Update, context: Context) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(group_texts.group_help(context.bot_data.services.bot_username))


@admin_only
async def cmd_provider(update: Update, context: Context) -> None:
    svc, message = context.bot_data.services, update.effective_message
    assert message is not None
    names = svc.providers.names()
    current = await svc.groups.provider_for_new_faces(message.chat_id)
    labels = [svc.providers.label(n) for n in names]
    await message.reply_text(
        group_texts.choose_group_provider(svc.providers.label(current) if current else None),
        reply_markup=_buttons(
            labels, Action.GROUP_PROVIDER, names.index(current) if current else None
        ),
    )


@admin_only
async def cmd_access(update: Update, context: Context) -> None:
    svc, message = context.bot_data.services, update.effective_message
    assert message is not None
    rules = await svc.groups.rules(message.chat_id)
    listed = [m.name for m in await svc.groups.allowed(message.chat_id)]
    labels = [group_texts.ACCESS_TEXT[a].capitalize() for a in ACCESS_ORDER]
    await message.reply_text(
        group_texts.group_access(rules.access, listed),
        reply_markup=_buttons(labels, Action.GROUP_ACCESS, ACCESS_ORDER.index(rules.access)),
    )


@admin_only
async def cmd_allow(update: Update, context: Context) -> None:
    await _listing(update, context, allow=True)


@admin_only
async def cmd_deny(update: Update, context: Context) -> None:
    await _listing(update, context, allow=False)


async def _listing(update: Update, context: Context, *, allow: bool) -> None:
    svc, message = context.bot_data.services, update.effective_message
    assert message is not None
    target = message.reply_to_message.from_user if message.reply_to_message else None
    if target is None or target.is_bot:
        await message.reply_text(group_texts.reply_to_member("/allow" if allow else "/deny"))
        return
    if allow:
        await svc.groups.allow(message.chat_id, target.id, target.full_name)
        await message.reply_text(group_texts.allowed(target.full_name))
    else:
        was = await svc.groups.disallow(message.chat_id, target.id)
        await message.reply_text(group_texts.denied(target.full_name, was))


@admin_only
async def cmd_quota(update: Update, context: Context) -> None:
    svc, message = context.bot_data.services, update.effective_message
    assert message is not None
    arg = context.args[0].lower() if context.args else ""
    if arg in ("off", "none", "0"):
        quota = None
    # ASCII digits only: "²".isdigit() is true and int("²") raises.
    elif arg.isascii() and arg.isdigit() and 0 < int(arg) <= 1000:
        quota = int(arg)
    else:
        rules = await svc.groups.rules(message.chat_id)
        await message.reply_text(
            f"{group_texts.quota_set(rules.daily_quota)}\n{group_texts.quota_usage()}"
        )
        return
    await svc.groups.set_quota(message.chat_id, quota)
    await message.reply_text(group_texts.quota_set(quota))


@admin_only
async def cmd_jobs(update: Update, context: Context) -> None:
    svc, message = context.bot_data.services, update.effective_message
    assert message is not None
    jobs = await svc.groups.recent_jobs(message.chat_id)
    faces = await svc.faces.faces.list_for_owner((await scope_of(update, context)).owner)
    await message.reply_text(
        video_texts.videos_list(jobs, {f.id: f.name for f in faces}, in_group=True)
    )


async def cb_group(update: Update, context: Context) -> None:
    """The group's provider and access buttons: admins only."""
    svc, query = context.bot_data.services, update.callback_query
    assert query is not None
    callback = decode(query.data)
    assert callback is not None
    scope = await scope_of(update, context)
    if not scope.is_group or not scope.is_admin:
        await query.answer(group_texts.admins_only(), show_alert=True)
        return
    index = callback.int_arg
    if callback.action is Action.GROUP_PROVIDER:
        names = svc.providers.names()
        if index >= len(names):
            await query.answer(texts.button_outdated(), show_alert=True)
            return
        await svc.groups.set_provider(scope.chat_id, names[index])
        await query.answer()
        label = svc.providers.label(names[index])
        await query.edit_message_text(group_texts.group_provider(label))
    elif index < len(ACCESS_ORDER):
        rules = await svc.groups.set_access(scope.chat_id, ACCESS_ORDER[index])
        listed = [m.name for m in await svc.groups.allowed(scope.chat_id)]
        await query.answer()
        await query.edit_message_text(group_texts.group_access(rules.access, listed))


async def on_group_photo(update: Update, context: Context) -> None:
    """A photo or file sent as a reply to an upload prompt goes into that prompt's face."""
    svc, message = context.bot_data.services, update.effective_message
    assert message is not None and message.reply_to_message is not None
    face_id = await svc.groups.chats.upload_prompt_face(
        message.chat_id, message.reply_to_message.message_id
    )
    if face_id is None:
        return  # a reply to some other message of ours: not an upload
    scope = await scope_of(update, context)
    if not scope.is_admin:
        await message.reply_text(group_texts.admins_only())
        return
    file = incoming_file(message)
    if file is not None:
        await receive_file(update, context, file, face_id=face_id, admin_of=scope.chat_id)


async def on_migrate(update: Update, context: Context) -> None:
    """A group became a supergroup: its faces, jobs and settings follow the new chat id."""
    svc, message = context.bot_data.services, update.effective_message
    assert message is not None
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    await svc.groups.migrate(old, new)
    svc.admins.forget_chat(old)
    log.info("chat %d migrated to %d", old, new)


async def on_chat_member(update: Update, context: Context) -> None:
    context.bot_data.services.admins.on_chat_member(update)
