"""/faces and the faces a video may use, as bounded pages whose counts come from the
database: a person with more faces than one message shows sees the newest 30, how many
there are, and reaches the older ones a page at a time."""

from __future__ import annotations

from bot.services.face_views import PAGE_SIZE
from bot.services.faces import FaceService
from bot.services.videos import VideoService
from storage.assets import AssetRepo
from storage.database import Database
from storage.models import AssetState, FaceStatus, Owner, OwnerKind
from tests.services.conftest import ALICE, Actors
from tests.services.video_fakes import usable_face

ALICES = Owner(OwnerKind.USER, ALICE)


async def test_faces_past_one_page_are_counted_and_paged(
    face_service: FaceService, db: Database, actors: Actors
) -> None:
    for i in range(PAGE_SIZE + 5):
        await usable_face(db, ALICES, name=f"Face {i:02d}", photos=2 if i % 2 else 1)
    newest = await face_service.listing(actors.alice)
    assert newest.total == PAGE_SIZE + 5 and newest.older
    names = [s.face.name for s in newest.summaries]
    assert names == [f"Face {i:02d}" for i in range(5, PAGE_SIZE + 5)]  # oldest first
    assert [s.count(AssetState.ACTIVE) for s in newest.summaries[:2]] == [2, 1]
    assert (newest.first, newest.last) == (1, PAGE_SIZE)
    older = await face_service.listing(actors.alice, page=1)
    assert [s.face.name for s in older.summaries] == [f"Face {i:02d}" for i in range(5)]
    assert not older.older and (older.first, older.last) == (PAGE_SIZE + 1, PAGE_SIZE + 5)
    # A page past the end (faces deleted since the button was sent) shows the last one.
    assert [s.face.name for s in (await face_service.listing(actors.alice, 9)).summaries] == [
        s.face.name for s in older.summaries
    ]


async def test_counts_by_state_and_deleted_faces_left_out(
    face_service: FaceService, db: Database, actors: Actors
) -> None:
    face, photos = await usable_face(db, ALICES, photos=3)
    await AssetRepo(db).transition(photos[0].id, AssetState.FAILED, 5.0)
    gone, _ = await usable_face(db, ALICES, name="Gone")
    await face_service.faces.transition(gone.id, FaceStatus.DELETED, 6.0)
    listing = await face_service.listing(actors.alice)
    assert listing.total == 1 and [s.face.id for s in listing.summaries] == [face.id]
    summary = listing.summaries[0]
    assert (summary.count(AssetState.ACTIVE), summary.count(AssetState.FAILED)) == (2, 1)
    detail = await face_service.detail(actors.alice, face.id)
    assert detail.summary.photos == summary.photos
    assert detail.active_ids == [p.provider_asset_id for p in photos[1:]]


async def test_a_draft_card_offers_the_newest_usable_faces_only(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    for i in range(PAGE_SIZE + 2):
        await usable_face(db, ALICES, name=f"Face {i:02d}")
    card = await video_service.drafts.start(actors.alice, "dances in the rain")
    assert card.face is None
    assert [f.name for f in card.faces] == [f"Face {i:02d}" for i in range(2, PAGE_SIZE + 2)]
