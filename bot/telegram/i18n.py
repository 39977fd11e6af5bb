"""What a person reads, in their language (issue 12): GNU gettext catalogs managed with Babel.

The messages in the code are English and are the catalogs' ids; ``bot/locale/<lang>/
LC_MESSAGES/messages.po`` holds each language's translations, compiled to ``messages.mo``
(README: extract, translate, compile). A language is offered when its compiled catalog is
there: adding one needs no code change.

Which language a message is in is the one of the update being handled, set once per update
(:func:`speaking`); a message for someone else (an invite's owner, a group) is rendered
inside ``with speaking(their_language):``. Texts call :func:`_` and :func:`n_`, which format
``{name}`` placeholders after translating, so a translator sees and moves them; values are
HTML-escaped by the caller, as before. Numbers, dates and times follow the language's
conventions (CLDR, through Babel); times are shown in UTC and say so.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
SOURCE = "en"  # the language the messages are written in

_language: ContextVar[str] = ContextVar("language", default=SOURCE)


@cache
def languages() -> tuple[str, ...]:
    """The languages there are catalogs for, the source language first."""
    found = sorted(
        path.parent.parent.name
        for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")
        if path.parent.parent.name != SOURCE
    )
    return (SOURCE, *found)


def best(codes: str) -> str:
    """The catalog nearest to a language code, or to the first of an Accept-Language list
    that has one ("ru-RU,ru;q=0.9,en;q=0.8" -> "ru"); the source language otherwise."""
    offered = {language.lower(): language for language in languages()}
    for part in codes.split(","):
        tag = part.split(";", 1)[0].strip().lower().replace("_", "-")
        for candidate in (tag, tag.split("-", 1)[0]):
            if candidate in offered:
                return offered[candidate]
    return SOURCE


def current() -> str:
    return _language.get()


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Messages rendered inside are in ``language`` (one of :func:`languages`)."""
    token = _language.set(language if language in languages() else SOURCE)
    try:
        yield
    finally:
        _language.reset(token)


def use(language: str) -> None:
    """The language of the rest of this update (set once, as it starts)."""
    _language.set(language if language in languages() else SOURCE)


def _(message: str, /, **values: object) -> str:
    """``message`` in the current language, its ``{placeholders}`` filled in."""
    text = _catalog(current()).gettext(message)
    return text.format(**values) if values else text


def n_(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The form for ``n`` in the current language (its own plural rules); ``{n}`` is the
    number, written the language's way."""
    text = _catalog(current()).ngettext(singular, plural, n)
    return text.format(n=number(n), **values)


def number(value: float) -> str:
    language = current()
    # Counts under a thousand are plain digits wherever digits are Latin: no CLDR call
    # (a page of /faces writes dozens of counts).
    if isinstance(value, int) and -1000 < value < 1000 and _latin_digits(language):
        return str(value)
    from babel.numbers import format_decimal

    return str(format_decimal(value, locale=_babel_locale(language)))


def day_time(ts: float) -> str:
    """A date and time the language's way, in UTC: "Dec 5, 2026, 10:30 UTC" in English."""
    from babel.dates import format_date, format_time, get_datetime_format

    locale = _babel_locale(current())
    moment = datetime.fromtimestamp(ts, UTC)
    date = format_date(moment, "medium", locale=locale)
    time = format_time(moment, "HH:mm", tzinfo=UTC, locale=locale)
    joined = str(get_datetime_format("medium", locale=locale))
    return f"{joined.replace('{1}', date).replace('{0}', time)} UTC"


def clock_time(ts: float) -> str:
    """A time of day, with seconds: "10:30:05 UTC"."""
    from babel.dates import format_time

    moment = datetime.fromtimestamp(ts, UTC)
    return f"{format_time(moment, 'HH:mm:ss', tzinfo=UTC, locale=_babel_locale(current()))} UTC"


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    if language == SOURCE:
        return gettext.NullTranslations()  # the ids are the English messages
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


@cache
def _babel_locale(language: str) -> Locale:
    from babel import Locale

    return Locale.parse(language)


@cache
def _latin_digits(language: str) -> bool:
    return bool(_babel_locale(language).default_numbering_system == "latn")
