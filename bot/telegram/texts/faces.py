"""What a person reads about their faces: /newface, the verification card, invites,
/faces and managing a face."""

from __future__ import annotations

from collections.abc import Mapping

from bot.providers.base import Capabilities, PhotoDeletion
from bot.services.cleanups import PhotosAtProvider, PhotosOutcome
from bot.services.consents import Withdrawal
from bot.services.face_views import FaceDetail, FaceList
from bot.services.invites import InviteView
from bot.telegram.texts.common import ID_LIMIT, clip, clock_time, day_time, e, fit_lines
from storage.models import AssetState, ConsentedFace, Face, FaceStatus


def ask_face_name() -> str:
    return (
        "What should this face be called? Send a name (up to 64 characters), "
        "e.g. <i>Anna</i>. /cancel to stop."
    )


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
            f"start only when they agree and are ready:\n{e(invite_url)}"
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


def named(name: str, username: str | None, *, bold: bool = False) -> str:
    """A person as others read them: name (bold where asked) and @username, escaped."""
    shown = f"<b>{e(name)}</b>" if bold else e(name)
    return f"{shown} (@{e(username)})" if username else shown


def invite_intro(view: InviteView, group_title: str | None = None) -> str:
    """The consent screen: who asks, what for, what is kept where (issue 11)."""
    creator = view.creator
    who = named(creator.first_name, creator.username, bold=True) if creator else "Someone"
    if not view.for_group:
        whose = "they"
    elif group_title:
        whose = f"the group “<b>{e(group_title)}</b>”"
    else:
        whose = "a group chat they are in"
    provider = e(view.provider_name)
    face = e(view.face.name)
    keep = (
        f"• Videos of you made with ByteDance's Seedance 2.0 through <b>{provider}</b>.\n"
        f"• The photos of you they upload are kept at {provider}; the videos stay in the "
        "chat where they are made.\n"
    )
    withdraw = (
        "• You can withdraw later, here: /myfaces. No new video is made after that, and "
        "your photos are deleted at the provider where it allows.\n\n"
    )
    if view.invite.takeover:
        return (
            f"🙋 {who} asks for your consent to “<b>{face}</b>”, a face of you already "
            f"verified with {provider}'s face check, so that {whose} can make AI videos of "
            "you.\n\n<b>What you agree to</b>\n"
            + keep
            + withdraw
            + "Not your face, or you don't agree? Press <b>No, thanks</b>: they are told."
        )
    return (
        f"🙋 {who} asked you to verify your face as “<b>{face}</b>”, "
        f"so that {whose} can make AI videos of you.\n\n"
        "<b>What you agree to</b>\n"
        + keep
        + f"• First a face check on {provider}'s page: it looks at your face through the "
        "camera for about a minute.\n"
        + withdraw
        + "The link works for 2 minutes, so agree only when you can do it now. Nothing is "
        "shared until you agree."
    )


def took_over(face: Face) -> str:
    return (
        f"✅ Thank you: your consent for “<b>{e(face.name)}</b>” is on record. /myfaces "
        "shows it, with what is made of it; you can withdraw there at any time."
    )


def took_over_owner(face: Face, who: str) -> str:
    return (
        f"🤝 {e(who)} agreed: their consent for “<b>{e(face.name)}</b>” is on record now, and "
        "they can withdraw it."
    )


def start_me_first(bot_username: str) -> str:
    return f"I send invites privately: open @{bot_username}, press Start, then try again."


def invite_sent_privately() -> str:
    return "I sent you the invite in our private chat."


def consent_invite(face: Face, invite_url: str) -> str:
    return (
        f"📨 Send this invite to the person in “<b>{e(face.name)}</b>”. When they agree, their "
        "consent is on record, and they can see the face and withdraw it in /myfaces. No new "
        f"face check is needed.\n{e(invite_url)}"
    )


def invite_declined_invitee() -> str:
    return (
        "OK — nothing was shared, and this invite is now closed. If you change your mind, "
        "ask the person who sent it for a new one."
    )


def invite_declined_creator(face: Face, who: str) -> str:
    return (
        f"{e(who)} said no to your invite for “{e(face.name)}”, so that invite is closed. "
        "If they change their mind, send them a new one."
    )


def invite_opened_creator(face: Face, who: str) -> str:
    return f"{e(who)} opened your invite for “{e(face.name)}” and is getting a link now."


FACE_STATUS = {
    FaceStatus.CREATING: "⏳ being set up at the provider",
    FaceStatus.INTERRUPTED: "⚠️ setup interrupted — get a new link",
    FaceStatus.PENDING: "⏳ waiting for the face check",
    FaceStatus.ACTIVE: "✅ verified",
    FaceStatus.EXPIRED: "⌛ check not done — get a new link",
    FaceStatus.DELETED: "deleted",
    FaceStatus.WITHDRAWN: "🚫 consent withdrawn",
}


def faces_list(listing: FaceList) -> str:
    if not listing.summaries:
        if listing.in_group:
            return "This group has no faces yet. An admin creates one with /newface <i>name</i>."
        return "You have no faces yet. Create one with /newface <i>name</i>."
    title = "This group's faces" if listing.in_group else "Your faces"
    lines = [f"<b>{title}</b> (tap one to manage it)"]
    shown = len(listing.summaries)
    if listing.page == 0 and listing.total > shown:
        lines.append(f"The newest {shown} of {listing.total}:")
    elif listing.page > 0:
        lines.append(f"Newest first, {listing.first}–{listing.last} of {listing.total}:")
    for s in listing.summaries:
        mark = " ← uploads go here" if s.face.id == listing.current_id else ""
        lines.append(
            f"• <b>{e(s.face.name)}</b> — {FACE_STATUS[s.face.status]}, "
            f"{s.count(AssetState.ACTIVE)} active photo(s){mark}"
        )
    if listing.older:
        older = listing.total - listing.last
        lines.append(f"\n{older} older — tap <b>« Older</b> to see them.")
    return "\n".join(lines)


def face_detail(detail: FaceDetail, provider: str) -> str:
    s, face = detail.summary, detail.summary.face
    lines = [f"<b>{e(face.name)}</b> — {FACE_STATUS[face.status]}", f"Provider: {e(provider)}"]
    if face.provider_group_id:
        lines.append(f"Group: <code>{clip(face.provider_group_id, ID_LIMIT)}</code>")
    if face.id == detail.current_id:
        lines.append("New photos go to this face.")
    if detail.active_ids:
        lines.append("\n<b>Active assets</b> (tap to copy):")
        lines += [f"<code>{clip(asset_id, ID_LIMIT)}</code>" for asset_id in detail.active_ids]
        more = s.count(AssetState.ACTIVE) - len(detail.active_ids)
        if more > 0:
            lines.append(f"…and {more} more")
    pending = s.count(AssetState.PROCESSING) + s.count(AssetState.UPLOADING)
    failed = s.count(AssetState.FAILED) + s.count(AssetState.REJECTED)
    if pending:
        lines.append(f"⚙️ {pending} still processing")
    if failed:
        lines.append(f"❌ {failed} failed or refused")
    lines.append("")
    lines.append(consent_record(detail))
    return "\n".join(lines)


def my_faces(faces: list[ConsentedFace], titles: Mapping[int, str]) -> str:
    """/myfaces: the faces made of the person reading, as they consented to them;
    ``titles``: the groups' titles, by chat id, where Telegram gave them."""
    if not faces:
        return (
            "No face has been made of you through an invite. When someone invites you to "
            "verify your face, it shows here once you agree."
        )
    lines = ["🙋 <b>Faces made of you</b>, each with your consent through an invite:"]
    for n, mine in enumerate(faces, 1):
        owner = named(mine.owner_name, mine.owner_username) if mine.owner_name else "Someone"
        where = "in their own chat"
        if mine.in_group:
            title = titles.get(mine.chat_id)
            where = f"in the group “{e(title)}”" if title else "in a group chat"
        used = f", last used {day_time(mine.last_used)}" if mine.last_used else ""
        consent = mine.consent
        record = f"You agreed {day_time(consent.consented_at)}"
        if consent.takeover:
            record += " to a face verified earlier"
        elif consent.passed_at is not None:
            record += f"; your check passed {day_time(consent.passed_at)}"
        if consent.withdrawn_at is not None:
            record += f"; you withdrew {day_time(consent.withdrawn_at)}"
        lines += [
            "",
            f"{n}. “<b>{e(mine.face_name)}</b>” — {FACE_STATUS[mine.face_status]}",
            f"Owner: {owner}, {where}.",
            f"{photos(mine.photos)}, {videos(mine.videos)}{used}.",
            record + ".",
        ]
    return fit_lines(lines)


def confirm_withdraw(face: Face) -> str:
    return (
        f"Withdraw your consent for “<b>{e(face.name)}</b>”?\n\n"
        "• No new video can be made with your face from then on.\n"
        "• A video already being made is finished and goes to its owner.\n"
        "• Your photos are deleted at the provider where it allows that.\n"
        "• The owner is told. This can't be undone: a new consent needs a new invite."
    )


def withdrawn(w: Withdrawal) -> str:
    return (
        f"🚫 Done: your consent for “<b>{e(w.face.name)}</b>” is withdrawn. No new video "
        f"can be made with it; a video already being made is finished.\n"
        + photos_fate(w.photos, "your photos")
    )


def photos_fate(outcome: PhotosOutcome, whose: str) -> str:
    """What became of a withdrawn or deleted face's photos at its provider."""
    p = e(outcome.provider_name)
    match outcome.state:
        case PhotosAtProvider.DELETED if outcome.upstream_stays:
            return (
                f"{whose.capitalize()} were deleted from {p}. {p} says a copy registered "
                f"upstream stays; to have it removed, ask {p}."
            )
        case PhotosAtProvider.DELETED:
            return f"{whose.capitalize()} were deleted at {p}."
        case PhotosAtProvider.AFTER_VIDEO:
            told = "; I'll tell you." if outcome.will_tell else "."
            return (
                f"{whose.capitalize()} will be deleted at {p} once the video being made is "
                f"finished{told}"
            )
        case PhotosAtProvider.RETRYING:
            told = " and tell you." if outcome.will_tell else "."
            return f"{p} didn't answer: I'll keep trying to delete {whose} there{told}"
        case PhotosAtProvider.KEPT:
            return (
                f"{p}'s API offers no way for the bot to delete {whose}, so they stay there "
                f"but can't be used by this bot. To have them removed, ask {p}."
            )
    return ""  # nothing of the face was at the provider


def photos_deleted_later(face: Face, provider_name: str) -> str:
    return f"🧹 The photos of “<b>{e(face.name)}</b>” are now deleted at {e(provider_name)}."


def withdrawn_owner(face: Face, who: str) -> str:
    return (
        f"🚫 {e(who)} withdrew their consent for “<b>{e(face.name)}</b>”. No new video can "
        "be made with it; a video already being made is finished. The face stays in /faces "
        "as withdrawn, with its record."
    )


def photos(n: int) -> str:
    return "1 photo" if n == 1 else f"{n} photos"


def videos(n: int) -> str:
    return "1 video" if n == 1 else f"{n} videos"


def consent_record(detail: FaceDetail) -> str:
    """What the owner knows of the person's consent (issue 11)."""
    consent, face = detail.consent, detail.summary.face
    if consent is None:
        if not detail.face_check:
            return (
                "🤝 <b>Consent:</b> this provider has no face check, so no person is known: "
                "only send photos of someone who agreed."
            )
        if face.status is FaceStatus.ACTIVE:
            return (
                "🤝 <b>Consent:</b> verified through the direct link, so the bot doesn't know "
                "who the person is and has no record of their consent. <b>Invite the person "
                "to consent</b> so that it is on record and theirs to withdraw."
            )
        return "🤝 <b>Consent:</b> none yet — the person agrees when they open your invite."
    person = detail.consenter
    who = named(person.first_name, person.username) if person else "The person"
    lines = [
        f"🤝 <b>Consent:</b> {who} agreed through your invite on {day_time(consent.consented_at)}."
    ]
    if consent.takeover:
        lines.append("The face was verified earlier through the direct link.")
    elif consent.passed_at is not None:
        lines.append(f"Their face check passed on {day_time(consent.passed_at)}.")
    if consent.withdrawn_at is not None:
        lines.append(f"They withdrew on {day_time(consent.withdrawn_at)}.")
    return "\n".join(lines)


def ask_rename(face: Face) -> str:
    return f"Send the new name for “{e(face.name)}”, or /cancel."


def renamed(face: Face, at_provider: bool) -> str:
    where = " (at the provider too)" if at_provider else ""
    return f"Renamed to “<b>{e(face.name)}</b>”{where}."


def confirm_delete(face: Face, deletion: PhotoDeletion) -> str:
    if deletion is not PhotoDeletion.NONE:
        what = "group and photos" if deletion is PhotoDeletion.GROUP else "photos"
        return (
            f"Delete “<b>{e(face.name)}</b>”? This also deletes its {what} at the provider "
            "(after any video being made), and can't be undone."
        )
    return (
        f"Delete “<b>{e(face.name)}</b>” from the bot? Its photos stay at the provider; "
        "you just won't see or use them here."
    )


def deleted(face: Face, photos: PhotosOutcome) -> str:
    fate = photos_fate(photos, "its photos")
    return f"Deleted “{e(face.name)}”." + (f"\n{fate}" if fate else "")


def now_using(face: Face) -> str:
    return f"New photos now go to “<b>{e(face.name)}</b>”."


def sim_passed(face: Face) -> str:
    return f"🧪 Simulated: the person passed the face check for “{e(face.name)}”."


def pick_provider_first() -> str:
    return "Tap one of the providers above first, or /cancel."
