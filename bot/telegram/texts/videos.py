"""What a person reads about videos: choices, the confirm step, progress and outcomes."""

from __future__ import annotations

from typing import assert_never

from bot.services.job_failures import JobFailure, job_failure
from bot.services.notify import Undelivered
from bot.services.video_options import Estimate
from bot.telegram import i18n
from bot.telegram.i18n import _, n_
from bot.telegram.texts.common import DETAIL, clip, e, mb, shorten
from storage.models import Face, JobStatus, VideoJob, VideoSettings, names_of

# Product names: the same in every language.
MODEL_NAMES = {"seedance-2.0": "Seedance 2.0", "seedance-2.0-fast": "Seedance 2.0 Fast"}


def settings_line(s: VideoSettings) -> str:
    ratio = _("auto ratio") if s.ratio == "adaptive" else s.ratio
    sound = _("sound on") if s.audio else _("no sound")
    model = MODEL_NAMES.get(s.model, s.model)
    duration = _("{seconds} s", seconds=i18n.number(s.duration))
    return f"{model} · {duration} · {s.resolution} · {ratio} · {sound}"


def ask_prompt() -> str:
    return _(
        "What should the video show? Send a prompt, e.g. <i>smiles and waves at the "
        "camera in soft light</i>. /cancel to stop."
    )


def elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _video_of(face_name: str) -> str:
    return _("🎬 <b>Video of “{name}”</b>", name=e(face_name))


def progress(job: VideoJob, face_name: str) -> str:
    """The card while a job is under way: its stage and when it was sent, a function of the
    stored job alone. No ticking clock: that would cost an edit per job on every poll, and
    after a restart the card already shows what this renders, so nothing is re-sent."""
    # {sent} is " · sent 10:30:05 UTC" once the provider has the job, else nothing.
    sent = (
        " · " + _("sent {time}", time=i18n.clock_time(job.submitted_at))
        if job.submitted_at
        else ""
    )
    match job.status:
        case JobStatus.SUBMITTING:
            stage = _("⏳ sending to the provider…")
        case JobStatus.QUEUED:
            stage = _("⏳ queued at the provider{sent}", sent=sent)
        case JobStatus.RUNNING:
            stage = _("🎬 generating{sent} (usually 1–4 minutes)", sent=sent)
        case JobStatus.DOWNLOADING:
            stage = _("📥 done at the provider · fetching the video{sent}", sent=sent)
        case _:
            stage = ""
    return (
        f"{_video_of(face_name)}\n<i>{e(shorten(job.prompt))}</i>\n"
        f"{settings_line(job.settings)}\n\n{stage}"
    )


def delivered_card(job: VideoJob, face_name: str) -> str:
    took = elapsed((job.finished_at or 0) - (job.submitted_at or 0))
    ready = _(
        "✅ <b>Video of “{name}”</b> is ready (took {took}); it's right below.",
        name=e(face_name),
        took=took,
    )
    return f"{ready}\n<i>{e(shorten(job.prompt))}</i>\n{settings_line(job.settings)}"


def video_caption(job: VideoJob, face_name: str) -> str:
    return f"“{e(face_name)}”: <i>{e(shorten(job.prompt, 300))}</i>"


def link_instead(job: VideoJob, face_name: str, bot_username: str) -> str:
    """A finished video that reached the chat as the provider's link, and why."""
    try:
        reason = Undelivered(job.error_code or Undelivered.TOO_LARGE)
    except ValueError:  # a code no release of the bot writes any more
        reason = Undelivered.SEND_FAILED
    detail = f" ({e(shorten(job.error_message, 120))})" if job.error_message else ""
    name = e(face_name)
    link = e(job.video_url or "")
    until = i18n.clock_time(job.url_expires_at) if job.url_expires_at else ""
    if until:
        save = _(
            "Download it from the provider until {time} (the link expires, so save it "
            "now):\n{link}",
            time=until,
            link=link,
        )
    else:
        save = _(
            "Download it from the provider (the link expires, so save it now):\n{link}",
            link=link,
        )
    match reason:
        case Undelivered.UNCERTAIN:
            return _uncertain(name, link, until, in_private=bool(job.inline_message_id))
        case Undelivered.TOO_LARGE:
            if job.size_bytes:
                why = _(
                    "the file {size} is over the 50 MB that Telegram lets a bot send",
                    size=mb(job.size_bytes),
                )
            else:
                why = _("the file is over the 50 MB that Telegram lets a bot send")
        case Undelivered.NO_PRIVATE_CHAT:
            why = _(
                "I can only deliver videos to people who have started a chat with me "
                "(https://t.me/{bot}) and not blocked me",
                bot=e(bot_username),
            )
        case Undelivered.FORBIDDEN:
            why = _("Telegram doesn't let me post videos in this chat{detail}", detail=detail)
        case Undelivered.REFUSED:
            why = _("Telegram refused the file{detail}", detail=detail)
        case Undelivered.SEND_FAILED:
            why = _("Telegram kept failing to take the upload, so I stopped trying")
        case Undelivered.FETCH_FAILED:
            why = _("I couldn't fetch it from the provider{detail}", detail=detail)
        case _:
            assert_never(reason)
    ready = _("✅ <b>Video of “{name}”</b> is ready, but {why}.", name=name, why=why)
    return f"{ready}\n{save}"


def _uncertain(name: str, link: str, until: str, *, in_private: bool) -> str:
    ready = _(
        "✅ <b>Video of “{name}”</b> is ready. I sent it, but Telegram never confirmed that "
        "it arrived, and sending it again could show it twice.",
        name=name,
    )
    if in_private and until:
        where = _(
            "If it isn't in your chat with me, download it from the provider until "
            "{time}:\n{link}",
            time=until,
            link=link,
        )
    elif in_private:
        where = _(
            "If it isn't in your chat with me, download it from the provider:\n{link}",
            link=link,
        )
    elif until:
        where = _(
            "If it isn't in this chat, download it from the provider until {time}:\n{link}",
            time=until,
            link=link,
        )
    else:
        where = _("If it isn't in this chat, download it from the provider:\n{link}", link=link)
    return f"{ready}\n{where}"


def failed(job: VideoJob, face_name: str) -> str:
    return _(
        "❌ <b>Video of “{name}”</b> failed: {reason}",
        name=e(face_name),
        reason=failure_reason(job_failure(job), job.error_message),
    )


def failure_reason(failure: JobFailure, message: str | None = None) -> str:
    """Why a video failed, and what to do; the provider's words where they say more."""
    # {detail} is the provider's own words in parentheses, after a space, or nothing.
    detail = f" ({clip(message, DETAIL)})" if message else ""
    match failure:
        case JobFailure.REAL_PERSON:
            return _(
                "the provider's real-person rules refused the photo. Use an Active Real Face "
                "asset of the verified person."
            )
        case JobFailure.MODERATION:
            return _(
                "the provider's content moderation blocked it. Change the prompt (no minors, "
                "violence, nudity or famous people) and try again."
            )
        case JobFailure.INVALID:
            return _(
                "the provider refused the request as invalid{detail}. Check /settings.",
                detail=detail,
            )
        case JobFailure.QUOTA:
            return _(
                "the provider account has no credit or quota left{detail}. The bot's "
                "operator needs to top it up.",
                detail=detail,
            )
        case JobFailure.REJECTED:
            return _(
                "the provider refused it{detail}. Trying the same again won't help.",
                detail=detail,
            )
        case JobFailure.AUTH:
            return _("the provider refused our API key. The bot's operator needs to check it.")
        case JobFailure.RATE_LIMITED:
            return _("the provider is busy right now. Try again in a minute.")
        case JobFailure.UNAVAILABLE:
            return _(
                "I couldn't reach the provider, so it never started and nothing was charged. "
                "Try again in a minute."
            )
        case JobFailure.PROVIDER_FAILED:
            return _(
                "the provider couldn't make it{detail}. Try again in a minute.", detail=detail
            )
        case JobFailure.TIMEOUT:
            return _("the provider took too long, so I stopped waiting. Nothing more will arrive.")
        case JobFailure.DOWNLOAD_FAILED:
            return _(
                "the provider made it, but its link expired before I could fetch it. Try again."
            )
        case _:
            assert_never(failure)


def needs_decision(job: VideoJob, face_name: str) -> str:
    lost = _(
        "⚠️ <b>Video of “{name}”</b>: I lost contact while starting it, so I can't "
        "tell whether the provider started it (and charged for it).",
        name=e(face_name),
    )
    check = _("Check your provider's dashboard. Tap <b>Generate again</b> only if it isn't there.")
    return f"{lost}\n{check}"


def settings_intro(s: VideoSettings, for_draft: bool) -> str:
    if for_draft:
        head = _("⚙️ <b>Settings for this video</b>")
    else:
        head = _("⚙️ <b>Settings for your videos from now on</b>")
    tap = _("Tap to change.")
    return f"{head}\n{settings_line(s)}\n\n{tap}"


def settings_saved(s: VideoSettings) -> str:
    return _("⚙️ Saved. New videos use: {settings}", settings=settings_line(s))


_JOB_ICON = {
    JobStatus.DELIVERED: "✅",
    JobStatus.TOO_LARGE: "🔗",
    JobStatus.FAILED: "❌",
    JobStatus.NEEDS_DECISION: "⚠️",
}


def videos_list(
    jobs: list[VideoJob], face_names: dict[int, str], *, in_group: bool = False
) -> str:
    if not jobs:
        return _("No videos yet. /generate <i>prompt</i> makes one.")
    lines = [
        _("<b>This group's recent videos</b>") if in_group else _("<b>Your recent videos</b>")
    ]
    for job in jobs:
        name = clip(names_of(job, face_names), 60)
        state = _JOB_ICON.get(job.status, "⏳")
        lines.append(f"{state} #{job.id} “{name}”: <i>{e(shorten(job.prompt, 60))}</i>")
    return "\n".join(lines)


def cancelled_draft() -> str:
    return _("Cancelled. Nothing was charged.")


def forgotten() -> str:
    return _(
        "🗑 Forgotten. I've stopped waiting for this video; if the provider made it anyway, "
        "it's in your provider's dashboard."
    )


def starting() -> str:
    return _("Starting…")


def with_refusal(card: str, refusal: str) -> str:
    """A card that stays as it was, with why its button did nothing (yet)."""
    return f"{card}\n\n⛔ {refusal}"


def inline_placeholder(face: Face, prompt: str, settings: VideoSettings, est: Estimate) -> str:
    cost = n_(
        "about {n} token (≈ US${usd})",
        "about {n} tokens (≈ US${usd})",
        est.tokens,
        usd=f"{est.usd:.2f}",
    )
    charged = _("Nothing is charged until the requester taps <b>Generate</b>.")
    return (
        f"{_video_of(face.name)}\n<i>{e(shorten(prompt, 300))}</i>\n"
        f"{settings_line(settings)} · {cost}\n\n{charged}"
    )


def inline_hint() -> str:
    return _("Type what should happen in the video after my name, e.g. “waves hello”.")


def inline_no_face() -> str:
    return _("Create a face first")


def inline_short_prompt() -> str:
    return _("Type a prompt after my name")


def inline_result_description(count: int, settings: VideoSettings) -> str:
    photos = n_("{n} photo", "{n} photos", count)
    return f"{photos} · {settings_line(settings)}"


def inline_cancelled() -> str:
    return _("✖ Cancelled. Nothing was charged.")
