"""The paid step at the service level: who may confirm, the limits and the group quota at
that moment, an anonymous admin's draft taken by the confirming admin, provider errors
kept inside the service."""

from __future__ import annotations

import pytest

from bot.providers.base import (
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    RejectReason,
)
from bot.providers.registry import Providers
from bot.services.actors import Actor
from bot.services.errors import Refusal
from bot.services.groups import Access, GroupService
from bot.services.videos import VideoService
from storage.assets import AssetRepo
from storage.database import Database
from storage.faces import FaceRepo
from storage.models import AssetState, FaceStatus, JobStatus, Owner, OwnerKind
from tests.clock import FakeClock
from tests.services.conftest import ANONYMOUS_ADMIN_ID, GROUP, MAX, Actors, FakeProvider
from tests.services.test_videos_drafts import ALICES, BEA, BEA_ADMIN, THE_GROUPS, refusal_of
from tests.services.video_fakes import FakeVideoNotifier, delivered, usable_face


async def ready(service: VideoService, actor: Actor, prompt: str = "hi") -> int:
    card = await service.drafts.start(actor, prompt)
    assert card.job.asset_ids, "one face with one photo: ready to confirm"
    return card.job.id


async def test_confirm_submits_once_and_says_so(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    fake_provider: FakeProvider,
    video_notifier: FakeVideoNotifier,
) -> None:
    await usable_face(db, ALICES)
    job_id = await ready(video_service, actors.alice)
    job = await video_service.confirm(actors.alice, job_id)
    assert job.status is JobStatus.QUEUED and job.provider_task_id
    assert [j.id for j in video_notifier.progress] == [job_id]
    # Pressed twice, or an old card: nothing more is charged.
    assert await refusal_of(video_service.confirm(actors.alice, job_id)) is Refusal.JOB_STARTED
    assert fake_provider.count("submit_video") == 1


@pytest.mark.parametrize("presser", ["bob", "member", "inline"])
async def test_only_the_requester_confirms(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    fake_provider: FakeProvider,
    presser: str,
) -> None:
    await usable_face(db, ALICES)
    job_id = await ready(video_service, actors.alice)
    refused = await refusal_of(video_service.confirm(getattr(actors, presser), job_id))
    assert refused is Refusal.NOT_YOURS
    assert fake_provider.count("submit_video") == 0


async def test_running_and_daily_limits_count_at_the_start_and_the_confirm(
    video_service: VideoService, db: Database, actors: Actors, clock: FakeClock
) -> None:
    # Limits in the fixture: 2 running at once, 3 a day.
    await usable_face(db, ALICES)
    first, second, third = [await ready(video_service, actors.alice) for _ in range(3)]
    await video_service.confirm(actors.alice, first)
    await video_service.confirm(actors.alice, second)
    assert await refusal_of(video_service.confirm(actors.alice, third)) is Refusal.LIMIT_RUNNING
    refused = await refusal_of(video_service.drafts.start(actors.alice, "more"))
    assert refused is Refusal.LIMIT_RUNNING
    await delivered(db, first, clock())
    await video_service.confirm(actors.alice, third)
    await delivered(db, second, clock())
    await delivered(db, third, clock())
    refused = await refusal_of(video_service.drafts.start(actors.alice, "more"))
    assert refused is Refusal.LIMIT_DAILY
    clock.advance(86_400)  # a new day
    assert await refusal_of(video_service.drafts.start(actors.alice, "more")) is None


async def test_a_members_quota_in_a_group_and_admins_beyond_it(
    video_service: VideoService, group_service: GroupService, db: Database, actors: Actors
) -> None:
    await usable_face(db, THE_GROUPS)
    await group_service.set_quota(actors.admin, 1)
    job_id = await ready(video_service, actors.member)
    late = await ready(video_service, actors.member)  # drafted before the quota was used
    await video_service.confirm(actors.member, job_id)
    assert await refusal_of(video_service.confirm(actors.member, late)) is Refusal.GROUP_QUOTA
    refused = await refusal_of(video_service.drafts.start(actors.member, "more"))
    assert refused is Refusal.GROUP_QUOTA
    for _ in range(2):
        await video_service.confirm(actors.admin, await ready(video_service, actors.admin))


async def test_the_groups_rules_are_read_again_at_the_confirm(
    video_service: VideoService, group_service: GroupService, db: Database, actors: Actors
) -> None:
    await usable_face(db, THE_GROUPS)
    job_id = await ready(video_service, actors.member)
    await group_service.set_access(actors.admin, Access.ADMINS)
    refused = await refusal_of(video_service.confirm(actors.member, job_id))
    assert refused is Refusal.GROUP_ADMINS_ONLY
    assert (await video_service.rules.job(job_id)).status is JobStatus.DRAFT


@pytest.mark.parametrize("confirmer", ["admin", "bea"])
async def test_the_admin_who_confirms_an_anonymous_draft_becomes_its_requester(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    fake_provider: FakeProvider,
    clock: FakeClock,
    confirmer: str,
) -> None:
    await usable_face(db, THE_GROUPS)
    job_id = await ready(video_service, actors.anonymous_admin)
    for outsider in (actors.member, actors.other_admin, actors.alice, actors.anonymous_admin):
        assert await refusal_of(video_service.confirm(outsider, job_id)) is Refusal.NOT_YOURS
    actor = BEA_ADMIN if confirmer == "bea" else actors.admin
    job = await video_service.confirm(actor, job_id)
    assert (job.user_id, job.chat_id, job.status) == (actor.user_id, GROUP, JobStatus.QUEUED)
    assert fake_provider.count("submit_video") == 1
    # Hers now: she may send it again, the other admin may not.
    await delivered(db, job_id, clock())
    assert (await video_service.send_again(actor, job_id)).file_id == "file-1"
    other = actors.admin if confirmer == "bea" else BEA_ADMIN
    assert await refusal_of(video_service.send_again(other, job_id)) is Refusal.NOT_YOURS
    assert [j.id for j in (await video_service.past(actor)).jobs] == [job_id]


async def test_an_anonymous_draft_counts_against_the_confirmers_limits(
    video_service: VideoService, db: Database, actors: Actors, clock: FakeClock
) -> None:
    await usable_face(db, THE_GROUPS)
    for _ in range(3):  # the admin's own daily videos
        job_id = await ready(video_service, actors.admin)
        await video_service.confirm(actors.admin, job_id)
        await delivered(db, job_id, clock())
    # GroupAnonymousBot has no limits of its own: the draft is made ...
    job_id = await ready(video_service, actors.anonymous_admin)
    # ... and the admin confirming it is over hers; Bea is not.
    assert await refusal_of(video_service.confirm(actors.admin, job_id)) is Refusal.LIMIT_DAILY
    job = await video_service.rules.job(job_id)
    assert (job.user_id, job.status) == (ANONYMOUS_ADMIN_ID, JobStatus.DRAFT)
    assert (await video_service.confirm(BEA_ADMIN, job_id)).user_id == BEA


async def test_a_face_deleted_since_the_draft_is_refused_before_the_provider(
    video_service: VideoService, db: Database, actors: Actors, fake_provider: FakeProvider
) -> None:
    face, _ = await usable_face(db, ALICES)
    job_id = await ready(video_service, actors.alice)
    await video_service.faces.faces.transition(face.id, face.status.DELETED, 5.0)
    refused = await refusal_of(video_service.confirm(actors.alice, job_id))
    assert refused is Refusal.ASSET_NOT_ACTIVE
    assert fake_provider.count("submit_video") == 0


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ProviderRejected("no", reason=RejectReason.INVALID, code="InvalidParameter"), "failed"),
        (ProviderRateLimited("slow down"), "failed"),
        (ProviderUnavailable("refused", code="not_connected"), "failed"),
        # May have started (and charged): the person decides.
        (ProviderUnavailable("502", status=502), "needs_decision"),
        (RuntimeError("bug"), "needs_decision"),
    ],
)
async def test_provider_errors_end_the_job_and_never_reach_the_caller(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    fake_provider: FakeProvider,
    video_notifier: FakeVideoNotifier,
    error: Exception,
    status: str,
) -> None:
    await usable_face(db, ALICES)
    job_id = await ready(video_service, actors.alice)
    fake_provider.fail = error
    job = await video_service.confirm(actors.alice, job_id)  # no exception
    assert job.status == status
    assert [j.id for j in video_notifier.outcomes] == [job_id]


async def test_a_group_job_keeps_to_the_groups_faces(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    ours, (our_photo,) = await usable_face(db, THE_GROUPS)
    await usable_face(db, Owner(OwnerKind.USER, MAX), name="Max's own")
    job_id = await ready(video_service, actors.member)
    job = await video_service.confirm(actors.member, job_id)
    assert (job.user_id, job.chat_id) == (MAX, GROUP)
    # Max's own face is his in private chats only: the group's video is of the group's face.
    assert (job.face_id, job.asset_ids) == (ours.id, (our_photo.id,))


async def test_a_photo_no_longer_active_is_refused_before_the_provider(
    video_service: VideoService, db: Database, actors: Actors, fake_provider: FakeProvider
) -> None:
    _, (photo,) = await usable_face(db, ALICES)
    job_id = await ready(video_service, actors.alice)
    await AssetRepo(db).transition(photo.id, AssetState.FAILED, 5.0)
    refused = await refusal_of(video_service.confirm(actors.alice, job_id))
    assert refused is Refusal.ASSET_NOT_ACTIVE
    assert fake_provider.count("submit_video") == 0


async def test_a_provider_turned_off_since_the_draft_is_refused_and_the_draft_kept(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await usable_face(db, ALICES)
    job_id = await ready(video_service, actors.alice)
    # The operator restarts the bot without this provider (its name no longer enabled).
    monkeypatch.setattr(fake_provider, "name", "gone")
    video_service.drafts.providers = Providers([fake_provider])
    card = await video_service.drafts.card(actors.alice, job_id)  # still shown, to cancel
    assert card.job.status is JobStatus.DRAFT
    assert await refusal_of(video_service.confirm(actors.alice, job_id)) is Refusal.PROVIDER_OFF
    assert (await video_service.rules.job(job_id)).status is JobStatus.DRAFT
    assert fake_provider.count("submit_video") == 0
    assert (await video_service.drafts.cancel(actors.alice, job_id)).status is JobStatus.CANCELLED


async def test_a_face_withdrawn_during_the_confirm_sends_nothing(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    fake_provider: FakeProvider,
    clock: FakeClock,
) -> None:
    """The face's status is checked again in the statement that leaves the draft: a
    withdrawal between the check and the submit wins, and nothing is charged."""
    face, _ = await usable_face(db, ALICES)
    job_id = await ready(video_service, actors.alice)
    rules = video_service._submitter.rules
    may_generate = rules.may_generate

    async def withdrawn_meanwhile(actor: Actor) -> None:
        await FaceRepo(db).transition(face.id, FaceStatus.WITHDRAWN, clock())
        await may_generate(actor)

    rules.may_generate = withdrawn_meanwhile  # type: ignore[method-assign]
    refusal = await refusal_of(video_service.confirm(actors.alice, job_id))
    assert refusal is Refusal.FACE_WITHDRAWN
    assert fake_provider.count("submit_video") == 0
    job = await video_service.videos.get(job_id)
    assert job is not None and job.status is JobStatus.DRAFT
