"""What the service tests share: a real Database on a temp file (ours, and fast), a clock
the test moves, a fake provider that implements the Provider protocol in memory, a notifier
that remembers, and the actors a use case meets (private owner, group admin, group member,
anonymous admin, inline)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.providers.base import (
    AssetInfo,
    AssetRef,
    Capabilities,
    GroupInfo,
    GroupState,
    ImageUpload,
    PendingVerification,
    PhotoDeletion,
    ProviderName,
    RemoteAssetState,
    VerificationSession,
    VideoRequest,
    VideoState,
    VideoStatus,
)
from bot.providers.registry import Providers
from bot.services.actors import Actor
from bot.services.faces import FaceService
from bot.services.groups import GroupService
from bot.services.pending import PendingInputs
from bot.services.uploads import UploadService
from storage.assets import AssetRepo
from storage.chats import ChatRepo
from storage.database import Database
from storage.faces import FaceRepo
from storage.links import InviteRepo, LinkRepo
from storage.models import Face, VerificationLink
from storage.pending import PendingRepo
from storage.users import UserRepo
from storage.videos import VideoRepo
from tests.clock import FakeClock

NOW = 1_800_000_000.0
ALICE, BOB, MAX = 11, 22, 33  # Alice owns things; Bob is someone else; Max is a member
GROUP, OTHER_GROUP = -100, -200
# The id Telegram sends an anonymous group admin's messages under (GroupAnonymousBot); the
# services go by Actor.anonymous, never by this id.
ANONYMOUS_ADMIN_ID = 1087968824


class Actors:
    """Who acts, where: each the way bot/telegram/actor.py would work them out."""

    alice = Actor.private(ALICE)
    bob = Actor.private(BOB)
    admin = Actor.group(ALICE, GROUP, is_admin=True)
    member = Actor.group(MAX, GROUP, is_admin=False)
    anonymous_admin = Actor.group(ANONYMOUS_ADMIN_ID, GROUP, is_admin=True, anonymous=True)
    other_admin = Actor.group(BOB, OTHER_GROUP, is_admin=True)
    inline = Actor.inline(ALICE)


@pytest.fixture
def actors() -> Actors:
    return Actors()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def db(database: str) -> AsyncIterator[Database]:
    async with Database(database) as opened:
        yield opened


@dataclass
class FakeProvider:
    """The Provider protocol in memory. ``calls`` names each call in order; ``fail`` (an
    exception) is raised by the next provider call that is not a lookup, once."""

    name: ProviderName = field(default_factory=lambda: ProviderName("fake"))
    capabilities: Capabilities = field(
        default_factory=lambda: Capabilities(
            display_name="Fake", renames_groups=True, photo_deletion=PhotoDeletion.GROUP
        )
    )
    calls: list[str] = field(default_factory=list)
    requests: list[VideoRequest] = field(default_factory=list)  # videos submitted
    fail: Exception | None = None
    passed: set[str] = field(default_factory=set)  # groups whose person passed the check
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def _call(self, what: str) -> None:
        self.calls.append(what)
        if self.fail is not None:
            exc, self.fail = self.fail, None
            raise exc

    def count(self, what: str) -> int:
        return self.calls.count(what)

    async def start_verification(
        self, face_name: str, *, return_url: str | None = None, locale: str | None = None
    ) -> VerificationSession:
        self._call("start_verification")
        n = next(self._ids)
        return VerificationSession(f"https://h5.test/{n}", f"g{n}", f"s{n}", expires_in=120)

    async def refresh_verification(
        self, group_id: str | None, session_id: str | None
    ) -> VerificationSession | None:
        self._call("refresh_verification")
        n = next(self._ids)
        return VerificationSession(f"https://h5.test/{n}", group_id, session_id, expires_in=120)

    async def get_group(self, group_id: str) -> GroupInfo:
        state = GroupState.ACTIVE if group_id in self.passed else GroupState.PENDING
        return GroupInfo(group_id, state)

    async def find_group_named(self, text: str) -> GroupInfo | None:
        return None

    async def check_verifications(
        self, pending: Sequence[PendingVerification], known_groups: set[str]
    ) -> dict[int, GroupInfo]:
        return {
            p.key: GroupInfo(p.group_id, GroupState.ACTIVE)
            for p in pending
            if p.group_id is not None and p.group_id in self.passed
        }

    async def upload_asset(self, group_id: str | None, image: ImageUpload, name: str) -> AssetInfo:
        self._call("upload_asset")
        return AssetInfo(f"ta_{next(self._ids)}", RemoteAssetState.ACTIVE, group_id, name)

    async def get_asset(self, ref: AssetRef) -> AssetInfo:
        return AssetInfo(ref.asset_id, RemoteAssetState.ACTIVE, ref.group_id)

    async def list_assets(self, group_id: str) -> list[AssetInfo]:
        return []

    async def rename_group(self, group_id: str, name: str) -> bool:
        self._call("rename_group")
        return True

    async def delete_group(self, group_id: str) -> bool:
        self._call("delete_group")
        return True

    async def delete_asset(self, ref: AssetRef) -> bool:
        self._call("delete_asset")
        return True

    async def submit_video(self, request: VideoRequest) -> VideoStatus:
        self._call("submit_video")
        self.requests.append(request)
        return VideoStatus(f"task{next(self._ids)}", VideoState.QUEUED)

    async def get_video(self, task_id: str) -> VideoStatus:
        return VideoStatus(task_id, VideoState.RUNNING)

    async def aclose(self) -> None:
        return None


@pytest.fixture
def fake_provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def providers(fake_provider: FakeProvider) -> Providers:
    return Providers([fake_provider])


@dataclass
class FakeNotifier:
    """bot.services.notify.Notifier that remembers what it was asked to tell."""

    outcomes: list[Face] = field(default_factory=list)
    expired: list[VerificationLink] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    photos_gone: list[tuple[int, int]] = field(default_factory=list)  # (face id, chat id)

    async def face_outcome(self, face: Face) -> None:
        self.outcomes.append(face)

    async def link_expired(self, face: Face, link: VerificationLink) -> None:
        self.expired.append(link)

    async def batch_changed(self, batch_id: int) -> None:
        self.batches.append(batch_id)

    async def photos_deleted(self, face: Face, chat_id: int, provider_name: str) -> None:
        self.photos_gone.append((face.id, chat_id))


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def pending(db: Database, clock: FakeClock) -> PendingInputs:
    return PendingInputs(PendingRepo(db), clock)


@pytest.fixture
def face_service(
    db: Database,
    clock: FakeClock,
    providers: Providers,
    notifier: FakeNotifier,
    pending: PendingInputs,
) -> FaceService:
    """FaceService on real repositories, the fake provider and notifier."""
    return face_service_on(db, clock, providers, notifier, pending)


def face_service_on(
    db: Database,
    clock: FakeClock,
    providers: Providers,
    notifier: FakeNotifier,
    pending: PendingInputs,
    **extra: Any,
) -> FaceService:
    """The face_service fixture's FaceService, with ``extra`` arguments (a worker's)."""
    return FaceService(
        faces=FaceRepo(db),
        links=LinkRepo(db),
        invites=InviteRepo(db),
        assets=AssetRepo(db),
        users=UserRepo(db),
        chats=ChatRepo(db),
        pending=pending,
        providers=providers,
        notifier=notifier,
        clock=clock,
        link_ttl=120,
        invite_ttl=86_400,
        **extra,
    )


@pytest.fixture
def group_service(db: Database, clock: FakeClock, providers: Providers) -> GroupService:
    return GroupService(
        chats=ChatRepo(db),
        videos=VideoRepo(db),
        providers=providers,
        clock=clock,
        faces=FaceRepo(db),
    )


@pytest.fixture
def upload_service(
    db: Database,
    clock: FakeClock,
    providers: Providers,
    notifier: FakeNotifier,
    face_service: FaceService,
) -> UploadService:
    return UploadService(
        assets=AssetRepo(db),
        faces=face_service,
        providers=providers,
        notifier=notifier,
        clock=clock,
        poll_seconds=0.05,
    )


# Video use cases (HB): VideoService on real repositories, the fake provider and a notifier
# that remembers; limits small enough to reach in a test.


@pytest.fixture
def video_notifier() -> Any:
    from tests.services.video_fakes import FakeVideoNotifier

    return FakeVideoNotifier()


@pytest.fixture
def video_service(
    db: Database,
    clock: FakeClock,
    providers: Providers,
    face_service: FaceService,
    group_service: GroupService,
    pending: PendingInputs,
    video_notifier: Any,
    tmp_path: Path,
) -> Any:
    from bot.services.video_polling import VideoSchedule
    from bot.services.videos import Limits, VideoService
    from storage.chats import InlineOfferRepo

    return VideoService(
        videos=VideoRepo(db),
        faces=face_service,
        assets=AssetRepo(db),
        providers=providers,
        notifier=video_notifier,
        clock=clock,
        limits=Limits(running_per_user=2, daily_per_user=3),
        schedule=VideoSchedule(poll_seconds=0.0, max_poll_seconds=0.0),
        groups=group_service,
        pending=pending,
        inline_offers=InlineOfferRepo(db),
        workdir=tmp_path,
    )
