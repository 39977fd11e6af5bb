"""Inline keyboards, built from typed callbacks."""

from __future__ import annotations

from urllib.parse import quote

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.services.face_views import FaceList
from bot.telegram.callbacks import Action, Callback
from bot.telegram.i18n import _
from bot.telegram.texts.common import clip
from storage.models import ConsentedFace, Face, FaceStatus


def _cb(text: str, action: Action, arg: object = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=Callback(action, str(arg)).encode())


def verification_card(
    face: Face, link_url: str, invite_url: str | None, *, sandbox: bool
) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(_("🔗 Open verification page"), url=link_url)]]
    if invite_url is not None:
        rows.append(
            [_share(invite_url, _("Please verify your face for “{name}”", name=face.name))]
        )
    rows.append([_cb(_("🔄 New link"), Action.NEW_LINK, face.id)])
    if sandbox:
        rows.append([_cb(_("🧪 Simulate: person passed"), Action.SIM_PASS, face.id)])
    return InlineKeyboardMarkup(rows)


def invitee_card(link_url: str, token: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("🔗 Open verification page"), url=link_url)],
            [_cb(_("🔄 New link"), Action.INVITE_LINK, token)],
        ]
    )


def new_link_only(face: Face) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_cb(_("🔄 New link"), Action.NEW_LINK, face.id)]])


def invitee_new_link(token: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_cb(_("🔄 New link"), Action.INVITE_LINK, token)]])


def my_faces() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_cb(_("🙋 Faces made of me"), Action.MY_FACES)]])


def my_faces_list(faces: list[ConsentedFace]) -> InlineKeyboardMarkup | None:
    """A Withdraw button for each face whose consent still stands."""
    rows = [
        [_cb(_("🚫 Withdraw “{name}”", name=clip(f.face_name, 40)), Action.WITHDRAW, f.consent.id)]
        for f in faces
        if f.consent.withdrawn_at is None
        and f.consent.passed_at is not None  # only the person whose check passed
        and f.face_status not in (FaceStatus.DELETED, FaceStatus.WITHDRAWN)
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def confirm_withdraw(consent_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_cb(_("🚫 Yes, withdraw my consent"), Action.WITHDRAW_YES, consent_id)],
            [_cb(_("Keep it"), Action.MY_FACES)],
        ]
    )


def confirm_forget(user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_cb(_("🗑 Yes, forget me"), Action.FORGET_YES, user_id)],
            [_cb(_("Keep my data"), Action.FORGET_NO)],
        ]
    )


def invite_intro(token: str, *, takeover: bool = False) -> InlineKeyboardMarkup:
    agree = (
        _cb(_("✅ I agree"), Action.TAKE_OVER, token)
        if takeover
        else _cb(_("✅ I agree — I'm ready now"), Action.READY, token)
    )
    return InlineKeyboardMarkup([[agree], [_cb(_("No, thanks"), Action.DECLINE, token)]])


def consent_invite(face: Face, invite_url: str) -> InlineKeyboardMarkup:
    text = _("Please confirm your consent for “{name}”", name=face.name)
    return InlineKeyboardMarkup([[_share(invite_url, text)]])


def _share(invite_url: str, text: str) -> InlineKeyboardButton:
    """Telegram's share screen, with the invite and a line for the person."""
    url = f"https://t.me/share/url?url={quote(invite_url, safe='')}&text={quote(text, safe='')}"
    return InlineKeyboardButton(_("📨 Send invite"), url=url)


def faces_list(listing: FaceList) -> InlineKeyboardMarkup | None:
    if not listing.summaries:
        return None
    icons = {
        FaceStatus.ACTIVE: "✅",
        FaceStatus.PENDING: "⏳",
        FaceStatus.CREATING: "⏳",
        FaceStatus.EXPIRED: "⌛",
        FaceStatus.INTERRUPTED: "⚠️",
        FaceStatus.WITHDRAWN: "🚫",
    }
    rows = [
        [_cb(f"{icons.get(s.face.status, '')} {s.face.name}", Action.FACE_SHOW, s.face.id)]
        for s in listing.summaries
    ]
    pages = []
    if listing.older:
        pages.append(_cb(_("« Older"), Action.FACE_PAGE, listing.page + 1))
    if listing.page > 0:
        pages.append(_cb(_("Newer »"), Action.FACE_PAGE, listing.page - 1))
    if pages:
        rows.append(pages)
    return InlineKeyboardMarkup(rows)


def face_detail(
    face: Face, current_id: int | None, *, in_group: bool = False, consent_invite: bool = False
) -> InlineKeyboardMarkup:
    rows = []
    if consent_invite:
        rows.append(
            [_cb(_("📨 Invite the person to consent"), Action.FACE_CONSENT_INVITE, face.id)]
        )
    if face.status is FaceStatus.ACTIVE and in_group:
        rows.append([_cb(_("📥 Upload photos"), Action.FACE_USE, face.id)])
    elif face.status is FaceStatus.ACTIVE and face.id != current_id:
        rows.append([_cb(_("📥 Send new photos here"), Action.FACE_USE, face.id)])
    if face.status not in (FaceStatus.ACTIVE, FaceStatus.WITHDRAWN):
        rows.append([_cb(_("🔄 New link"), Action.NEW_LINK, face.id)])
    rows.append(
        [
            _cb(_("✏️ Rename"), Action.FACE_RENAME, face.id),
            _cb(_("🗑 Delete"), Action.FACE_DELETE, face.id),
        ]
    )
    rows.append([_cb(_("« All faces"), Action.FACE_LIST)])
    return InlineKeyboardMarkup(rows)


def confirm_delete(face: Face) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _cb(_("🗑 Yes, delete"), Action.FACE_DELETE_YES, face.id),
                _cb(_("Keep it"), Action.FACE_SHOW, face.id),
            ]
        ]
    )


def choose_provider(labels: list[str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_cb(label, Action.FACE_PROVIDER, index)] for index, label in enumerate(labels)]
    )
