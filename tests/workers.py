"""Work waiting for several workers (issue 14): people with a verified face, an album of
photos processing at Token360 and videos in the making there, written as the bot's own
flows leave them (through the repositories; the simulator's records directly), so the
workers start with hundreds of items due. Shared by tests/e2e/test_workers.py and
benchmarks/workers.py."""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass, field
from itertools import count

import httpx

from bot.config import ProviderKey, Settings
from sandbox.outcomes import AssetOutcome, VideoOutcome
from sandbox.token360 import Token360Simulator
from sandbox.token360.state import GROUP_ACTIVE, Asset, AssetGroup, VideoJob
from storage.assets import AssetRepo, IncomingFile
from storage.database import Database
from storage.faces import FaceRepo
from storage.models import AssetState, FaceStatus, JobStatus, Owner, OwnerKind, VideoSettings
from storage.users import UserRepo
from storage.videos import VideoRepo
from tests.fakes.telegram_api import FakeTelegram

ACCOUNT = "sim-key"


@dataclass
class Seeded:
    people: list[int] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    photos: list[int] = field(default_factory=list)  # asset rows
    videos: list[int] = field(default_factory=list)  # job rows
    video_tasks: list[str] = field(default_factory=list)
    face_of: dict[int, str] = field(default_factory=dict)  # person -> face name


async def seed(
    database: str,
    sim: Token360Simulator,
    people: list[int],
    now: float,
    *,
    photos_each: int,
    videos_each: int,
    spread: float,
) -> Seeded:
    """Per person: a verified face, an album of ``photos_each`` photos processing and
    ``videos_each`` videos queued, each ready at the provider at a moment spread over
    ``spread`` seconds from ``now`` (in order, so the work trickles in)."""
    seeded = Seeded(people=list(people))
    records = count(1)
    items = len(people) * (photos_each + videos_each)
    step = spread / max(1, items)
    moment = (now + i * step for i in count())
    async with Database(database) as db:
        users, faces, assets, videos = UserRepo(db), FaceRepo(db), AssetRepo(db), VideoRepo(db)
        for n, person in enumerate(people):
            await users.remember(person, f"Person {n}", None, "en", now)
            group = AssetGroup(
                group_id="ag_" + secrets.token_hex(12),
                account=ACCOUNT,
                name=f"Face {n}",
                kind="REAL_FACE",
                status=GROUP_ACTIVE,
                created_at=now,
                updated_at=now,
                seq=n + 1,
                passed_at=now,
            )
            sim.store.groups[group.group_id] = group
            face = await faces.create(
                owner=Owner(OwnerKind.USER, person),
                created_by=person,
                chat_id=person,
                name=f"Face {n}",
                provider="token360",
                provider_group_id=group.group_id,
                provider_session_id=None,
                now=now,
                status=FaceStatus.ACTIVE,
            )
            seeded.face_of[person] = face.name
            await users.set_current_face(person, face.id, now)
            for p in range(photos_each):
                batch, row, _ = await assets.add_to_batch(
                    chat_id=person,
                    user_id=person,
                    face_id=face.id,
                    media_group_id=f"album-{n}",
                    file=IncomingFile(f"f{n}-{p}", f"u{n}-{p}", None, None, None, None, None),
                    name_prefix=f"realface-{face.id}",
                    now=now,
                )
                # Ready when the simulator's processing time has passed since created_at.
                asset = Asset(
                    record_id=next(records),
                    asset_id="ta_" + secrets.token_hex(16),
                    account=ACCOUNT,
                    group_id=group.group_id,
                    name=row.name,
                    mime_type="image/jpeg",
                    size_bytes=48_000,
                    width=400,
                    height=500,
                    created_at=next(moment),
                    updated_at=now,
                    outcome=AssetOutcome(),
                )
                sim.store.assets[asset.asset_id] = asset
                await assets.transition(
                    row.id,
                    AssetState.PROCESSING,
                    now,
                    provider_asset_id=asset.asset_id,
                    next_poll_at=now,
                )
                seeded.photos.append(row.id)
                if batch.id not in seeded.batches:
                    seeded.batches.append(batch.id)
            for v in range(videos_each):
                task = VideoJob(
                    model="seedance-2.0",
                    prompt=f"Face {n} waves, take {v}",
                    duration=5,
                    resolution="720p",
                    ratio="16:9",
                    generate_audio=False,
                    video_id="video_" + secrets.token_hex(12),
                    account=ACCOUNT,
                    asset_ids=[],
                    width=1280,
                    height=720,
                    created_at=next(moment),
                    outcome=VideoOutcome(),
                )
                sim.store.videos[task.video_id] = task
                draft = await videos.create_draft(
                    user_id=person,
                    chat_id=person,
                    prompt=task.prompt,
                    settings=VideoSettings(ratio="16:9"),
                    now=now,
                    face_id=face.id,
                    face_ids=[face.id],
                    provider="token360",
                )
                await videos.transition(
                    draft.id,
                    JobStatus.QUEUED,
                    now,
                    expect=[JobStatus.DRAFT],
                    provider_task_id=task.video_id,
                    submitted_at=now,
                    next_poll_at=now,
                )
                seeded.videos.append(draft.id)
                seeded.video_tasks.append(task.video_id)
    return seeded


def worker_settings(
    base: Settings,
    tg: FakeTelegram,
    sim: Token360Simulator,
    database: str,
    n: int,
    *,
    lease_seconds: float,
    port: int = 0,
) -> Settings:
    """Worker ``n``'s settings: webhook mode (several workers need it), its own port and
    files, the shared database."""
    from dataclasses import replace

    return replace(
        base,
        database=database,
        data_dir=base.files / f"worker-{n}",
        providers={"token360": ProviderKey(ACCOUNT, sim.base_url)},
        webhook_url="https://workers.example/telegram",
        webhook_secret=SECRET,
        http_port=port,
        lease_seconds=lease_seconds,
    )


SECRET = "same-secret-for-all-workers"


def free_port() -> int:
    """A loopback port nobody listened on a moment ago (a worker's, known before it starts,
    so a test can post updates to it as the load balancer would)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def post_update(port: int, update_id: int, message: dict[str, object]) -> int:
    """Telegram's webhook call for one message update, sent to the worker on ``port``."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        answer = await http.post(
            "/telegram",
            json={"update_id": update_id, "message": message},
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
    return answer.status_code
