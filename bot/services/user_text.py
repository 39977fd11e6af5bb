"""Text people type, as every use case takes it: a prompt or a name without one visible
character is no text at all.

Telegram delivers whatever a client sends, and "/generate" followed by zero-width spaces
looks empty on every screen while ``str.strip`` keeps it. Visible here means: not a
control or format character (zero-width space and joiners, word joiner, BOM, bidi marks),
not a separator (any kind of space, line or paragraph break), not a combining mark on its
own, and not one of the letters and symbols that fonts draw blank (Hangul fillers, the
blank Braille pattern).
"""

from __future__ import annotations

import unicodedata

from bot.services.errors import Refusal, ServiceRefused
from bot.services.video_options import MAX_PROMPT

# Categories that draw nothing by themselves: controls and format characters (Cc, Cf,
# surrogates Cs), separators (Zs, Zl, Zp), combining marks (Mn, Me: they need a base).
_NOTHING_ALONE = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})
# Combining marks are kept after a visible character ("e" + U+0301, "❤" + VS16); only
# these are dropped at the end of a prompt.
_DROPPED_AT_END = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})
# Assigned letters and symbols that fonts draw as blank space.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_visible(char: str) -> bool:
    return char not in _BLANK and unicodedata.category(char) not in _NOTHING_ALONE


def visible_length(text: str) -> int:
    return sum(is_visible(char) for char in text)


def has_visible(text: str) -> bool:
    return any(is_visible(char) for char in text)


def normalize_prompt(raw: str) -> str:
    """The prompt as stored and sent: no invisible characters at either end, and "" when
    nothing visible is left (every entry point treats that as no prompt)."""
    start, end = 0, len(raw)
    while start < end and not is_visible(raw[start]):
        start += 1
    while end > start and (
        raw[end - 1] in _BLANK or unicodedata.category(raw[end - 1]) in _DROPPED_AT_END
    ):
        end -= 1
    return raw[start:end]


def clean_prompt(raw: str) -> str:
    """A prompt a video can be made from, or the BAD_PROMPT refusal (detail: its length)."""
    prompt = normalize_prompt(raw)
    if not prompt or len(prompt) > MAX_PROMPT:
        raise ServiceRefused(Refusal.BAD_PROMPT, str(len(prompt)))
    return prompt
