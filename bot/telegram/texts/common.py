"""Every message a person reads, in HTML with user text escaped.

Short, specific, with the next step. Functions take domain objects and return strings;
nothing here talks to Telegram.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from bot.providers.base import (
    Capabilities,
    ProviderAuthError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from bot.services.errors import Refusal
from bot.services.faces import FaceSummary
from bot.services.images import MAX_RATIO, MAX_SIDE, MIN_RATIO, MIN_SIDE
from storage.models import AssetState, Face, FaceStatus

SANDBOX_TAG = "🧪 <b>SANDBOX</b> — simulated provider, nothing is real or charged.\n\n"

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
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S UTC")


def mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def sandbox(text: str, on: bool) -> str:
    return SANDBOX_TAG + text if on else text


def welcome(first_name: str) -> str:
    return (
        f"Hi {e(first_name)}! I turn a real person's face into videos with Seedance 2.0.\n\n"
        "1. /newface <i>name</i> — start a Real Face group; the person does a 2-minute "
        "face check.\n"
        "2. Send photos of that person — I check and upload them.\n"
        "3. /faces — your faces, their photos and asset ids.\n\n"
        "/help explains more."
    )


def help_text(bot_username: str) -> str:
    return (
        "<b>How it works</b>\n"
        "• /newface <i>name</i> creates a Real Face group at the provider and gives you a "
        "verification link, its QR code and an invite for the person being verified.\n"
        "• The link works for <b>2 minutes</b>. Send the invite instead and the person gets "
        "their own link the moment they tap <i>I'm ready</i>.\n"
        "• When the check passes, send photos of that person (as photos, or as files for "
        "full resolution; albums work too). Each one ends as a <code>ta_…</code> asset id "
        "or with the reason it failed.\n"
        "• /faces lists your faces: choose which one gets uploads, get a new link, rename "
        "or delete.\n"
        "• /generate <i>prompt</i> makes a video of a verified face: you see the settings and "
        "an estimate before anything is charged. /settings sets the defaults; /videos sends "
        "past videos again.\n"
        f"• In any chat, type @{e(bot_username)} <i>prompt</i> to make a video right there.\n"
        "• /cancel stops whatever I'm waiting for.\n\n"
        "<b>Photo rules</b>: JPEG, PNG, WebP, BMP, TIFF, GIF or HEIC; under 20 MB (Telegram's "
        f"limit for bots); each side {MIN_SIDE}–{MAX_SIDE} px; width/height between "
        f"{MIN_RATIO} and {MAX_RATIO}. One face per photo, the verified person only.\n\n"
        f"Add me to a group: https://t.me/{e(bot_username)}?startgroup=faces"
    )


def ask_face_name() -> str:
    return (
        "What should this face be called? Send a name (up to 64 characters), "
        "e.g. <i>Anna</i>. /cancel to stop."
    )


def cancelled(what: bool) -> str:
    return "Cancelled." if what else "Nothing to cancel. /help shows what I can do."


def creating(name: str) -> str:
    return f"Creating Real Face group <b>{e(name)}</b>…"


def verification_card(
    face: Face, expires_at: float, invite_url: str, *, new_group: bool, for_invitee: bool = False
) -> str:
    lines = []
    if new_group:
        lines.append(
            "ℹ️ The provider gives no fresh link for the old group, so I started a new "
            "Real Face group for this face.\n"
        )
    if for_invitee:
        lines.append(f"<b>Face check for “{e(face.name)}”</b>")
        lines.append(
            "Open the link below on your phone (or scan the QR code) and follow the steps. "
            "It takes about a minute."
        )
    else:
        lines.append(f"<b>Verify “{e(face.name)}”</b>")
        lines.append(
            "The person being verified opens this link (or scans the QR code) and does a "
            "short face check."
        )
    lines.append(f"⏳ Valid for 2 minutes, until <b>{clock_time(expires_at)}</b>.")
    if not for_invitee:
        lines.append(
            "\nNot with them right now? Send them this invite instead — their 2 minutes "
            f"start only when they tap <i>I'm ready</i>:\n{e(invite_url)}"
        )
    lines.append("\nI'll tell you when the check has passed.")
    return "\n".join(lines)


def choose_provider(
    name: str, capabilities: list[Capabilities], unavailable: dict[str, str]
) -> str:
    lines = [f"Where should “{e(name)}” live? Each provider keeps its own faces."]
    for c in capabilities:
        check = "face check by the person" if c.verification else "no face check"
        upload = "photos fetched from a link" if c.upload_by_url else "photos uploaded"
        refs = (
            f"up to {c.max_video_assets} photos per video"
            if c.max_video_assets > 1
            else "first-frame videos"
        )
        lines.append(f"• <b>{e(c.display_name)}</b>: {check}, {upload}, {refs}")
    for provider, why in unavailable.items():
        lines.append(f"• {e(provider)}: unavailable — {e(why)}")
    return "\n".join(lines)


def face_without_check(face: Face, provider: str) -> str:
    return (
        f"✅ <b>“{e(face.name)}”</b> is ready at {e(provider)}.\n"
        f"{e(provider)} has no face check: photos are registered directly, so only send "
        "photos of someone who agreed to this. Send them now — as photos or files, one at "
        "a time or as an album."
    )


def link_expired_card(face: Face) -> str:
    return (
        f"<b>Verify “{e(face.name)}”</b>\n"
        "⌛ This link has expired. Tap <b>New link</b> when the person is ready."
    )


def link_done_card(face: Face) -> str:
    return f"<b>“{e(face.name)}”</b> ✅ verified."


def invite_intro(face: Face, creator_name: str) -> str:
    return (
        f"<b>{e(creator_name)}</b> asked you to verify your face for "
        f"“<b>{e(face.name)}</b>”.\n\n"
        "This is a Real Face check for Seedance 2.0: it confirms that you agree to your "
        "likeness being used for AI videos made by them. You'll open a page that looks at "
        "your face through the camera for about a minute.\n\n"
        "The link works for 2 minutes, so tap <b>I'm ready</b> only when you can do it now."
    )


def invite_declined_invitee() -> str:
    return "OK, nothing was shared. You can open the invite again later if you change your mind."


def invite_declined_creator(face: Face, who: str) -> str:
    return f"{e(who)} declined the face check for “{e(face.name)}” for now."


def invite_opened_creator(face: Face, who: str) -> str:
    return f"{e(who)} opened your invite for “{e(face.name)}” and is getting a link now."


def face_active(face: Face, for_creator: bool) -> str:
    if for_creator:
        return (
            f"✅ <b>“{e(face.name)}”</b> is verified.\n"
            "Now send photos of this person — as photos or as files, one at a time or as an "
            "album. I'll upload them into this face."
        )
    return (
        f"✅ Your face check for “{e(face.name)}” passed. Thank you — you can close the "
        "verification page."
    )


def face_expired(face: Face) -> str:
    return (
        f"⌛ Verification of <b>“{e(face.name)}”</b> didn't finish before the link "
        "expired, so I stopped waiting.\n"
        "When the person is ready, tap <b>New link</b> (or send them the invite again)."
    )


def face_interrupted(face: Face) -> str:
    return (
        f"⚠️ I was restarted while I was setting up <b>“{e(face.name)}”</b>, so no "
        "verification link went out. Nothing is lost, and you won't be charged twice.\n"
        "When the person is ready, tap <b>New link</b> (or send them the invite)."
    )


def refusal(reason: Refusal, detail: str = "") -> str:
    return {
        Refusal.NO_SUCH_FACE: "That face doesn't exist any more. /faces shows your faces.",
        Refusal.NOT_YOURS: "That isn't one of your faces.",
        Refusal.START_UNDER_WAY: "I'm already getting a new link. It's coming in a moment.",
        Refusal.OFFER_EXPIRED: (
            "This card is too old to start. Type @ and the bot's name with your prompt again."
        ),
        Refusal.BAD_NAME: (
            "A name needs 1 to 64 ordinary characters. Send another name, or /cancel."
        ),
        Refusal.ALREADY_ACTIVE: "This face is already verified — send photos to it.",
        Refusal.FACE_DELETED: "That face was deleted.",
        Refusal.INVITE_UNKNOWN: (
            "This invite link isn't valid. Ask the person who sent it for a new one."
        ),
        Refusal.INVITE_EXPIRED: (
            "This invite has expired. Ask the person who sent it for a new one."
        ),
        Refusal.INVITE_TAKEN: "This invite was already used by someone else.",
        Refusal.INVITE_DONE: "This face check is already done — nothing more to do. Thanks!",
        Refusal.PROVIDER_BUSY: (
            "Another face check is running at this provider right now, and it can't tell two "
            f"apart. Try again in about {e(detail)} seconds."
        ),
        Refusal.LINK_EXPIRED: "That link has expired. Tap <b>New link</b> for a fresh one.",
        Refusal.NO_FACE: (
            "I don't know whose photos these are yet. Create a face first with "
            "/newface <i>name</i>, then send the photos again."
        ),
        Refusal.FACE_NOT_ACTIVE: (
            f"“{e(detail)}” isn't verified yet, so I can't add photos to it. Finish the face "
            "check first (/faces → New link), then send the photos again."
        ),
    }.get(reason, "That can't be done right now.")


def provider_trouble(kind: str) -> str:
    return {
        "auth": "The provider refused our API key. The bot's operator needs to check it.",
        "rate": "The provider is busy right now. Try again in a minute.",
        "down": "The provider isn't answering right now. Try again in a minute.",
    }.get(kind, "The provider couldn't do that right now. Try again in a minute.")


FACE_STATUS = {
    FaceStatus.CREATING: "⏳ being set up at the provider",
    FaceStatus.INTERRUPTED: "⚠️ setup interrupted — get a new link",
    FaceStatus.PENDING: "⏳ waiting for the face check",
    FaceStatus.ACTIVE: "✅ verified",
    FaceStatus.EXPIRED: "⌛ check not done — get a new link",
    FaceStatus.DELETED: "deleted",
}


def faces_list(
    summaries: list[FaceSummary], current_id: int | None, *, in_group: bool = False
) -> str:
    if not summaries:
        if in_group:
            return "This group has no faces yet. An admin creates one with /newface <i>name</i>."
        return "You have no faces yet. Create one with /newface <i>name</i>."
    title = "This group's faces" if in_group else "Your faces"
    lines = [f"<b>{title}</b> (tap one to manage it)"]
    if len(summaries) > MAX_LISTED:
        lines.append(f"The newest {MAX_LISTED} of {len(summaries)}:")
    for s in summaries[-MAX_LISTED:]:
        mark = " ← uploads go here" if s.face.id == current_id else ""
        lines.append(
            f"• <b>{e(s.face.name)}</b> — {FACE_STATUS[s.face.status]}, "
            f"{s.count(AssetState.ACTIVE)} active photo(s){mark}"
        )
    return "\n".join(lines)


# A list message stays under Telegram's 4096 characters and 100 buttons.
MAX_LISTED = 30


def face_detail(s: FaceSummary, current_id: int | None, provider: str) -> str:
    face = s.face
    lines = [f"<b>{e(face.name)}</b> — {FACE_STATUS[face.status]}", f"Provider: {e(provider)}"]
    if face.provider_group_id:
        lines.append(f"Group: <code>{clip(face.provider_group_id, ID_LIMIT)}</code>")
    if face.id == current_id:
        lines.append("New photos go to this face.")
    active = [a for a in s.assets if a.state is AssetState.ACTIVE]
    if active:
        lines.append("\n<b>Active assets</b> (tap to copy):")
        lines += [f"<code>{clip(a.provider_asset_id, ID_LIMIT)}</code>" for a in active[:30]]
        if len(active) > 30:
            lines.append(f"…and {len(active) - 30} more")
    pending = s.count(AssetState.PROCESSING) + s.count(AssetState.UPLOADING)
    failed = s.count(AssetState.FAILED) + s.count(AssetState.REJECTED)
    if pending:
        lines.append(f"⚙️ {pending} still processing")
    if failed:
        lines.append(f"❌ {failed} failed or refused")
    return "\n".join(lines)


def ask_rename(face: Face) -> str:
    return f"Send the new name for “{e(face.name)}”, or /cancel."


def renamed(face: Face, at_provider: bool) -> str:
    where = " (at the provider too)" if at_provider else ""
    return f"Renamed to “<b>{e(face.name)}</b>”{where}."


def confirm_delete(face: Face, at_provider: bool) -> str:
    if at_provider:
        return (
            f"Delete “<b>{e(face.name)}</b>”? This also deletes its group and photos at "
            "the provider, and can't be undone."
        )
    return (
        f"Delete “<b>{e(face.name)}</b>” from the bot? Its photos stay at the provider; "
        "you just won't see or use them here."
    )


def deleted(face: Face, at_provider: bool) -> str:
    where = " here and at the provider" if at_provider else ""
    return f"Deleted “{e(face.name)}”{where}."


def now_using(face: Face) -> str:
    return f"New photos now go to “<b>{e(face.name)}</b>”."


def face_pending_upload_hint(face: Face) -> str:
    return refusal(Refusal.FACE_NOT_ACTIVE, face.name)


def unknown_command(command: str) -> str:
    return f"I don't know {e(command)}. /help lists what I can do."


def unexpected() -> str:
    return (
        "I can't do anything with that. Send photos for your current face, or use "
        "/newface, /faces or /help."
    )


def text_hint() -> str:
    return (
        "To create a face, send /newface <i>name</i>. To add photos, just send them. "
        "/help explains everything."
    )


def sim_passed(face: Face) -> str:
    return f"🧪 Simulated: the person passed the face check for “{e(face.name)}”."


def update_dropped() -> str:
    return (
        "Sorry, I couldn't finish what you sent me last: I was restarted while working on "
        "it, more than once. Please send it again."
    )


def something_broke() -> str:
    return "Sorry, something went wrong on my side. Please try again."


def button_not_for_you() -> str:
    return "This button isn't for you."


def button_outdated() -> str:
    return "This button no longer works. Send /faces or /generate to start again."


def provider_error(exc: Exception) -> str:
    if isinstance(exc, ProviderAuthError):
        return provider_trouble("auth")
    if isinstance(exc, ProviderRateLimited):
        return provider_trouble("rate")
    if isinstance(exc, ProviderUnavailable):
        return provider_trouble("down")
    if isinstance(exc, ProviderRejected):
        return f"The provider said no: {clip(exc.message, DETAIL)}"
    return provider_trouble("other")


def pick_provider_first() -> str:
    return "Tap one of the providers above first, or /cancel."
