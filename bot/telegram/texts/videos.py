"""What a person reads about videos: choices, the confirm step, progress and outcomes."""

from __future__ import annotations

from typing import assert_never

from bot.services.job_failures import JobFailure, job_failure
from bot.services.notify import Undelivered
from bot.services.video_options import Estimate
from bot.telegram.texts.common import DETAIL, clip, clock_time, e, mb
from storage.models import Asset, Face, JobStatus, VideoJob, VideoSettings

MODEL_NAMES = {"seedance-2.0": "Seedance 2.0", "seedance-2.0-fast": "Seedance 2.0 Fast"}


def settings_line(s: VideoSettings) -> str:
    ratio = "auto ratio" if s.ratio == "adaptive" else s.ratio
    sound = "sound on" if s.audio else "no sound"
    model = MODEL_NAMES.get(s.model, s.model)
    return f"{model} · {s.duration} s · {s.resolution} · {ratio} · {sound}"


def ask_prompt() -> str:
    return (
        "What should the video show? Send a prompt, e.g. <i>smiles and waves at the "
        "camera in soft light</i>. /cancel to stop."
    )


def choose_face(prompt: str) -> str:
    return f"🎬 <i>{e(_short(prompt))}</i>\n\nWhich face should be in the video?"


def choose_asset(face: Face, most: int) -> str:
    if most > 1:
        return (
            f"Which photos of “{e(face.name)}” should the video use? Tap to pick up to "
            f"{most}; the first one picked is Image 1."
        )
    return f"Which photo of “{e(face.name)}” should the video start from?"


def asset_label(index: int, asset: Asset) -> str:
    """A photo as a person knows it: its file name if it came as a file, else its number."""
    ref = asset.provider_asset_id or ""
    short = f"{ref[:10]}…" if len(ref) > 10 else ref
    if asset.file_name:
        name = asset.file_name if len(asset.file_name) <= 24 else asset.file_name[:23] + "…"
        return f"Photo {index} · {name}"
    return f"Photo {index} · {short}"


def confirm(job: VideoJob, face: Face, assets: list[Asset], est: Estimate) -> str:
    refs = ", ".join(f"<code>{e(a.provider_asset_id)}</code>" for a in assets)
    return (
        "🎬 <b>Ready to generate</b>\n"
        f"Face: “{e(face.name)}” — {refs}\n"
        f"Prompt: <i>{e(job.prompt)}</i>\n"
        f"{settings_line(job.settings)}\n\n"
        f"Estimated cost: about {est.tokens:,} tokens (≈ US${est.usd:.2f} at list price; "
        "your provider's price may differ).\n"
        "Nothing is charged until you tap <b>Generate</b>."
    )


def elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def progress(job: VideoJob, face_name: str) -> str:
    """The card while a job is under way: its stage and when it was sent, a function of the
    stored job alone. No ticking clock: that would cost an edit per job on every poll, and
    after a restart the card already shows what this renders, so nothing is re-sent."""
    sent = f" · sent {clock_time(job.submitted_at)}" if job.submitted_at else ""
    stage = {
        JobStatus.SUBMITTING: "⏳ sending to the provider…",
        JobStatus.QUEUED: f"⏳ queued at the provider{sent}",
        JobStatus.RUNNING: f"🎬 generating{sent} (usually 1–4 minutes)",
        JobStatus.DOWNLOADING: f"📥 done at the provider · fetching the video{sent}",
    }.get(job.status, "")
    return (
        f"🎬 <b>Video of “{e(face_name)}”</b>\n<i>{e(_short(job.prompt))}</i>\n"
        f"{settings_line(job.settings)}\n\n{stage}"
    )


def delivered_card(job: VideoJob, face_name: str) -> str:
    took = elapsed((job.finished_at or 0) - (job.submitted_at or 0))
    return (
        f"✅ <b>Video of “{e(face_name)}”</b> is ready (took {took}); it's right below.\n"
        f"<i>{e(_short(job.prompt))}</i>\n{settings_line(job.settings)}"
    )


def video_caption(job: VideoJob, face_name: str) -> str:
    return f"“{e(face_name)}”: <i>{e(_short(job.prompt, 300))}</i>"


def link_instead(job: VideoJob, face_name: str, bot_username: str) -> str:
    """A finished video that reached the chat as the provider's link, and why."""
    try:
        reason = Undelivered(job.error_code or Undelivered.TOO_LARGE)
    except ValueError:  # a code no release of the bot writes any more
        reason = Undelivered.SEND_FAILED
    detail = f" ({e(_short(job.error_message, 120))})" if job.error_message else ""
    ready = f"✅ <b>Video of “{e(face_name)}”</b> is ready"
    until = f" until {clock_time(job.url_expires_at)}" if job.url_expires_at else ""
    link = e(job.video_url or "")
    save = f"Download it from the provider{until} (the link expires, so save it now):\n{link}"
    match reason:
        case Undelivered.UNCERTAIN:
            where = "your chat with me" if job.inline_message_id else "this chat"
            return (
                f"{ready}. I sent it, but Telegram never confirmed that it arrived, and "
                "sending it again could show it twice.\n"
                f"If it isn't in {where}, download it from the provider{until}:\n{link}"
            )
        case Undelivered.TOO_LARGE:
            size = f"{mb(job.size_bytes)} " if job.size_bytes else ""
            why = f"the file {size}is over the 50 MB that Telegram lets a bot send"
        case Undelivered.NO_PRIVATE_CHAT:
            why = (
                "I can only deliver videos to people who have started a chat with me "
                f"(https://t.me/{e(bot_username)}) and not blocked me"
            )
        case Undelivered.FORBIDDEN:
            why = f"Telegram doesn't let me post videos in this chat{detail}"
        case Undelivered.REFUSED:
            why = f"Telegram refused the file{detail}"
        case Undelivered.SEND_FAILED:
            why = "Telegram kept failing to take the upload, so I stopped trying"
        case Undelivered.FETCH_FAILED:
            why = f"I couldn't fetch it from the provider{detail}"
        case _:
            assert_never(reason)
    return f"{ready}, but {why}.\n{save}"


def failed(job: VideoJob, face_name: str) -> str:
    head = f"❌ <b>Video of “{e(face_name)}”</b> failed: "
    return head + failure_reason(job_failure(job), job.error_message)


def failure_reason(failure: JobFailure, message: str | None = None) -> str:
    """Why a video failed, and what to do; the provider's words where they say more."""
    detail = f" ({clip(message, DETAIL)})" if message else ""
    match failure:
        case JobFailure.REAL_PERSON:
            return (
                "the provider's real-person rules refused the photo. Use an Active Real Face "
                "asset of the verified person."
            )
        case JobFailure.MODERATION:
            return (
                "the provider's content moderation blocked it. Change the prompt (no minors, "
                "violence, nudity or famous people) and try again."
            )
        case JobFailure.INVALID:
            return f"the provider refused the request as invalid{detail}. Check /settings."
        case JobFailure.QUOTA:
            return (
                f"the provider account has no credit or quota left{detail}. The bot's "
                "operator needs to top it up."
            )
        case JobFailure.REJECTED:
            return f"the provider refused it{detail}. Trying the same again won't help."
        case JobFailure.AUTH:
            return "the provider refused our API key. The bot's operator needs to check it."
        case JobFailure.RATE_LIMITED:
            return "the provider is busy right now. Try again in a minute."
        case JobFailure.UNAVAILABLE:
            return (
                "I couldn't reach the provider, so it never started and nothing was charged. "
                "Try again in a minute."
            )
        case JobFailure.PROVIDER_FAILED:
            return f"the provider couldn't make it{detail}. Try again in a minute."
        case JobFailure.TIMEOUT:
            return "the provider took too long, so I stopped waiting. Nothing more will arrive."
        case JobFailure.DOWNLOAD_FAILED:
            return "the provider made it, but its link expired before I could fetch it. Try again."
        case _:
            assert_never(failure)


def needs_decision(job: VideoJob, face_name: str) -> str:
    return (
        f"⚠️ <b>Video of “{e(face_name)}”</b>: I lost contact while starting it, so I can't "
        "tell whether the provider started it (and charged for it).\n"
        "Check your provider's dashboard. Tap <b>Generate again</b> only if it isn't there."
    )


def settings_intro(s: VideoSettings, for_draft: bool) -> str:
    target = "this video" if for_draft else "your videos from now on"
    return f"⚙️ <b>Settings for {target}</b>\n{settings_line(s)}\n\nTap to change."


def settings_saved(s: VideoSettings) -> str:
    return f"⚙️ Saved. New videos use: {settings_line(s)}"


def videos_list(
    jobs: list[VideoJob], face_names: dict[int, str], *, in_group: bool = False
) -> str:
    if not jobs:
        return "No videos yet. /generate <i>prompt</i> makes one."
    lines = ["<b>This group's recent videos</b>" if in_group else "<b>Your recent videos</b>"]
    for job in jobs:
        name = face_names.get(job.face_id or 0, "?")
        state = {
            JobStatus.DELIVERED: "✅",
            JobStatus.TOO_LARGE: "🔗",
            JobStatus.FAILED: "❌",
            JobStatus.NEEDS_DECISION: "⚠️",
        }.get(job.status, "⏳")
        lines.append(f"{state} #{job.id} “{e(name)}”: <i>{e(_short(job.prompt, 60))}</i>")
    return "\n".join(lines)


def cancelled_draft() -> str:
    return "Cancelled. Nothing was charged."


def forgotten() -> str:
    return (
        "🗑 Forgotten. I've stopped waiting for this video; if the provider made it anyway, "
        "it's in your provider's dashboard."
    )


def starting() -> str:
    return "Starting…"


def with_refusal(card: str, refusal: str) -> str:
    """A card that stays as it was, with why its button did nothing (yet)."""
    return f"{card}\n\n⛔ {refusal}"


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def inline_placeholder(face: Face, prompt: str, settings: VideoSettings, est: Estimate) -> str:
    return (
        f"🎬 <b>Video of “{e(face.name)}”</b>\n<i>{e(_short(prompt, 300))}</i>\n"
        f"{settings_line(settings)} · about {est.tokens:,} tokens (≈ US${est.usd:.2f})\n\n"
        "Nothing is charged until the requester taps <b>Generate</b>."
    )


def inline_hint() -> str:
    return "Type what should happen in the video after my name, e.g. “waves hello”."


def inline_no_face() -> str:
    return "Create a face first"


def inline_short_prompt() -> str:
    return "Type a prompt after my name"


def inline_result_description(count: int, settings: VideoSettings) -> str:
    photos = f"{count} photo{'s' if count != 1 else ''}"
    return f"{photos} · {settings_line(settings)}"


def inline_cancelled() -> str:
    return "✖ Cancelled. Nothing was charged."
