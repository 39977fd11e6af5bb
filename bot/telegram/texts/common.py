"""What every feature's texts share (escaping, cutting to Telegram's limits, the sandbox
tag), the general messages (welcome, help, fallbacks) and a face check's outcome.

Every message is HTML with user text escaped; short, specific, with the next step.
Functions take domain objects and return strings; nothing here talks to Telegram. Faces
and invites: texts/faces.py; refusals and provider failures: texts/refusals.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from bot.providers.base import PhotoDeletion
from bot.services.images import MAX_RATIO, MAX_SIDE, MIN_RATIO, MIN_SIDE
from bot.telegram import i18n
from bot.telegram.i18n import _, n_
from storage.models import Face

# Telegram's limits, counted on the text after HTML parsing. Renderers keep within them by
# cutting what a person or a provider wrote (with clip), never the markup around it.
MAX_TEXT = 4096
MAX_CAPTION = 1024
# How much of a provider's own words one line shows: enough to read, small enough that an
# album of ten failures still fits one message.
DETAIL = 300
# A provider's id (ta_ ids are 35 characters): thirty of them fit one message.
ID_LIMIT = 100


def e(text: object) -> str:
    return escape(str(text), quote=False)


def shorten(text: str, limit: int = 120) -> str:
    """``text`` cut to ``limit`` characters with "…" (not escaped: for our own prompts'
    previews, escaped where they are placed)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip(text: object, limit: int) -> str:
    """``text`` HTML-escaped and at most ``limit`` characters long as escaped, cut with "…".

    The one helper for text we did not write (provider errors, ids): it is cut between
    whole characters, so never inside an entity such as ``&amp;``, and it measures the
    escaped form, which is never shorter than what Telegram counts.
    """
    escaped = e(text)
    if len(escaped) <= limit:
        return escaped
    kept: list[str] = []
    used = 0
    for char in str(text):
        piece = e(char)
        if used + len(piece) > limit - 1:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + "…"


def fit_lines(lines: list[str], limit: int = MAX_TEXT) -> str:
    """Lines joined, dropping whole lines from the end (markup stays balanced) to fit."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    kept = list(lines)
    while kept and len("\n".join([*kept, "…"])) > limit:
        kept.pop()
    return "\n".join([*kept, "…"])


def clock_time(ts: float) -> str:
    return i18n.clock_time(ts)


def day_time(ts: float) -> str:
    return i18n.day_time(ts)


def mb(size: int) -> str:
    return _("{size} MB", size=i18n.number(round(size / (1024 * 1024), 1)))


def sandbox_tag() -> str:
    """The line that opens a message while the bot runs on simulated providers."""
    return _("🧪 <b>SANDBOX</b> — simulated provider, nothing is real or charged.") + "\n\n"


def sandbox(text: str, on: bool) -> str:
    return sandbox_tag() + text if on else text


def welcome(first_name: str) -> str:
    return "\n".join(
        [
            _(
                "Hi {name}! I turn a real person's face into videos with Seedance 2.0.",
                name=e(first_name),
            ),
            "",
            _(
                "1. /newface <i>name</i> — start a Real Face group; the person does a "
                "2-minute face check."
            ),
            _("2. Send photos of that person — I check and upload them."),
            _("3. /faces — your faces, their photos and asset ids."),
            "",
            _("/help explains more."),
        ]
    )


def help_text(bot_username: str) -> str:
    bot = e(bot_username)
    return "\n".join(
        [
            _("<b>How it works</b>"),
            _(
                "• /newface <i>name</i> creates a Real Face group at the provider and gives "
                "you a verification link, its QR code and an invite for the person being "
                "verified."
            ),
            _(
                "• The link works for <b>2 minutes</b>. Send the invite instead and the "
                "person gets their own link the moment they agree and are ready."
            ),
            _(
                "• When the check passes, send photos of that person (as photos, or as files "
                "for full resolution; albums work too). Each one ends as a "
                "<code>ta_…</code> asset id or with the reason it failed."
            ),
            _(
                "• /faces lists your faces: choose which one gets uploads, get a new link, "
                "rename or delete."
            ),
            _(
                "• /myfaces lists the faces made of <i>you</i> (verified through someone's "
                "invite): who owns each, and what was made with it."
            ),
            _(
                "• /privacy says what is kept where, and how to remove it; /forgetme removes "
                "your data."
            ),
            _(
                "• /generate <i>prompt</i> makes a video of a verified face: you see the "
                "settings and an estimate before anything is charged. /settings sets the "
                "defaults; /videos sends past videos again."
            ),
            _(
                "• Several people in one video: name their faces in the prompt "
                "(/generate <i>Anna hugs Ben</i>). Where the provider offers them, 🖼 Photos "
                "on the card switches between first frame, first &amp; last frame and "
                "references."
            ),
            _(
                "• In any chat, type @{bot} <i>prompt</i> to make a video right there.",
                bot=bot,
            ),
            _("• /language changes the language I answer you in."),
            _("• /cancel stops whatever I'm waiting for."),
            "",
            _(
                "<b>Photo rules</b>: JPEG, PNG, WebP, BMP, TIFF, GIF or HEIC; under {limit} MB "
                "(Telegram's limit for bots); each side {min_side}–{max_side} px; "
                "width/height between {min_ratio} and {max_ratio}. One face per photo, the "
                "verified person only.",
                limit=i18n.number(20),
                min_side=i18n.number(MIN_SIDE),
                max_side=i18n.number(MAX_SIDE),
                min_ratio=i18n.number(MIN_RATIO),
                max_ratio=i18n.number(MAX_RATIO),
            ),
            "",
            _("Add me to a group: {link}", link=f"https://t.me/{bot}?startgroup=faces"),
        ]
    )


def privacy(deletes: Mapping[PhotoDeletion, list[str]], media_minutes: int) -> str:
    """/privacy: what is stored, where, for how long, and how to remove it (issue 11);
    ``deletes``: the enabled providers' names by what their APIs let the bot delete."""
    return "\n".join(
        [
            _("🔒 <b>Your data with this bot</b>"),
            "",
            _("<b>What the bot keeps</b> (its own database):"),
            _("• you: your Telegram id, name, @username and language;"),
            _(
                "• your faces: name, provider, the provider's ids, status, and the record of "
                "consent (who agreed through which invite, when; when they withdrew);"
            ),
            _("• your photos: Telegram's file ids (not the pictures), size, the provider's ids;"),
            _(
                "• your videos: prompt, settings, status, the provider's task and Telegram's "
                "file id."
            ),
            "",
            _("<b>Where the pictures are</b>"),
            _(
                "• Photos go to the face's provider with the picture only: GPS, camera, dates "
                "and other metadata are taken out first. The provider keeps them until they "
                "are deleted."
            ),
            n_(
                "• A provider that fetches photos from a link gets them from the bot, which "
                "keeps the file for at most {n} minute for that.",
                "• A provider that fetches photos from a link gets them from the bot, which "
                "keeps the file for at most {n} minutes for that.",
                media_minutes,
            ),
            _(
                "• Videos stay in the chats they were made in; the provider deletes its copy "
                "after about a day."
            ),
            "",
            _("<b>How long</b>: until you remove it."),
            "",
            _("<b>How to remove it</b>"),
            _(
                "• /faces → a face → <b>Delete</b>: gone from the bot, and its photos {where}.",
                where=_deletes(deletes),
            ),
            _(
                "• Verified through someone's invite? /myfaces → <b>Withdraw</b>: no new "
                "video is made with your face, the owner is told, and the photos go at the "
                "provider as above."
            ),
            _(
                "• /forgetme: your faces withdrawn (photos deleted as above), your consents "
                "withdrawn, your videos, photos, settings and name erased. Only the record "
                "that those faces were withdrawn stays."
            ),
        ]
    )


def _deletes(deletes: Mapping[PhotoDeletion, list[str]]) -> str:
    """What becomes of a deleted face's photos, per provider: clauses that follow "its
    photos" in :func:`privacy`."""
    # The punctuation between names and between clauses is the language's own.
    comma, semicolon = _(", "), _("; ")
    parts = []
    if names := deletes.get(PhotoDeletion.GROUP):
        parts.append(_("deleted at {providers}", providers=e(comma.join(names))))
    if names := deletes.get(PhotoDeletion.ASSET_SOFT):
        parts.append(
            _(
                "removed from {providers}'s list (an upstream copy stays)",
                providers=e(comma.join(names)),
            )
        )
    if names := deletes.get(PhotoDeletion.NONE):
        parts.append(
            _(
                "kept at {providers}, whose API offers no delete",
                providers=e(comma.join(names)),
            )
        )
    return semicolon.join(parts) or _("deleted at the provider where its API allows")


def cancelled(what: bool) -> str:
    return _("Cancelled.") if what else _("Nothing to cancel. /help shows what I can do.")


def link_expired_card(face: Face) -> str:
    return "\n".join(
        [
            _("<b>Verify “{name}”</b>", name=e(face.name)),
            _("⌛ This link has expired. Tap <b>New link</b> when the person is ready."),
        ]
    )


def link_done_card(face: Face) -> str:
    return _("<b>“{name}”</b> ✅ verified.", name=e(face.name))


def face_active(face: Face, for_creator: bool) -> str:
    if for_creator:
        return "\n".join(
            [
                _("✅ <b>“{name}”</b> is verified.", name=e(face.name)),
                _(
                    "Now send photos of this person — as photos or as files, one at a time or "
                    "as an album. I'll upload them into this face."
                ),
            ]
        )
    return _(
        "✅ Your face check for “{name}” passed. Thank you — you can close the verification page.",
        name=e(face.name),
    )


def face_expired(face: Face) -> str:
    return "\n".join(
        [
            _(
                "⌛ Verification of <b>“{name}”</b> didn't finish before the link expired, so "
                "I stopped waiting.",
                name=e(face.name),
            ),
            _("When the person is ready, tap <b>New link</b> (or send them the invite again)."),
        ]
    )


def face_interrupted(face: Face) -> str:
    return "\n".join(
        [
            _(
                "⚠️ I was restarted while I was setting up <b>“{name}”</b>, so no "
                "verification link went out. Nothing is lost, and you won't be charged twice.",
                name=e(face.name),
            ),
            _("When the person is ready, tap <b>New link</b> (or send them the invite)."),
        ]
    )


# A list message stays under Telegram's 4096 characters and 100 buttons.
MAX_LISTED = 30


def unknown_command(command: str) -> str:
    return _("I don't know {command}. /help lists what I can do.", command=e(command))


def unexpected() -> str:
    return _(
        "I can't do anything with that. Send photos for your current face, or use "
        "/newface, /faces or /help."
    )


def text_hint() -> str:
    return _(
        "To create a face, send /newface <i>name</i>. To add photos, just send them. "
        "/help explains everything."
    )


def update_dropped() -> str:
    return _(
        "Sorry, I couldn't finish what you sent me last: I was restarted while working on "
        "it, more than once. Please send it again."
    )


def something_broke() -> str:
    return _("Sorry, something went wrong on my side. Please try again.")


def button_not_for_you() -> str:
    return _("This button isn't for you.")


def button_outdated() -> str:
    return _("This button no longer works. Send /faces or /generate to start again.")
