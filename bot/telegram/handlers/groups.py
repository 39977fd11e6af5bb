"""Group chats: admin commands, photo replies to upload prompts, supergroup upgrades.

GroupService decides who may change what (the ``admin_only`` gate in front of the
commands only answers forwarded commands early); handlers parse and render.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.services.errors import ServiceRefused
from bot.services.groups import Access
from bot.telegram.actor import actor_of
from bot.telegram.callbacks import Action, Callback, decode
from bot.telegram.context import Context
from bot.telegram.handlers.admin_gate import admin_only
from bot.telegram.handlers.faces import plain
from bot.telegram.handlers.uploads import incoming_file, receive_file
from bot.telegram.texts import groups as group_texts
from bot.telegram.texts import videos as video_texts
from bot.telegram.texts.refusals import refusal_text

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


def _switch_to_listed() -> InlineKeyboardMarkup:
    index = ACCESS_ORDER.index(Access.LISTED)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    group_texts.switch_to_listed(),
                    callback_data=Callback(Action.GROUP_ACCESS, str(index)).encode(),
                )
            ]
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
    menu = await svc.groups.provider_menu(await actor_of(update, context))
    labels = [svc.providers.label(n) for n in menu.names]
    current = menu.current
    await message.reply_text(
        group_texts.choose_group_provider(svc.providers.label(current) if current else None),
        reply_markup=_buttons(
            labels, Action.GROUP_PROVIDER, menu.names.index(current) if current else None
        ),
    )


@admin_only
async def cmd_access(update: Update, context: Context) -> None:
    svc, message = context.bot_data.services, update.effective_message
    assert message is not None
    view = await svc.groups.access(await actor_of(update, context))
    labels = [group_texts.access_choice(a) for a in ACCESS_ORDER]
    await message.reply_text(
        group_texts.group_access(view.rules.access, view.listed),
        reply_markup=_buttons(labels, Action.GROUP_ACCESS, ACCESS_ORDER.index(view.rules.access)),
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
    actor = await actor_of(update, context)
    if allow:
        change = await svc.groups.allow(actor, target.id, target.full_name)
    else:
        change = await svc.groups.disallow(actor, target.id, target.full_name)
    # Where the list does not count yet and that changes the answer, offer the switch.
    offer = not change.list_counts and (change.on_list or change.access is Access.EVERYONE)
    await message.reply_text(
        group_texts.listing(change), reply_markup=_switch_to_listed() if offer else None
    )


@admin_only
async def cmd_quota(update: Update, context: Context) -> None:
    svc, message = context.bot_data.services, update.effective_message
    assert message is not None
    actor = await actor_of(update, context)
    arg = context.args[0].lower() if context.args else ""
    if arg in ("off", "none", "0"):
        quota = None
    # ASCII digits only: "²".isdigit() is true and int("²") raises.
    elif arg.isascii() and arg.isdigit() and 0 < int(arg) <= 1000:
        quota = int(arg)
    else:
        current = await svc.groups.quota(actor)
        await message.reply_text(f"{group_texts.quota_set(current)}\n{group_texts.quota_usage()}")
        return
    await message.reply_text(group_texts.quota_set(await svc.groups.set_quota(actor, quota)))


@admin_only
async def cmd_jobs(update: Update, context: Context) -> None:
    svc, message = context.bot_data.services, update.effective_message
    assert message is not None
    recent = await svc.groups.recent_jobs(await actor_of(update, context))
    await message.reply_text(
        video_texts.videos_list(recent.jobs, recent.face_names, in_group=True)
    )


async def cb_group(update: Update, context: Context) -> None:
    """The group's provider and access buttons (admins only: the service refuses others)."""
    svc, query = context.bot_data.services, update.callback_query
    assert query is not None
    callback = decode(query.data)
    assert callback is not None
    actor = await actor_of(update, context)
    index = callback.int_arg
    try:
        if callback.action is Action.GROUP_PROVIDER:
            name = await svc.groups.set_provider(actor, index)
            await query.answer()
            await query.edit_message_text(group_texts.group_provider(svc.providers.label(name)))
            return
        if not 0 <= index < len(ACCESS_ORDER):
            await query.answer()
            return
        view = await svc.groups.set_access(actor, ACCESS_ORDER[index])
    except ServiceRefused as refused:
        await query.answer(plain(refusal_text(refused.refusal, refused.detail)), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(group_texts.group_access(view.rules.access, view.listed))


async def on_group_photo(update: Update, context: Context) -> None:
    """A photo or file sent as a reply to an upload prompt goes into that prompt's face
    (UploadService says whether it is one, and refuses members who are not admins)."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    file = incoming_file(message)
    if file is not None:
        await receive_file(update, context, file, reply_to=message.reply_to_message.message_id)


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
    await svc.admins.forget_chat(old)
    svc.languages.migrated(old, new)
    log.info("chat %d migrated to %d", old, new)


async def on_chat_member(update: Update, context: Context) -> None:
    svc = context.bot_data.services
    await svc.admins.on_chat_member(update)
    change = update.my_chat_member
    if (
        change is not None
        and change.chat.type != ChatType.PRIVATE
        and change.old_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
        and change.new_chat_member.status
        in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)
    ):
        # Added to a group: it reads the bot in the adding admin's language until its
        # admins choose one with /language.
        await svc.languages.joined(change.chat.id, change.from_user.language_code)
