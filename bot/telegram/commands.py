"""The command menus Telegram shows: per scope, so admin commands are shown only to a group's
admins (and the admin checks in the services still decide)."""

from __future__ import annotations

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

PRIVATE_COMMANDS = [
    BotCommand("newface", "Create a Real Face and verify the person"),
    BotCommand("faces", "Your faces, photos and asset ids"),
    BotCommand("myfaces", "Faces made of you, with your consent"),
    BotCommand("generate", "Make a video of a verified face"),
    BotCommand("videos", "Your videos: send again, make again"),
    BotCommand("settings", "Model, length, resolution, ratio, sound"),
    BotCommand("help", "How it works"),
    BotCommand("privacy", "What is kept where, and how to remove it"),
    BotCommand("forgetme", "Remove your data from the bot"),
    BotCommand("cancel", "Stop what I'm waiting for"),
]

GROUP_COMMANDS = [
    BotCommand("generate", "Make a video of one of this group's faces"),
    BotCommand("help", "How the bot works here"),
]
GROUP_ADMIN_COMMANDS = [
    *GROUP_COMMANDS,
    BotCommand("newface", "Create a face that belongs to this group"),
    BotCommand("faces", "The group's faces: upload, rename, remove"),
    BotCommand("provider", "Provider for the group's new faces"),
    BotCommand("settings", "The group's default video settings"),
    BotCommand("access", "Who may generate videos here"),
    BotCommand("allow", "Reply to a member: may generate"),
    BotCommand("deny", "Reply to a member: may not generate"),
    BotCommand("quota", "Videos per member per day"),
    BotCommand("jobs", "The group's recent videos"),
]


async def set_commands(bot: Bot) -> None:
    await bot.set_my_commands(PRIVATE_COMMANDS, scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(GROUP_COMMANDS, scope=BotCommandScopeAllGroupChats())
    await bot.set_my_commands(GROUP_ADMIN_COMMANDS, scope=BotCommandScopeAllChatAdministrators())
