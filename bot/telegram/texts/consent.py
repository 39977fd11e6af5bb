"""What a person reads about consent (issue 11): the consent screen of an invite, sending
and answering invites, withdrawing, and what becomes of the photos of a face withdrawn or
deleted."""

from __future__ import annotations

from typing import Literal

from bot.services.cleanups import PhotosAtProvider, PhotosOutcome
from bot.services.consents import Withdrawal
from bot.services.invites import InviteView
from bot.telegram.i18n import _
from bot.telegram.texts.common import e
from storage.models import Face

# How photos_fate's sentence calls the photos: a withdrawn face's, a deleted face's, or
# those of someone forgotten.
Whose = Literal["your photos", "its photos", "the photos"]


def named(name: str, username: str | None, *, bold: bool = False) -> str:
    """A person as others read them: name (bold where asked) and @username, escaped."""
    shown = f"<b>{e(name)}</b>" if bold else e(name)
    if not username:
        return shown
    return _("{name} (@{username})", name=shown, username=e(username))


def photos_fate(outcome: PhotosOutcome, whose: Whose) -> str:
    """What became of a withdrawn or deleted face's photos at its provider."""
    p = e(outcome.provider_name)
    match outcome.state:
        case PhotosAtProvider.DELETED if outcome.upstream_stays:
            fates = {
                "your photos": _(
                    "Your photos were deleted from {provider}. {provider} says a copy "
                    "registered upstream stays; to have it removed, ask {provider}.",
                    provider=p,
                ),
                "its photos": _(
                    "Its photos were deleted from {provider}. {provider} says a copy "
                    "registered upstream stays; to have it removed, ask {provider}.",
                    provider=p,
                ),
                "the photos": _(
                    "The photos were deleted from {provider}. {provider} says a copy "
                    "registered upstream stays; to have it removed, ask {provider}.",
                    provider=p,
                ),
            }
        case PhotosAtProvider.DELETED:
            fates = {
                "your photos": _("Your photos were deleted at {provider}.", provider=p),
                "its photos": _("Its photos were deleted at {provider}.", provider=p),
                "the photos": _("The photos were deleted at {provider}.", provider=p),
            }
        case PhotosAtProvider.AFTER_VIDEO if outcome.will_tell:
            fates = {
                "your photos": _(
                    "Your photos will be deleted at {provider} once the video being made is "
                    "finished; I'll tell you.",
                    provider=p,
                ),
                "its photos": _(
                    "Its photos will be deleted at {provider} once the video being made is "
                    "finished; I'll tell you.",
                    provider=p,
                ),
                "the photos": _(
                    "The photos will be deleted at {provider} once the video being made is "
                    "finished; I'll tell you.",
                    provider=p,
                ),
            }
        case PhotosAtProvider.AFTER_VIDEO:
            fates = {
                "your photos": _(
                    "Your photos will be deleted at {provider} once the video being made is "
                    "finished.",
                    provider=p,
                ),
                "its photos": _(
                    "Its photos will be deleted at {provider} once the video being made is "
                    "finished.",
                    provider=p,
                ),
                "the photos": _(
                    "The photos will be deleted at {provider} once the video being made is "
                    "finished.",
                    provider=p,
                ),
            }
        case PhotosAtProvider.RETRYING if outcome.will_tell:
            fates = {
                "your photos": _(
                    "{provider} didn't answer: I'll keep trying to delete your photos there "
                    "and tell you.",
                    provider=p,
                ),
                "its photos": _(
                    "{provider} didn't answer: I'll keep trying to delete its photos there "
                    "and tell you.",
                    provider=p,
                ),
                "the photos": _(
                    "{provider} didn't answer: I'll keep trying to delete the photos there "
                    "and tell you.",
                    provider=p,
                ),
            }
        case PhotosAtProvider.RETRYING:
            fates = {
                "your photos": _(
                    "{provider} didn't answer: I'll keep trying to delete your photos there.",
                    provider=p,
                ),
                "its photos": _(
                    "{provider} didn't answer: I'll keep trying to delete its photos there.",
                    provider=p,
                ),
                "the photos": _(
                    "{provider} didn't answer: I'll keep trying to delete the photos there.",
                    provider=p,
                ),
            }
        case PhotosAtProvider.KEPT:
            fates = {
                "your photos": _(
                    "{provider}'s API offers no way for the bot to delete your photos, so they "
                    "stay there but can't be used by this bot. To have them removed, ask "
                    "{provider}.",
                    provider=p,
                ),
                "its photos": _(
                    "{provider}'s API offers no way for the bot to delete its photos, so they "
                    "stay there but can't be used by this bot. To have them removed, ask "
                    "{provider}.",
                    provider=p,
                ),
                "the photos": _(
                    "{provider}'s API offers no way for the bot to delete the photos, so they "
                    "stay there but can't be used by this bot. To have them removed, ask "
                    "{provider}.",
                    provider=p,
                ),
            }
        case _:
            return ""  # nothing of the face was at the provider
    return fates[whose]


def invite_intro(view: InviteView, group_title: str | None = None) -> str:
    """The consent screen: who asks, what for, what is kept where (issue 11)."""
    creator = view.creator
    who = named(creator.first_name, creator.username, bold=True) if creator else _("Someone")
    provider = e(view.provider_name)
    lines = [
        _asks(view, group_title, who),
        "",
        _("<b>What you agree to</b>"),
        _(
            "• Videos of you made with ByteDance's Seedance 2.0 through <b>{provider}</b>.",
            provider=provider,
        ),
        _(
            "• The photos of you they upload are kept at {provider}; the videos stay in the "
            "chat where they are made.",
            provider=provider,
        ),
    ]
    if not view.invite.takeover:
        lines.append(
            _(
                "• First a face check on {provider}'s page: it looks at your face through "
                "the camera for about a minute.",
                provider=provider,
            )
        )
    lines += [
        _(
            "• You can withdraw later, here: /myfaces. No new video is made after that, and "
            "your photos are deleted at the provider where it allows."
        ),
        "",
    ]
    if view.invite.takeover:
        lines.append(
            _("Not your face, or you don't agree? Press <b>No, thanks</b>: they are told.")
        )
    else:
        lines.append(
            _(
                "The link works for 2 minutes, so agree only when you can do it now. Nothing "
                "is shared until you agree."
            )
        )
    return "\n".join(lines)


def _asks(view: InviteView, group_title: str | None, who: str) -> str:
    """The consent screen's first line: who asks what, for whom."""
    values = {
        "who": who,
        "face": e(view.face.name),
        "provider": e(view.provider_name),
        "group": e(group_title or ""),
    }
    if view.invite.takeover:
        if not view.for_group:
            return _(
                "🙋 {who} asks for your consent to “<b>{face}</b>”, a face of you already "
                "verified with {provider}'s face check, so that they can make AI videos of you.",
                **values,
            )
        if group_title:
            return _(
                "🙋 {who} asks for your consent to “<b>{face}</b>”, a face of you already "
                "verified with {provider}'s face check, so that the group “<b>{group}</b>” can "
                "make AI videos of you.",
                **values,
            )
        return _(
            "🙋 {who} asks for your consent to “<b>{face}</b>”, a face of you already "
            "verified with {provider}'s face check, so that a group chat they are in can make "
            "AI videos of you.",
            **values,
        )
    if not view.for_group:
        return _(
            "🙋 {who} asked you to verify your face as “<b>{face}</b>”, so that they can make "
            "AI videos of you.",
            **values,
        )
    if group_title:
        return _(
            "🙋 {who} asked you to verify your face as “<b>{face}</b>”, so that the group "
            "“<b>{group}</b>” can make AI videos of you.",
            **values,
        )
    return _(
        "🙋 {who} asked you to verify your face as “<b>{face}</b>”, so that a group chat they "
        "are in can make AI videos of you.",
        **values,
    )


def took_over(face: Face) -> str:
    return _(
        "✅ Thank you: your consent for “<b>{face}</b>” is on record. /myfaces shows it, with "
        "what is made of it; you can withdraw there at any time.",
        face=e(face.name),
    )


def took_over_owner(face: Face, who: str) -> str:
    return _(
        "🤝 {who} agreed: their consent for “<b>{face}</b>” is on record now, and they can "
        "withdraw it.",
        who=e(who),
        face=e(face.name),
    )


def start_me_first(bot_username: str) -> str:
    return _(
        "I send invites privately: open @{bot}, press Start, then try again.", bot=bot_username
    )


def invite_sent_privately() -> str:
    return _("I sent you the invite in our private chat.")


def consent_invite(face: Face, invite_url: str) -> str:
    return _(
        "📨 Send this invite to the person in “<b>{face}</b>”. When they agree, their consent "
        "is on record, and they can see the face and withdraw it in /myfaces. No new face "
        "check is needed.\n{link}",
        face=e(face.name),
        link=e(invite_url),
    )


def invite_declined_invitee() -> str:
    return _(
        "OK — nothing was shared, and this invite is now closed. If you change your mind, "
        "ask the person who sent it for a new one."
    )


def invite_declined_creator(face: Face, who: str) -> str:
    return _(
        "{who} said no to your invite for “{face}”, so that invite is closed. If they change "
        "their mind, send them a new one.",
        who=e(who),
        face=e(face.name),
    )


def invite_opened_creator(face: Face, who: str) -> str:
    return _(
        "{who} opened your invite for “{face}” and is getting a link now.",
        who=e(who),
        face=e(face.name),
    )


def confirm_withdraw(face: Face) -> str:
    lines = [
        _("Withdraw your consent for “<b>{face}</b>”?", face=e(face.name)),
        "",
        _("• No new video can be made with your face from then on."),
        _("• A video already being made is finished and goes to its owner."),
        _("• Your photos are deleted at the provider where it allows that."),
        _("• The owner is told. This can't be undone: a new consent needs a new invite."),
    ]
    return "\n".join(lines)


def withdrawn(w: Withdrawal) -> str:
    done = _(
        "🚫 Done: your consent for “<b>{face}</b>” is withdrawn. No new video can be made "
        "with it; a video already being made is finished.",
        face=e(w.face.name),
    )
    return done + "\n" + photos_fate(w.photos, "your photos")


def withdrawn_owner(face: Face, who: str) -> str:
    return _(
        "🚫 {who} withdrew their consent for “<b>{face}</b>”. No new video can be made with "
        "it; a video already being made is finished. The face stays in /faces as withdrawn, "
        "with its record.",
        who=e(who),
        face=e(face.name),
    )
