"""The one renderer of refusals and provider failures: a new case without text fails mypy."""

from __future__ import annotations

from typing import assert_never

from bot.services.errors import Failure, Refusal
from bot.services.video_options import MAX_PROMPT
from bot.telegram.texts.common import DETAIL, clip, e


def refusal_text(reason: Refusal, detail: str = "") -> str:
    match reason:
        case Refusal.NO_SUCH_FACE:
            return "That face doesn't exist any more. /faces shows your faces."
        case Refusal.NOT_YOURS:
            return "That isn't one of your faces."
        case Refusal.BAD_NAME:
            return "A name needs 1 to 64 ordinary characters. Send another name, or /cancel."
        case Refusal.ALREADY_ACTIVE:
            return "This face is already verified — send photos to it."
        case Refusal.FACE_DELETED:
            return "That face was deleted."
        case Refusal.ALREADY_WITHDRAWN:
            return "You already withdrew your consent for this face — nothing more to do."
        case Refusal.CONSENT_ON_RECORD:
            return "The person's consent to this face is already on record."
        case Refusal.NO_FACE_CHECK:
            return (
                "This provider has no face check, so there is no verified person to invite. "
                "Only send photos of someone who agreed."
            )
        case Refusal.ANONYMOUS_ADMIN:
            return (
                "I send this to you privately, and I can't tell who you are while you post "
                "anonymously. Turn off “Remain anonymous” and try again."
            )
        case Refusal.PRIVATE_ONLY:
            return "That works in your private chat with me only: send it there."
        case Refusal.FACE_WITHDRAWN:
            return (
                "Consent for this face was withdrawn, so it can't be verified or used for "
                "videos again. A new face needs a new invite."
            )
        case Refusal.INVITE_UNKNOWN:
            return "This invite link isn't valid. Ask the person who sent it for a new one."
        case Refusal.INVITE_EXPIRED:
            return "This invite has expired. Ask the person who sent it for a new one."
        case Refusal.INVITE_DECLINED:
            return (
                "You said no to this invite, so it is closed. If you change your mind, ask "
                "the person who sent it for a new one."
            )
        case Refusal.INVITE_AGREED:
            return (
                "You already agreed on this invite. To take it back once your check has "
                "passed, use /myfaces → Withdraw."
            )
        case Refusal.INVITE_TAKEN:
            return "This invite was already used by someone else."
        case Refusal.INVITE_DONE:
            return "This invite is already done — nothing more to do. Thanks!"
        case Refusal.LINK_EXPIRED:
            return "That link has expired. Tap <b>New link</b> for a fresh one."
        case Refusal.NO_FACE:
            return (
                "I don't know whose photos these are yet. Create a face first with "
                "/newface <i>name</i>, then send the photos again."
            )
        case Refusal.FACE_NOT_ACTIVE:
            return (
                f"“{e(detail)}” isn't verified yet, so I can't add photos to it. Finish the face "
                "check first (/faces → New link), then send the photos again."
            )
        case Refusal.NO_USABLE_FACE:
            return (
                "You need a verified face with at least one Active photo first.\n"
                "/newface <i>name</i> starts one; /faces shows where yours are."
            )
        case Refusal.BAD_PROMPT:
            return f"A prompt needs 1 to {MAX_PROMPT} characters. Send another one, or /cancel."
        case Refusal.BAD_GROUP_PROMPT:
            return (
                f"That prompt is too long: a prompt may have up to {MAX_PROMPT} characters. "
                "Send /generate <i>what happens</i> again with a shorter one."
            )
        case Refusal.FORWARDED_COMMAND:
            return "A forwarded /generate doesn't count here: send it yourself."
        case Refusal.PROVIDER_OFF:
            return (
                f"This face is at {e(detail)}, which this bot doesn't use any more, so it can't "
                "make videos now. Start again with /generate and another face."
            )
        case Refusal.NO_SUCH_JOB | Refusal.JOB_STARTED:
            return "This video was already started (or cancelled). /videos shows your videos."
        case Refusal.ASSET_NOT_ACTIVE:
            return "That photo or face can't be used any more. Start again with /generate."
        case Refusal.LIMIT_RUNNING:
            return (
                f"You already have {e(detail)} video(s) in progress, the most at once. "
                "Wait for one."
            )
        case Refusal.LIMIT_DAILY:
            return (
                f"You've made {e(detail)} videos today, the daily limit. It resets at 00:00 UTC."
            )
        case Refusal.NOT_DELIVERED:
            return "That video was never delivered, so there is nothing to send again."
        case Refusal.PROVIDER_BUSY:
            return (
                "Another face check is running at this provider right now, and it can't tell "
                f"two apart. Try again in about {e(detail)} seconds."
            )
        case Refusal.ADMINS_ONLY:
            return "Only this group's admins can do that."
        case Refusal.GROUP_ADMINS_ONLY:
            return "In this group only admins may generate videos."
        case Refusal.GROUP_NOT_LISTED:
            return (
                "In this group only listed members may generate videos. Ask an admin to /allow "
                "you."
            )
        case Refusal.GROUP_QUOTA:
            return (
                f"You've made {e(detail)} video(s) here today, this group's daily limit per "
                "member."
            )
        case Refusal.START_UNDER_WAY:
            return "I'm already getting a new link. It's coming in a moment."
        case Refusal.OFFER_EXPIRED:
            return (
                "This card is too old to start. Type @ and the bot's name with your prompt again."
            )
        case Refusal.NOT_ASKED:
            return "This button no longer works. Send /faces or /generate to start again."
        case Refusal.NO_USABLE_GROUP_FACE:
            return (
                "This group has no verified face with an Active photo yet. An admin starts "
                "one with /newface <i>name</i>."
            )
        case Refusal.PROMPT_WITH_COMMAND:
            return "In a group, give the prompt with the command: /generate <i>what happens</i>."
        case Refusal.AGAIN_ELSEWHERE:
            return (
                "That video was made in a group, with the group's face: make it again there "
                "(🔁 under the video)."
            )
        case _:
            assert_never(reason)


def failure_text(failure: Failure, detail: str = "") -> str:
    match failure:
        case Failure.AUTH:
            return "The provider refused our API key. The bot's operator needs to check it."
        case Failure.RATE_LIMITED:
            return "The provider is busy right now. Try again in a minute."
        case Failure.UNAVAILABLE:
            return "The provider isn't answering right now. Try again in a minute."
        case Failure.REJECTED:
            return f"The provider said no: {clip(detail, DETAIL)}"
        case Failure.UNKNOWN:
            return "The provider couldn't do that right now. Try again in a minute."
        case _:
            assert_never(failure)
