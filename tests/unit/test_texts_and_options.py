from bot import keyboards, texts
from bot.services.faces import FaceSummary
from bot.services.video_options import apply_choice, estimate, normalize
from storage.models import Face, FaceStatus, Owner, OwnerKind, VideoSettings


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
    summaries = [FaceSummary(face(i), []) for i in range(120)]
    text = texts.faces_list(summaries, None)
    markup = keyboards.faces_list(summaries)
    assert len(text) < 4096 and "The newest 30 of 120" in text
    assert "&lt;&amp;&gt;" in text  # names are escaped
    assert markup is not None and len(markup.inline_keyboard) == 30


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
