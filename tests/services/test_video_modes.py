"""Issue 13 at the service level: modes follow the provider, several faces in one video only
at one provider and only the owner's, every face active when Generate is pressed."""

from __future__ import annotations

from dataclasses import replace

from bot.providers.base import ImageRole, ProviderName
from bot.providers.registry import Providers
from bot.services.errors import Refusal
from bot.services.video_modes import MODES
from bot.services.videos import VideoService
from storage.cleanups import CleanupRepo
from storage.database import Database
from storage.faces import FaceRepo
from storage.models import (
    Asset,
    Face,
    FaceStatus,
    JobStatus,
    Owner,
    OwnerKind,
    VideoJob,
    VideoMode,
    VideoSettings,
)
from storage.videos import VideoRepo
from tests.clock import FakeClock
from tests.services.conftest import ALICE, BOB, Actors, FakeProvider
from tests.services.test_videos_drafts import refusal_of
from tests.services.video_fakes import delivered, usable_face

ALICES = Owner(OwnerKind.USER, ALICE)
BOBS = Owner(OwnerKind.USER, BOB)


def every_mode(provider: FakeProvider) -> None:
    provider.capabilities = replace(
        provider.capabilities, last_frame=True, reference_images=9, image_tag="@Image{n}"
    )


async def in_mode(
    service: VideoService, actors: Actors, face: Face, prompt: str, mode: VideoMode
) -> int:
    """Alice's draft of ``face`` switched to ``mode``: its id."""
    card = await service.drafts.start(actors.alice, prompt, face_id=face.id)
    await service.drafts.choose_mode(actors.alice, card.job.id, MODES.index(mode))
    return card.job.id


async def two_faces(
    service: VideoService, db: Database, actors: Actors, prompt: str, mode: VideoMode
) -> tuple[int, list[Asset]]:
    """A draft of Anna's photo and then Ben's, in ``mode``: (draft id, [Anna's, Ben's])."""
    anna, (anna_photo,) = await usable_face(db, ALICES, name="Anna")
    ben, (ben_photo,) = await usable_face(db, ALICES, name="Ben")
    drafts = service.drafts
    card = await drafts.start(actors.alice, prompt, face_id=anna.id)
    job_id = card.job.id
    card = await drafts.choose_mode(actors.alice, job_id, MODES.index(mode))
    assert [item.asset for item in card.picked] == [anna_photo]  # kept as the first
    card = await drafts.add_face(actors.alice, job_id)
    assert [f.name for f in card.faces] == ["Anna", "Ben"] and card.elsewhere == 0
    await drafts.choose_face(actors.alice, job_id, ben.id)
    await drafts.pick_photo(actors.alice, job_id, ben_photo.id)
    return job_id, [anna_photo, ben_photo]


async def test_a_provider_with_first_frames_only_offers_no_other_mode(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    await usable_face(db, ALICES, photos=2)
    card = await video_service.drafts.start(actors.alice, "waves")
    assert card.modes == (VideoMode.FIRST_FRAME,) and card.most == 1
    refs = MODES.index(VideoMode.REFERENCES)
    refused = video_service.drafts.choose_mode(actors.alice, card.job.id, refs)
    assert await refusal_of(refused) is Refusal.MODE_NOT_OFFERED
    assert not card.more_faces


async def test_two_faces_as_references_with_their_names_as_tags(
    video_service: VideoService, db: Database, actors: Actors, fake_provider: FakeProvider
) -> None:
    every_mode(fake_provider)
    job_id, (anna_photo, ben_photo) = await two_faces(
        video_service, db, actors, "Anna hugs Ben", VideoMode.REFERENCES
    )
    card = await video_service.drafts.picked(actors.alice, job_id)
    assert card.job.face_ids == (anna_photo.face_id, ben_photo.face_id)
    assert card.sent_prompt == "@Image1 hugs @Image2"
    await video_service.confirm(actors.alice, job_id)
    (request,) = fake_provider.requests
    assert request.prompt == "@Image1 hugs @Image2"
    assert [(i.asset_id, i.role) for i in request.images] == [
        (anna_photo.provider_asset_id, ImageRole.REFERENCE),
        (ben_photo.provider_asset_id, ImageRole.REFERENCE),
    ]


async def test_a_withdrawn_second_face_stops_the_video(
    video_service: VideoService, db: Database, actors: Actors, fake_provider: FakeProvider
) -> None:
    every_mode(fake_provider)
    job_id, (anna_photo, ben_photo) = await two_faces(
        video_service, db, actors, "turns", VideoMode.FIRST_LAST
    )
    job = await video_service.rules.job(job_id)
    assert job.asset_ids == (anna_photo.id, ben_photo.id)  # both frames: the confirm step
    # Ben's person withdraws consent before Generate.
    await FaceRepo(db).transition(ben_photo.face_id, FaceStatus.WITHDRAWN, 4.0)
    assert await refusal_of(video_service.confirm(actors.alice, job_id)) is (
        Refusal.FACE_WITHDRAWN
    )
    assert fake_provider.count("submit_video") == 0
    job = await video_service.rules.job(job_id)
    assert job.status is JobStatus.DRAFT


async def test_faces_of_another_provider_or_owner_cannot_join(
    video_service: VideoService, db: Database, actors: Actors, fake_provider: FakeProvider
) -> None:
    every_mode(fake_provider)
    anna, _ = await usable_face(db, ALICES, name="Anna")
    elsewhere, _ = await usable_face(db, ALICES, name="Eve", provider="other")
    bobs, _ = await usable_face(db, BOBS, name="Bo")
    drafts = video_service.drafts
    job_id = await in_mode(video_service, actors, anna, "waves", VideoMode.REFERENCES)
    card = await drafts.add_face(actors.alice, job_id)
    assert [f.name for f in card.faces] == ["Anna"]  # Eve is at another provider
    refused = drafts.choose_face(actors.alice, job_id, elsewhere.id)
    assert await refusal_of(refused) in (Refusal.OTHER_PROVIDER, Refusal.PROVIDER_OFF)
    assert await refusal_of(drafts.choose_face(actors.alice, job_id, bobs.id)) is (
        Refusal.NOT_YOURS
    )


async def test_a_prompt_naming_faces_at_two_providers_asks_which_face(
    video_service: VideoService, db: Database, actors: Actors, fake_provider: FakeProvider
) -> None:
    every_mode(fake_provider)
    other = FakeProvider(name=ProviderName("other"))
    both = Providers([fake_provider, other])
    video_service.drafts.providers = video_service.drafts.cards.providers = both
    await usable_face(db, ALICES, name="Anna")
    await usable_face(db, ALICES, name="Eve", provider="other")
    card = await video_service.drafts.start(actors.alice, "Anna and Eve dance")
    assert card.face is None and not card.job.asset_ids  # the face question, as usual
    _, (ben_photo, _) = await usable_face(db, ALICES, name="Ben", photos=2)
    card = await video_service.drafts.start(actors.alice, "Ben and Anna dance")
    assert card.job.mode is VideoMode.REFERENCES
    assert [item.face.name for item in card.picked] == ["Ben", "Anna"]
    assert card.picked[0].asset == ben_photo  # each face's first photo


async def test_again_keeps_the_mode_or_asks_again_when_the_provider_dropped_it(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    fake_provider: FakeProvider,
    clock: FakeClock,
) -> None:
    every_mode(fake_provider)
    anna, (first, last) = await usable_face(db, ALICES, name="Anna", photos=2)
    drafts = video_service.drafts
    job_id = await in_mode(video_service, actors, anna, "turns", VideoMode.FIRST_LAST)
    await drafts.pick_photo(actors.alice, job_id, first.id)
    await drafts.pick_photo(actors.alice, job_id, last.id)
    job = await video_service.confirm(actors.alice, job_id)
    await delivered(db, job.id, clock())
    again = await drafts.again(actors.alice, job.id, request_key="u1")
    assert again.job.mode is VideoMode.FIRST_LAST
    assert [(i.asset, i.role) for i in again.picked] == [
        (first, ImageRole.FIRST_FRAME),
        (last, ImageRole.LAST_FRAME),
    ]
    # The operator's provider stops taking last frames: the photos are picked again.
    fake_provider.capabilities = replace(fake_provider.capabilities, last_frame=False)
    again = await drafts.again(actors.alice, job.id, request_key="u2")
    assert again.job.mode is VideoMode.FIRST_FRAME and not again.job.asset_ids
    assert again.job.picking == (first.id,)


async def test_every_face_of_a_video_counts_as_in_use(db: Database) -> None:
    """A second face's photos are not deleted at the provider while its video is made, and
    the video counts among that face's videos."""
    anna, (anna_photo,) = await usable_face(db, ALICES, name="Anna")
    ben, (ben_photo,) = await usable_face(db, ALICES, name="Ben")
    videos = VideoRepo(db)

    async def both() -> VideoJob:
        return await videos.create_draft(
            user_id=ALICE,
            chat_id=ALICE,
            prompt="Anna hugs Ben",
            settings=VideoSettings(),
            now=5.0,
            face_id=anna.id,
            asset_ids=[anna_photo.id, ben_photo.id],
            face_ids=[anna.id, ben.id],
            mode=VideoMode.REFERENCES,
            provider="fake",
        )

    draft = await both()
    cleanups = CleanupRepo(db)
    assert not await cleanups.videos_making(ben.id)
    assert await videos.transition(
        draft.id, JobStatus.QUEUED, 6.0, expect=[JobStatus.DRAFT], face_active=True
    )
    assert await cleanups.videos_making(ben.id) and await cleanups.videos_making(anna.id)
    # With Ben withdrawn, a draft of both can no longer leave its draft.
    again = await both()
    await FaceRepo(db).transition(ben.id, FaceStatus.WITHDRAWN, 8.0)
    assert not await videos.transition(
        again.id, JobStatus.SUBMITTING, 9.0, expect=[JobStatus.DRAFT], face_active=True
    )


async def test_again_with_fewer_references_taken_now_picks_again(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    fake_provider: FakeProvider,
    clock: FakeClock,
) -> None:
    every_mode(fake_provider)
    anna, photos = await usable_face(db, ALICES, name="Anna", photos=3)
    drafts = video_service.drafts
    job_id = await in_mode(video_service, actors, anna, "three looks", VideoMode.REFERENCES)
    for photo in photos:
        await drafts.pick_photo(actors.alice, job_id, photo.id)
    await drafts.picked(actors.alice, job_id)
    job = await video_service.confirm(actors.alice, job_id)
    await delivered(db, job.id, clock())
    fake_provider.capabilities = replace(fake_provider.capabilities, reference_images=2)
    again = await drafts.again(actors.alice, job.id, request_key="u3")
    assert again.job.mode is VideoMode.REFERENCES and not again.job.asset_ids
    assert again.job.picking == (photos[0].id, photos[1].id)
    # A tap on a ticked photo takes it out, as the card shows.
    card = await drafts.pick_photo(actors.alice, again.job.id, photos[1].id)
    assert card.job.picking == (photos[0].id,)


async def test_a_tap_on_the_confirm_cards_photos_starts_from_the_chosen_ones(
    video_service: VideoService, db: Database, actors: Actors, fake_provider: FakeProvider
) -> None:
    every_mode(fake_provider)
    anna, (one, two) = await usable_face(db, ALICES, name="Anna", photos=2)
    drafts = video_service.drafts
    job_id = await in_mode(video_service, actors, anna, "looks", VideoMode.REFERENCES)
    await drafts.pick_photo(actors.alice, job_id, one.id)
    card = await drafts.picked(actors.alice, job_id)
    assert card.job.asset_ids == (one.id,)
    card = await drafts.pick_photo(actors.alice, job_id, two.id)  # an older card's button
    assert card.job.picking == (one.id, two.id) and not card.job.asset_ids
