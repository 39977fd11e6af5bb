"""Face use cases at the service level: who may create, answer, manage, upload and invite,
in which chat, with the fake provider and a real database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.providers.base import Capabilities, ProviderName, ProviderUnavailable
from bot.providers.registry import Providers
from bot.services.actors import Actor
from bot.services.cleanups import PhotosAtProvider
from bot.services.errors import Failure, Refusal, ServiceFailed, ServiceRefused
from bot.services.face_creation import NewFaceStep
from bot.services.faces import FaceService
from bot.services.pending import PendingInputs
from bot.services.uploads import UploadService
from storage.assets import AssetRepo, IncomingFile
from storage.chats import ChatRepo
from storage.database import Database
from storage.faces import FaceRepo
from storage.links import InviteRepo, LinkRepo
from storage.models import Awaiting, Face, FaceStatus, OwnerKind
from storage.pending import PendingRepo
from storage.users import UserRepo
from tests.clock import FakeClock
from tests.services.conftest import (
    ALICE,
    BOB,
    GROUP,
    MAX,
    Actors,
    FakeNotifier,
    FakeProvider,
)

PHOTO = IncomingFile("file-1", "unique-1", None, "image/jpeg", 1000, 800, 800)


async def faces_in(db: Database) -> list[tuple[str, int, str]]:
    rows = await db.fetchall("SELECT owner_kind, owner_id, name FROM faces ORDER BY id")
    return [(r["owner_kind"], r["owner_id"], r["name"]) for r in rows]


async def refused(call: object) -> Refusal:
    with pytest.raises(ServiceRefused) as caught:
        await call  # type: ignore[misc]
    return caught.value.refusal


# ------------------------------------------------------------------------- creating


@pytest.mark.parametrize(
    ("who", "owner"),
    [
        ("alice", ("user", ALICE)),
        ("admin", ("chat", GROUP)),
        ("anonymous_admin", ("chat", GROUP)),
    ],
)
async def test_owners_and_group_admins_create_faces_where_they_act(
    face_service: FaceService,
    actors: Actors,
    db: Database,
    fake_provider: FakeProvider,
    who: str,
    owner: tuple[str, int],
) -> None:
    created = await face_service.create(getattr(actors, who), "Anna")
    assert created.link is not None and created.invite is not None
    assert await faces_in(db) == [(*owner, "Anna")]
    assert fake_provider.count("start_verification") == 1


@pytest.mark.parametrize(("who", "why"), [("member", "ADMINS_ONLY"), ("inline", "NOT_YOURS")])
async def test_a_member_or_an_inline_card_never_creates_a_face(
    face_service: FaceService,
    actors: Actors,
    db: Database,
    fake_provider: FakeProvider,
    who: str,
    why: str,
) -> None:
    actor = getattr(actors, who)
    assert await refused(face_service.create(actor, "Anna")) is Refusal[why]
    assert await refused(face_service.begin_new_face(actor, "Anna")) is Refusal[why]
    assert await refused(face_service.begin_new_face(actor, None)) is Refusal[why]
    assert await face_service.pending.of(actor) is None
    assert await faces_in(db) == []
    assert fake_provider.calls == []


async def test_newface_asks_for_the_name_in_private_and_wants_it_with_the_command_in_groups(
    face_service: FaceService, actors: Actors
) -> None:
    step = await face_service.begin_new_face(actors.alice, None)
    assert step.step is NewFaceStep.ASK_NAME
    pending = await face_service.pending.of(actors.alice)
    assert pending is not None and pending.kind is Awaiting.FACE_NAME
    step = await face_service.begin_new_face(actors.admin, None)
    assert step.step is NewFaceStep.NAME_WITH_COMMAND
    assert await face_service.pending.of(actors.admin) is None


async def test_a_name_answers_only_in_the_chat_where_it_was_asked(
    face_service: FaceService, actors: Actors, db: Database, fake_provider: FakeProvider
) -> None:
    """HOLE 1: /newface asked in Max's private chat; his reply in the group answers nothing
    there (not even as an admin of it), and the private question stays open."""
    max_private = Actor.private(MAX)
    max_admin_there = Actor.group(MAX, GROUP, is_admin=True)
    await face_service.begin_new_face(max_private, None)
    for in_group in (actors.member, max_admin_there):
        assert await refused(face_service.answer_name(in_group, "Bob")) is Refusal.NOT_ASKED
    assert await faces_in(db) == []
    assert fake_provider.calls == []
    step = await face_service.answer_name(max_private, "Bob")
    assert step.step is NewFaceStep.CREATED
    assert await faces_in(db) == [("user", MAX, "Bob")]
    assert await face_service.pending.of(max_private) is None


async def test_an_admin_demoted_since_the_question_cannot_answer_it(
    face_service: FaceService, db: Database, fake_provider: FakeProvider
) -> None:
    ann_admin = Actor.group(ALICE, GROUP, is_admin=True)
    ann_member = Actor.group(ALICE, GROUP, is_admin=False)
    # A bad name keeps the question open in the group.
    assert await refused(face_service.begin_new_face(ann_admin, "x" * 70)) is Refusal.BAD_NAME
    assert await face_service.pending.of(ann_admin) is not None
    assert await refused(face_service.answer_name(ann_member, "Bob")) is Refusal.ADMINS_ONLY
    assert await face_service.pending.of(ann_member) is None  # dropped, not kept for later
    assert await faces_in(db) == []
    assert fake_provider.calls == []


async def test_with_two_providers_the_choice_is_asked_and_answered_where_asked(
    db: Database, clock: FakeClock, notifier: FakeNotifier, actors: Actors
) -> None:
    second = FakeProvider(name=ProviderName("other"), capabilities=Capabilities("Other"))
    face_service = FaceService(
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
    step = await face_service.begin_new_face(actors.alice, "Anna")
    assert step.step is NewFaceStep.ASK_PROVIDER and step.providers == ("fake", "other")
    assert await refused(face_service.choose_provider(actors.admin, 1)) is Refusal.NOT_ASKED
    assert await refused(face_service.choose_provider(actors.alice, 7)) is Refusal.NOT_ASKED
    step = await face_service.choose_provider(actors.alice, 1)
    assert step.created is not None and step.created.face.provider == "other"
    assert second.count("start_verification") == 1
    assert await refused(face_service.choose_provider(actors.alice, 1)) is Refusal.NOT_ASKED


async def test_a_provider_failure_is_a_closed_reason_and_ends_the_question(
    face_service: FaceService, actors: Actors, db: Database, fake_provider: FakeProvider
) -> None:
    await face_service.begin_new_face(actors.alice, None)
    fake_provider.fail = ProviderUnavailable("down")
    with pytest.raises(ServiceFailed) as caught:
        await face_service.answer_name(actors.alice, "Anna")
    assert caught.value.failure is Failure.UNAVAILABLE and caught.value.failure.retry_helps
    assert await face_service.pending.of(actors.alice) is None
    rows = await db.fetchall("SELECT status FROM faces")
    assert [r["status"] for r in rows] == [FaceStatus.DELETED]  # nothing started


# ------------------------------------------------------------------------- managing

ACTIONS = ("detail", "rename", "delete_preview", "delete", "new_link", "use", "ask_rename")


async def act(face_service: FaceService, action: str, actor: Actor, face_id: int) -> object:
    match action:
        case "rename":
            return await face_service.rename(actor, face_id, "New name")
        case "new_link":
            return await face_service.new_link(actor, face_id)
        case _:
            return await getattr(face_service, action)(actor, face_id)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    ("who", "result"),
    [
        ("alice", None),
        ("bob", Refusal.NOT_YOURS),
        ("admin", None),  # Alice acting in a group may still manage her own face
        ("member", Refusal.NOT_YOURS),
        ("inline", None),
    ],
)
async def test_a_private_face_is_its_owners_everywhere(
    face_service: FaceService, actors: Actors, action: str, who: str, result: Refusal | None
) -> None:
    face = (await face_service.create(actors.alice, "Anna")).face
    outcome = act(face_service, action, getattr(actors, who), face.id)
    if result is None:
        await outcome
    else:
        assert await refused(outcome) is result


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    ("who", "result"),
    [
        ("admin", None),
        ("anonymous_admin", None),
        ("member", Refusal.ADMINS_ONLY),
        ("other_admin", Refusal.NOT_YOURS),
        ("alice", Refusal.NOT_YOURS),  # the admin, but in her private chat
        ("inline", Refusal.NOT_YOURS),
    ],
)
async def test_a_group_face_is_for_that_groups_admins_acting_there(
    face_service: FaceService,
    actors: Actors,
    fake_provider: FakeProvider,
    action: str,
    who: str,
    result: Refusal | None,
) -> None:
    face = (await face_service.create(actors.admin, "Anna")).face
    calls = len(fake_provider.calls)
    outcome = act(face_service, action, getattr(actors, who), face.id)
    if result is None:
        await outcome
    else:
        assert await refused(outcome) is result
        assert len(fake_provider.calls) == calls  # nothing asked of the provider


async def test_listing_is_for_owners_and_group_admins(
    face_service: FaceService, actors: Actors
) -> None:
    await face_service.create(actors.alice, "Anna")
    await face_service.create(actors.admin, "Club")
    mine = await face_service.listing(actors.alice)
    assert [s.face.name for s in mine.summaries] == ["Anna"] and not mine.in_group
    assert mine.current_id == mine.summaries[0].face.id
    club = await face_service.listing(actors.anonymous_admin)
    assert [s.face.name for s in club.summaries] == ["Club"] and club.current_id is None
    assert await refused(face_service.listing(actors.member)) is Refusal.ADMINS_ONLY
    assert await refused(face_service.listing(actors.inline)) is Refusal.NOT_YOURS


async def test_rename_answers_only_the_question_asked_and_a_bad_name_keeps_it(
    face_service: FaceService, actors: Actors, fake_provider: FakeProvider
) -> None:
    face = (await face_service.create(actors.admin, "Anna")).face
    await face_service.ask_rename(actors.admin, face.id)
    assert await refused(face_service.answer_rename(actors.alice, "B")) is Refusal.NOT_ASKED
    assert await refused(face_service.answer_rename(actors.admin, "")) is Refusal.BAD_NAME
    renamed, remote = await face_service.answer_rename(actors.admin, "Anna K")
    assert renamed.name == "Anna K" and remote and fake_provider.count("rename_group") == 1
    assert await face_service.pending.of(actors.admin) is None


async def test_use_sets_the_current_face_in_private_only(
    face_service: FaceService, actors: Actors
) -> None:
    await face_service.remember(ALICE, "Alice", None, None)  # the gatekeeper's doing
    first = (await face_service.create(actors.alice, "Anna")).face
    second = (await face_service.create(actors.alice, "Ben")).face
    assert (await face_service.current_face(ALICE)) == await _face(face_service, second.id)
    await face_service.use(actors.alice, first.id)
    current = await face_service.current_face(ALICE)
    assert current is not None and current.id == first.id


async def _face(face_service: FaceService, face_id: int) -> Face | None:
    return await face_service.faces.get(face_id)


# ------------------------------------------------------------------------- uploads


async def _active(face_service: FaceService, actor: Actor, name: str = "Anna") -> Face:
    face = (await face_service.create(actor, name)).face
    await face_service.activate(face, face.provider_group_id)
    active = await face_service.faces.get(face.id)
    assert active is not None and active.status is FaceStatus.ACTIVE
    return active


async def test_group_photos_go_only_to_prompts_and_only_from_admins(
    face_service: FaceService, upload_service: UploadService, actors: Actors, db: Database
) -> None:
    face = await _active(face_service, actors.admin)
    await face_service.post_upload_prompt(actors.admin, face.id, sent_as(77))
    member = upload_service.receive(actors.member, PHOTO, reply_to=77)
    assert await refused(member) is Refusal.ADMINS_ONLY
    assert await upload_service.receive(actors.admin, PHOTO, reply_to=78) is None  # no prompt
    assert await upload_service.receive(actors.admin, PHOTO) is None  # not even a reply
    received = await upload_service.receive(actors.anonymous_admin, PHOTO, reply_to=77)
    assert received is not None and received.face.id == face.id
    rows = await db.fetchall(
        "SELECT a.face_id, b.chat_id FROM assets a JOIN upload_batches b ON b.id = a.batch_id"
    )
    assert [(r["face_id"], r["chat_id"]) for r in rows] == [(face.id, GROUP)]
    prompt = face_service.post_upload_prompt(actors.member, face.id, sent_as(79))
    assert await refused(prompt) is Refusal.ADMINS_ONLY


async def test_private_photos_go_to_the_current_face_once_it_is_verified(
    face_service: FaceService, upload_service: UploadService, actors: Actors
) -> None:
    assert await refused(upload_service.receive(actors.alice, PHOTO)) is Refusal.NO_FACE
    pending = (await face_service.create(actors.alice, "Anna")).face
    assert await refused(upload_service.receive(actors.alice, PHOTO)) is Refusal.FACE_NOT_ACTIVE
    await face_service.activate(pending, pending.provider_group_id)
    received = await upload_service.receive(actors.alice, PHOTO)
    assert received is not None and received.face.id == pending.id
    assert await refused(upload_service.receive(actors.inline, PHOTO)) is Refusal.NOT_YOURS


# ------------------------------------------------------------------------- invites


async def test_an_invite_serves_the_first_person_who_opens_it(
    face_service: FaceService, actors: Actors, clock: FakeClock, fake_provider: FakeProvider
) -> None:
    created = await face_service.create(actors.alice, "Anna")
    assert created.invite is not None
    token = created.invite.token
    view = await face_service.invites.open(token, BOB)
    assert view.face.id == created.face.id
    assert await refused(face_service.invites.open(token, MAX)) is Refusal.INVITE_TAKEN
    assert await refused(face_service.invites.ready(token, MAX)) is Refusal.INVITE_TAKEN
    issued = await face_service.invites.ready(token, BOB)
    assert issued.link.issued_to == BOB and fake_provider.count("refresh_verification") == 1
    face = await face_service.faces.get(created.face.id)
    assert face is not None and face.verifier_user_id == BOB
    clock.advance(86_401)
    assert await refused(face_service.invites.ready(token, BOB)) is Refusal.INVITE_EXPIRED
    assert await refused(face_service.invites.open("nope", BOB)) is Refusal.INVITE_UNKNOWN


async def test_new_link_hands_the_group_admin_an_invite_and_a_member_nothing(
    face_service: FaceService, actors: Actors
) -> None:
    face = (await face_service.create(actors.admin, "Anna")).face
    issued = await face_service.new_link(actors.admin, face.id, request_key="u1")
    assert issued.invite is not None and issued.invite.face_id == face.id
    again = await face_service.new_link(actors.admin, face.id, request_key="u1")
    assert again.repeat and again.link.id == issued.link.id  # a replay: the same link
    assert await refused(face_service.new_link(actors.member, face.id)) is Refusal.ADMINS_ONLY


async def test_deleting_a_face_deletes_it_at_a_provider_that_can(
    face_service: FaceService, actors: Actors, db: Database, fake_provider: FakeProvider
) -> None:
    face = (await face_service.create(actors.alice, "Anna")).face
    deleted, photos = await face_service.delete(actors.alice, face.id)
    assert photos.state is PhotosAtProvider.DELETED
    assert fake_provider.count("delete_group") == 1
    assert await refused(face_service.detail(actors.alice, deleted.id)) is Refusal.NO_SUCH_FACE
    assert await face_service.current_face(ALICE) is None
    assert (await faces_in(db))[0][0] == OwnerKind.USER


def sent_as(message_id: int) -> Callable[[Face], Awaitable[int]]:
    async def send(face: Face) -> int:
        return message_id

    return send


async def test_a_reply_that_beats_its_prompts_record_still_finds_the_face(
    face_service: FaceService, actors: Actors
) -> None:
    """Telegram delivers the prompt before the bot hears its id back: a photo replying to it
    in that moment waits for the record instead of counting as a reply to something else."""
    face = await _active(face_service, actors.admin)
    sending, release = asyncio.Event(), asyncio.Event()

    async def slow_send(face: Face) -> int:
        sending.set()
        await release.wait()
        return 90

    post = face_service.post_upload_prompt(actors.admin, face.id, slow_send)
    posting = asyncio.create_task(post)
    await sending.wait()
    lookup = asyncio.create_task(face_service.prompted_face(actors.admin, 90))
    # Unfixed, the lookup answers None at once; it must wait for the send instead.
    done, _ = await asyncio.wait({lookup}, timeout=0.5)
    assert not done
    release.set()
    found = await lookup
    await posting
    assert found is not None and found.id == face.id
    assert await face_service.prompted_face(actors.admin, 91) is None  # nothing posting now
