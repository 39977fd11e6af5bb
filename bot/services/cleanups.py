"""A withdrawn or deleted face's photos, deleted at its provider where its API allows (issue
11): Token360 and PowerTokens delete a group with its photos, Sunra soft-deletes each photo
(its upstream registration stays, its documents say), OrcaRouter and ToAPIs document no
delete, so the photos stay there and the person is told so.

The delete is ordered with the face's own change (one transaction), tried at once, and
otherwise left to the tracker: it waits while a video of the face is still being made (the
provider may need the photos to finish it, and the bot promised to finish it) and is retried
with a growing pause while the provider fails. Whoever asked hears when a delete that had to
wait is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.providers.base import AssetInfo, AssetRef, PhotoDeletion, ProviderError
from bot.providers.registry import Providers
from bot.services.clock import Clock
from bot.services.notify import Notifier
from storage.assets import AssetRepo
from storage.cleanups import CleanupRepo
from storage.faces import FaceRepo
from storage.models import (
    Cleanup,
    CleanupItem,
    CleanupOrder,
    CleanupTarget,
    Face,
    FaceStatus,
)

log = logging.getLogger(__name__)

RETRY_SECONDS = 30.0  # after a failure, doubled each time ...
MAX_RETRY_SECONDS = 3600.0  # ... up to this
# A video that has not ended after this long is not waited for any more: its job gave up.
MAX_VIDEO_WAIT_SECONDS = 6 * 3600.0
ROUND_SIZE = 20  # deletes one background round tries, one after another
LEASE_SECONDS = 300.0  # a round's attempt holds its row this long


class PhotosAtProvider(StrEnum):
    """What became of a face's photos at its provider, as the person is told."""

    DELETED = "deleted"
    AFTER_VIDEO = "after_video"  # deleted once the video being made is finished
    RETRYING = "retrying"  # the provider failed; the bot keeps trying
    KEPT = "kept"  # the provider documents no delete
    NOTHING = "nothing"  # nothing of the face is there (no group, no photo uploaded)


@dataclass(frozen=True)
class PhotosOutcome:
    """What the person who withdrew or deleted a face is told about its photos."""

    state: PhotosAtProvider
    provider_name: str
    # Sunra removes a photo from the account only; its upstream registration stays.
    upstream_stays: bool = False
    # Whoever asked hears when a delete that had to wait is done (not after /forgetme).
    will_tell: bool = False


class PhotoCleanups:
    def __init__(
        self,
        repo: CleanupRepo,
        *,
        faces: FaceRepo,
        assets: AssetRepo,
        providers: Providers,
        notifier: Notifier,
        clock: Clock,
        recheck_seconds: float = 60.0,
    ) -> None:
        self.repo = repo
        # Between looks at a face whose video is still being made.
        self.recheck_seconds = recheck_seconds
        # Faces whose use case is deleting now: the tracker leaves their rows alone, so the
        # person hears once, from the use case.
        self._trying: set[int] = set()
        self._round: asyncio.Task[None] | None = None
        self.faces = faces
        self.assets = assets
        self.providers = providers
        self.notifier = notifier
        self.clock = clock

    def deletion(self, face: Face) -> PhotoDeletion:
        try:
            return self.providers.capabilities(face.provider).photo_deletion
        except LookupError:
            return PhotoDeletion.NONE

    async def removing(
        self,
        face: Face,
        tell_chat_id: int | None,
        change: Callable[[CleanupOrder | None], Awaitable[bool]],
    ) -> PhotosOutcome | None:
        """Withdraw or delete ``face`` through ``change``, which writes the order it is given
        in the same transaction (True if it changed the face), then delete at the provider;
        None if ``change`` did nothing (someone was first)."""
        self._trying.add(face.id)
        try:
            if not await change(await self.order(face, tell_chat_id)):
                return None
            return await self.first_try(face, tell_chat_id)
        finally:
            self._trying.discard(face.id)

    async def removing_all(
        self, faces: list[Face], change: Callable[[list[CleanupOrder]], Awaitable[None]]
    ) -> list[PhotosOutcome]:
        """:meth:`removing` for many faces in one ``change`` (/forgetme); nobody is told
        later (the person asked to be forgotten)."""
        ids = {face.id for face in faces}
        self._trying |= ids
        try:
            orders = [order for f in faces if (order := await self.order(f, None)) is not None]
            await change(orders)
            return [await self.first_try(face, None) for face in faces]
        finally:
            self._trying -= ids

    async def order(self, face: Face, tell_chat_id: int | None) -> CleanupOrder | None:
        """What to delete at the face's provider; None if it documents no delete or holds
        nothing of the face."""
        deletion = self.deletion(face)
        if await self.repo.of_face(face.id):
            return None  # ordered already (a withdrawn face deleted by its owner)
        items: list[CleanupItem] = []
        if deletion is PhotoDeletion.GROUP and face.provider_group_id is not None:
            items.append(CleanupItem(CleanupTarget.GROUP, group_id=face.provider_group_id))
        elif deletion is PhotoDeletion.ASSET_SOFT:
            for asset in await self.assets.for_face(face.id):
                if asset.provider_asset_id is not None or asset.provider_record_id is not None:
                    items.append(
                        CleanupItem(
                            CleanupTarget.ASSET,
                            group_id=face.provider_group_id,
                            asset_id=asset.provider_asset_id,
                            record_id=asset.provider_record_id,
                        )
                    )
        if not items:
            return None
        return CleanupOrder(face.id, face.provider, tuple(items), tell_chat_id)

    async def late_photo(self, face_id: int, info: AssetInfo) -> None:
        """A photo that reached the provider after its face was withdrawn or deleted (its
        upload was under way): owed a delete too, where photos are deleted one by one (a
        group delete took the group already)."""
        face = await self.faces.get(face_id)
        gone = face is not None and face.status in (FaceStatus.WITHDRAWN, FaceStatus.DELETED)
        # Being withdrawn or deleted right now: the order may have read the photos before
        # this one's ids were stored.
        if face is None or not (gone or face_id in self._trying):
            return
        if self.deletion(face) is not PhotoDeletion.ASSET_SOFT:
            return
        item = CleanupItem(CleanupTarget.ASSET, info.group_id, info.asset_id, info.record_id)
        await self.repo.add(CleanupOrder(face.id, face.provider, (item,), None), self.clock())

    async def first_try(self, face: Face, tell_chat_id: int | None) -> PhotosOutcome:
        """Try the face's owed deletes now, right after they were ordered; ``tell_chat_id``
        asked for them."""
        deletion = self.deletion(face)
        owed = [c for c in await self.repo.of_face(face.id) if c.done_at is None]
        told = tell_chat_id is not None and any(c.tell_chat_id == tell_chat_id for c in owed)
        return PhotosOutcome(
            await self._first_try(face, deletion, owed),
            self.providers.label(face.provider),
            upstream_stays=deletion is PhotoDeletion.ASSET_SOFT,
            will_tell=told,
        )

    async def _first_try(
        self, face: Face, deletion: PhotoDeletion, owed: list[Cleanup]
    ) -> PhotosAtProvider:
        if deletion is PhotoDeletion.NONE:
            return PhotosAtProvider.KEPT
        if not owed:
            return PhotosAtProvider.NOTHING
        if await self.repo.videos_making(face.id):
            return PhotosAtProvider.AFTER_VIDEO  # the tracker looks again later
        results = [await self._attempt(c) for c in owed]
        return PhotosAtProvider.DELETED if all(results) else PhotosAtProvider.RETRYING

    async def run_soon(self) -> None:
        """The tracker's step: a round of owed deletes in its own task unless one is under
        way (a provider that hangs must not hold up face checks and video polls)."""
        if self._round is None or self._round.done():
            self._round = asyncio.create_task(self._background_round(), name="cleanups")

    async def _background_round(self) -> None:
        try:
            await self.run_due()
        except Exception:
            log.exception("deleting at the providers failed")

    async def stop(self) -> None:
        if self._round is not None:
            self._round.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._round
            self._round = None

    async def run_due(self) -> None:
        """The tracker's step: owed deletes whose time has come."""
        now = self.clock()
        told: set[int] = set()
        for cleanup in await self.repo.due(now, ROUND_SIZE):
            if cleanup.face_id in self._trying:
                continue
            # Taken for this attempt, or left alone: the use case may have done it since
            # the list was read. A crash mid-attempt leaves it to the next lease.
            if not await self.repo.claim(cleanup.id, now, now + LEASE_SECONDS):
                continue
            if await self._waits_for_video(cleanup, now):
                await self.repo.later(cleanup.id, now + self.recheck_seconds)
                continue
            if not await self._attempt(cleanup):
                continue
            if (
                cleanup.tell_chat_id is not None
                and cleanup.face_id not in told
                and await self.repo.open_for(cleanup.face_id) == 0
            ):
                told.add(cleanup.face_id)
                face = await self.faces.get(cleanup.face_id)
                if face is not None:
                    name = self.providers.label(face.provider)
                    await self.notifier.photos_deleted(face, cleanup.tell_chat_id, name)

    async def _waits_for_video(self, cleanup: Cleanup, now: float) -> bool:
        if now - cleanup.requested_at > MAX_VIDEO_WAIT_SECONDS:
            return False
        return await self.repo.videos_making(cleanup.face_id)

    async def _attempt(self, cleanup: Cleanup) -> bool:
        """One delete at the provider; True if done (already gone counts)."""
        item = cleanup.item
        try:
            provider = self.providers.get(cleanup.provider)
            if item.target is CleanupTarget.GROUP and item.group_id is not None:
                deleted = await provider.delete_group(item.group_id)
            else:
                ref = AssetRef(item.asset_id, item.record_id, item.group_id)
                deleted = await provider.delete_asset(ref)
        except (ProviderError, LookupError) as exc:
            pause = min(RETRY_SECONDS * 2**cleanup.attempts, MAX_RETRY_SECONDS)
            log.warning(
                "deleting %s of face %d at %s failed (try %d, again in %.0f s): %s",
                item.target,
                cleanup.face_id,
                cleanup.provider,
                cleanup.attempts + 1,
                pause,
                exc,
            )
            await self.repo.later(cleanup.id, self.clock() + pause, str(exc)[:500])
            return False
        if not deleted:  # the provider's client says it has no such delete after all
            log.warning("%s offers no delete of a %s", cleanup.provider, item.target)
        await self.repo.done(cleanup.id, self.clock())
        return True
