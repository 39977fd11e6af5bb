"""Buttons for choosing, confirming, configuring and revisiting videos."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.services.video_cards import DraftCard
from bot.services.video_modes import MODES
from bot.services.video_options import RESOLUTIONS, SETTING_CHOICES, SETTING_FIELDS
from bot.telegram.callbacks import Action, Callback
from bot.telegram.i18n import _, n_
from bot.telegram.texts import drafts as draft_texts
from storage.models import Asset, Face, VideoJob, VideoMode, VideoSettings


def _cb(text: str, action: Action, *args: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text, callback_data=Callback(action, ":".join(str(a) for a in args)).encode()
    )


def choose_face(job: VideoJob, faces: list[Face], *, adding: bool = False) -> InlineKeyboardMarkup:
    """The faces to choose from; ``adding``: another face for the video, with a way back."""
    rows = [[_cb(f"👤 {face.name}", Action.GEN_FACE, job.id, face.id)] for face in faces]
    if adding:
        rows.append([_cb(_("« Back"), Action.GEN_PHOTOS, job.id)])
    rows.append([_cb(_("✖ Cancel"), Action.GEN_CANCEL, job.id)])
    return InlineKeyboardMarkup(rows)


def choose_asset(card: DraftCard, assets: list[Asset]) -> InlineKeyboardMarkup:
    """The modes the provider offers, the face's photos (one to start from, or a set of up
    to ``card.most``), another face where the mode takes more, and the way on."""
    job = card.job
    rows = []
    if len(card.modes) > 1:
        rows.append(
            [
                _cb(
                    f"● {draft_texts.mode_name(mode)}"
                    if mode is job.mode
                    else draft_texts.mode_name(mode),
                    Action.GEN_MODE,
                    job.id,
                    MODES.index(mode),
                )
                for mode in card.modes
            ]
        )
    numbers = {item.asset.id: item.number for item in card.picked}
    for i, asset in enumerate(assets, start=1):
        mark = "🖼" if card.most == 1 else f"✅{numbers[asset.id]}" if asset.id in numbers else "⬜"
        label = f"{mark} {draft_texts.asset_label(i, asset)}"
        rows.append([_cb(label, Action.GEN_ASSET, job.id, asset.id)])
    if card.more_faces:
        rows.append([_cb(_("➕ Another face"), Action.GEN_ADD_FACE, job.id)])
    elif card.choice and not card.picked:
        rows.append([_cb(_("👤 Faces"), Action.GEN_FACES, job.id)])
    if job.mode is VideoMode.REFERENCES and card.most > 1 and job.picking:
        use = n_("Use {n} photo →", "Use {n} photos →", len(job.picking))
        rows.append([_cb(use, Action.GEN_PICKED, job.id)])
    rows.append([_cb(_("✖ Cancel"), Action.GEN_CANCEL, job.id)])
    return InlineKeyboardMarkup(rows)


def confirm(card: DraftCard) -> InlineKeyboardMarkup:
    job = card.job
    change = [_cb(_("🖼 Photos"), Action.GEN_PHOTOS, job.id)]
    if card.choice:
        change.insert(0, _cb(_("👤 Faces"), Action.GEN_FACES, job.id))
    return InlineKeyboardMarkup(
        [
            [_cb(_("🎬 Generate"), Action.GEN_CONFIRM, job.id)],
            change,
            [
                _cb(_("⚙️ Settings"), Action.GEN_SETTINGS, job.id),
                _cb(_("✖ Cancel"), Action.GEN_CANCEL, job.id),
            ],
        ]
    )


def _label(name: str, value: object) -> str:
    """A setting's choice as its button shows it (model names are not translated)."""
    if name == "model":
        return {"seedance-2.0": "2.0", "seedance-2.0-fast": "2.0 Fast"}.get(str(value), str(value))
    if name == "ratio" and value == "adaptive":
        return _("auto")
    if name == "audio":
        return _("🔊 on") if value else _("🔇 off")
    if name == "duration":
        return _("{seconds}s", seconds=value)
    return str(value)


def settings_editor(
    settings: VideoSettings, job_id: int = 0, models: tuple[str, ...] | None = None
) -> InlineKeyboardMarkup:
    """One row per setting; the current choice is ticked. job_id 0 edits the defaults.

    ``models`` limits the model row to what the draft's provider offers."""
    rows: list[list[InlineKeyboardButton]] = []
    for field_index, name in enumerate(SETTING_FIELDS):
        current = getattr(settings, name)
        row = []
        for value_index, value in enumerate(SETTING_CHOICES[name]):
            if name == "resolution" and value not in RESOLUTIONS[settings.model]:
                continue
            if name == "model" and models is not None and value not in models:
                continue
            label = _label(name, value)
            if value == current:
                label = f"✓ {label}"
            row.append(_cb(label, Action.SETTING, job_id, field_index, value_index))
        # Long rows (ratios, durations) wrap so buttons stay readable on a phone.
        rows.extend(row[i : i + 4] for i in range(0, len(row), 4))
    done = _("« Back") if job_id else _("✓ Done")
    rows.append([_cb(done, Action.SETTINGS_DONE, job_id)])
    return InlineKeyboardMarkup(rows)


def outcome(job: VideoJob, *, retry: bool) -> InlineKeyboardMarkup | None:
    if not retry:
        return None
    return InlineKeyboardMarkup([[_cb(_("🔁 Retry"), Action.GEN_AGAIN, job.id)]])


def needs_decision(job: VideoJob) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _cb(_("🎬 Generate again"), Action.GEN_AGAIN, job.id),
                _cb(_("Forget it"), Action.GEN_FORGET, job.id),
            ]
        ]
    )


def under_video(job: VideoJob) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_cb(_("🔁 Again with these settings"), Action.GEN_AGAIN, job.id)]]
    )


def videos_list(jobs: list[VideoJob], again: frozenset[int]) -> InlineKeyboardMarkup | None:
    """/videos: send any delivered one again; make again those the service says may be
    made again here (``again``)."""
    rows = []
    for job in jobs:
        row = []
        if job.tg_file_id:
            row.append(_cb(_("▶️ Send #{job}", job=job.id), Action.VIDEO_SEND, job.id))
        if job.id in again:
            row.append(_cb(_("🔁 Again #{job}", job=job.id), Action.GEN_AGAIN, job.id))
        if row:
            rows.append(row)
    return InlineKeyboardMarkup(rows) if rows else None


def inline_card(offer_id: int, face_id: int) -> InlineKeyboardMarkup:
    """The buttons of an inline card before its draft is confirmed."""
    return InlineKeyboardMarkup(
        [
            [_cb(_("🎬 Generate"), Action.INLINE_GO, offer_id, face_id)],
            [_cb(_("✖ Cancel"), Action.INLINE_CANCEL, offer_id, face_id)],
        ]
    )
