"""What a person reads about their faces: /newface, the verification card, /faces,
managing a face and /myfaces. The consent screen, invites and withdrawing are in
:mod:`bot.telegram.texts.consent`."""

from __future__ import annotations

from collections.abc import Mapping

from bot.providers.base import Capabilities, PhotoDeletion
from bot.services.cleanups import PhotosOutcome
from bot.services.face_views import FaceDetail, FaceList
from bot.telegram import i18n
from bot.telegram.i18n import _, n_
from bot.telegram.texts.common import ID_LIMIT, clip, clock_time, day_time, e, fit_lines
from bot.telegram.texts.consent import named, photos_fate
from storage.models import AssetState, Consent, ConsentedFace, Face, FaceStatus


def ask_face_name() -> str:
    return _(
        "What should this face be called? Send a name (up to 64 characters), "
        "e.g. <i>Anna</i>. /cancel to stop."
    )


def verification_card(
    face: Face, expires_at: float, invite_url: str, *, new_group: bool, for_invitee: bool = False
) -> str:
    lines = []
    if new_group:
        lines.append(
            _(
                "ℹ️ The provider gives no fresh link for the old group, so I started a new "
                "Real Face group for this face."
            )
            + "\n"
        )
    if for_invitee:
        lines.append(_("<b>Face check for “{face}”</b>", face=e(face.name)))
        lines.append(
            _(
                "Open the link below on your phone (or scan the QR code) and follow the "
                "steps. It takes about a minute."
            )
        )
    else:
        lines.append(_("<b>Verify “{face}”</b>", face=e(face.name)))
        lines.append(
            _(
                "The person being verified opens this link (or scans the QR code) and does "
                "a short face check."
            )
        )
    lines.append(_("⏳ Valid for 2 minutes, until <b>{time}</b>.", time=clock_time(expires_at)))
    if not for_invitee:
        invite = _(
            "Not with them right now? Send them this invite instead — their 2 minutes start "
            "only when they agree and are ready:\n{link}",
            link=e(invite_url),
        )
        lines.append("\n" + invite)
    lines.append("\n" + _("I'll tell you when the check has passed."))
    return "\n".join(lines)


def choose_provider(
    name: str, capabilities: list[Capabilities], unavailable: dict[str, str]
) -> str:
    lines = [_("Where should “{name}” live? Each provider keeps its own faces.", name=e(name))]
    for c in capabilities:
        check = _("face check by the person") if c.verification else _("no face check")
        upload = _("photos fetched from a link") if c.upload_by_url else _("photos uploaded")
        refs = e(video_modes(c))
        lines.append(
            _(
                "• <b>{provider}</b>: {check}, {upload}, {refs}",
                provider=e(c.display_name),
                check=check,
                upload=upload,
                refs=refs,
            )
        )
    for provider, why in unavailable.items():
        lines.append(
            _("• {provider}: unavailable — {reason}", provider=e(provider), reason=e(why))
        )
    return "\n".join(lines)


def video_modes(c: Capabilities) -> str:
    """What videos a provider makes from a face's photos (its modes)."""
    modes = []
    if c.first_frame:
        modes.append(_("first frame"))
    if c.first_frame and c.last_frame:
        modes.append(_("first & last frame"))
    if c.reference_images:
        modes.append(
            n_(
                "up to {n} reference photo, several people",
                "up to {n} reference photos, several people",
                c.reference_images,
            )
        )
    return ", ".join(modes)


def face_without_check(face: Face, provider: str) -> str:
    return _(
        "✅ <b>“{face}”</b> is ready at {provider}.\n"
        "{provider} has no face check: photos are registered directly, so only send photos "
        "of someone who agreed to this. Send them now — as photos or files, one at a time or "
        "as an album.",
        face=e(face.name),
        provider=e(provider),
    )


def face_status(status: FaceStatus) -> str:
    """A face's status as its owner reads it, e.g. "✅ verified"."""
    match status:
        case FaceStatus.CREATING:
            return _("⏳ being set up at the provider")
        case FaceStatus.INTERRUPTED:
            return _("⚠️ setup interrupted — get a new link")
        case FaceStatus.PENDING:
            return _("⏳ waiting for the face check")
        case FaceStatus.ACTIVE:
            return _("✅ verified")
        case FaceStatus.EXPIRED:
            return _("⌛ check not done — get a new link")
        case FaceStatus.DELETED:
            return _("deleted")
        case FaceStatus.WITHDRAWN:
            return _("🚫 consent withdrawn")


def faces_list(listing: FaceList) -> str:
    if not listing.summaries:
        if listing.in_group:
            return _(
                "This group has no faces yet. An admin creates one with /newface <i>name</i>."
            )
        return _("You have no faces yet. Create one with /newface <i>name</i>.")
    if listing.in_group:
        lines = [_("<b>This group's faces</b> (tap one to manage it)")]
    else:
        lines = [_("<b>Your faces</b> (tap one to manage it)")]
    shown, total = len(listing.summaries), i18n.number(listing.total)
    if listing.page == 0 and listing.total > shown:
        lines.append(
            n_("The newest {n} of {total}:", "The newest {n} of {total}:", shown, total=total)
        )
    elif listing.page > 0:
        lines.append(
            _(
                "Newest first, {first}–{last} of {total}:",
                first=i18n.number(listing.first),
                last=i18n.number(listing.last),
                total=total,
            )
        )
    for s in listing.summaries:
        line = n_(
            "• <b>{face}</b> — {status}, {n} active photo",
            "• <b>{face}</b> — {status}, {n} active photos",
            s.count(AssetState.ACTIVE),
            face=e(s.face.name),
            status=face_status(s.face.status),
        )
        if s.face.id == listing.current_id:
            line += " " + _("← uploads go here")
        lines.append(line)
    if listing.older:
        older = listing.total - listing.last
        lines.append(
            "\n"
            + n_(
                "{n} older — tap <b>« Older</b> to see it.",
                "{n} older — tap <b>« Older</b> to see them.",
                older,
            )
        )
    return "\n".join(lines)


def face_detail(detail: FaceDetail, provider: str) -> str:
    s, face = detail.summary, detail.summary.face
    lines = [
        _("<b>{face}</b> — {status}", face=e(face.name), status=face_status(face.status)),
        _("Provider: {provider}", provider=e(provider)),
    ]
    if face.provider_group_id:
        group = clip(face.provider_group_id, ID_LIMIT)
        lines.append(_("Group: <code>{group}</code>", group=group))
    if face.id == detail.current_id:
        lines.append(_("New photos go to this face."))
    if detail.active_ids:
        lines.append("\n" + _("<b>Active assets</b> (tap to copy):"))
        lines += [f"<code>{clip(asset_id, ID_LIMIT)}</code>" for asset_id in detail.active_ids]
        more = s.count(AssetState.ACTIVE) - len(detail.active_ids)
        if more > 0:
            lines.append(n_("…and {n} more", "…and {n} more", more))
    pending = s.count(AssetState.PROCESSING) + s.count(AssetState.UPLOADING)
    failed = s.count(AssetState.FAILED) + s.count(AssetState.REJECTED)
    if pending:
        lines.append(n_("⚙️ {n} still processing", "⚙️ {n} still processing", pending))
    if failed:
        lines.append(n_("❌ {n} failed or refused", "❌ {n} failed or refused", failed))
    lines.append("")
    lines.append(consent_record(detail))
    return "\n".join(lines)


def my_faces(faces: list[ConsentedFace], titles: Mapping[int, str]) -> str:
    """/myfaces: the faces made of the person reading, as they consented to them;
    ``titles``: the groups' titles, by chat id, where Telegram gave them."""
    if not faces:
        return _(
            "No face has been made of you through an invite. When someone invites you to "
            "verify your face, it shows here once you agree."
        )
    lines = [_("🙋 <b>Faces made of you</b>, each with your consent through an invite:")]
    for n, mine in enumerate(faces, 1):
        owner = named(mine.owner_name, mine.owner_username) if mine.owner_name else _("Someone")
        title = titles.get(mine.chat_id) if mine.in_group else None
        if not mine.in_group:
            where = _("Owner: {owner}, in their own chat.", owner=owner)
        elif title:
            where = _("Owner: {owner}, in the group “{group}”.", owner=owner, group=e(title))
        else:
            where = _("Owner: {owner}, in a group chat.", owner=owner)
        made = {"photos": photos(mine.photos), "videos": videos(mine.videos)}
        if mine.last_used:
            used = _(
                "{photos}, {videos}, last used {time}.", time=day_time(mine.last_used), **made
            )
        else:
            used = _("{photos}, {videos}.", **made)
        lines += [
            "",
            _(
                "{n}. “<b>{face}</b>” — {status}",
                n=i18n.number(n),
                face=e(mine.face_name),
                status=face_status(mine.face_status),
            ),
            where,
            used,
            _your_consent(mine.consent),
        ]
    return fit_lines(lines)


def _your_consent(consent: Consent) -> str:
    """When the person agreed, passed the check and withdrew, as /myfaces tells them."""
    agreed = day_time(consent.consented_at)
    if consent.withdrawn_at is None:
        if consent.takeover:
            return _("You agreed {agreed} to a face verified earlier.", agreed=agreed)
        if consent.passed_at is not None:
            return _(
                "You agreed {agreed}; your check passed {passed}.",
                agreed=agreed,
                passed=day_time(consent.passed_at),
            )
        return _("You agreed {agreed}.", agreed=agreed)
    withdrew = day_time(consent.withdrawn_at)
    if consent.takeover:
        return _(
            "You agreed {agreed} to a face verified earlier; you withdrew {withdrew}.",
            agreed=agreed,
            withdrew=withdrew,
        )
    if consent.passed_at is not None:
        return _(
            "You agreed {agreed}; your check passed {passed}; you withdrew {withdrew}.",
            agreed=agreed,
            passed=day_time(consent.passed_at),
            withdrew=withdrew,
        )
    return _("You agreed {agreed}; you withdrew {withdrew}.", agreed=agreed, withdrew=withdrew)


def photos_deleted_later(face: Face, provider_name: str) -> str:
    return _(
        "🧹 The photos of “<b>{face}</b>” are now deleted at {provider}.",
        face=e(face.name),
        provider=e(provider_name),
    )


def photos(n: int) -> str:
    return n_("{n} photo", "{n} photos", n)


def videos(n: int) -> str:
    return n_("{n} video", "{n} videos", n)


def consent_record(detail: FaceDetail) -> str:
    """What the owner knows of the person's consent (issue 11)."""
    consent, face = detail.consent, detail.summary.face
    if consent is None:
        if not detail.face_check:
            return _(
                "🤝 <b>Consent:</b> this provider has no face check, so no person is known: "
                "only send photos of someone who agreed."
            )
        if face.status is FaceStatus.ACTIVE:
            return _(
                "🤝 <b>Consent:</b> verified through the direct link, so the bot doesn't know "
                "who the person is and has no record of their consent. <b>Invite the person "
                "to consent</b> so that it is on record and theirs to withdraw."
            )
        return _("🤝 <b>Consent:</b> none yet — the person agrees when they open your invite.")
    person = detail.consenter
    who = named(person.first_name, person.username) if person else _("The person")
    lines = [
        _(
            "🤝 <b>Consent:</b> {who} agreed through your invite on {time}.",
            who=who,
            time=day_time(consent.consented_at),
        )
    ]
    if consent.takeover:
        lines.append(_("The face was verified earlier through the direct link."))
    elif consent.passed_at is not None:
        lines.append(_("Their face check passed on {time}.", time=day_time(consent.passed_at)))
    if consent.withdrawn_at is not None:
        lines.append(_("They withdrew on {time}.", time=day_time(consent.withdrawn_at)))
    return "\n".join(lines)


def ask_rename(face: Face) -> str:
    return _("Send the new name for “{face}”, or /cancel.", face=e(face.name))


def renamed(face: Face, at_provider: bool) -> str:
    if at_provider:
        return _("Renamed to “<b>{face}</b>” (at the provider too).", face=e(face.name))
    return _("Renamed to “<b>{face}</b>”.", face=e(face.name))


def confirm_delete(face: Face, deletion: PhotoDeletion) -> str:
    if deletion is PhotoDeletion.GROUP:
        return _(
            "Delete “<b>{face}</b>”? This also deletes its group and photos at the provider "
            "(after any video being made), and can't be undone.",
            face=e(face.name),
        )
    if deletion is not PhotoDeletion.NONE:
        return _(
            "Delete “<b>{face}</b>”? This also deletes its photos at the provider (after any "
            "video being made), and can't be undone.",
            face=e(face.name),
        )
    return _(
        "Delete “<b>{face}</b>” from the bot? Its photos stay at the provider; you just won't "
        "see or use them here.",
        face=e(face.name),
    )


def deleted(face: Face, photos: PhotosOutcome) -> str:
    fate = photos_fate(photos, "its photos")
    return _("Deleted “{face}”.", face=e(face.name)) + (f"\n{fate}" if fate else "")


def now_using(face: Face) -> str:
    return _("New photos now go to “<b>{face}</b>”.", face=e(face.name))


def sim_passed(face: Face) -> str:
    return _("🧪 Simulated: the person passed the face check for “{face}”.", face=e(face.name))


def pick_provider_first() -> str:
    return _("Tap one of the providers above first, or /cancel.")
