"""Polling photos the provider is still processing, at a bounded cost per provider.

Polled per face: where the provider lists a group, one request answers for all of a face's
processing photos; where it cannot, each photo is asked by GET on its own schedule. Each face
is polled every ``poll_seconds`` while few wait, less often as more faces (or photos) wait at
one provider, so that it gets at most ``Schedule.requests_per_minute``; a sliding minute of
requests sent per provider holds any burst (all faces due at once after a restart) to that
too, the faces left over staying due for the next round, soonest first. Only photos stuck
far longer than photos take drop to ``max_poll_seconds``. A round asks all due faces at once
(bounded per provider), tells each face's news as soon as its answer is in, and writes the
round's next polls in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from typing import TYPE_CHECKING

from bot.providers.base import AssetInfo, AssetRef, Provider, ProviderError
from bot.providers.registry import Providers
from bot.services.clock import Clock
from bot.services.foreground import Foreground
from bot.services.leases import Claims, Unshared, work_on_due
from bot.services.uploads import UploadService
from storage.assets import AssetRepo
from storage.faces import FaceRepo
from storage.leases import LeaseKind
from storage.models import Asset, AssetState, Face

if TYPE_CHECKING:
    from bot.services.tracking import Schedule

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0


class PhotoPolls:
    def __init__(
        self,
        *,
        uploads: UploadService,
        face_repo: FaceRepo,
        assets: AssetRepo,
        providers: Providers,
        clock: Clock,
        schedule: Schedule,
        foreground: Foreground | None = None,
        claims: Claims | None = None,
    ) -> None:
        self.claims: Claims = claims or Unshared()
        self.uploads = uploads
        self.foreground = foreground or Foreground()  # updates being handled go first
        self.face_repo = face_repo
        self.assets = assets
        self.providers = providers
        self.clock = clock
        self.schedule = schedule
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._sent: dict[str, deque[float]] = defaultdict(deque)  # request times, last minute

    async def poll_due(self) -> None:
        """One round: every face with a processing photo due by now."""
        now = self.clock()

        async def poll(due: list[Asset]) -> None:
            by_face: dict[int, list[Asset]] = defaultdict(list)
            for asset in sorted(due, key=lambda a: (a.next_poll_at or 0, a.face_id, a.id)):
                by_face[asset.face_id].append(asset)  # faces soonest due first: first served
            if by_face:
                await self._poll_faces(by_face, now)

        # One worker asks about a face's photos at a time (one request per face).
        await work_on_due(
            self.claims,
            LeaseKind.PHOTOS_POLL,
            lambda: self.assets.due_processing(now),
            lambda asset: asset.face_id,
            poll,
        )

    async def _poll_faces(self, by_face: dict[int, list[Asset]], now: float) -> None:
        load = await self.assets.processing_load()
        later: list[tuple[int, float]] = []
        # Every due face's provider is asked at once (bounded per provider), each face's
        # news told as soon as its answer is in; the round's next polls written together.
        done = await asyncio.gather(
            *(
                self._poll_face(face_id, photos, now, load, later)
                for face_id, photos in by_face.items()
            ),
            return_exceptions=True,
        )
        for outcome in done:
            if isinstance(outcome, BaseException):  # its photos stay due: asked next round
                log.error("polling photos failed", exc_info=outcome)
        await self.assets.schedule_polls(later)

    async def _poll_face(
        self,
        face_id: int,
        due: list[Asset],
        started: float,
        load: dict[str, tuple[int, int]],
        later: list[tuple[int, float]],
    ) -> None:
        """Ask about a face's processing photos, record and tell what changed, and add the
        next poll of those still processing to ``later``: an interval after the round
        ``started``, so the faces of a round stay due together (one round, not many)."""
        face = await self.face_repo.get(face_id)
        if face is None:
            return
        try:
            provider = self.providers.get(face.provider)
        except LookupError:
            log.warning(
                "face %d's photos wait at %s, which is not enabled", face.id, face.provider
            )
            return
        lists = provider.capabilities.lists_assets
        # Where the provider lists a group, all the face's photos come in one answer;
        # where it cannot, each photo keeps its own schedule.
        photos = due if lists else [a for a in due if (a.next_poll_at or 0) <= started]
        faces, count = load.get(face.provider, (1, 1))
        interval = self.schedule.photo_interval(faces if lists else count)
        stale_face = all(self._stale(a, started) for a in photos)
        photos = self._allow(face, provider, photos)
        if not photos:  # the provider's minute is spent: they stay due for the next round
            return
        infos = await self._ask(face, provider, photos)
        now = self.clock()
        batches: set[int] = set()
        for asset in photos:
            info = infos.get(asset.id)
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
                stale = stale_face if lists else self._stale(asset, now)
                wait = max(interval, self.schedule.max_poll_seconds) if stale else interval
                later.append((asset.id, started + wait))
        for batch_id in sorted(batches):
            try:
                await self.uploads.report_batch(batch_id)
            except Exception:  # left unreported: the sweep tells it next round
                log.exception("updating upload batch %d failed; will retry", batch_id)

    def _stale(self, asset: Asset, now: float) -> bool:
        """Processing far longer than photos take (``updated_at``: when it began)."""
        return now - asset.updated_at > self.schedule.stale_after_seconds

    def _allow(self, face: Face, provider: Provider, photos: list[Asset]) -> list[Asset]:
        """The photos that may be asked about now without the provider getting more than
        ``requests_per_minute`` in any minute; their requests are counted as sent."""
        sent, now = self._sent[face.provider], self.clock()
        while sent and sent[0] <= now - WINDOW_SECONDS:
            sent.popleft()
        room = self.schedule.requests_per_minute - len(sent)
        one_list = provider.capabilities.lists_assets and len(photos) > 1
        cost = 1 if one_list and face.provider_group_id else len(photos)
        if cost > room:
            if cost == 1 or room <= 0:
                return []
            photos, cost = photos[:room], room
        sent.extend([now] * cost)
        return photos

    def _slot(self, provider: str) -> asyncio.Semaphore:
        return self._slots.setdefault(provider, asyncio.Semaphore(self.schedule.concurrency))

    async def _ask(
        self, face: Face, provider: Provider, photos: list[Asset]
    ) -> dict[int, AssetInfo]:
        """What the provider says of these photos, by our asset id: one list request where
        it lists a group (those it leaves out asked one by one), else one per photo."""
        infos: dict[int, AssetInfo] = {}
        by_id = {a.provider_asset_id: a for a in photos if a.provider_asset_id}
        slot = self._slot(face.provider)
        if provider.capabilities.lists_assets and len(photos) > 1 and face.provider_group_id:
            try:
                await self.foreground.make_way()
                async with slot:
                    listed = await provider.list_assets(face.provider_group_id)
                for info in listed:
                    if info.asset_id in by_id:
                        infos[by_id[info.asset_id].id] = info
            except ProviderError as exc:
                log.warning("listing assets of face %d failed: %s", face.id, exc)
            # Those the list left out cost a request each beyond the one counted.
            self._sent[face.provider].extend([self.clock()] * (len(photos) - len(infos)))

        async def one(asset: Asset) -> None:
            ref = AssetRef(
                asset.provider_asset_id, asset.provider_record_id, face.provider_group_id
            )
            try:
                await self.foreground.make_way()
                async with slot:
                    infos[asset.id] = await provider.get_asset(ref)
            except ProviderError as exc:
                log.warning("asset %s: %s", asset.provider_asset_id, exc)

        await asyncio.gather(*(one(a) for a in photos if a.id not in infos))
        return infos
