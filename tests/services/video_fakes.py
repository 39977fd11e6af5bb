"""What the video service tests share beyond conftest: a video notifier that remembers, and
faces with Active photos stored as the bot would have stored them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.services.actors import Actor
from bot.services.videos import VideoService
from storage.assets import AssetRepo, IncomingFile
from storage.database import Database
from storage.faces import FaceRepo
from storage.models import Asset, AssetState, Face, FaceStatus, JobStatus, Owner, VideoJob
from storage.videos import VideoRepo

_files = itertools.count(1)


@dataclass
class FakeVideoNotifier:
    """bot.services.notify.VideoNotifier that remembers each job it was told about."""

    progress: list[VideoJob] = field(default_factory=list)
    outcomes: list[VideoJob] = field(default_factory=list)

    async def job_progress(self, job: VideoJob, *, force: bool = False) -> None:
        self.progress.append(job)

    async def job_outcome(self, job: VideoJob) -> None:
        self.outcomes.append(job)

    async def working(self, job: VideoJob) -> None:
        return None

    async def send_video(self, job: VideoJob, path: Path, size: int) -> str:
        return f"file-{job.id}"


async def usable_face(
    db: Database,
    owner: Owner,
    *,
    name: str = "Anna",
    photos: int = 1,
    provider: str = "fake",
    created_by: int | None = None,
) -> tuple[Face, list[Asset]]:
    """A verified face of ``owner`` with ``photos`` Active photos."""
    faces, assets = FaceRepo(db), AssetRepo(db)
    by = created_by if created_by is not None else abs(owner.id)
    face = await faces.create(
        owner=owner,
        created_by=by,
        chat_id=owner.id,
        name=name,
        provider=provider,
        provider_group_id=f"g-{name}",
        provider_session_id=None,
        now=1.0,
    )
    await faces.transition(face.id, FaceStatus.ACTIVE, 2.0)
    active = []
    for _ in range(photos):
        n = next(_files)
        _, asset, _ = await assets.add_to_batch(
            chat_id=owner.id,
            user_id=by,
            face_id=face.id,
            media_group_id=None,
            file=IncomingFile(f"f{n}", f"u{n}", None, None, None, None, None),
            name_prefix="rf",
            now=3.0,
        )
        await assets.transition(asset.id, AssetState.ACTIVE, 4.0, provider_asset_id=f"ta_{n}")
        stored = await assets.get(asset.id)
        assert stored is not None
        active.append(stored)
    stored_face = await faces.get(face.id)
    assert stored_face is not None
    return stored_face, active


async def delivered(db: Database, job_id: int, now: float, file_id: str = "file-1") -> None:
    """The job, as the job runner leaves a delivered one."""
    moved = await VideoRepo(db).transition(
        job_id,
        JobStatus.DELIVERED,
        now,
        expect=list(JobStatus),
        tg_file_id=file_id,
        finished_at=now,
    )
    assert moved


def confirm_after_first_read(
    monkeypatch: pytest.MonkeyPatch, videos: VideoService, confirmer: Actor
) -> None:
    """The race of two taps: the first read of a draft through ``rules.draft`` returns it
    as read, but ``confirmer``'s Generate submits it before the reader goes on."""
    rules = videos.rules
    read = rules.draft
    raced = False

    async def draft_then_confirmed(job_id: int, actor: Actor) -> VideoJob:
        nonlocal raced
        job = await read(job_id, actor)
        if not raced:
            raced = True
            await videos.confirm(confirmer, job_id)
        return job

    monkeypatch.setattr(rules, "draft", draft_then_confirmed)
