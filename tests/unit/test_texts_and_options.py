import dataclasses
from typing import Any

import pytest

from bot.providers.base import ProviderRejected, RejectReason
from bot.services.errors import failure_of
from bot.services.face_views import FaceDetail, FaceList, FaceSummary
from bot.services.images import Problem
from bot.services.video_options import apply_choice, estimate, normalize
from bot.telegram.keyboards import faces as keyboards
from bot.telegram.texts import common as texts
from bot.telegram.texts import faces as face_texts
from bot.telegram.texts import groups as group_texts
from bot.telegram.texts import uploads as upload_texts
from bot.telegram.texts import videos as video_texts
from bot.telegram.texts.refusals import failure_text
from storage.models import (
    Asset,
    AssetState,
    Face,
    FaceStatus,
    JobStatus,
    Owner,
    OwnerKind,
    VideoJob,
    VideoSettings,
)
from tests.fakes.telegram_api.html import parse_html


def face(i: int) -> Face:
    return Face(
        id=i,
        owner=Owner(OwnerKind.USER, 1),
        created_by=1,
        chat_id=1,
        name=f"A rather long face name number {i:03d} <&>",
        provider="token360",
        provider_group_id=None,
        provider_session_id=None,
        status=FaceStatus.ACTIVE,
        verifier_user_id=None,
        created_at=0,
        updated_at=0,
        activated_at=0,
        next_poll_at=None,
        poll_count=0,
        outcome_notified=True,
    )


def test_a_long_face_list_stays_within_telegram_limits() -> None:
    summaries = [FaceSummary(face(i), {AssetState.ACTIVE: 10}) for i in range(90, 120)]
    listing = FaceList(summaries, None, in_group=False, total=120)
    text = face_texts.faces_list(listing)
    markup = keyboards.faces_list(listing)
    assert len(text) < 4096 and "The newest 30 of 120" in text
    assert "90 older" in text  # and how to reach them
    assert "&lt;&amp;&gt;" in text  # names are escaped
    assert markup is not None and len(markup.inline_keyboard) == 31  # 30 faces, paging
    assert [b.text for b in markup.inline_keyboard[-1]] == ["« Older"]


def test_a_middle_page_of_faces_pages_both_ways() -> None:
    summaries = [FaceSummary(face(i), {}) for i in range(60, 90)]
    listing = FaceList(summaries, None, in_group=False, total=120, page=1)
    text = face_texts.faces_list(listing)
    assert "31–60 of 120" in text and "60 older" in text
    markup = keyboards.faces_list(listing)
    assert markup is not None
    assert [b.text for b in markup.inline_keyboard[-1]] == ["« Older", "Newer »"]


def test_estimate_matches_the_documented_price_point() -> None:
    est = estimate(VideoSettings("seedance-2.0", 5, "720p", "16:9", False))
    assert 100_000 < est.tokens < 115_000  # PROVIDERS.md: about 108,900
    assert 0.70 < est.usd < 0.82  # about USD 0.76


def test_normalize_follows_model_and_provider() -> None:
    fast_1080 = VideoSettings("seedance-2.0-fast", 20, "1080p", "7:5", True)
    assert normalize(fast_1080) == VideoSettings("seedance-2.0-fast", 15, "720p", "adaptive", True)
    only_standard = normalize(fast_1080, ("seedance-2.0",))
    assert only_standard.model == "seedance-2.0"
    # An old button's out-of-range choice changes nothing.
    assert apply_choice(VideoSettings(), 9, 0) == VideoSettings()
    assert apply_choice(VideoSettings(), 1, 99) == VideoSettings()


# ---------------------------------------------------------------- Telegram's length limits

LONG = "Upstream refused: <a> & <b> " + "x" * 10_000  # a provider's 10,000-character error


def build(cls: type, **given: object) -> Any:
    """A stored row with ``given`` and plain values for every other field."""
    values: dict[str, object] = {}
    for field in dataclasses.fields(cls):
        if field.name in given:
            values[field.name] = given[field.name]
        elif field.default is not dataclasses.MISSING or field.default_factory is not (
            dataclasses.MISSING
        ):
            continue
        else:
            kind = str(field.type)
            values[field.name] = (
                None
                if "None" in kind
                else 1
                if kind == "int"
                else 0.0
                if kind == "float"
                else "x"
                if kind == "str"
                else ()
                if kind.startswith("tuple")
                else True
            )
    return cls(**values)


def within_limits(text: str, limit: int = texts.MAX_TEXT) -> str:
    plain, _entities = parse_html(text)  # well-formed as Telegram parses it
    assert len(text) <= limit and len(plain) <= limit, (len(text), len(plain))
    return plain


ASSET_CODES = [
    "FaceMismatch",
    "ContentModeration",
    "group_not_active",
    "quota",
    "too_large",
    "invalid",
    "provider_unavailable",
    "download_failed",
    "timeout",
    "InvalidImage",
    LONG,  # a code as long as the message
]


@pytest.mark.parametrize("code", ASSET_CODES)
def test_every_upload_outcome_fits_with_a_10000_character_error(code: str) -> None:
    owner = face(1)
    failed = build(
        Asset, id=1, state=AssetState.FAILED, error_code=code, error_message=LONG, name="n"
    )
    plain = within_limits(upload_texts.batch_progress(owner, [failed]))
    if code in ("InvalidImage", "invalid"):
        assert "Upstream refused: <a> & <b> xxx" in plain and "…" in plain
    album = [failed] * 10  # Telegram's largest album, every photo failed alike
    within_limits(upload_texts.batch_progress(owner, album))


def test_other_upload_lines_with_long_provider_text_fit() -> None:
    owner = face(1)
    active = build(Asset, state=AssetState.ACTIVE, provider_asset_id=LONG, name="n")
    wrong_format = build(
        Asset,
        state=AssetState.REJECTED,
        error_code=Problem.UNSUPPORTED_FORMAT.value,
        error_message=LONG,
        name="n",
    )
    for asset in (active, wrong_format):
        within_limits(upload_texts.batch_progress(owner, [asset] * 10))


def test_a_huge_image_is_named_by_its_size() -> None:
    huge = build(
        Asset,
        state=AssetState.REJECTED,
        error_code=Problem.TOO_BIG_SIDE.value,
        width=40_000,
        height=40_000,
        name="n",
    )
    assert "40000×40000 px; each side may be at most 6000 px" in upload_texts.asset_line(huge)
    unknown = dataclasses.replace(huge, width=None, height=None)
    assert "None" not in upload_texts.asset_line(unknown)


VIDEO_CODES = [
    "InputImageSensitiveContentDetected.PrivacyInformation",
    "OutputVideoSensitiveContentDetected",
    "InvalidParameter",
    "timeout",
    "provider_error",
    "rate_limited",
    "auth",
    "InternalServiceError",
    LONG,
]


@pytest.mark.parametrize("code", VIDEO_CODES)
def test_every_video_outcome_fits_with_a_10000_character_error(code: str) -> None:
    job = build(
        VideoJob,
        status=JobStatus.FAILED,
        prompt="p" * 2000,
        settings=VideoSettings(),
        error_code=code,
        error_message=LONG,
    )
    within_limits(video_texts.failed(job, "Anna"))


def test_provider_errors_and_ids_in_face_texts_fit() -> None:
    refused = ProviderRejected(LONG, reason=RejectReason.OTHER)
    failed = failure_of(refused)
    plain = within_limits(failure_text(failed.failure, failed.detail))
    assert plain.startswith("The provider said no: Upstream refused: <a> & <b> x")
    summary = FaceSummary(
        dataclasses.replace(face(1), provider_group_id=LONG), {AssetState.ACTIVE: 500}
    )
    detail = face_texts.face_detail(
        FaceDetail(summary, None, in_group=False, active_ids=[LONG] * 30), "Token360"
    )
    assert "…and 470 more" in within_limits(detail)


def test_a_long_allow_list_fits() -> None:
    names = [f"Member <{i:04d}> & co" for i in range(1_000)]
    plain = within_limits(group_texts.group_access("listed", names))
    assert "Member <0000> & co" in plain and "more" in plain


def test_clip_cuts_whole_characters_and_never_inside_an_entity() -> None:
    assert texts.clip("a<b", 10) == "a&lt;b"
    assert texts.clip("a&b", 4) == "a…"  # "&amp;" does not fit whole: it is left out
    assert texts.clip("abcdef", 4) == "abc…"
    for limit in range(1, 40):
        cut = texts.clip("<&>" * 20, limit)
        assert len(cut) <= limit
        parse_html(cut)  # never a broken entity
