"""The use cases' notifiers decide who hears what and record what was sent; the outbound
port (here a fake that remembers each call) only renders and sends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.services.notifications import UNKNOWN_FACE, FaceNotifications, VideoNotifications
from storage.assets import AssetRepo, IncomingFile
from storage.chats import ChatRepo
from storage.database import Database
from storage.faces import FaceRepo
from storage.links import InviteRepo, LinkRepo
from storage.models import Asset, Face, FaceStatus, Owner, OwnerKind, VerificationLink, VideoJob

NOW = 1_800_000_000.0
ALICE, BOB = 11, 22
GROUP = -100


@dataclass
class FakeFaceMessages:
    """Each call as (method, chat or message, ...); sends answer with the next message id."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)
    next_id: int = 500
    refuse_chats: set[int] = field(default_factory=set)

    def _sent(self, chat_id: int) -> int | None:
        if chat_id in self.refuse_chats:
            return None
        self.next_id += 1
        return self.next_id

    async def verified_card(self, face: Face, link: VerificationLink) -> None:
        self.calls.append(("verified_card", link.chat_id, link.message_id))

    async def face_outcome(self, face: Face, chat_id: int) -> int | None:
        self.calls.append(("face_outcome", chat_id, face.status))
        return self._sent(chat_id)

    async def link_expired(
        self, face: Face, link: VerificationLink, invite_token: str | None
    ) -> None:
        self.calls.append(("link_expired", link.message_id, invite_token))

    async def batch_progress(
        self, chat_id: int, message_id: int | None, face: Face, assets: Sequence[Asset]
    ) -> int | None:
        self.calls.append(("batch_progress", chat_id, message_id, len(assets)))
        return self._sent(chat_id) if message_id is None else message_id


@dataclass
class Repos:
    faces: FaceRepo
    links: LinkRepo
    invites: InviteRepo
    assets: AssetRepo
    chats: ChatRepo


@pytest.fixture
async def repos(tmp_path: Path) -> AsyncIterator[Repos]:
    async with Database(tmp_path / "db.sqlite3") as db:
        yield Repos(FaceRepo(db), LinkRepo(db), InviteRepo(db), AssetRepo(db), ChatRepo(db))


def notifications(repos: Repos, port: FakeFaceMessages) -> FaceNotifications:
    return FaceNotifications(
        port,
        faces=repos.faces,
        links=repos.links,
        invites=repos.invites,
        assets=repos.assets,
        chats=repos.chats,
    )


async def face(repos: Repos, owner: Owner, chat_id: int, status: FaceStatus) -> Face:
    made = await repos.faces.create(
        owner=owner,
        created_by=ALICE,
        chat_id=chat_id,
        name="Anna",
        provider="token360",
        provider_group_id="g1",
        provider_session_id=None,
        now=NOW,
    )
    if status is not FaceStatus.PENDING:
        assert await repos.faces.transition(made.id, status, NOW + 1, expect=FaceStatus.PENDING)
    got = await repos.faces.get(made.id)
    assert got is not None
    return got


async def test_an_active_face_updates_its_cards_and_tells_creator_and_verifier(
    repos: Repos,
) -> None:
    port = FakeFaceMessages()
    anna = await face(repos, Owner(OwnerKind.USER, ALICE), ALICE, FaceStatus.PENDING)
    shown = await repos.links.issue(anna.id, "https://v/1", BOB, NOW, NOW + 120)
    await repos.links.attach_message(shown.id, BOB, 7)
    await repos.links.issue(anna.id, "https://v/2", ALICE, NOW, NOW + 120)  # never shown
    await repos.faces.set_verifier(anna.id, BOB)
    assert await repos.faces.transition(anna.id, FaceStatus.ACTIVE, NOW + 1, expect=anna.status)
    active = await repos.faces.get(anna.id)
    assert active is not None

    await notifications(repos, port).face_outcome(active)

    assert port.calls == [
        ("verified_card", BOB, 7),
        ("face_outcome", ALICE, FaceStatus.ACTIVE),
        ("face_outcome", BOB, FaceStatus.ACTIVE),
    ]
    assert await repos.chats.upload_prompt_face(ALICE, port.next_id - 1) is None


async def test_a_group_face_news_becomes_the_upload_prompt(repos: Repos) -> None:
    port = FakeFaceMessages()
    anna = await face(repos, Owner(OwnerKind.CHAT, GROUP), GROUP, FaceStatus.ACTIVE)
    await notifications(repos, port).face_outcome(anna)
    assert port.calls == [("face_outcome", GROUP, FaceStatus.ACTIVE)]
    assert await repos.chats.upload_prompt_face(GROUP, port.next_id) == anna.id


async def test_news_the_group_did_not_take_records_no_prompt(repos: Repos) -> None:
    port = FakeFaceMessages(refuse_chats={GROUP})
    anna = await face(repos, Owner(OwnerKind.CHAT, GROUP), GROUP, FaceStatus.ACTIVE)
    await notifications(repos, port).face_outcome(anna)
    assert await repos.chats.upload_prompt_face(GROUP, port.next_id + 1) is None


@pytest.mark.parametrize("status", [FaceStatus.EXPIRED, FaceStatus.INTERRUPTED])
async def test_a_check_that_did_not_happen_is_told_to_the_creator_only(
    repos: Repos, status: FaceStatus
) -> None:
    port = FakeFaceMessages()
    anna = await face(repos, Owner(OwnerKind.USER, ALICE), ALICE, FaceStatus.PENDING)
    await repos.faces.set_verifier(anna.id, BOB)
    assert await repos.faces.transition(anna.id, status, NOW + 1, expect=anna.status)
    ended = await repos.faces.get(anna.id)
    assert ended is not None
    await notifications(repos, port).face_outcome(ended)
    assert port.calls == [("face_outcome", ALICE, status)]


async def test_a_pending_face_tells_nobody(repos: Repos) -> None:
    port = FakeFaceMessages()
    anna = await face(repos, Owner(OwnerKind.USER, ALICE), ALICE, FaceStatus.PENDING)
    await notifications(repos, port).face_outcome(anna)
    assert port.calls == []


async def test_an_expired_link_shown_to_the_invitee_offers_a_new_one_through_the_invite(
    repos: Repos,
) -> None:
    port = FakeFaceMessages()
    anna = await face(repos, Owner(OwnerKind.USER, ALICE), ALICE, FaceStatus.PENDING)
    await repos.invites.create("inv-1", anna.id, ALICE, NOW, NOW + 3600)
    assert await repos.invites.claim("inv-1", BOB, NOW)
    for issued_to, message_id in ((BOB, 8), (ALICE, 9)):
        link = await repos.links.issue(anna.id, f"https://v/{message_id}", issued_to, NOW, NOW)
        await repos.links.attach_message(link.id, issued_to, message_id)
        shown = await repos.links.get(link.id)
        assert shown is not None
        await notifications(repos, port).link_expired(anna, shown)
    unshown = await repos.links.issue(anna.id, "https://v/x", ALICE, NOW, NOW)
    await notifications(repos, port).link_expired(anna, unshown)
    assert port.calls == [("link_expired", 8, "inv-1"), ("link_expired", 9, None)]


async def test_a_batch_gets_one_progress_message_then_edits(repos: Repos) -> None:
    port = FakeFaceMessages()
    anna = await face(repos, Owner(OwnerKind.USER, ALICE), ALICE, FaceStatus.ACTIVE)
    batch_id = 0
    for n in range(2):
        batch, _, _ = await repos.assets.add_to_batch(
            chat_id=ALICE,
            user_id=ALICE,
            face_id=anna.id,
            media_group_id="album",
            file=IncomingFile(f"f{n}", f"u{n}", None, None, None, None, None),
            name_prefix="realface",
            now=NOW,
        )
        batch_id = batch.id
    notifier = notifications(repos, port)
    await notifier.batch_changed(batch_id)
    sent = port.next_id
    await notifier.batch_changed(batch_id)
    assert port.calls == [
        ("batch_progress", ALICE, None, 2),
        ("batch_progress", ALICE, sent, 2),
    ]
    stored = await repos.assets.get_batch(batch_id)
    assert stored is not None and stored.message_id == sent


@dataclass
class FakeVideoMessages:
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    async def job_progress(self, job: VideoJob, face_name: str, *, force: bool = False) -> None:
        self.calls.append(("progress", face_name, force))

    async def job_outcome(self, job: VideoJob, face_name: str) -> None:
        self.calls.append(("outcome", face_name))

    async def working(self, job: VideoJob) -> None:
        self.calls.append(("working",))

    async def send_video(self, job: VideoJob, face_name: str, path: Path, size: int) -> str:
        self.calls.append(("video", face_name, path.name, size))
        return "file-id"


@dataclass
class Job:
    """What VideoNotifications reads of a job: the faces it shows."""

    face_id: int | None
    face_ids: tuple[int, ...] = ()


async def test_video_messages_show_the_face_name_or_a_placeholder(repos: Repos) -> None:
    port = FakeVideoMessages()
    anna = await face(repos, Owner(OwnerKind.USER, ALICE), ALICE, FaceStatus.ACTIVE)
    videos = VideoNotifications(port, faces=repos.faces)
    job: Any = Job(anna.id)
    no_face: Any = Job(None)
    deleted: Any = Job(anna.id + 1)
    await videos.job_progress(job, force=True)
    await videos.job_outcome(no_face)
    await videos.working(job)
    assert await videos.send_video(job, Path("v.mp4"), 3) == "file-id"
    await videos.job_outcome(deleted)
    assert port.calls == [
        ("progress", "Anna", True),
        ("outcome", UNKNOWN_FACE),
        ("working",),
        ("video", "Anna", "v.mp4", 3),
        ("outcome", UNKNOWN_FACE),
    ]
