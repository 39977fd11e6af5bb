"""What a person reads while making a video: which face, which photos in which mode, and the
confirm step listing every face and photo used and the cost."""

from __future__ import annotations

from bot.providers.base import ImageRole
from bot.services.video_cards import DraftCard
from bot.services.video_modes import Picked, faces_in_order
from bot.services.video_options import Estimate
from bot.telegram import i18n
from bot.telegram.i18n import _, n_
from bot.telegram.texts.common import clip, e, shorten
from bot.telegram.texts.videos import settings_line
from storage.models import Asset, VideoMode

CARD_PROMPT = 1000  # characters of each prompt on the confirm card, as escaped


def mode_name(mode: VideoMode) -> str:
    match mode:
        case VideoMode.FIRST_FRAME:
            return _("First frame")
        case VideoMode.FIRST_LAST:
            return _("First & last frame")
        case VideoMode.REFERENCES:
            return _("References")


def choose_face(prompt: str) -> str:
    question = _("Which face should be in the video?")
    return f"🎬 <i>{e(shorten(prompt))}</i>\n\n{question}"


def choose_another_face(card: DraftCard, provider: str) -> str:
    """Faces whose photos may join the video; those at other providers can't."""
    lines = [
        f"🎬 <i>{e(shorten(card.job.prompt))}</i>",
        "",
        _("Which face should join the video?"),
    ]
    if card.elsewhere:
        lines.append(
            n_(
                "{n} face is at another provider, so it can't be in this video (its photos "
                "exist at that provider only): only faces at {provider} are listed.",
                "{n} faces are at other providers, so they can't be in this video (their "
                "photos exist at those providers only): only faces at {provider} are listed.",
                card.elsewhere,
                provider=e(provider),
            )
        )
    return "\n".join(lines)


def choose_asset(card: DraftCard) -> str:
    """The photo question for the draft's mode, with what is picked so far."""
    assert card.face is not None
    name = e(card.face.name)
    match card.job.mode:
        case VideoMode.FIRST_FRAME:
            question = _("Which photo of “{name}” should the video start from?", name=name)
        case VideoMode.FIRST_LAST:
            question = _(
                "Tap the photo the video starts from, then the one it ends on: photos of "
                "“{name}”, or ➕ another face's.",
                name=name,
            )
        case VideoMode.REFERENCES:
            question = n_(
                "Which photos of “{name}” should the video use? Tap to pick up to {n}; the "
                "first one picked is Image 1.",
                "Which photos of “{name}” should the video use? Tap to pick up to {n}; the "
                "first one picked is Image 1.",
                card.most,
                name=name,
            )
            if card.more_faces:
                question += "\n" + _(
                    "➕ adds another person. Name each in the prompt (“Anna hugs Ben”): I "
                    "turn the names into the provider's image references."
                )
    lines = []
    if len(card.modes) > 1:
        lines.append(_("Mode: <b>{mode}</b>", mode=e(mode_name(card.job.mode))))
    lines.append(question)
    if card.picked:
        lines.append("")
        lines.extend(picked_line(item) for item in card.picked)
    return "\n".join(lines)


def asset_label(index: int, asset: Asset) -> str:
    """A photo as a person knows it: its file name if it came as a file, else its number."""
    ref = asset.provider_asset_id or ""
    short = f"{ref[:10]}…" if len(ref) > 10 else ref
    if asset.file_name:
        name = asset.file_name if len(asset.file_name) <= 24 else asset.file_name[:23] + "…"
        return _("Photo {number} · {name}", number=i18n.number(index), name=name)
    return _("Photo {number} · {name}", number=i18n.number(index), name=short)


def picked_line(item: Picked) -> str:
    """One photo of the video: its slot, whose it is, which of their photos."""
    face, photo = e(item.face.name), i18n.number(item.photo_number)
    ref = f"<code>{e(item.asset.provider_asset_id)}</code>"
    match item.role:
        case ImageRole.FIRST_FRAME:
            return _(
                "First frame: “{face}” · photo {photo} {ref}", face=face, photo=photo, ref=ref
            )
        case ImageRole.LAST_FRAME:
            return _("Last frame: “{face}” · photo {photo} {ref}", face=face, photo=photo, ref=ref)
        case ImageRole.REFERENCE:
            return _(
                "Image {number}: “{face}” · photo {photo} {ref}",
                number=i18n.number(item.number),
                face=face,
                photo=photo,
                ref=ref,
            )


def _estimate(est: Estimate) -> str:
    return n_(
        "Estimated cost: about {n} token (≈ US${usd} at list price; your provider's price "
        "may differ).",
        "Estimated cost: about {n} tokens (≈ US${usd} at list price; your provider's price "
        "may differ).",
        est.tokens,
        usd=f"{est.usd:.2f}",
    )


def confirm(card: DraftCard) -> str:
    """Every face and photo the video uses, the prompt as the provider gets it, the cost."""
    job = card.job
    faces = faces_in_order(card.picked) or ([card.face] if card.face else [])
    lines = [_("🎬 <b>Ready to generate</b>")]
    if len(card.modes) > 1 or job.mode is not VideoMode.FIRST_FRAME:
        lines.append(_("Mode: <b>{mode}</b>", mode=e(mode_name(job.mode))))
    if faces and (job.mode is VideoMode.FIRST_FRAME or len(card.picked) == 1):
        refs = ", ".join(f"<code>{e(item.asset.provider_asset_id)}</code>" for item in card.picked)
        lines.append(_("Face: “{name}” — {assets}", name=e(faces[0].name), assets=refs))
    else:
        lines.extend(picked_line(item) for item in card.picked)
    # A prompt may be 2,000 characters and its names grow into tags: both are cut so the
    # card stays within Telegram's 4,096.
    lines.append(_("Prompt: <i>{prompt}</i>", prompt=clip(job.prompt, CARD_PROMPT)))
    if card.sent_prompt != job.prompt:
        lines.append(_("Sent as: <i>{prompt}</i>", prompt=clip(card.sent_prompt, CARD_PROMPT)))
    lines += [
        settings_line(job.settings),
        "",
        _estimate(card.estimate),
        _("Nothing is charged until you tap <b>Generate</b>."),
    ]
    return "\n".join(lines)
