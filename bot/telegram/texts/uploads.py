"""What a person reads about their photos: the per-upload progress message and why a
photo was refused or failed."""

from __future__ import annotations

from bot.services.images import MAX_RATIO, MAX_SIDE, MIN_RATIO, MIN_SIDE, Problem
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
            return f"{icon} queued…"  # waits for an upload slot, then is checked
        case AssetState.UPLOADING:
            return f"{icon} uploading…"
        case AssetState.PROCESSING:
            return f"{icon} processing at the provider…"
        case AssetState.ACTIVE:
            return f"{icon} Active: <code>{clip(asset.provider_asset_id, ID_LIMIT)}</code>"
        case AssetState.REJECTED:
            return f"{icon} not uploaded: {rejection(asset)}"
        case _:
            return f"{icon} failed: {failure(asset, detail)}"


def rejection(asset: Asset) -> str:
    size = f"{asset.width}×{asset.height} px"
    match asset.error_code:
        case Problem.TOO_BIG_TO_DOWNLOAD:
            return (
                "over 20 MB, the most Telegram lets a bot download. Send a smaller file "
                "(export as JPEG, or send it as a photo instead of a file)."
            )
        case Problem.TOO_LARGE:
            return "30 MB or more. Send a smaller file."
        case Problem.NOT_AN_IMAGE:
            return (
                "this file isn't an image I can read. Send a JPEG, PNG, WebP, BMP, TIFF, "
                "GIF or HEIC photo."
            )
        case Problem.UNSUPPORTED_FORMAT:
            return (
                f"{clip(asset.error_message or 'this format', CODE_LIMIT)} isn't accepted. "
                "Send a JPEG, PNG, WebP, BMP, TIFF, GIF or HEIC photo."
            )
        case Problem.CORRUPT:
            return "the image is damaged or cut off. Send the original file again."
        case Problem.TOO_SMALL:
            return (
                f"too small ({size}). Each side needs at least {MIN_SIDE} px — send a "
                "larger photo."
            )
        case Problem.TOO_BIG_SIDE:
            # Pillow's plugins for a few formats refuse a huge image before its size is read.
            known = f"{size}; " if asset.width and asset.height else ""
            return (
                f"too large ({known}each side may be at most {MAX_SIDE} px). Resize it and "
                "send it again."
            )
        case Problem.BAD_RATIO:
            ratio = (asset.width or 0) / (asset.height or 1)
            return (
                f"too narrow or too wide ({size}, ratio {ratio:.2f}). Width/height must be "
                f"between {MIN_RATIO} and {MAX_RATIO} — crop it closer to a portrait."
            )
    return "it can't be used."


def failure(asset: Asset, detail: int = DETAIL) -> str:
    code = (asset.error_code or "").lower()
    said = clip(asset.error_message, detail) if asset.error_message and detail else ""
    if code == "facemismatch":
        return (
            "<b>FaceMismatch</b> — this isn't the verified person (or there are several "
            "faces). Send photos of the verified person alone."
        )
    if "moderation" in code or "sensitive" in code:
        return "blocked by the provider's content moderation. Try a different photo."
    if code == "group_not_active":
        return "the face isn't verified at the provider yet. Finish the face check first."
    if code == "quota":
        return "the provider account is full (asset quota). Delete old assets and try again."
    if code in ("too_large", "invalid"):
        why = f" ({said})" if said else ""
        return f"the provider refused the file{why}. Check the photo rules in /help."
    if code == "provider_unavailable":
        return "the provider didn't answer. Send the photo again in a minute."
    if code == "media_full":
        return "too many photos are waiting right now. Send it again in a few minutes."
    if code == "provider_disabled":
        return "this face's provider isn't enabled on the bot now. Ask the bot's owner."
    if code == "face_withdrawn":
        return "the face was withdrawn or deleted meanwhile, so it wasn't sent."
    if code == "download_failed":
        return "I couldn't download it from Telegram. Send it again."
    if code == "timeout":
        return "still processing after 30 minutes, so I stopped waiting. Send it again later."
    why = f": {said}" if said else ""
    return f"the provider refused it ({clip(asset.error_code or 'unknown', CODE_LIMIT)}){why}"


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
    header = f"📤 <b>{len(assets)} photo{'s' if len(assets) != 1 else ''}</b> for “{e(face.name)}”"
    if len(assets) == 1:
        return [header, asset_line(assets[0], detail)]
    lines = [header]
    lines += [f"{i}. {asset_line(a, detail)}" for i, a in enumerate(assets, start=1)]
    active = sum(a.state is AssetState.ACTIVE for a in assets)
    if all(a.state.final for a in assets):
        lines.append(f"\nDone: {active} of {len(assets)} active.")
    return lines
