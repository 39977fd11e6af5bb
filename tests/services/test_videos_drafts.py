"""Drafts at the service level: who may start one, where, with which faces, and who may
work on it (choices, settings, cancel) — private chats, groups, anonymous admins."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest

from bot.services.actors import Actor
from bot.services.errors import Refusal, ServiceRefused
from bot.services.groups import Access, GroupService
from bot.services.pending import PendingInputs
from bot.services.video_options import MAX_PROMPT
from bot.services.videos import VideoService
from storage.chats import ChatRepo
from storage.database import Database
from storage.models import Awaiting, JobStatus, Owner, OwnerKind
from tests.services.conftest import (
    ALICE,
    ANONYMOUS_ADMIN_ID,
    BOB,
    GROUP,
    MAX,
    OTHER_GROUP,
    Actors,
)
from tests.services.video_fakes import confirm_after_first_read, usable_face

ALICES = Owner(OwnerKind.USER, ALICE)
THE_GROUPS = Owner(OwnerKind.CHAT, GROUP)
BEA = 44
BEA_ADMIN = Actor.group(BEA, GROUP, is_admin=True)  # another admin of the same group


async def refusal_of(call: Awaitable[Any]) -> Refusal | None:
    try:
        await call
    except ServiceRefused as refused:
        return refused.refusal
    return None


# Starting


async def test_a_private_draft_with_one_face_and_photo_is_ready_to_confirm(
    video_service: VideoService, db: Database, actors: Actors, pending: PendingInputs
) -> None:
    face, (photo,) = await usable_face(db, ALICES)
    await pending.ask(actors.alice, Awaiting.PROMPT)
    card = await video_service.drafts.start(actors.alice, "  waves  ", request_key="u1")
    job = card.job
    assert (job.user_id, job.chat_id, job.prompt, job.status) == (
        ALICE,
        ALICE,
        "waves",
        JobStatus.DRAFT,
    )
    assert card.face == face and card.chosen == [photo] and job.asset_ids == (photo.id,)
    assert await pending.of(actors.alice) is None  # the question is answered
    # The same update handled again (after a crash) gets the same draft.
    again = await video_service.drafts.start(actors.alice, "waves", request_key="u1")
    assert again.job.id == job.id


async def test_several_faces_or_photos_are_asked_for(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    await usable_face(db, ALICES, name="Anna")
    ben, photos = await usable_face(db, ALICES, name="Ben", photos=2)
    card = await video_service.drafts.start(actors.alice, "dances")
    assert card.face is None and [f.name for f in card.faces] == ["Anna", "Ben"]
    card = await video_service.drafts.choose_face(actors.alice, card.job.id, ben.id)
    assert card.face == ben and card.photos == photos and not card.job.asset_ids
    card = await video_service.drafts.pick_photo(actors.alice, card.job.id, photos[1].id)
    assert card.chosen == [photos[1]]


@pytest.mark.parametrize("prompt", ["", "\u200b \u2800", "x" * (MAX_PROMPT + 1)])
async def test_an_unusable_prompt_is_asked_for_again(
    video_service: VideoService, db: Database, actors: Actors, pending: PendingInputs, prompt: str
) -> None:
    await usable_face(db, ALICES)
    assert await refusal_of(video_service.drafts.start(actors.alice, prompt)) is Refusal.BAD_PROMPT
    waiting = await pending.of(actors.alice)
    assert waiting is not None and waiting.kind is Awaiting.PROMPT


async def test_a_bad_prompt_in_a_group_asks_nothing_there(
    video_service: VideoService, db: Database, actors: Actors, pending: PendingInputs
) -> None:
    await usable_face(db, THE_GROUPS)
    await pending.ask(actors.member, Awaiting.PROMPT)  # a question left from before
    too_long = "x" * (MAX_PROMPT + 1)
    refused = await refusal_of(video_service.drafts.start(actors.member, too_long))
    assert refused is Refusal.BAD_GROUP_PROMPT
    # The prompt comes with the command in a group: a later reply there answers nothing.
    assert await pending.of(actors.member) is None


async def test_no_usable_face_closes_the_question(
    video_service: VideoService, actors: Actors, pending: PendingInputs
) -> None:
    await pending.ask(actors.alice, Awaiting.PROMPT)
    refused = await refusal_of(video_service.drafts.start(actors.alice, "hi"))
    assert refused is Refusal.NO_USABLE_FACE
    assert await pending.of(actors.alice) is None


async def test_asking_for_a_prompt(
    video_service: VideoService, db: Database, actors: Actors, pending: PendingInputs
) -> None:
    drafts = video_service.drafts
    assert await refusal_of(drafts.ask_prompt(actors.alice)) is Refusal.NO_USABLE_FACE
    assert await refusal_of(drafts.ask_prompt(actors.admin)) is Refusal.NO_USABLE_GROUP_FACE
    await usable_face(db, ALICES)
    await usable_face(db, THE_GROUPS)
    assert await refusal_of(drafts.ask_prompt(actors.alice)) is None
    waiting = await pending.of(actors.alice)
    assert waiting is not None and waiting.kind is Awaiting.PROMPT
    # In a group the prompt comes with the command; nothing is waited for there.
    assert await refusal_of(drafts.ask_prompt(actors.member)) is Refusal.PROMPT_WITH_COMMAND
    assert await pending.of(actors.member) is None


async def test_a_forwarded_generate_is_nobodys_request_in_a_group(
    video_service: VideoService, db: Database, actors: Actors, pending: PendingInputs
) -> None:
    await usable_face(db, THE_GROUPS)
    await usable_face(db, ALICES)
    drafts = video_service.drafts
    for actor in (actors.admin, actors.member, actors.anonymous_admin):
        refused = await refusal_of(drafts.start(actor, "waves", forwarded=True))
        assert refused is Refusal.FORWARDED_COMMAND
        refused = await refusal_of(drafts.ask_prompt(actor, forwarded=True))
        assert refused is Refusal.FORWARDED_COMMAND
    assert await db.fetchall("SELECT id FROM videos WHERE chat_id = ?", (GROUP,)) == []
    # Forwarded to the bot in a private chat, it is the person's own request.
    card = await drafts.start(actors.alice, "waves", forwarded=True)
    assert card.job.user_id == ALICE
    await drafts.ask_prompt(actors.alice, forwarded=True)
    assert await pending.of(actors.alice) is not None


async def test_faces_are_the_owners_of_the_place(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    mine, _ = await usable_face(db, ALICES, name="Mine")
    ours, _ = await usable_face(db, THE_GROUPS, name="Ours")
    theirs, _ = await usable_face(db, Owner(OwnerKind.CHAT, OTHER_GROUP), name="Theirs")
    await usable_face(db, ALICES, name="Mine too")
    await usable_face(db, THE_GROUPS, name="Ours too")
    private = await video_service.drafts.start(actors.alice, "a")
    assert {f.name for f in private.faces} == {"Mine", "Mine too"}
    group = await video_service.drafts.start(actors.admin, "b")
    assert {f.name for f in group.faces} == {"Ours", "Ours too"}
    # A face from elsewhere (a forged button) is not this draft's to use.
    drafts = video_service.drafts
    for face in (ours, theirs):
        refused = await refusal_of(drafts.choose_face(actors.alice, private.job.id, face.id))
        assert refused is Refusal.NOT_YOURS
    for face in (mine, theirs):
        refused = await refusal_of(drafts.choose_face(actors.admin, group.job.id, face.id))
        assert refused is Refusal.NOT_YOURS


@pytest.mark.parametrize(
    ("access", "who", "listed", "expected"),
    [
        (Access.EVERYONE, "member", False, None),
        (Access.EVERYONE, "admin", False, None),
        (Access.ADMINS, "member", True, Refusal.GROUP_ADMINS_ONLY),
        (Access.ADMINS, "admin", False, None),
        (Access.ADMINS, "anonymous_admin", False, None),
        (Access.LISTED, "member", False, Refusal.GROUP_NOT_LISTED),
        (Access.LISTED, "member", True, None),
        (Access.LISTED, "admin", False, None),
        (Access.LISTED, "anonymous_admin", False, None),
    ],
)
async def test_the_groups_access_mode_decides_who_starts(
    video_service: VideoService,
    group_service: GroupService,
    db: Database,
    actors: Actors,
    access: Access,
    who: str,
    listed: bool,
    expected: Refusal | None,
) -> None:
    await usable_face(db, THE_GROUPS)
    await group_service.set_access(actors.admin, access)
    if listed:
        await group_service.allow(actors.admin, MAX, "Max")
    actor = getattr(actors, who)
    assert await refusal_of(video_service.drafts.start(actor, "hi")) is expected
    assert await refusal_of(video_service.drafts.ask_prompt(actor)) in (
        expected,
        Refusal.PROMPT_WITH_COMMAND,
    )


async def test_an_anonymous_admins_draft_is_the_groups(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    await usable_face(db, THE_GROUPS)
    card = await video_service.drafts.start(actors.anonymous_admin, "waves")
    assert (card.job.user_id, card.job.chat_id) == (ANONYMOUS_ADMIN_ID, GROUP)
    assert card.job.anonymous  # stored: the services never look at Telegram's id for it


async def test_a_draft_is_anonymous_by_who_made_it_not_by_an_id(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    """The services never compare ids with Telegram's GroupAnonymousBot: the Actor says an
    admin is anonymous, the draft keeps it, and any admin of the group may then confirm."""
    await usable_face(db, THE_GROUPS)
    unnamed_admin = Actor.group(777, GROUP, is_admin=True, anonymous=True)
    card = await video_service.drafts.start(unnamed_admin, "hi")
    assert card.job.anonymous
    job = await video_service.confirm(BEA_ADMIN, card.job.id)
    assert (job.user_id, job.anonymous, job.status) == (BEA, False, JobStatus.QUEUED)
    # A person whose id happens to be that one is nobody's anonymous admin.
    await usable_face(db, Owner(OwnerKind.USER, ANONYMOUS_ADMIN_ID))
    own = await video_service.drafts.start(Actor.private(ANONYMOUS_ADMIN_ID), "mine")
    assert not own.job.anonymous
    job = await video_service.confirm(Actor.private(ANONYMOUS_ADMIN_ID), own.job.id)
    assert job.status is JobStatus.QUEUED


# Working on a draft


async def _every_draft_step(service: VideoService, actor: Actor, job_id: int) -> list[Any]:
    drafts = service.drafts
    (photo_id,) = (await service.rules.job(job_id)).asset_ids
    return [
        await refusal_of(drafts.card(actor, job_id)),
        await refusal_of(drafts.pick_photo(actor, job_id, photo_id)),
        await refusal_of(drafts.change_settings(actor, job_id, 1, 2)),
        await refusal_of(drafts.picked(actor, job_id)),
        await refusal_of(drafts.cancel(actor, job_id)),
    ]


@pytest.mark.parametrize(
    ("maker", "presser"),
    [
        ("alice", "bob"),  # someone else's private draft
        ("member", "admin"),  # a member's draft is the member's, admins included
        ("admin", "member"),
        ("admin", "alice"),  # the same person, outside the chat the card is in
        ("admin", "inline"),
        ("alice", "inline"),  # a private card's buttons are in the private chat
        ("anonymous_admin", "member"),  # an anonymous admin's draft: admins only
        ("anonymous_admin", "other_admin"),  # ... of that group
        ("anonymous_admin", "alice"),
    ],
)
async def test_only_who_may_work_on_a_draft_can(
    video_service: VideoService, db: Database, actors: Actors, maker: str, presser: str
) -> None:
    await usable_face(db, ALICES)
    await usable_face(db, THE_GROUPS)
    card = await video_service.drafts.start(getattr(actors, maker), "hi")
    refusals = await _every_draft_step(video_service, getattr(actors, presser), card.job.id)
    assert refusals == [Refusal.NOT_YOURS] * 5
    job = await video_service.rules.job(card.job.id)
    assert job == card.job  # untouched


@pytest.mark.parametrize("presser", ["admin", "bea"])
async def test_any_admin_works_on_an_anonymous_admins_draft(
    video_service: VideoService, db: Database, actors: Actors, presser: str
) -> None:
    await usable_face(db, THE_GROUPS, photos=1)
    card = await video_service.drafts.start(actors.anonymous_admin, "hi")
    actor = BEA_ADMIN if presser == "bea" else actors.admin
    card = await video_service.drafts.change_settings(actor, card.job.id, 1, 0)
    assert card.job.settings.duration == 4
    cancelled = await video_service.drafts.cancel(actor, card.job.id)
    assert cancelled.status is JobStatus.CANCELLED
    # A decided draft is no one's to change.
    refused = await refusal_of(video_service.drafts.cancel(actor, card.job.id))
    assert refused is Refusal.JOB_STARTED


async def test_a_cancel_that_loses_to_a_confirm_says_so(
    video_service: VideoService,
    db: Database,
    actors: Actors,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bea's Cancel reads the draft, Ann's Generate submits it, then Bea's Cancel writes:
    the video runs, so Bea is told it started, never that it was cancelled."""
    await usable_face(db, THE_GROUPS)
    card = await video_service.drafts.start(actors.anonymous_admin, "hi")
    rules = video_service.rules
    confirm_after_first_read(monkeypatch, video_service, actors.admin)
    refused = await refusal_of(video_service.drafts.cancel(BEA_ADMIN, card.job.id))
    assert refused is Refusal.JOB_STARTED
    assert (await rules.job(card.job.id)).status is JobStatus.QUEUED


async def test_a_photo_of_another_face_or_not_active_is_refused(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    _, (anna,) = await usable_face(db, ALICES, name="Anna")
    _, (ben,) = await usable_face(db, ALICES, name="Ben")
    card = await video_service.drafts.start(actors.alice, "hi")
    card = await video_service.drafts.choose_face(actors.alice, card.job.id, anna.face_id)
    refused = await refusal_of(video_service.drafts.pick_photo(actors.alice, card.job.id, ben.id))
    assert refused is Refusal.NOT_YOURS


async def test_settings_of_a_draft_stay_with_the_draft(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    await usable_face(db, ALICES)
    card = await video_service.drafts.start(actors.alice, "hi")
    card = await video_service.drafts.change_settings(actors.alice, card.job.id, 1, 4)
    assert card.job.settings.duration == 10
    assert (await video_service.settings(actors.alice)).duration == 5


async def test_default_settings_are_the_owners_and_a_groups_are_its_admins(
    video_service: VideoService, db: Database, actors: Actors
) -> None:
    assert (await video_service.change_settings(actors.alice, 1, 4)).duration == 10
    assert (await video_service.settings(actors.alice)).duration == 10
    assert await refusal_of(video_service.settings(actors.member)) is Refusal.ADMINS_ONLY
    refused = await refusal_of(video_service.change_settings(actors.member, 1, 0))
    assert refused is Refusal.NOT_YOURS
    assert (await video_service.change_settings(actors.admin, 1, 6)).duration == 15
    assert (await video_service.settings(actors.anonymous_admin)).duration == 15
    # A group draft starts from the group's defaults, a private one from the person's.
    await usable_face(db, THE_GROUPS)
    await usable_face(db, ALICES)
    group = await video_service.drafts.start(actors.member, "hi")
    private = await video_service.drafts.start(actors.alice, "hi")
    assert (group.job.settings.duration, private.job.settings.duration) == (15, 10)


async def test_group_rules_are_read_when_the_draft_is_made(
    video_service: VideoService, group_service: GroupService, db: Database, actors: Actors
) -> None:
    await usable_face(db, THE_GROUPS)
    await ChatRepo(db).allow(GROUP, BOB, "Bob")
    await group_service.set_access(actors.admin, Access.LISTED)
    bob_here = Actor.group(BOB, GROUP, is_admin=False)
    assert await refusal_of(video_service.drafts.start(bob_here, "hi")) is None
    assert (
        await refusal_of(video_service.drafts.start(actors.member, "hi"))
        is Refusal.GROUP_NOT_LISTED
    )
