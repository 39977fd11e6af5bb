"""The one renderer of refusals and provider failures: a new case without text fails mypy."""

from __future__ import annotations

from typing import assert_never

from bot.services.errors import Failure, Refusal
from bot.services.video_options import MAX_PROMPT
from bot.telegram import i18n
from bot.telegram.i18n import _, n_
from bot.telegram.texts.common import DETAIL, clip, e


def _count(detail: str) -> int:
    """The number a refusal's ``detail`` carries (the services write it with ``str(int)``)."""
    try:
        return int(detail)
    except ValueError:
        return 0


def refusal_text(reason: Refusal, detail: str = "") -> str:
    match reason:
        case Refusal.NO_SUCH_FACE:
            return _("That face doesn't exist any more. /faces shows your faces.")
        case Refusal.NOT_YOURS:
            return _("That isn't one of your faces.")
        case Refusal.BAD_NAME:
            return _("A name needs 1 to 64 ordinary characters. Send another name, or /cancel.")
        case Refusal.ALREADY_ACTIVE:
            return _("This face is already verified — send photos to it.")
        case Refusal.FACE_DELETED:
            return _("That face was deleted.")
        case Refusal.ALREADY_WITHDRAWN:
            return _("You already withdrew your consent for this face — nothing more to do.")
        case Refusal.CONSENT_ON_RECORD:
            return _("The person's consent to this face is already on record.")
        case Refusal.NO_FACE_CHECK:
            return _(
                "This provider has no face check, so there is no verified person to invite. "
                "Only send photos of someone who agreed."
            )
        case Refusal.ANONYMOUS_ADMIN:
            return _(
                "I send this to you privately, and I can't tell who you are while you post "
                "anonymously. Turn off “Remain anonymous” and try again."
            )
        case Refusal.PRIVATE_ONLY:
            return _("That works in your private chat with me only: send it there.")
        case Refusal.FACE_WITHDRAWN:
            return _(
                "Consent for this face was withdrawn, so it can't be verified or used for "
                "videos again. A new face needs a new invite."
            )
        case Refusal.INVITE_UNKNOWN:
            return _("This invite link isn't valid. Ask the person who sent it for a new one.")
        case Refusal.INVITE_EXPIRED:
            return _("This invite has expired. Ask the person who sent it for a new one.")
        case Refusal.INVITE_DECLINED:
            return _(
                "You said no to this invite, so it is closed. If you change your mind, ask "
                "the person who sent it for a new one."
            )
        case Refusal.INVITE_AGREED:
            return _(
                "You already agreed on this invite. To take it back once your check has "
                "passed, use /myfaces → Withdraw."
            )
        case Refusal.INVITE_TAKEN:
            return _("This invite was already used by someone else.")
        case Refusal.INVITE_DONE:
            return _("This invite is already done — nothing more to do. Thanks!")
        case Refusal.LINK_EXPIRED:
            return _("That link has expired. Tap <b>New link</b> for a fresh one.")
        case Refusal.NO_FACE:
            return _(
                "I don't know whose photos these are yet. Create a face first with "
                "/newface <i>name</i>, then send the photos again."
            )
        case Refusal.FACE_NOT_ACTIVE:
            return _(
                "“{name}” isn't verified yet, so I can't add photos to it. Finish the face "
                "check first (/faces → New link), then send the photos again.",
                name=e(detail),
            )
        case Refusal.NO_USABLE_FACE:
            return "\n".join(
                [
                    _("You need a verified face with at least one Active photo first."),
                    _("/newface <i>name</i> starts one; /faces shows where yours are."),
                ]
            )
        case Refusal.BAD_PROMPT:
            return _(
                "A prompt needs 1 to {most} characters. Send another one, or /cancel.",
                most=i18n.number(MAX_PROMPT),
            )
        case Refusal.BAD_GROUP_PROMPT:
            return _(
                "That prompt is too long: a prompt may have up to {most} characters. "
                "Send /generate <i>what happens</i> again with a shorter one.",
                most=i18n.number(MAX_PROMPT),
            )
        case Refusal.FORWARDED_COMMAND:
            return _("A forwarded /generate doesn't count here: send it yourself.")
        case Refusal.PROVIDER_OFF:
            return _(
                "This face is at {provider}, which this bot doesn't use any more, so it can't "
                "make videos now. Start again with /generate and another face.",
                provider=e(detail),
            )
        case Refusal.NO_SUCH_JOB | Refusal.JOB_STARTED:
            return _("This video was already started (or cancelled). /videos shows your videos.")
        case Refusal.ASSET_NOT_ACTIVE:
            return _("That photo or face can't be used any more. Start again with /generate.")
        case Refusal.LIMIT_RUNNING:
            return n_(
                "You already have {n} video in progress, the most at once. Wait for it.",
                "You already have {n} videos in progress, the most at once. Wait for one.",
                _count(detail),
            )
        case Refusal.LIMIT_DAILY:
            return n_(
                "You've made {n} video today, the daily limit. It resets at 00:00 UTC.",
                "You've made {n} videos today, the daily limit. It resets at 00:00 UTC.",
                _count(detail),
            )
        case Refusal.NOT_DELIVERED:
            return _("That video was never delivered, so there is nothing to send again.")
        case Refusal.PROVIDER_BUSY:
            return n_(
                "Another face check is running at this provider right now, and it can't tell "
                "two apart. Try again in about {n} second.",
                "Another face check is running at this provider right now, and it can't tell "
                "two apart. Try again in about {n} seconds.",
                _count(detail),
            )
        case Refusal.ADMINS_ONLY:
            return _("Only this group's admins can do that.")
        case Refusal.GROUP_ADMINS_ONLY:
            return _("In this group only admins may generate videos.")
        case Refusal.GROUP_NOT_LISTED:
            return _(
                "In this group only listed members may generate videos. Ask an admin to /allow "
                "you."
            )
        case Refusal.GROUP_QUOTA:
            return n_(
                "You've made {n} video here today, this group's daily limit per member.",
                "You've made {n} videos here today, this group's daily limit per member.",
                _count(detail),
            )
        case Refusal.START_UNDER_WAY:
            return _("I'm already getting a new link. It's coming in a moment.")
        case Refusal.OFFER_EXPIRED:
            return _(
                "This card is too old to start. Type @ and the bot's name with your prompt again."
            )
        case Refusal.NOT_ASKED:
            return _("This button no longer works. Send /faces or /generate to start again.")
        case Refusal.NO_USABLE_GROUP_FACE:
            return _(
                "This group has no verified face with an Active photo yet. An admin starts "
                "one with /newface <i>name</i>."
            )
        case Refusal.PROMPT_WITH_COMMAND:
            return _(
                "In a group, give the prompt with the command: /generate <i>what happens</i>."
            )
        case Refusal.AGAIN_ELSEWHERE:
            return _(
                "That video was made in a group, with the group's face: make it again there "
                "(🔁 under the video)."
            )
        case Refusal.MODE_NOT_OFFERED:
            return _(
                "{provider} doesn't make that kind of video. Pick one of the modes shown on "
                "the card.",
                provider=e(detail),
            )
        case Refusal.OTHER_PROVIDER:
            return _(
                "That face is at another provider, so it can't be in this video: its photos "
                "exist there only. Pick a face at {provider} (➕ lists them).",
                provider=e(detail),
            )
        case _:
            assert_never(reason)


def failure_text(failure: Failure, detail: str = "") -> str:
    match failure:
        case Failure.AUTH:
            return _("The provider refused our API key. The bot's operator needs to check it.")
        case Failure.RATE_LIMITED:
            return _("The provider is busy right now. Try again in a minute.")
        case Failure.UNAVAILABLE:
            return _("The provider isn't answering right now. Try again in a minute.")
        case Failure.REJECTED:
            return _("The provider said no: {reason}", reason=clip(detail, DETAIL))
        case Failure.UNKNOWN:
            return _("The provider couldn't do that right now. Try again in a minute.")
        case _:
            assert_never(failure)
