"""Questions in groups, asked under one identity and answered under another: an anonymous
admin writes as GroupAnonymousBot and presses buttons as themselves. Any admin of the group
finishes such a question; a member never does, and never drops it for the admins."""

from __future__ import annotations

import pytest

from bot.providers.base import Capabilities, ProviderName
from bot.providers.registry import Providers
from bot.services.actors import Actor
from bot.services.errors import Refusal, ServiceRefused
from bot.services.face_creation import NewFaceStep
from bot.services.faces import FaceService
from bot.services.pending import PendingInputs
from storage.assets import AssetRepo
from storage.chats import ChatRepo
from storage.database import Database
from storage.faces import FaceRepo
from storage.links import InviteRepo, LinkRepo
from storage.models import Awaiting
from storage.pending import PendingRepo
from storage.users import UserRepo
from tests.clock import FakeClock
from tests.services.conftest import BOB, GROUP, Actors, FakeNotifier, FakeProvider

BOB_ADMIN = Actor.group(BOB, GROUP, is_admin=True)  # a second, real admin of the group


async def refused(call: object) -> Refusal:
    with pytest.raises(ServiceRefused) as caught:
        await call  # type: ignore[misc]
    return caught.value.refusal


async def faces_in(db: Database) -> list[tuple[str, int, str, str, int]]:
    rows = await db.fetchall(
        "SELECT owner_kind, owner_id, name, provider, created_by FROM faces ORDER BY id"
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.fixture
def second() -> FakeProvider:
    return FakeProvider(name=ProviderName("other"), capabilities=Capabilities("Other"))


@pytest.fixture
def two_providers(
    db: Database, clock: FakeClock, notifier: FakeNotifier, second: FakeProvider
) -> FaceService:
    """FaceService with two providers and no /provider chosen: /newface asks where."""
    return FaceService(
        faces=FaceRepo(db),
        links=LinkRepo(db),
        invites=InviteRepo(db),
        assets=AssetRepo(db),
        users=UserRepo(db),
        chats=ChatRepo(db),
        pending=PendingInputs(PendingRepo(db), clock),
        providers=Providers([FakeProvider(), second]),
        notifier=notifier,
        clock=clock,
        link_ttl=120,
        invite_ttl=86_400,
    )


async def test_an_anonymous_newface_is_finished_by_the_admin_who_presses_a_provider(
    two_providers: FaceService, actors: Actors, db: Database, second: FakeProvider
) -> None:
    svc = two_providers
    step = await svc.begin_new_face(actors.anonymous_admin, "Anna")
    assert step.step is NewFaceStep.ASK_PROVIDER

    # A member pressing the button is told it is the admins', and the question stays.
    assert await refused(svc.choose_provider(actors.member, 1)) is Refusal.ADMINS_ONLY
    # Another group's admin, or Alice in her private chat, answers nothing here.
    assert await refused(svc.choose_provider(actors.other_admin, 1)) is Refusal.NOT_ASKED
    assert await refused(svc.choose_provider(actors.alice, 1)) is Refusal.NOT_ASKED
    assert await faces_in(db) == []

    step = await svc.choose_provider(actors.admin, 1)  # Alice, pressing as herself
    assert step.step is NewFaceStep.CREATED
    assert await faces_in(db) == [("chat", GROUP, "Anna", "other", actors.admin.user_id)]
    assert second.count("start_verification") == 1
    # Answered: a second press (by anyone) makes nothing more.
    for who in (actors.admin, BOB_ADMIN, actors.anonymous_admin):
        assert await refused(svc.choose_provider(who, 0)) is Refusal.NOT_ASKED
    assert len(await faces_in(db)) == 1


async def test_a_real_admins_provider_question_is_any_admins_to_answer(
    two_providers: FaceService, actors: Actors, db: Database
) -> None:
    await two_providers.begin_new_face(actors.admin, "Club")
    await two_providers.choose_provider(BOB_ADMIN, 0)
    assert await faces_in(db) == [("chat", GROUP, "Club", "fake", BOB)]
    assert await two_providers.pending.of(actors.admin) is None


async def test_an_anonymous_admin_names_the_face_a_rename_button_asked_about(
    face_service: FaceService, actors: Actors, db: Database, fake_provider: FakeProvider
) -> None:
    face = (await face_service.create(actors.admin, "Anna")).face
    await face_service.ask_rename(actors.admin, face.id)  # pressed as Alice

    # Neither a member nor another real admin answers Alice's question by writing.
    for who in (actors.member, BOB_ADMIN):
        assert await refused(face_service.answer_rename(who, "X")) is Refusal.NOT_ASKED
    # Her anonymous answer (GroupAnonymousBot) does; a bad name keeps the question.
    bad = face_service.answer_rename(actors.anonymous_admin, "")
    assert await refused(bad) is Refusal.BAD_NAME
    renamed, remote = await face_service.answer_rename(actors.anonymous_admin, "Anna K")
    assert renamed.name == "Anna K" and remote and fake_provider.count("rename_group") == 1
    assert await face_service.pending.of(actors.admin) is None
    assert await face_service.pending.of(actors.anonymous_admin) is None


async def test_an_anonymous_admins_own_question_comes_first_and_cancel_ends_each_in_turn(
    face_service: FaceService, actors: Actors
) -> None:
    face = (await face_service.create(actors.admin, "Anna")).face
    await face_service.ask_rename(actors.admin, face.id)
    # An anonymous /newface with a bad name asks again, of the anonymous admins.
    bad = face_service.begin_new_face(actors.anonymous_admin, "x" * 70)
    assert await refused(bad) is Refusal.BAD_NAME
    own = await face_service.pending.of(actors.anonymous_admin)
    assert own is not None and own.kind is Awaiting.FACE_NAME
    assert await face_service.pending.cancel(actors.anonymous_admin)
    rename = await face_service.pending.of(actors.anonymous_admin)
    assert rename is not None and rename.kind is Awaiting.RENAME
    assert await face_service.pending.cancel(actors.anonymous_admin)
    assert not await face_service.pending.cancel(actors.anonymous_admin)
    assert await face_service.pending.of(actors.admin) is None


async def test_a_member_never_sees_the_admins_questions(
    face_service: FaceService, actors: Actors
) -> None:
    face = (await face_service.create(actors.admin, "Anna")).face
    await face_service.ask_rename(actors.admin, face.id)
    member_anonymous = Actor.group(actors.anonymous_admin.user_id, GROUP, is_admin=False)
    for who in (actors.member, member_anonymous):
        assert await face_service.pending.of(who) is None
        assert not await face_service.pending.cancel(who)
    assert await face_service.pending.of(actors.admin) is not None
