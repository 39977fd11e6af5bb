"""Updates that change nothing write nothing: a known person's update (a /start, every
keystroke of an inline query) begins no write transaction, and an inline query keeps its
offer in memory. What did change (a new username) is still stored, and a card whose offer
is gone from memory still gets its draft from the chosen-result feedback."""

from __future__ import annotations

from bot.services.errors import Refusal
from bot.services.faces import FaceService
from bot.services.inline_offers import FIRST_ID, RecentOffers
from bot.services.video_inline import OFFER_KEEP_SECONDS
from bot.services.videos import VideoService
from storage.chats import InlineOfferRepo
from storage.database import Database
from storage.models import JobStatus
from storage.users import UserRepo
from tests.clock import FakeClock
from tests.services.conftest import ALICE, BOB, Actors
from tests.services.test_videos_drafts import ALICES, refusal_of
from tests.services.video_fakes import usable_face

CARD = "AgAAA-card-1"


async def stored_user(db: Database, user_id: int) -> tuple[str, str | None, str | None]:
    row = await db.fetchone(
        "SELECT first_name, username, language_code FROM users WHERE id = ?", (user_id,)
    )
    assert row is not None
    return row[0], row[1], row[2]


async def test_a_known_person_unchanged_costs_no_write(
    face_service: FaceService, db: Database
) -> None:
    await face_service.remember(ALICE, "Alice", "alice", "en")
    before = db.writes_begun
    for _ in range(3):
        await face_service.remember(ALICE, "Alice", "alice", "en")
    assert db.writes_begun == before
    # After a restart (nothing in memory) one read tells: still no write.
    assert not await UserRepo(db).remember(ALICE, "Alice", "alice", "en", 1.0)
    assert db.writes_begun == before


async def test_a_new_person_and_a_changed_username_are_stored(
    face_service: FaceService, db: Database
) -> None:
    await face_service.remember(ALICE, "Alice", "alice", "en")
    await face_service.remember(BOB, "Bob", None, None)
    assert await stored_user(db, BOB) == ("Bob", None, None)
    before = db.writes_begun
    await face_service.remember(ALICE, "Alice", "alice_k", "en")
    assert await stored_user(db, ALICE) == ("Alice", "alice_k", "en")
    await face_service.remember(ALICE, "Alice", "alice_k", "de")
    assert await stored_user(db, ALICE) == ("Alice", "alice_k", "de")
    assert db.writes_begun == before + 2
    # Changed back to what an older entry said: stored too (memory follows each write).
    await face_service.remember(ALICE, "Alice", "alice", "en")
    assert await stored_user(db, ALICE) == ("Alice", "alice", "en")


async def test_memory_of_people_is_bounded_and_a_forgotten_one_is_read_not_written(
    db: Database,
) -> None:
    users = UserRepo(db, known=2)
    for user_id in (1, 2, 3):
        assert await users.remember(user_id, f"P{user_id}", None, None, 1.0)
    assert len(users._stored) == 2
    before = db.writes_begun
    assert not await users.remember(1, "P1", None, None, 2.0)  # forgotten: read, equal
    assert db.writes_begun == before


async def test_inline_keystrokes_write_nothing(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    await usable_face(db, ALICES)
    before = db.writes_begun
    ids = set()
    for typed in ("dan", "danc", "dance", "dances", "dances"):
        ids.add((await video_service.inline.offer(actors.inline, typed, 0)).offer_id)
    assert db.writes_begun == before
    assert len(ids) == 4 and all(FIRST_ID <= i < 2**48 for i in ids)  # one per prompt
    assert await db.fetchall("SELECT * FROM inline_offers") == []


async def test_a_chosen_result_makes_its_draft_when_the_offer_is_gone(
    video_service: VideoService, db: Database, actors: Actors, clock: FakeClock
) -> None:
    face, _ = await usable_face(db, ALICES)
    inline = video_service.inline
    offer = await inline.offer(actors.inline, "dances   in the rain", 0)
    inline.recent = RecentOffers(OFFER_KEEP_SECONDS)  # a restart: memory is empty
    # A button press carries no query: its card's offer is unknown now.
    refused = await refusal_of(inline.go(actors.inline, offer.offer_id, face.id, "AgAAA-other"))
    assert refused is Refusal.OFFER_EXPIRED
    # The chosen-result feedback carries what was typed.
    job = await inline.draft_for(
        actors.inline, offer.offer_id, face.id, CARD, query="dances   in the rain"
    )
    assert (job.prompt, job.face_id, job.inline_message_id) == (offer.prompt, face.id, CARD)
    assert job.status is JobStatus.DRAFT and job.user_id == ALICE
    # Its Generate finds the card's draft.
    assert await inline.go(actors.inline, offer.offer_id, face.id, CARD) == job.id


async def test_an_offer_stored_by_an_earlier_release_still_works(
    video_service: VideoService, db: Database, actors: Actors, clock: FakeClock
) -> None:
    face, _ = await usable_face(db, ALICES)
    old_id = await InlineOfferRepo(db).create(ALICE, "walks on the beach", clock())
    job = await video_service.inline.draft_for(actors.inline, old_id, face.id, CARD)
    assert job.prompt == "walks on the beach"


def test_offers_kept_in_memory_age_out_and_stay_bounded() -> None:
    offers = RecentOffers(horizon=10.0, cap=3)
    first = offers.offer(1, "a", 0.0)
    assert offers.offer(1, "a", 1.0) == first and offers.get(first, 1.0) == (1, "a")
    assert offers.get(first, 11.0) is None  # older than the horizon
    for n in range(5):
        offers.offer(2, f"p{n}", 2.0 + n)
    assert len(offers) == 3 and offers.get(first, 6.0) is None  # the oldest went first
    again = offers.offer(1, "a", 7.0)
    assert again != first and offers.get(again, 7.0) == (1, "a")
