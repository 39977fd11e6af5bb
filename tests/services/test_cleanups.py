"""A deleted or withdrawn face's photos, deleted at the provider (issue 11): at once when
nothing needs them, after a video still being made, again after a failure, and after a
crash that came between the face's change and the provider's delete."""

from __future__ import annotations

import pytest

from bot.providers.base import (
    AssetInfo,
    Capabilities,
    PhotoDeletion,
    ProviderUnavailable,
    RemoteAssetState,
)
from bot.services.cleanups import RETRY_SECONDS, PhotosAtProvider
from bot.services.faces import FaceService
from bot.services.uploads import UploadService
from storage.assets import AssetRepo, IncomingFile
from storage.cleanups import CleanupRepo
from storage.database import Database
from storage.faces import FaceRepo
from storage.models import FaceStatus, JobStatus, VideoSettings
from storage.videos import VideoRepo
from tests.clock import FakeClock
from tests.images import image
from tests.services.conftest import ALICE, Actors, FakeNotifier, FakeProvider

PHOTO_FILE = IncomingFile("file-1", "unique-1", None, "image/jpeg", 1000, 800, 800)


async def video_running(
    db: Database, face_id: int, now: float, status: JobStatus = JobStatus.RUNNING
) -> int:
    videos = VideoRepo(db)
    job = await videos.create_draft(
        user_id=ALICE,
        chat_id=ALICE,
        prompt="waves",
        settings=VideoSettings("seedance-2.0", 5, "720p", "16:9", False),
        now=now,
        face_id=face_id,
        provider="fake",
    )
    await videos.transition(job.id, status, now, expect=[JobStatus.DRAFT])
    return job.id


async def test_deleting_a_face_deletes_its_group_at_once(
    face_service: FaceService, actors: Actors, fake_provider: FakeProvider, db: Database
) -> None:
    face = (await face_service.create(actors.alice, "Anna")).face
    _, deletion = await face_service.delete_preview(actors.alice, face.id)
    assert deletion is PhotoDeletion.GROUP
    _, photos = await face_service.delete(actors.alice, face.id)
    assert photos.state is PhotosAtProvider.DELETED and photos.provider_name == "Fake"
    assert fake_provider.count("delete_group") == 1
    (cleanup,) = await CleanupRepo(db).of_face(face.id)
    assert cleanup.done_at is not None


@pytest.mark.parametrize("status", [JobStatus.RUNNING, JobStatus.NEEDS_DECISION])
async def test_a_running_video_is_finished_first_and_the_asker_is_told(
    status: JobStatus,
    face_service: FaceService,
    actors: Actors,
    fake_provider: FakeProvider,
    notifier: FakeNotifier,
    db: Database,
    clock: FakeClock,
) -> None:
    face = (await face_service.create(actors.alice, "Anna")).face
    job = await video_running(db, face.id, clock(), status)  # or a submit whose answer was lost
    _, photos = await face_service.delete(actors.alice, face.id)
    assert photos.state is PhotosAtProvider.AFTER_VIDEO and photos.will_tell
    clock.advance(3600)
    await face_service.cleanups.run_due()
    assert fake_provider.count("delete_group") == 0 and notifier.photos_gone == []

    moved = await VideoRepo(db).transition(job, JobStatus.DELIVERED, clock(), expect=[status])
    assert moved
    await face_service.cleanups.run_due()
    assert fake_provider.count("delete_group") == 0  # not due again yet
    clock.advance(61)
    await face_service.cleanups.run_due()
    assert fake_provider.count("delete_group") == 1
    assert notifier.photos_gone == [(face.id, ALICE)]
    await face_service.cleanups.run_due()
    assert fake_provider.count("delete_group") == 1 and len(notifier.photos_gone) == 1


async def test_a_failed_delete_is_tried_again_later(
    face_service: FaceService,
    actors: Actors,
    fake_provider: FakeProvider,
    notifier: FakeNotifier,
    clock: FakeClock,
) -> None:
    face = (await face_service.create(actors.alice, "Anna")).face
    fake_provider.fail = ProviderUnavailable("down")
    _, photos = await face_service.delete(actors.alice, face.id)
    assert photos.state is PhotosAtProvider.RETRYING
    await face_service.cleanups.run_due()
    assert fake_provider.count("delete_group") == 1  # the failed one only
    clock.advance(RETRY_SECONDS + 1)
    await face_service.cleanups.run_due()
    assert fake_provider.count("delete_group") == 2
    assert notifier.photos_gone == [(face.id, ALICE)]


async def test_a_crash_after_the_change_leaves_the_delete_to_the_tracker(
    face_service: FaceService,
    actors: Actors,
    fake_provider: FakeProvider,
    db: Database,
    clock: FakeClock,
) -> None:
    """The face's change and its order are one transaction: what a crash cut off before
    the provider was asked, the next round does."""
    face = (await face_service.create(actors.alice, "Anna")).face
    order = await face_service.cleanups.order(face, ALICE)
    assert order is not None
    await FaceRepo(db).transition(face.id, FaceStatus.DELETED, clock(), cleanup=order)
    # ... killed here ...
    await face_service.cleanups.run_due()
    assert fake_provider.count("delete_group") == 1


async def test_a_provider_without_a_delete_keeps_the_photos(
    face_service: FaceService, actors: Actors, fake_provider: FakeProvider, db: Database
) -> None:
    fake_provider.capabilities = Capabilities(display_name="Fake")
    face = (await face_service.create(actors.alice, "Anna")).face
    _, photos = await face_service.delete(actors.alice, face.id)
    assert photos.state is PhotosAtProvider.KEPT
    assert fake_provider.count("delete_group") == 0
    assert await CleanupRepo(db).of_face(face.id) == []


async def test_a_photo_checked_while_its_face_is_deleted_is_not_sent(
    face_service: FaceService,
    upload_service: UploadService,
    actors: Actors,
    fake_provider: FakeProvider,
    db: Database,
) -> None:
    face = (await face_service.create(actors.alice, "Anna")).face
    await face_service.activate(face, face.provider_group_id)
    received = await upload_service.receive(actors.alice, PHOTO_FILE)
    assert received is not None

    async def fetch_while_deleting(file_id: str) -> bytes:
        await face_service.delete(actors.alice, face.id)  # the owner deletes meanwhile
        return image()

    await upload_service.process(received.asset.id, fetch_while_deleting)
    assert fake_provider.count("upload_asset") == 0
    asset = await AssetRepo(db).get(received.asset.id)
    assert asset is not None and asset.error_code == "face_withdrawn"


async def test_a_photo_that_arrives_after_the_delete_is_deleted_one_by_one(
    face_service: FaceService,
    actors: Actors,
    fake_provider: FakeProvider,
    clock: FakeClock,
) -> None:
    """Where a provider deletes photos one by one, an upload that was under way when the
    face went is deleted too."""
    fake_provider.capabilities = Capabilities(
        display_name="Fake", photo_deletion=PhotoDeletion.ASSET_SOFT
    )
    face = (await face_service.create(actors.alice, "Anna")).face
    await face_service.delete(actors.alice, face.id)
    late = AssetInfo("ta_late", RemoteAssetState.PROCESSING, record_id="r-late")
    await face_service.cleanups.late_photo(face.id, late)
    await face_service.cleanups.run_due()
    assert fake_provider.count("delete_asset") == 1
