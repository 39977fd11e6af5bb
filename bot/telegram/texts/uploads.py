"""What a person reads about their photos: the per-upload progress message and why a
photo was refused or failed."""

from __future__ import annotations

from bot.services.images import MAX_RATIO, MAX_SIDE, MIN_RATIO, MIN_SIDE, Problem
from bot.telegram import i18n
from bot.telegram.i18n import _, n_
from bot.telegram.texts.common import DETAIL, ID_LIMIT, MAX_TEXT, clip, e, fit_lines
from storage.models import Asset, AssetState, Face

STATE_ICON = {
    AssetState.RECEIVED: "⏳",
    AssetState.UPLOADING: "⏫",
    AssetState.PROCESSING: "⚙️",
    AssetState.ACTIVE: "✅",
    AssetState.FAILED: "❌",
    AssetState.REJECTED: "⚠️",
}


# The provider's name for a failure (FaceMismatch, InputImageSensitiveContentDetected...).
CODE_LIMIT = 80


def asset_line(asset: Asset, detail: int = DETAIL) -> str:
    """One photo's state; ``detail`` is how much of the provider's own words to show."""
    icon = STATE_ICON[asset.state]
    match asset.state:
        case AssetState.RECEIVED:
            # waits for an upload slot, then is checked
            return _("{icon} queued…", icon=icon)
        case AssetState.UPLOADING:
            return _("{icon} uploading…", icon=icon)
        case AssetState.PROCESSING:
            return _("{icon} processing at the provider…", icon=icon)
        case AssetState.ACTIVE:
            return _(
                "{icon} Active: <code>{asset_id}</code>",
                icon=icon,
                asset_id=clip(asset.provider_asset_id, ID_LIMIT),
            )
        case AssetState.REJECTED:
            return _("{icon} not uploaded: {reason}", icon=icon, reason=rejection(asset))
        case _:
            return _("{icon} failed: {reason}", icon=icon, reason=failure(asset, detail))


def rejection(asset: Asset) -> str:
    # Pixel sizes are written as plain digits, as in /help's photo rules.
    size = _("{width}×{height} px", width=asset.width, height=asset.height)
    match asset.error_code:
        case Problem.TOO_BIG_TO_DOWNLOAD:
            return _(
                "over 20 MB, the most Telegram lets a bot download. Send a smaller file "
                "(export as JPEG, or send it as a photo instead of a file)."
            )
        case Problem.TOO_LARGE:
            return _("30 MB or more. Send a smaller file.")
        case Problem.NOT_AN_IMAGE:
            return _(
                "this file isn't an image I can read. Send a JPEG, PNG, WebP, BMP, TIFF, "
                "GIF or HEIC photo."
            )
        case Problem.UNSUPPORTED_FORMAT:
            if not asset.error_message:
                return _(
                    "this format isn't accepted. "
                    "Send a JPEG, PNG, WebP, BMP, TIFF, GIF or HEIC photo."
                )
            return _(
                "{format} isn't accepted. Send a JPEG, PNG, WebP, BMP, TIFF, GIF or HEIC photo.",
                format=clip(asset.error_message, CODE_LIMIT),
            )
        case Problem.CORRUPT:
            return _("the image is damaged or cut off. Send the original file again.")
        case Problem.TOO_SMALL:
            return _(
                "too small ({size}). Each side needs at least {min_side} px — send a "
                "larger photo.",
                size=size,
                min_side=MIN_SIDE,
            )
        case Problem.TOO_BIG_SIDE:
            # Pillow's plugins for a few formats refuse a huge image before its size is read.
            if asset.width and asset.height:
                return _(
                    "too large ({size}; each side may be at most {max_side} px). Resize it "
                    "and send it again.",
                    size=size,
                    max_side=MAX_SIDE,
                )
            return _(
                "too large (each side may be at most {max_side} px). Resize it and send it again.",
                max_side=MAX_SIDE,
            )
        case Problem.BAD_RATIO:
            ratio = (asset.width or 0) / (asset.height or 1)
            return _(
                "too narrow or too wide ({size}, ratio {ratio}). Width/height must be "
                "between {min_ratio} and {max_ratio} — crop it closer to a portrait.",
                size=size,
                ratio=f"{ratio:.2f}",
                min_ratio=i18n.number(MIN_RATIO),
                max_ratio=i18n.number(MAX_RATIO),
            )
    return _("it can't be used.")


def failure(asset: Asset, detail: int = DETAIL) -> str:
    code = (asset.error_code or "").lower()
    said = clip(asset.error_message, detail) if asset.error_message and detail else ""
    if code == "facemismatch":
        return _(
            "<b>FaceMismatch</b> — this isn't the verified person (or there are several "
            "faces). Send photos of the verified person alone."
        )
    if "moderation" in code or "sensitive" in code:
        return _("blocked by the provider's content moderation. Try a different photo.")
    if code == "group_not_active":
        return _("the face isn't verified at the provider yet. Finish the face check first.")
    if code == "quota":
        return _("the provider account is full (asset quota). Delete old assets and try again.")
    if code in ("too_large", "invalid"):
        if said:
            return _(
                "the provider refused the file ({said}). Check the photo rules in /help.",
                said=said,
            )
        return _("the provider refused the file. Check the photo rules in /help.")
    if code == "provider_unavailable":
        return _("the provider didn't answer. Send the photo again in a minute.")
    if code == "media_full":
        return _("too many photos are waiting right now. Send it again in a few minutes.")
    if code == "provider_disabled":
        return _("this face's provider isn't enabled on the bot now. Ask the bot's owner.")
    if code == "face_withdrawn":
        return _("the face was withdrawn or deleted meanwhile, so it wasn't sent.")
    if code == "download_failed":
        return _("I couldn't download it from Telegram. Send it again.")
    if code == "timeout":
        return _("still processing after 30 minutes, so I stopped waiting. Send it again later.")
    named = clip(asset.error_code, CODE_LIMIT) if asset.error_code else _("unknown")
    if said:
        return _("the provider refused it ({code}): {said}", code=named, said=said)
    return _("the provider refused it ({code})", code=named)


def batch_progress(face: Face, assets: list[Asset]) -> str:
    """One message for an upload (an album: up to ten photos), within Telegram's limit: the
    providers' words are shortened first, then left out, and only then are lines dropped."""
    for detail in (DETAIL, DETAIL // 4, 0):
        lines = _batch_lines(face, assets, detail)
        text = "\n".join(lines)
        if len(text) <= MAX_TEXT:
            return text
    return fit_lines(lines)


def _batch_lines(face: Face, assets: list[Asset], detail: int) -> list[str]:
    header = n_(
        "📤 <b>{n} photo</b> for “{name}”",
        "📤 <b>{n} photos</b> for “{name}”",
        len(assets),
        name=e(face.name),
    )
    if len(assets) == 1:
        return [header, asset_line(assets[0], detail)]
    lines = [header]
    lines += [f"{i}. {asset_line(a, detail)}" for i, a in enumerate(assets, start=1)]
    active = sum(a.state is AssetState.ACTIVE for a in assets)
    if all(a.state.final for a in assets):
        done = n_(
            "Done: {active} of {n} active.",
            "Done: {active} of {n} active.",
            len(assets),
            active=i18n.number(active),
        )
        lines.append(f"\n{done}")
    return lines
