"""The poller: verifications to active, links to expiry, uploads to Active or Failed.

Cost matters (many items, one provider): each tick asks only about items whose
``next_poll_at`` has come, asks a provider's list endpoint once per group instead of
once per asset, and backs off geometrically for items that stay pending. All state is in
SQLite, so :meth:`Tracker.resume` rebuilds everything after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass

from bot.providers.base import (
    AssetInfo,
    AssetRef,
    GroupInfo,
    GroupState,
    PendingVerification,
    ProviderError,
)
from bot.providers.registry import Providers
from bot.services.clock import Clock
from bot.services.faces import FaceService
from bot.services.notify import Notifier
from bot.services.uploads import FileFetcher, UploadService
from bot.services.videos import VideoService
from storage.assets import AssetRepo
from storage.chats import InlineOfferRepo
from storage.faces import FaceRepo
from storage.links import LinkRepo
from storage.models import AssetState, Face, FaceStatus, LinkState

log = logging.getLogger(__name__)

OFFER_KEEP_SECONDS = 48 * 3600.0  # an inline result is picked within seconds; keep two days
PRUNE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class Schedule:
    poll_seconds: float
    max_poll_seconds: float
    verification_grace_seconds: float
    asset_timeout_seconds: float
    # How long an upload whose answer was lost is looked for before it counts as failed.
    upload_recheck_seconds: float = 60.0
    growth: float = 1.5

    def backoff(self, polls: int) -> float:
        return min(self.max_poll_seconds, self.poll_seconds * self.growth**polls)


class Tracker:
    def __init__(
        self,
        *,
        faces: FaceService,
        uploads: UploadService,
        face_repo: FaceRepo,
        links: LinkRepo,
        assets: AssetRepo,
        providers: Providers,
        notifier: Notifier,
        clock: Clock,
        schedule: Schedule,
        videos: VideoService | None = None,
        inline_offers: InlineOfferRepo | None = None,
    ) -> None:
        self.faces = faces
        self.uploads = uploads
        self.face_repo = face_repo
        self.links = links
        self.assets = assets
        self.providers = providers
        self.notifier = notifier
        self.clock = clock
        self.schedule = schedule
        self.videos = videos
        self.inline_offers = inline_offers
        self._pruned_at: float | None = None
        self._wake = asyncio.Event()
        self.ticks = 0

    def wake(self) -> None:
        """Tick now instead of at the next interval (e.g. a verification page came back)."""
        self._wake.set()

    async def run(self) -> None:
        """Tick forever; cancelled at shutdown."""
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("tracker tick failed")
            # Rounds done, for operators and for tests that wait for "a few more rounds
            # and still nothing new" instead of for a quiet period.
            self.ticks += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(self.schedule.poll_seconds, 0.05))
            self._wake.clear()

    async def tick(self) -> None:
        # Each step on its own: one failing (a provider down) must not stop the others.
        steps = [self.poll_faces, self.expire_links, self.poll_assets, self.sweep, self.prune]
        if self.videos is not None:
            # In its own task: 1,000 due video jobs must not hold up faces and uploads.
            steps.append(self.videos.poll_soon)
        for step in steps:
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("tracker step %s failed", step.__name__)

    async def prune(self) -> None:
        """Hourly: forget inline offers past their two days (one is kept per prompt typed)."""
        now = self.clock()
        if self.inline_offers is None or (
            self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY_SECONDS
        ):
            return
        self._pruned_at = now
        gone = await self.inline_offers.prune(now - OFFER_KEEP_SECONDS)
        if gone:
            log.info("forgot %d inline offer(s)", gone)

    async def resume(self, fetch: FileFetcher, booted_at: float) -> None:
        """After a restart: deliver outcomes not yet delivered and finish cut-off uploads.

        Rows changed since ``booted_at`` belong to this run and are left alone.
        """
        try:
            await self.faces.reconcile_interrupted(booted_at)
        except Exception:
            log.exception("reconciling interrupted face starts failed")
        await self.sweep()
        for asset in await self.assets.with_states([AssetState.RECEIVED, AssetState.UPLOADING]):
            if asset.updated_at >= booted_at:
                continue
            try:
                await self.uploads.recover(asset, fetch)
            except Exception:
                log.exception("recovering upload %d failed", asset.id)
        if self.videos is not None:
            await self.videos.resume(booted_at)

    async def sweep(self) -> None:
        """Outcomes a failed send left untold: cheap queries, so every tick retries them."""
        for face in await self.face_repo.unnotified_outcomes():
            try:
                await self.faces.deliver_outcome(face.id)
            except Exception:
                log.exception("telling face %d's outcome failed; will retry", face.id)
        for batch_id in await self.assets.unreported_batches():
            try:
                await self.uploads.report_batch(batch_id)
            except Exception:
                log.exception("updating upload batch %d failed; will retry", batch_id)
        if self.videos is not None:
            await self.videos.sweep()

    # Verifications

    async def poll_faces(self) -> None:
        now = self.clock()
        due = await self.face_repo.due_pending(now)
        by_provider: dict[str, list[Face]] = defaultdict(list)
        for face in due:
            by_provider[face.provider].append(face)
        for provider_name, faces in by_provider.items():
            try:
                provider = self.providers.get(provider_name)
            except LookupError:
                log.warning(
                    "%d face(s) wait at %s, which is not enabled", len(faces), provider_name
                )
                continue
            pending = [await self._pending(face) for face in faces]
            try:
                passed = await provider.check_verifications(
                    pending, await self.face_repo.group_ids(provider_name)
                )
            except ProviderError as exc:
                log.warning("polling verifications at %s failed: %s", provider_name, exc)
                passed = {}
            for face in faces:
                await self._face_polled(face, passed.get(face.id))

    async def _pending(self, face: Face) -> PendingVerification:
        latest = await self.links.latest(face.id)
        return PendingVerification(
            key=face.id,
            name=face.name,
            group_id=face.provider_group_id,
            session_id=face.provider_session_id,
            started_at=latest.issued_at if latest else face.created_at,
        )

    async def _face_polled(self, face: Face, info: GroupInfo | None) -> None:
        now = self.clock()
        if info is not None and info.state is GroupState.ACTIVE:
            await self.faces.activate(face, info.group_id)
            return
        latest = await self.links.latest(face.id)
        ended = latest is None or (
            latest.expires_at + self.schedule.verification_grace_seconds <= now
        )
        failed = info is not None and info.state is GroupState.FAILED
        if ended or failed:
            moved = await self.face_repo.transition(
                face.id,
                FaceStatus.EXPIRED,
                now,
                expect=FaceStatus.PENDING,
                detail="group failed" if failed else "no verification before the link expired",
            )
            if moved:
                await self.links.close_face(face.id)
                await self.faces.deliver_outcome(face.id)
            return
        # The person may be verifying right now: keep a steady pace while a link is out.
        await self.face_repo.schedule_poll(face.id, now + self.schedule.poll_seconds, polled=True)

    async def expire_links(self) -> None:
        now = self.clock()
        for link in await self.links.live_expired(now):
            if not await self.links.set_state(link.id, LinkState.EXPIRED, expect=LinkState.LIVE):
                continue
            face = await self.face_repo.get(link.face_id)
            if face is not None and face.status is not FaceStatus.ACTIVE:
                await self.notifier.link_expired(face, link)

    # Uploads

    async def poll_assets(self) -> None:
        now = self.clock()
        for asset in await self.assets.due_upload_rechecks(now):
            try:
                changed = await self.uploads.recheck(asset, self.schedule.upload_recheck_seconds)
            except ProviderError as exc:
                log.warning("recheck of asset %d failed: %s", asset.id, exc)
                continue
            if changed:
                await self.uploads.report_batch(asset.batch_id)
        due = await self.assets.due_processing(now)
        for face_id in sorted({a.face_id for a in due}):
            face = await self.face_repo.get(face_id)
            if face is None:
                continue
            await self._poll_face_assets(face)

    async def _poll_face_assets(self, face: Face) -> None:
        try:
            provider = self.providers.get(face.provider)
        except LookupError:
            log.warning(
                "face %d's photos wait at %s, which is not enabled", face.id, face.provider
            )
            return
        # Every processing asset of the face is refreshed by the one list request.
        processing = [
            a for a in await self.assets.for_face(face.id) if a.state is AssetState.PROCESSING
        ]
        if not processing:
            return
        infos: dict[str, AssetInfo] = {}
        if provider.capabilities.lists_assets and len(processing) > 1 and face.provider_group_id:
            try:
                listed = await provider.list_assets(face.provider_group_id)
                infos = {a.asset_id: a for a in listed if a.asset_id}
            except ProviderError as exc:
                log.warning("listing assets of face %d failed: %s", face.id, exc)
        now = self.clock()
        later: list[tuple[int, float]] = []
        batches: set[int] = set()
        for asset in processing:
            info = infos.get(asset.provider_asset_id or "")
            if info is None:
                ref = AssetRef(
                    asset.provider_asset_id, asset.provider_record_id, face.provider_group_id
                )
                try:
                    info = await provider.get_asset(ref)
                except ProviderError as exc:
                    log.warning("asset %s: %s", asset.provider_asset_id, exc)
            if info is not None and await self.uploads.apply(
                asset, info, expect=AssetState.PROCESSING
            ):
                batches.add(asset.batch_id)
            elif now - asset.created_at > self.schedule.asset_timeout_seconds:
                if await self.assets.transition(
                    asset.id,
                    AssetState.FAILED,
                    now,
                    expect=[AssetState.PROCESSING],
                    error_code="timeout",
                ):
                    batches.add(asset.batch_id)
            else:
                later.append((asset.id, now + self.schedule.backoff(asset.poll_count + 1)))
        await self.assets.schedule_polls(later)
        for batch_id in sorted(batches):
            await self.uploads.report_batch(batch_id)
