"""How the tracker polls processing photos (issue 10, freshness at a bounded cost): every
face's photos are looked at each ``poll_seconds`` however long they wait (no growing
backoff), one list request per face where the provider lists a group, fewer rounds per face
when more faces wait than ``requests_per_minute`` allows, and a photo that turns Active is
told at the next round. Time is the test's clock; the rounds are driven by hand with the
pause ``Tracker.run`` would take."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import pytest

from bot.providers.base import AssetInfo, AssetRef, Capabilities, RemoteAssetState
from bot.services.faces import FaceService
from bot.services.foreground import Foreground
from bot.services.tracking import Schedule, Tracker
from bot.services.uploads import UploadService
from storage.assets import AssetRepo, IncomingFile
from storage.database import Database
from storage.faces import FaceRepo
from storage.links import LinkRepo
from storage.models import Asset, AssetState, FaceStatus, Owner, OwnerKind
from tests.clock import FakeClock
from tests.services.conftest import ALICE, FakeNotifier, FakeProvider

POLL = 3.0


@dataclass
class PhotoProvider(FakeProvider):
    """Photos stay Processing until the test says otherwise; lookups are counted too."""

    remote: dict[str, RemoteAssetState] = field(default_factory=dict)
    listed: Counter[str] = field(default_factory=Counter)  # group id -> list requests
    looked: Counter[str] = field(default_factory=Counter)  # asset id -> get requests

    async def list_assets(self, group_id: str) -> list[AssetInfo]:
        self.calls.append("list_assets")
        self.listed[group_id] += 1
        return [
            AssetInfo(asset_id, state, group_id)
            for asset_id, state in self.remote.items()
            if asset_id.startswith(f"{group_id}/")
        ]

    async def get_asset(self, ref: AssetRef) -> AssetInfo:
        self.calls.append("get_asset")
        assert ref.asset_id is not None
        self.looked[ref.asset_id] += 1
        return AssetInfo(ref.asset_id, self.remote[ref.asset_id], ref.group_id)


@pytest.fixture
def fake_provider() -> PhotoProvider:
    return PhotoProvider()


def make_tracker(
    db: Database,
    clock: FakeClock,
    face_service: FaceService,
    upload_service: UploadService,
    notifier: FakeNotifier,
    **schedule: float,
) -> Tracker:
    return Tracker(
        faces=face_service,
        uploads=upload_service,
        face_repo=FaceRepo(db),
        links=LinkRepo(db),
        assets=AssetRepo(db),
        providers=face_service.providers,
        notifier=notifier,
        clock=clock,
        schedule=Schedule(
            poll_seconds=POLL,
            max_poll_seconds=60.0,
            verification_grace_seconds=60.0,
            asset_timeout_seconds=10**6,
            **schedule,  # type: ignore[arg-type]
        ),
    )


async def processing_photos(
    db: Database, clock: FakeClock, provider: PhotoProvider, faces: int, photos: int
) -> list[Asset]:
    """``faces`` active faces of ``photos`` photos each, all Processing at the provider."""
    face_repo, assets = FaceRepo(db), AssetRepo(db)
    made: list[Asset] = []
    for f in range(faces):
        group = f"g{f}"
        face = await face_repo.create(
            owner=Owner(OwnerKind.USER, ALICE),
            created_by=ALICE,
            chat_id=ALICE,
            name=f"face {f}",
            provider="fake",
            provider_group_id=group,
            provider_session_id=None,
            now=clock(),
            status=FaceStatus.ACTIVE,
        )
        for p in range(photos):
            _, row, _ = await assets.add_to_batch(
                chat_id=ALICE,
                user_id=ALICE,
                face_id=face.id,
                media_group_id=f"album-{f}",
                file=IncomingFile(f"f{f}-{p}", f"u{f}-{p}", None, None, None, None, None),
                name_prefix=f"realface-{face.id}",
                now=clock(),
            )
            asset_id = f"{group}/{p}"
            provider.remote[asset_id] = RemoteAssetState.PROCESSING
            await assets.transition(
                row.id,
                AssetState.PROCESSING,
                clock(),
                provider_asset_id=asset_id,
                next_poll_at=clock() + POLL,
            )
            made.append(await assets.get(row.id))  # type: ignore[arg-type]
    return made


async def rounds(
    tracker: Tracker,
    clock: FakeClock,
    seconds: float,
    provider: PhotoProvider | None = None,
    call: str = "list_assets",
) -> list[float]:
    """Run the tracker for ``seconds`` of the test's clock, pausing as ``Tracker.run`` does;
    when each of ``provider``'s ``call`` requests went out (the round's time)."""
    sent: list[float] = []
    end = clock() + seconds
    while clock() < end:
        before = provider.count(call) if provider else 0
        await tracker.tick()
        if provider:
            sent += [clock()] * (provider.count(call) - before)
        clock.advance(await tracker.pause_seconds())
    return sent


def per_minute(sent: list[float], start: float) -> Counter[int]:
    return Counter(int((t - start) // 60) for t in sent)


async def test_a_face_with_processing_photos_is_listed_every_round_however_long_it_waits(
    db, clock, face_service, upload_service, notifier, fake_provider
) -> None:
    await processing_photos(db, clock, fake_provider, faces=1, photos=3)
    tracker = make_tracker(db, clock, face_service, upload_service, notifier)
    clock.advance(POLL)
    await rounds(tracker, clock, 300)

    # 300 s at one list every 3 s; a growing backoff (the old 1.5x up to 60 s) lists ~12 times.
    assert fake_provider.listed["g0"] >= 95
    assert fake_provider.count("get_asset") == 0  # the one list covers all three photos


async def test_many_faces_share_the_request_budget_and_each_is_still_polled_on_time(
    db, clock, face_service, upload_service, notifier, fake_provider
) -> None:
    await processing_photos(db, clock, fake_provider, faces=100, photos=2)
    # 100 faces, 600 requests a minute: each face once every 10 s.
    tracker = make_tracker(
        db, clock, face_service, upload_service, notifier, requests_per_minute=600
    )
    clock.advance(POLL)
    start = clock()
    sent = await rounds(tracker, clock, 180, fake_provider, "list_assets")

    assert fake_provider.count("get_asset") == 0
    assert max(per_minute(sent, start).values()) <= 600
    # Not slower than the budget needs either: every face every 10 s, 18 times in 180 s.
    assert min(fake_provider.listed[f"g{f}"] for f in range(100)) >= 17


async def test_photos_of_a_provider_that_cannot_list_are_asked_one_by_one_within_budget(
    db, clock, face_service, upload_service, notifier, fake_provider
) -> None:
    fake_provider.capabilities = Capabilities(display_name="Fake", lists_assets=False)
    await processing_photos(db, clock, fake_provider, faces=20, photos=10)
    # 200 photos, 1,000 requests a minute: each photo once every 12 s.
    tracker = make_tracker(
        db, clock, face_service, upload_service, notifier, requests_per_minute=1000
    )
    clock.advance(POLL)
    start = clock()
    sent = await rounds(tracker, clock, 120, fake_provider, "get_asset")

    assert fake_provider.count("list_assets") == 0
    assert max(per_minute(sent, start).values()) <= 1000
    assert min(fake_provider.looked.values()) >= 9  # every photo about every 12 s


async def test_a_photo_that_turns_active_after_a_long_wait_is_told_by_the_next_round(
    db, clock, face_service, upload_service, notifier, fake_provider
) -> None:
    photos = await processing_photos(db, clock, fake_provider, faces=1, photos=2)
    tracker = make_tracker(db, clock, face_service, upload_service, notifier)
    clock.advance(POLL)
    await rounds(tracker, clock, 240)
    notifier.batches.clear()

    fake_provider.remote["g0/1"] = RemoteAssetState.ACTIVE
    clock.advance(POLL)  # at most one interval after it turned Active
    await tracker.tick()

    done = await AssetRepo(db).get(photos[1].id)
    assert done is not None and done.state is AssetState.ACTIVE
    assert notifier.batches == [photos[1].batch_id]
    waiting = await AssetRepo(db).get(photos[0].id)
    assert waiting is not None and waiting.state is AssetState.PROCESSING


async def test_photos_stuck_far_longer_than_photos_take_are_polled_only_every_max_interval(
    db, clock, face_service, upload_service, notifier, fake_provider
) -> None:
    await processing_photos(db, clock, fake_provider, faces=1, photos=3)
    tracker = make_tracker(
        db, clock, face_service, upload_service, notifier, stale_after_seconds=600
    )
    clock.advance(601)
    await rounds(tracker, clock, 180)

    assert fake_provider.listed["g0"] <= 4  # every 60 s, not every 3 s


async def test_faces_all_due_at_once_are_spread_over_minutes_within_the_budget(
    db, clock, face_service, upload_service, notifier, fake_provider
) -> None:
    # After a restart every face is due together: 300 faces, 120 requests a minute.
    await processing_photos(db, clock, fake_provider, faces=300, photos=2)
    tracker = make_tracker(
        db, clock, face_service, upload_service, notifier, requests_per_minute=120
    )
    clock.advance(POLL)
    sent = await rounds(tracker, clock, 200, fake_provider, "list_assets")

    # In no minute (sliding) more than the budget, and no face left out: the ones left
    # over one round are the first asked the next.
    assert max(sum(1 for t in sent if s <= t < s + 60) for s in sent) <= 120
    assert len(sent) >= 120 * 3
    assert min(fake_provider.listed[f"g{f}"] for f in range(300)) >= 1


async def test_a_photo_round_makes_way_for_an_update_being_handled(
    db: Database,
    clock: FakeClock,
    face_service: FaceService,
    upload_service: UploadService,
    notifier: FakeNotifier,
    fake_provider: PhotoProvider,
) -> None:
    """A reply waits for nobody's poll: while a young update is handled, no request starts."""
    tracker = make_tracker(db, clock, face_service, upload_service, notifier)
    foreground = tracker.photos.foreground = Foreground(max_wait=30.0)
    await processing_photos(db, clock, fake_provider, faces=3, photos=2)
    clock.advance(POLL)
    foreground.enter()
    round_ = asyncio.create_task(tracker.photos.poll_due())
    deadline = asyncio.get_running_loop().time() + 30
    while foreground.waiting < 3:  # each face's list request is making way
        assert asyncio.get_running_loop().time() < deadline, "the round never made way"
        await asyncio.sleep(0.01)
    assert fake_provider.listed == Counter()
    foreground.leave()
    await asyncio.wait_for(round_, timeout=30)
    assert fake_provider.listed == Counter({"g0": 1, "g1": 1, "g2": 1})
