"""After the paid step: again / retry, forget, send again — the requester's alone, pressed
where the job is (its chat, or its own inline card)."""

from __future__ import annotations

import pytest

from bot.providers.base import ProviderUnavailable
from bot.services.actors import Actor
from bot.services.errors import Refusal
from bot.services.videos import VideoService
from storage.database import Database
from storage.models import JobStatus
from tests.clock import FakeClock
from tests.services.conftest import ALICE, BOB, GROUP, Actors, FakeProvider
from tests.services.test_videos_confirm import ready
from tests.services.test_videos_drafts import ALICES, THE_GROUPS, refusal_of
from tests.services.video_fakes import delivered, usable_face


async def undecided(service: VideoService, provider: FakeProvider, actor: Actor) -> int:
    """A job whose submit was cut off: it waits for the requester's decision."""
    job_id = await ready(service, actor)
    provider.fail = ProviderUnavailable("502", status=502)
    assert (await service.confirm(actor, job_id)).status is JobStatus.NEEDS_DECISION
    return job_id


async def test_again_makes_a_new_draft_with_the_same_choices(
    video_service: VideoService, db: Database, actors: Actors, clock: FakeClock
) -> None:
    await usable_face(db, ALICES, photos=2)
    card = await video_service.drafts.start(actors.alice, "waves")
    card = await video_service.drafts.pick_photo(actors.alice, card.job.id, card.photos[1].id)
    card = await video_service.drafts.change_settings(actors.alice, card.job.id, 1, 4)
    job = await video_service.confirm(actors.alice, card.job.id)
    await delivered(db, job.id, clock())
    again = await video_service.drafts.again(actors.alice, job.id, request_key="u9")
    new = again.job
    assert new.status is JobStatus.DRAFT and new.retry_of == job.id and new.id != job.id
    assert (new.prompt, new.face_id, new.asset_ids, new.settings) == (
        job.prompt,
        job.face_id,
        job.asset_ids,
        job.settings,
    )
    assert again.chosen == [card.photos[1]]  # straight to the confirm step
    # The same press handled again gets the same draft.
    same = await video_service.drafts.again(actors.alice, job.id, request_key="u9")
    assert same.job.id == new.id


@pytest.mark.parametrize("presser", ["bob", "another_member", "admin", "inline"])
async def test_only_the_requester_makes_it_again_or_forgets_it(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    fake_provider: FakeProvider,
    presser: str,
) -> None:
    await usable_face(db, THE_GROUPS)
    job_id = await undecided(video_service, fake_provider, actors.member)
    actor = {
        "bob": actors.bob,
        "another_member": Actor.group(BOB, GROUP, is_admin=False),
        "admin": actors.admin,  # the group's admin: still not hers
        "inline": actors.inline,
    }[presser]
    assert await refusal_of(video_service.drafts.again(actor, job_id)) is Refusal.NOT_YOURS
    assert await refusal_of(video_service.drafts.forget(actor, job_id)) is Refusal.NOT_YOURS
    assert await refusal_of(video_service.send_again(actor, job_id)) is Refusal.NOT_YOURS
    assert (await video_service.rules.job(job_id)).status is JobStatus.NEEDS_DECISION


async def test_forget_lets_a_cut_off_submit_go_once(
    video_service: VideoService, db: Database, actors: Actors, fake_provider: FakeProvider
) -> None:
    await usable_face(db, ALICES)
    job_id = await undecided(video_service, fake_provider, actors.alice)
    job = await video_service.drafts.forget(actors.alice, job_id)
    assert job.status is JobStatus.CANCELLED
    refused = await refusal_of(video_service.drafts.forget(actors.alice, job_id))
    assert refused is Refusal.JOB_STARTED
    # Only an undecided job can be forgotten: a running one is followed to its end.
    running = await video_service.confirm(actors.alice, await ready(video_service, actors.alice))
    refused = await refusal_of(video_service.drafts.forget(actors.alice, running.id))
    assert refused is Refusal.JOB_STARTED
    assert fake_provider.count("submit_video") == 2


async def test_again_counts_against_the_limits(
    video_service: VideoService, db: Database, actors: Actors, clock: FakeClock
) -> None:
    await usable_face(db, ALICES)
    jobs = []
    for _ in range(3):  # the daily limit in the fixture
        job = await video_service.confirm(actors.alice, await ready(video_service, actors.alice))
        await delivered(db, job.id, clock())
        jobs.append(job.id)
    refused = await refusal_of(video_service.drafts.again(actors.alice, jobs[0]))
    assert refused is Refusal.LIMIT_DAILY


async def test_a_groups_video_is_made_again_in_the_group(
    video_service: VideoService, db: Database, actors: Actors, clock: FakeClock
) -> None:
    await usable_face(db, THE_GROUPS)
    job = await video_service.confirm(actors.admin, await ready(video_service, actors.admin))
    await delivered(db, job.id, clock())
    # From /videos in her private chat: its face is the group's, so not there (and the
    # list offers no Again for it).
    refused = await refusal_of(video_service.drafts.again(actors.alice, job.id))
    assert refused is Refusal.AGAIN_ELSEWHERE
    past = await video_service.past(actors.alice)
    assert [j.id for j in past.jobs] == [job.id] and past.again == frozenset()
    await usable_face(db, ALICES)
    own = await video_service.confirm(actors.alice, await ready(video_service, actors.alice))
    assert (await video_service.past(actors.alice)).again == {own.id}
    # Sending it again works anywhere: it is hers.
    assert (await video_service.send_again(actors.alice, job.id)).job.id == job.id
    again = await video_service.drafts.again(actors.admin, job.id)
    assert (again.job.chat_id, again.job.user_id) == (GROUP, ALICE)


async def test_send_again_only_what_was_delivered(
    video_service: VideoService, db: Database, actors: Actors, fake_provider: FakeProvider
) -> None:
    face, _ = await usable_face(db, ALICES, name="Anna")
    job_id = await undecided(video_service, fake_provider, actors.alice)
    refused = await refusal_of(video_service.send_again(actors.alice, job_id))
    assert refused is Refusal.NOT_DELIVERED
    job = await video_service.confirm(actors.alice, await ready(video_service, actors.alice))
    await delivered(db, job.id, 5.0, file_id="F1")
    sent = await video_service.send_again(actors.alice, job.id)
    assert (sent.file_id, sent.face_name) == ("F1", face.name)
    past = await video_service.past(actors.alice)
    assert [j.id for j in past.jobs] == [job.id, job_id] and past.face_names == {face.id: "Anna"}
    assert (await video_service.past(actors.bob)).jobs == []
