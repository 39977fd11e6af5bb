"""Sunra (seed 001): Ark assets registered from a public URL, queued Seedance 2.0 relay videos.

Sunra documents no liveness step and no groups: a face is usable at once
(``verification=False``, ``FreshLink.NONE``). The verification methods exist for the
interface and say so honestly: :meth:`Sunra.start_verification` raises
:class:`~bot.providers.base.ProviderError` (code ``no_verification``),
:meth:`Sunra.refresh_verification` returns None, :meth:`Sunra.check_verifications`
returns ``{}`` for any number of pending items, all without a request. :meth:`Sunra.get_group`
answers, without a request, that whatever id the bot keeps for a Sunra face is ACTIVE (it
names nothing at Sunra); rename/delete of a group return False.

Endpoints (base ``https://api.sunra.ai``; auth ``Authorization: Bearer <key>``, the official
SDK's form, set in :func:`auth_headers` only; Sunra's queue page shows ``Key <key>``):

- ``POST /v1/ark/assets {source_url, name, asset_type: "image"}`` -> ``{id, ark_asset_id,
  name, asset_type, source_url, status: "processing", created_at}``. ``source_url`` is
  ``ImageUpload.public_url`` (None -> ProviderError, nothing sent). ``group_id`` is ignored.
- ``GET /v1/ark/assets/{id}`` refreshes the status from upstream; adds ``ark_url`` when active.
- ``GET /v1/ark/assets?page&page_size`` (``status`` filter unused): every asset of the account.
- ``DELETE /v1/ark/assets/{id}``: "Soft-deletes the asset from your organization's list (the
  upstream registration is unaffected)" (seed 001) -> :meth:`Sunra.delete_asset`, how a
  withdrawn or deleted face's photos leave Sunra (``PhotoDeletion.ASSET_SOFT``: the person is
  told the upstream registration stays). A 404 counts as already deleted.
- ``POST /v1/queue/{model-id}`` -> ``{request_id, status_url, response_url, cancel_url}``.
- ``GET /v1/queue/requests/{request_id}/status`` -> ``{status, queue_position?, success?,
  error?}``; ``GET /v1/queue/requests/{request_id}`` -> the result (``video.url``).

Shape choices where the documents are silent:

- ``AssetInfo.asset_id`` is ``ark_asset_id`` (what a video references as ``asset://``),
  ``record_id`` is Sunra's ``id`` (what GET takes). ``get_asset`` without a record id looks
  the asset up by ``ark_asset_id`` in the list, then GETs it.
- ``list_assets(group_id)`` ignores ``group_id`` (there are no groups) and returns the whole
  account, at most ``MAX_LIST_PAGES`` pages of ``PAGE_SIZE``; the bot matches by name / id.
  Only the single GET is documented to refresh from upstream, so a listed status may be stale:
  ``capabilities.lists_assets`` is False and the tracker polls each asset by GET. The list
  still serves the lost-upload lookup by name. Its body may be a bare list, or rows under
  ``items``/``data``/``assets``/``list``/``records``/``results`` (``data`` may nest them),
  with ``total``/``total_count``/``count`` or ``pagination.total``, or no total at all.
- ``task_id`` is the ``request_id``. ``get_video`` builds both URLs from it on this client's
  base URL (the SDK's ``from_request_id`` does the same) instead of following absolute URLs.
  COMPLETED costs a second GET for the result (the status carries no output).
- Models: ``seedance-2.0`` -> ``bytedance/seedance-2.0-relay/reference-to-video``,
  ``seedance-2.0-fast`` -> ``bytedance/seedance-2.0-fast-relay/reference-to-video``; only
  relay models recognise Ark assets. Up to 9 assets go in ``reference_images`` as
  ``asset://<ark_asset_id>``, in the order the prompt numbers them (seed 001); the prompt
  names reference n ``@Image{n}`` (seed 001: "first image = @Image1", ``image_tag``), and a
  prompt that names none gets ``@Image1 @Image2 ...`` put in front of it.
- Video modes (issue 13): references only (``first_frame`` and ``last_frame`` False, so the
  bot offers no frames mode and a frames request is refused before anything is sent). Sunra's
  relay ``.../image-to-video`` takes ``start_image`` / ``end_image`` as image URLs, and no
  public page says it takes ``asset://`` Ark ids there (seed 001 documents assets in
  ``reference_images`` only); a face's photos exist at Sunra only as Ark assets, so there is
  nothing documented to put in a frame.
- No video callbacks (``video_callbacks`` False): Sunra's SDKs pass a ``?webhook=`` URL on
  submit, but its docs document neither webhooks nor their payload, so none is sent and the
  bot polls.
- Errors: Sunra answers over-the-limit with HTTP 403 -> ProviderRateLimited (``status`` 403,
  ``Retry-After`` honoured if sent) unless the body's ``error.type`` names auth/permission
  (e.g. ``MODEL_ACCESS_DENIED``) -> ProviderAuthError. 402 -> rejected ``quota``; 408 ->
  unavailable; 409 -> rejected ``other`` (there are no groups to be "not active"). A result
  fetch answering ``error.code = PREDICTION_FAILED`` (the SDK's v2 contract) becomes
  :class:`SunraPredictionFailed`, which ``get_video`` reports as a FAILED video.
- A failed video: status ``COMPLETED`` with ``success: false``, or terminal ``FAILED`` /
  ``CANCELLED``. ``error`` may be flat ``{code, message, reason, retryable}`` (SDK) or
  ``{type, code, message, details: {code, message, reason, retryable}}`` (PROVIDERS.md);
  ``details`` wins, so moderation reads ``unsafe_content``. Cancelled -> code ``cancelled``.
- ``video_url``: a CDN URL, assumed fetchable without auth. Its lifetime is undocumented:
  ``url_expires_at`` comes from the URL's own ``expires`` / ``X-Amz-Date`` +
  ``X-Amz-Expires`` where present, else None.

Tolerance: unknown fields are ignored, optional fields may be missing, a ``{"data": ...}``
envelope is unwrapped where a bare object was expected, statuses compare case-insensitively
(``succeeded``/``running``/``queued`` style spellings are mapped too).

Layout: the client is this module (tests shrink ``PAGE_SIZE`` here, so the code that reads it
lives here too); reading Sunra's answers is :mod:`bot.providers.sunra.parsing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

import httpx

from bot.providers.base import (
    AssetInfo,
    AssetRef,
    Capabilities,
    FreshLink,
    GroupInfo,
    GroupState,
    ImageUpload,
    PendingVerification,
    PhotoDeletion,
    ProviderError,
    ProviderName,
    ProviderRejected,
    RejectReason,
    VerificationSession,
    VideoRequest,
    VideoState,
    VideoStatus,
)
from bot.providers.checks import checked_video
from bot.providers.client import VendorClient
from bot.providers.declaration import declare
from bot.providers.paging import Listing, Page
from bot.providers.parsing import first_str as _str
from bot.providers.parsing import integer, page_rows, url_expiry, video_state, word
from bot.providers.sunra.parsing import (
    IMAGE_TAG,
    MODEL_IDS,
    SunraPredictionFailed,
    _failed,
    _unwrap,
    classify,
    failure_of,
    find_video_url,
    parse_asset,
    reference_prompt,
    vendor_model,
)

__all__ = [
    "ASSETS_PATH",
    "AUTH_SCHEME",
    "DECLARATION",
    "IMAGE_TAG",
    "MAX_LIST_PAGES",
    "MAX_REFERENCE_IMAGES",
    "MODEL_IDS",
    "PAGE_SIZE",
    "QUEUE_PATH",
    "Sunra",
    "SunraPredictionFailed",
    "auth_headers",
    "classify",
    "failure_of",
    "find_video_url",
    "page_rows",
    "parse_asset",
    "reference_prompt",
    "url_expiry",
    "vendor_model",
]

AUTH_SCHEME = "Bearer"
MAX_REFERENCE_IMAGES = 9
PAGE_SIZE = 100
MAX_LIST_PAGES = 10
ASSETS_PATH = "/v1/ark/assets"
QUEUE_PATH = "/v1/queue"


def auth_headers(api_key: str) -> dict[str, str]:
    """The one place the auth scheme lives."""
    return {"Authorization": f"{AUTH_SCHEME} {api_key}"}


class Sunra(VendorClient):
    name = ProviderName("sunra")
    capabilities = Capabilities(
        display_name="Sunra",
        verification=False,
        fresh_link=FreshLink.NONE,
        upload_by_url=True,
        lists_assets=False,  # the list is not documented to refresh from upstream
        lists_groups=False,
        models=tuple(MODEL_IDS),
        # References only (package docstring: why no frames, why no callbacks).
        first_frame=False,
        last_frame=False,
        reference_images=MAX_REFERENCE_IMAGES,
        image_tag=IMAGE_TAG,
        video_callbacks=False,
        asset_quota=None,  # Sunra names none
        status_requests_per_second=100.0,  # over it a 403 (submits: 10/s, 100/min)
        photo_deletion=PhotoDeletion.ASSET_SOFT,
    )

    def auth_headers(self, api_key: str) -> dict[str, str]:
        return auth_headers(api_key)

    def classify(self, response: httpx.Response, error: ProviderError) -> ProviderError:
        return classify(response, error)

    # ------------------------------------------------------------------ no verification

    async def start_verification(
        self, face_name: str, *, return_url: str | None = None, locale: str | None = None
    ) -> VerificationSession:
        raise ProviderError(
            "Sunra has no face check: a face is usable at once", code="no_verification"
        )

    async def get_group(self, group_id: str) -> GroupInfo:
        # No groups at Sunra: the bot's own id for the face is always usable.
        return GroupInfo(group_id=group_id, state=GroupState.ACTIVE, raw={"synthetic": True})

    async def check_verifications(
        self, pending: Sequence[PendingVerification], known_groups: set[str]
    ) -> dict[int, GroupInfo]:
        return {}

    # ------------------------------------------------------------------ Ark assets

    async def upload_asset(self, group_id: str | None, image: ImageUpload, name: str) -> AssetInfo:
        if image.public_url is None:
            raise ProviderError("Sunra registers assets from a URL; this image has no public_url")
        body = {"source_url": image.public_url, "name": name, "asset_type": "image"}
        return parse_asset(await self.json("POST", ASSETS_PATH, json=body))

    async def get_asset(self, ref: AssetRef) -> AssetInfo:
        record_id = await self._record_id(ref)
        return parse_asset(await self.json("GET", f"{ASSETS_PATH}/{quote(record_id, safe='')}"))

    async def delete_asset(self, ref: AssetRef) -> bool:
        try:
            record_id = await self._record_id(ref)
            await self.json("DELETE", f"{ASSETS_PATH}/{quote(record_id, safe='')}")
        except ProviderRejected as exc:
            if exc.reason is not RejectReason.NOT_FOUND:
                raise  # already gone counts as deleted
        return True

    async def _record_id(self, ref: AssetRef) -> str:
        """What Sunra's GET and DELETE take: the record id, looked up by ``ark_asset_id`` in
        the list where only that is known."""
        record_id = ref.record_id
        if record_id is None and ref.asset_id is not None:
            found = next(
                (a for a in await self.list_assets("") if a.asset_id == ref.asset_id), None
            )
            if found is None:
                raise ProviderRejected(
                    f"Ark asset {ref.asset_id} not found", reason=RejectReason.NOT_FOUND
                )
            record_id = found.record_id
        if record_id is None:
            raise ProviderError("Sunra assets are looked up by id or ark_asset_id")
        return record_id

    async def list_assets(self, group_id: str) -> list[AssetInfo]:
        async def fetch(page: int) -> Page:
            body = await self.json(
                "GET", ASSETS_PATH, params={"page": page, "page_size": PAGE_SIZE}
            )
            full = integer(body.get("page_size")) if isinstance(body, dict) else None
            return (*page_rows(body), full or PAGE_SIZE)

        listing = Listing(fetch, key=lambda row: _str(row, "id"), max_pages=MAX_LIST_PAGES)
        return [parse_asset(row) for row in await listing.rows()]

    # ------------------------------------------------------------------ videos

    async def submit_video(self, request: VideoRequest) -> VideoStatus:
        # Frames are refused here (capabilities), so every image is a reference, in order.
        model_id, images = checked_video(request, "Sunra", MODEL_IDS, self.capabilities)
        asset_ids = [image.asset_id for image in images]
        body = {
            "prompt": reference_prompt(request.prompt, len(asset_ids)),
            "reference_images": [f"asset://{a}" for a in asset_ids],
            "resolution": request.resolution,
            "ratio": request.ratio,
            "duration": request.duration,
            "generate_audio": request.audio,
        }
        data = _unwrap(await self.json("POST", f"{QUEUE_PATH}/{model_id}", json=body))
        request_id = _str(data, "request_id", "requestId", "id")
        if request_id is None:
            raise ProviderError("Sunra did not return a request_id")
        state = video_state(word(data, "status")) or VideoState.QUEUED
        if state not in (VideoState.QUEUED, VideoState.RUNNING):
            state = VideoState.QUEUED  # the outcome is read by get_video, never from a submit
        return VideoStatus(
            task_id=request_id,
            state=state,
            queue_position=integer(data.get("queue_position")),
            raw=data,
        )

    async def get_video(self, task_id: str) -> VideoStatus:
        base = f"{QUEUE_PATH}/requests/{quote(task_id, safe='')}"
        status = _unwrap(await self.json("GET", f"{base}/status"))
        said = _str(status, "status")
        state = video_state(word(status, "status")) or VideoState.QUEUED
        failed = state is VideoState.COMPLETED and (
            status.get("success") is False or status.get("error") not in (None, {}, "")
        )
        if state is VideoState.FAILED or failed:
            return _failed(task_id, status, said)
        if state is not VideoState.COMPLETED:
            return VideoStatus(
                task_id=task_id,
                state=state,
                queue_position=integer(status.get("queue_position")),
                raw=status,
            )
        url = find_video_url(status)
        raw = dict(status)
        if url is None:
            try:
                result = await self.json("GET", base)
            except SunraPredictionFailed as exc:
                return VideoStatus(
                    task_id=task_id,
                    state=VideoState.FAILED,
                    error_code=exc.code or "failed",
                    error_message=exc.message,
                    raw=raw,
                )
            raw["result"] = result
            url = find_video_url(result)
        if url is None:
            raise ProviderError("Sunra said the video is completed but gave no video url")
        return VideoStatus(
            task_id=task_id,
            state=VideoState.COMPLETED,
            video_url=url,
            url_expires_at=url_expiry(url),
            raw=raw,
        )


DECLARATION = declare(Sunra, "SUNRA_", "https://api.sunra.ai", "sandbox.sunra:SunraSimulator")
