"""Photos into a face: store on arrival, check, upload as bytes, then let the tracker poll.

A photo is a row before anything slow happens, so a restart resumes it: ``received``
rows are fetched and uploaded again, ``uploading`` rows (answer lost) are looked up at
the provider by their unique name before anything is sent twice.

At most ``concurrency`` photos per provider are downloaded, checked and uploaded at once;
the others stay ``received`` (shown as queued) and hold no bytes in memory while they wait.
Every way a provider call can end, an unexpected exception included, leaves the photo with
an outcome the user is told (failed with a reason, or looked up later as a lost answer),
never at "uploading" until a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.providers.base import (
    AssetInfo,
    ImageUpload,
    Provider,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    RemoteAssetState,
)
from bot.providers.registry import Providers
from bot.services.actors import Actor, Place
from bot.services.clock import Clock
from bot.services.errors import Refusal, ServiceRefused
from bot.services.faces import FaceService
from bot.services.images import ImageRejected, Problem, check_declared_size, check_image
from bot.services.leases import Claims, Unshared
from bot.services.media import MediaFull, PhotoHost, media_tag
from bot.services.notify import Notifier
from bot.services.photo_metadata import picture_only
from storage.assets import AssetRepo
from storage.assets import IncomingFile as IncomingFile  # what handlers hand in
from storage.leases import LeaseKind
from storage.models import Asset, AssetState, Face, FaceStatus, UploadBatch

log = logging.getLogger(__name__)

FileFetcher = Callable[[str], Awaitable[bytes]]


class DownloadTooBig(Exception):
    """Telegram refused to hand the bot the file (over its 20 MB download limit)."""


@dataclass(frozen=True)
class Received:
    face: Face
    batch: UploadBatch
    asset: Asset
    new_batch: bool


class UploadService:
    def __init__(
        self,
        *,
        assets: AssetRepo,
        faces: FaceService,
        providers: Providers,
        notifier: Notifier,
        clock: Clock,
        poll_seconds: float,
        media: PhotoHost | None = None,
        concurrency: int = 4,
        claims: Claims | None = None,
    ) -> None:
        self.claims: Claims = claims or Unshared()
        self.assets = assets
        self.faces = faces
        self.providers = providers
        self.notifier = notifier
        self.clock = clock
        self.poll_seconds = poll_seconds
        # Where URL-only providers fetch photos from (the bot's media server), if anywhere.
        self.media = media
        self.concurrency = concurrency
        self._slots: dict[str, asyncio.Semaphore] = {}

    async def receive(
        self,
        actor: Actor,
        file: IncomingFile,
        media_group_id: str | None = None,
        *,
        reply_to: int | None = None,
        request_key: str | None = None,
    ) -> Received | None:
        """Store an incoming photo. In a private chat it goes to the person's current face;
        in a group only as a reply (``reply_to``) to an upload prompt, into that prompt's
        face, and only from the group's admins. None: not an upload (a reply to something
        else)."""
        if actor.in_group:
            face = await self.faces.prompted_face(actor, reply_to) if reply_to else None
            if face is None:
                return None
        elif actor.place is Place.PRIVATE:
            face = await self.faces.current_face(actor.user_id)
        else:
            raise ServiceRefused(Refusal.NOT_YOURS)
        if face is None:
            raise ServiceRefused(Refusal.NO_FACE)
        if face.status is FaceStatus.WITHDRAWN:
            raise ServiceRefused(Refusal.FACE_WITHDRAWN)
        if face.status is not FaceStatus.ACTIVE:
            raise ServiceRefused(Refusal.FACE_NOT_ACTIVE, face.name)
        assert actor.chat_id is not None
        batch, asset, new_batch = await self.assets.add_to_batch(
            chat_id=actor.chat_id,
            user_id=actor.user_id,
            face_id=face.id,
            media_group_id=media_group_id,
            file=file,
            name_prefix=f"realface-{face.id}",
            now=self.clock(),
            request_key=request_key,
        )
        return Received(face, batch, asset, new_batch)

    async def process(self, asset_id: int, fetch: FileFetcher) -> None:
        """Check and upload one received photo; every outcome ends in the batch message.
        Its lease is held meanwhile (queued for a slot too): no worker takes it for an
        upload a crash cut off (:meth:`recover`)."""
        # Taken, not claimed: a recovery holding it already goes on with it here.
        if not await self.claims.take(LeaseKind.UPLOAD, asset_id):
            return
        try:
            await self._process_received(asset_id, fetch)
        finally:
            await self.claims.release(LeaseKind.UPLOAD, [asset_id])

    async def _process_received(self, asset_id: int, fetch: FileFetcher) -> None:
        asset = await self.assets.get(asset_id)
        if asset is None or asset.state is not AssetState.RECEIVED:
            return
        try:
            face = await self.faces.faces.get(asset.face_id)
            provider = self._provider_of(face)
            if face is None or provider is None:
                await self._fail(asset, "provider_disabled", None, expect=AssetState.RECEIVED)
                return
            # Waiting here, the photo is still "received": its line says it is queued.
            async with self._slot(face.provider):
                await self._process(asset, face, provider, fetch)
        finally:
            await self.report_batch(asset.batch_id)

    def _provider_of(self, face: Face | None) -> Provider | None:
        """The face's provider; None if the face is gone or its provider is not enabled."""
        if face is None:
            return None
        try:
            return self.providers.get(face.provider)
        except LookupError:
            return None

    def _slot(self, provider: str) -> asyncio.Semaphore:
        slot = self._slots.get(provider)
        if slot is None:
            slot = self._slots[provider] = asyncio.Semaphore(self.concurrency)
        return slot

    async def _process(
        self, asset: Asset, face: Face, provider: Provider, fetch: FileFetcher
    ) -> None:
        try:
            check_declared_size(asset.file_size)
            try:
                data = await fetch(asset.tg_file_id)
            except DownloadTooBig:
                raise ImageRejected(Problem.TOO_BIG_TO_DOWNLOAD) from None
            # Decoding a 6000 px photo takes a fifth of a second: not on the event loop.
            facts = await asyncio.to_thread(check_image, data)
            data, facts = await picture_only(data, facts)
        except ImageRejected as rejected:
            await self._reject(asset, rejected)
            return
        except Exception as exc:  # Telegram download failed: say so, keep the row honest
            log.warning("download of asset %d failed: %s", asset.id, type(exc).__name__)
            await self.assets.transition(
                asset.id,
                AssetState.FAILED,
                self.clock(),
                expect=[AssetState.RECEIVED],
                error_code="download_failed",
            )
            return
        public_url = None
        if provider.capabilities.upload_by_url:
            if self.media is None:
                await self._fail(asset, "no_public_url", None, expect=AssetState.RECEIVED)
                return
            try:
                public_url = await self.media.publish(
                    data, facts.mime_type, facts.extension, tag=media_tag(asset.id)
                )
            except (MediaFull, OSError) as exc:  # no room: refuse now rather than queue forever
                log.warning("no room to publish asset %d: %s", asset.id, exc)
                await self._fail(asset, "media_full", None, expect=AssetState.RECEIVED)
                return
        now_face = await self.faces.faces.get(face.id)
        if now_face is None or now_face.status is not FaceStatus.ACTIVE:
            # Withdrawn or deleted while this photo was being checked: it does not go.
            await self._fail(asset, "face_withdrawn", None, expect=AssetState.RECEIVED)
            return
        moved = await self.assets.transition(
            asset.id,
            AssetState.UPLOADING,
            self.clock(),
            expect=[AssetState.RECEIVED],
            width=facts.width,
            height=facts.height,
        )
        if not moved:
            await self._retire(asset)
            return
        await self.report_batch(asset.batch_id)
        file_name = f"{asset.name}.{facts.extension}"
        image = ImageUpload(data, file_name, facts.mime_type, public_url=public_url)
        try:
            info = await provider.upload_asset(face.provider_group_id, image, asset.name)
        except ProviderUnavailable as exc:
            if exc.not_taken:  # never reached the provider: nothing to look for
                await self._fail(asset, "provider_unavailable", exc.message)
                return
            # A 5xx or a lost answer: the provider may have the file all the same (a gateway
            # can fail after the work). The tracker looks for it by name before calling it
            # failed, so nothing is uploaded twice where the provider can list its assets.
            await self.assets.recheck_upload_at(asset.id, self.clock() + self.poll_seconds)
            return
        except ProviderRejected as exc:
            await self._fail(asset, exc.reason.value, exc.message)
            return
        except ProviderRateLimited as exc:  # nothing was taken: safe to send again later
            await self._fail(asset, "rate_limited", exc.message)
            return
        except ProviderAuthError as exc:  # refused before it looked at the file
            await self._fail(asset, "provider_error", exc.message)
            return
        except Exception as exc:
            # The provider answered something we could not use (not JSON, no id), or an
            # unexpected error came up: whether the file arrived is unknown, as with a lost
            # answer, so look it up the same way. Either way the photo is told an outcome.
            if isinstance(exc, ProviderError):
                log.warning("upload of asset %d: unusable answer: %s", asset.id, exc)
            else:
                log.exception("upload of asset %d ended unexpectedly", asset.id)
            await self.assets.recheck_upload_at(asset.id, self.clock() + self.poll_seconds)
            return
        await self._uploaded(asset, info)

    async def _uploaded(self, asset: Asset, info: AssetInfo) -> bool:
        """The provider has the photo (sent now, or found after a lost answer); one that
        arrived after its face was withdrawn or deleted is deleted there too."""
        changed = await self.apply(asset, info, expect=AssetState.UPLOADING)
        await self.faces.cleanups.late_photo(asset.face_id, info)
        return changed

    async def recover(self, asset: Asset, fetch: FileFetcher) -> None:
        """Resume an upload cut off by a restart."""
        if asset.state is AssetState.RECEIVED:
            await self.process(asset.id, fetch)
            return
        if asset.state is not AssetState.UPLOADING:
            return
        face = await self.faces.faces.get(asset.face_id)
        provider = self._provider_of(face)
        if face is None or provider is None:
            await self._fail(asset, "provider_disabled", None)
            await self.report_batch(asset.batch_id)
            return
        if not provider.capabilities.lists_assets:
            # Nothing to look it up by: uploading again is the lesser harm than losing it.
            info = None
        else:
            try:
                info = await self._find_uploaded(provider, face, asset)
            except Exception as exc:  # any failure: a lookup that can be tried again
                # Unknown whether it arrived: look again later rather than upload twice.
                log.warning("looking for cut-off upload %d failed: %r", asset.id, exc)
                await self.assets.recheck_upload_at(asset.id, self.clock() + self.poll_seconds)
                return
        if info is not None:
            await self._uploaded(asset, info)
        else:
            # Not at the provider: send it again from the start.
            await self.assets.transition(
                asset.id, AssetState.RECEIVED, self.clock(), expect=[AssetState.UPLOADING]
            )
            await self.process(asset.id, fetch)
            return
        await self.report_batch(asset.batch_id)

    async def recheck(self, asset: Asset, give_up_after: float) -> bool:
        """Look for an upload whose answer was lost. True if its state changed."""
        face = await self.faces.faces.get(asset.face_id)
        provider = self._provider_of(face)
        if face is None or provider is None:
            await self._fail(asset, "provider_disabled", None)
            return True
        info = None
        if provider.capabilities.lists_assets:
            try:
                info = await self._find_uploaded(provider, face, asset)
            except Exception as exc:  # any failure counts as "not found yet": it gives up in time
                log.warning("looking for lost upload %d failed: %r", asset.id, exc)
        else:
            give_up_after = 0  # nothing to look it up by: say so now, the user resends
        if info is not None:
            return await self._uploaded(asset, info)
        if self.clock() - asset.updated_at > give_up_after:
            await self._fail(asset, "provider_unavailable", None)
            return True
        await self.assets.recheck_upload_at(asset.id, self.clock() + self.poll_seconds)
        return False

    async def _find_uploaded(
        self, provider: Provider, face: Face, asset: Asset
    ) -> AssetInfo | None:
        listed = await provider.list_assets(face.provider_group_id or "")
        return next((a for a in listed if a.name == asset.name), None)

    async def apply(self, asset: Asset, info: AssetInfo, *, expect: AssetState) -> bool:
        """Record what the provider says about an asset. True if its state changed."""
        now = self.clock()
        if info.state is RemoteAssetState.ACTIVE:
            to, poll = AssetState.ACTIVE, None
        elif info.state is RemoteAssetState.FAILED:
            to, poll = AssetState.FAILED, None
        else:
            to, poll = AssetState.PROCESSING, now + self.poll_seconds
        if to is not AssetState.PROCESSING:
            # Settled: the provider has the file or will not take it; its URL is not needed.
            await self._retire(asset)
        if to is expect:
            if info.asset_id and info.asset_id != asset.provider_asset_id:
                # The provider assigned the id while still processing (PowerTokens): keep it
                # so the next poll can use it and batch listings can match it.
                await self.assets.set_provider_asset_id(asset.id, info.asset_id)
            return False
        return await self.assets.transition(
            asset.id,
            to,
            now,
            expect=[expect],
            provider_asset_id=info.asset_id,
            provider_record_id=info.record_id,
            error_code=(info.error_code or "failed") if to is AssetState.FAILED else None,
            error_message=info.error_message,
            next_poll_at=poll,
        )

    async def _reject(self, asset: Asset, rejected: ImageRejected) -> None:
        facts = rejected.facts
        detail = rejected.format or (str(rejected.size) if rejected.size is not None else None)
        await self.assets.transition(
            asset.id,
            AssetState.REJECTED,
            self.clock(),
            expect=[AssetState.RECEIVED],
            error_code=rejected.problem.value,
            error_message=detail,
            width=facts.width if facts else None,
            height=facts.height if facts else None,
        )

    async def _fail(
        self,
        asset: Asset,
        code: str,
        message: str | None,
        *,
        expect: AssetState = AssetState.UPLOADING,
    ) -> None:
        await self._retire(asset)
        await self.assets.transition(
            asset.id,
            AssetState.FAILED,
            self.clock(),
            expect=[expect],
            error_code=code,
            error_message=message,
        )

    async def _retire(self, asset: Asset) -> None:
        if self.media is None:
            return
        try:
            await self.media.retire(media_tag(asset.id))
        except Exception:  # it expires anyway; the upload's outcome matters more
            log.exception("removing the published photo of asset %d failed", asset.id)

    async def report_batch(self, batch_id: int) -> None:
        """Show the batch's current state; final rows shown are marked reported. While
        another worker shows it, this one does not: what it would have added is unreported
        still, and the tracker's sweep shows it."""
        async with self.claims.holding(LeaseKind.BATCH_REPORT, batch_id) as mine:
            if not mine:
                return
            shown = await self.assets.in_batch(batch_id)
            await self.notifier.batch_changed(batch_id)
            final = [a.id for a in shown if a.state.final and not a.reported]
            await self.assets.mark_reported(final)
