"""The command menus Telegram shows: per scope, so admin commands are shown only to a group's
admins (and the admin checks in the services still decide), and per language, as are the
bot's description and short description."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)
from telegram.error import TelegramError

from bot.telegram import i18n
from bot.telegram.i18n import _

log = logging.getLogger(__name__)


def private_commands() -> list[BotCommand]:
    return [
        BotCommand("newface", _("Create a Real Face and verify the person")),
        BotCommand("faces", _("Your faces, photos and asset ids")),
        BotCommand("myfaces", _("Faces made of you, with your consent")),
        BotCommand("generate", _("Make a video of a verified face")),
        BotCommand("videos", _("Your videos: send again, make again")),
        BotCommand("settings", _("Model, length, resolution, ratio, sound")),
        BotCommand("help", _("How it works")),
        BotCommand("privacy", _("What is kept where, and how to remove it")),
        BotCommand("forgetme", _("Remove your data from the bot")),
        BotCommand("language", _("The language I answer you in")),
        BotCommand("cancel", _("Stop what I'm waiting for")),
    ]


def group_commands() -> list[BotCommand]:
    return [
        BotCommand("generate", _("Make a video of one of this group's faces")),
        BotCommand("help", _("How the bot works here")),
    ]


def group_admin_commands() -> list[BotCommand]:
    return [
        *group_commands(),
        BotCommand("newface", _("Create a face that belongs to this group")),
        BotCommand("faces", _("The group's faces: upload, rename, remove")),
        BotCommand("provider", _("Provider for the group's new faces")),
        BotCommand("settings", _("The group's default video settings")),
        BotCommand("access", _("Who may generate videos here")),
        BotCommand("allow", _("Reply to a member: may generate")),
        BotCommand("deny", _("Reply to a member: may not generate")),
        BotCommand("quota", _("Videos per member per day")),
        BotCommand("jobs", _("The group's recent videos")),
        BotCommand("language", _("The language I use in this group")),
    ]


def description() -> str:
    """What an empty chat with the bot shows (at most 512 characters)."""
    return _(
        "I turn a real person's face into videos with Seedance 2.0. The person first passes "
        "a 2-minute face check, which records their consent; then you send photos of them "
        "and make videos from a prompt. Works in groups and inline too.\n\n"
        "To start, press Start, then send /newface with a name for the face."
    )


def short_description() -> str:
    """The bot's profile line and the text shared with its link (at most 120 characters)."""
    return _("Videos of real people with Seedance 2.0, made only after a face check.")


async def set_commands(bot: Bot) -> None:
    """The menus and descriptions in every language there is a catalog for; the source
    language's are the default, for everyone whose language has none. Telegram takes
    two-letter codes: a regional catalog (pt_BR) is offered under its language (pt)."""
    for language in i18n.languages():
        code = None if language == i18n.SOURCE else language.split("_", 1)[0].lower()
        with i18n.speaking(language):
            menus = (
                (private_commands(), BotCommandScopeAllPrivateChats()),
                (group_commands(), BotCommandScopeAllGroupChats()),
                (group_admin_commands(), BotCommandScopeAllChatAdministrators()),
            )
            about, about_short = description(), short_description()
        try:
            for commands, scope in menus:
                await bot.set_my_commands(commands, scope=scope, language_code=code)
            await bot.set_my_description(description=about, language_code=code)
            await bot.set_my_short_description(short_description=about_short, language_code=code)
        except TelegramError as exc:  # one language refused: the others still get theirs
            log.warning("menus for %s not set: %s", language, exc)
