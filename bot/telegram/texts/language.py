"""/language: what a person reads when choosing the language they are answered in."""

from __future__ import annotations

from bot.telegram import i18n
from bot.telegram.i18n import _
from bot.telegram.texts.common import clip


def name_of(language: str) -> str:
    """A language's own name for itself: "English", "中文", "Русский", "Español"."""
    from babel import Locale

    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


def choose(in_group: bool) -> str:
    if in_group:
        return _(
            "🌐 Which language should I use in this group? Admins choose; each person still "
            "reads private messages in their own."
        )
    return _("🌐 Which language should I answer you in?")


def chosen(in_group: bool) -> str:
    language = name_of(i18n.current())
    if in_group:
        return _("🌐 This group now reads me in {language}.", language=language)
    return _("🌐 Done: I'll answer you in {language}. /language changes it.", language=language)


def unknown(code: str) -> str:
    return _("I don't speak “{code}” yet. Choose one of these:", code=clip(code, 20))
