"""The poller: verifications to active, links to expiry, uploads to Active or Failed.

Cost matters (many items, one provider): each tick asks only about items whose
``next_poll_at`` has come, and asks a provider's list endpoint once per group instead of
once per asset. Processing photos are polled per face within a request budget per provider
(:mod:`bot.services.photo_polls`), and the tracker wakes when the next face is due. All
state is in SQLite, so :meth:`Tracker.resume` rebuilds everything after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass

from bot.providers.base import (
    GroupInfo,
    GroupState,
    PendingVerification,
    ProviderError,
)
from bot.providers.registry import Providers
from bot.services.clock import Clock
from bot.services.faces import FaceService
from bot.services.foreground import Foreground
from bot.services.leases import Claims, Unshared, work_on_due
from bot.services.notify import Notifier
from bot.services.photo_polls import PhotoPolls
from bot.services.uploads import FileFetcher, UploadService
from bot.services.videos import VideoService
from storage.assets import AssetRepo
from storage.chats import InlineOfferRepo
from storage.faces import FaceRepo
from storage.leases import LeaseKind
from storage.links import LinkRepo
from storage.models import Asset, AssetState, Face, FaceStatus, LinkState

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
    # Status requests per minute one provider gets for processing photos, at most.
    requests_per_minute: int = 1200
    # A photo still processing after this long is looked at only every max_poll_seconds:
    # photos turn Active in about 10 s (PROVIDERS.md), so by now it is likely stuck.
    stale_after_seconds: float = 600.0
    # Status requests in flight to one provider at once during a round.
    concurrency: int = 8

    def photo_interval(self, units: int) -> float:
        """Seconds between two polls of one face's photos while ``units`` are processing at
        its provider (faces where it lists a group at once, photos where it cannot): the
        base interval, stretched so that together they stay within requests_per_minute."""
        return max(self.poll_seconds, units * 60.0 / max(self.requests_per_minute, 1))


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
        foreground: Foreground | None = None,
        claims: Claims | None = None,
        takeover_seconds: float | None = None,
    ) -> None:
        # Several workers share the database: a dead one's work in hand is taken over
        # once this long has passed (its leases lapsed). None: this is the only worker.
        self.takeover_seconds = takeover_seconds
        self._taken_over_at = 0.0
        self.fetch: FileFetcher | None = None  # set by resume: where photos are downloaded
        # Which due items this worker polls: those no other worker is on (bot/services/leases.py).
        self.claims: Claims = claims or Unshared()
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
        self.photos = PhotoPolls(
            uploads=uploads,
            face_repo=face_repo,
            assets=assets,
            providers=providers,
            clock=clock,
            schedule=schedule,
            foreground=foreground,
            claims=self.claims,
        )
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
            # Asked before the wait is made: a shutdown cancelling it leaves no wait unawaited.
            pause = await self.pause_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)
            self._wake.clear()

    async def pause_seconds(self) -> float:
        """How long to wait before the next round: ``poll_seconds``, or less when a face's
        photos come due sooner (but at least a quarter of it, so rounds stay few)."""
        pause = max(self.schedule.poll_seconds, 0.05)
        try:
            due = await self.assets.next_processing_poll()
        except Exception:
            log.exception("reading the next photo poll failed")
            return pause
        if due is None:
            return pause
        return max(0.05, min(pause, max(due - self.clock(), pause / 4)))

    async def tick(self) -> None:
        # Each step on its own: one failing (a provider down) must not stop the others.
        steps = [
            self.poll_faces,
            self.expire_links,
            self.poll_assets,
            self.sweep,
            self.prune,
            self.faces.cleanups.run_soon,
            self.take_over,
        ]
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

    async def resume(self, fetch: FileFetcher, before: float, *, at_start: bool = True) -> None:
        """After a crash: deliver outcomes not yet delivered, settle cut-off face starts
        and submits, and finish cut-off uploads.

        Rows changed since ``before`` are some run's work in hand and are left alone: this
        run's start (one worker), or a lease's length ago (several workers: the rows a live
        one works on are leased, so only a dead one's are taken). ``at_start``: also the
        uploads waiting for a recheck (a restart finds out where they are at once); while
        running, those are the rechecks' (:meth:`poll_assets`), not cut off.
        """
        self.fetch = fetch
        try:
            await self.faces.reconcile_interrupted(before)
        except Exception:
            log.exception("reconciling interrupted face starts failed")
        await self.sweep()
        cut_off = [
            asset
            for asset in await self.assets.with_states([AssetState.RECEIVED, AssetState.UPLOADING])
            if asset.updated_at < before
            and (at_start or asset.state is AssetState.RECEIVED or asset.next_poll_at is None)
        ]
        mine = await self.claims.claim(LeaseKind.UPLOAD, [asset.id for asset in cut_off])
        try:
            for asset in cut_off:
                if asset.id not in mine:
                    continue  # a live worker is uploading it
                try:
                    await self.uploads.recover(asset, fetch)
                except Exception:
                    log.exception("recovering upload %d failed", asset.id)
        finally:
            await self.claims.release(LeaseKind.UPLOAD, mine)
        if self.videos is not None:
            await self.videos.resume(before)

    async def take_over(self) -> None:
        """Several workers: what a dead one cut off mid-work is resumed here, once its
        leases have lapsed (``takeover_seconds``, every few rounds)."""
        if self.fetch is None or self.takeover_seconds is None:
            return
        now = self.clock()
        if now - self._taken_over_at < self.takeover_seconds / 2:
            return
        self._taken_over_at = now
        await self.resume(self.fetch, now - self.takeover_seconds, at_start=False)

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
        await work_on_due(
            self.claims,
            LeaseKind.FACE_POLL,
            lambda: self.face_repo.due_pending(now),
            lambda face: face.id,
            self._poll_faces,
        )

    async def _poll_faces(self, due: list[Face]) -> None:
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
        await work_on_due(
            self.claims,
            LeaseKind.UPLOAD,
            lambda: self.assets.due_upload_rechecks(now),
            lambda asset: asset.id,
            self._recheck,
        )
        await self.photos.poll_due()

    async def _recheck(self, due: list[Asset]) -> None:
        for asset in due:
            try:
                changed = await self.uploads.recheck(asset, self.schedule.upload_recheck_seconds)
            except ProviderError as exc:
                log.warning("recheck of asset %d failed: %s", asset.id, exc)
                continue
            if changed:
                await self.uploads.report_batch(asset.batch_id)
