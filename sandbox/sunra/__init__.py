"""An in-process simulator of Sunra's Ark Assets API and its queue, for tests and sandbox mode.

It follows Sunra's Seedance 2.0 Face Authentication page (seed 001) and ``PROVIDERS.md``;
where they are silent it picks the shapes below. There is no liveness step and there are no
groups, so there are no H5 links: ``pass_link`` raises and ``POST /_sim/pass`` answers 404.

Accounts and auth
    Every ``/v1`` route wants ``Authorization: Bearer <key>`` (the SDK's form; ``Key <key>``,
    shown on Sunra's queue page, is accepted too). A missing or unknown key -> 401
    ``{"error": {"type": "authentication_error", "code": "unauthorized", ...}}``. Each key is
    its own account. Unknown ``/v1`` routes answer 401 without a key, else 404. Every error is
    ``{"error": {type, code, message[, details]}, request_id, timestamp, path}``.

Rate limits (per account, sliding windows against ``clock()``)
    Queue submits ``submit_per_second`` (10) and ``submit_per_minute`` (100); every other
    ``/v1`` request ``other_per_second`` (100) and ``other_per_minute`` (1800); None turns a
    limit off. Over a limit -> HTTP 403 ``{"error": {"type": "rate_limit_error", "code":
    "rate_limit_exceeded"}}`` with ``Retry-After`` (whole seconds; the docs do not say whether
    Sunra sends one). An injected ``Fault(status=403)`` answers the same body.

Ark assets (not wrapped)
    ``POST /v1/ark/assets {source_url, name?, asset_type?}`` -> 201 ``{id: "ark_"+24 hex,
    ark_asset_id: "asset-<yyyymmddHHMMSS>-<5 lower alnum>", name, asset_type, source_url,
    status: "processing", error: null, created_at, updated_at}`` (ISO 8601 UTC, ms, ``Z``).
    ``name`` defaults to the URL's file name, ``asset_type`` to the extension's kind (else
    image); bad fields -> 422 ``invalid_input``. The simulator GETs ``source_url`` twice
    (the relay's read, then upstream's), from 127.0.0.1 only (other hosts fail the asset),
    without proxies. A fetch that fails fails the asset (``error: {code:
    "input_fetch_failed", message}``); an image that breaks ``media.inspect_image`` fails it
    with ``InvalidParameter``; otherwise the next scripted ``AssetOutcome`` (default Active;
    Failed defaults to ``FaceMismatch``) decides (a failed fetch or image check consumes no
    script). Upstream settles ``processing_seconds`` after
    creation. ``GET /v1/ark/assets/{id}`` refreshes the stored status from upstream and, when
    active, adds ``ark_url`` (``{base}/files/ark/{id}?expires&sig``, 12 h, the fetched bytes).
    ``GET /v1/ark/assets?status&page(>=1)&page_size(1..100, default 20)`` -> ``{items, total,
    page, page_size}``, newest first, rows as stored: with ``list_refreshes=False`` (default) a
    row's status is what the last GET saw. ``DELETE /v1/ark/assets/{id}`` soft-deletes ->
    ``{id, deleted: true}``; afterwards the asset is 404 and unlisted.

Queue
    ``POST /v1/queue/{model-id}`` -> ``{request_id: "pd_"+24 alnum, status: "IN_QUEUE",
    status_url, response_url, cancel_url}`` (absolute URLs). Models: the two relay
    reference-to-video ids and the two direct ones; others -> 404 ``model_not_found``.
    Schema (422): ``prompt`` str|null; ``reference_images`` <= 9, ``reference_videos`` /
    ``reference_audios`` <= 3; images ``asset://``, http(s) or data URLs; duration 4..15 or
    -1 (default 5); resolution 480p|720p|1080p (fast: 480p|720p; default 720p); ratio from
    the Seedance list (default adaptive); generate_audio bool (default true). An
    ``asset://`` ref on a direct model, or naming no upstream-active asset of the account,
    fails the prediction with ``InvalidParameter`` (the queue takes it; upstream refuses).
    ``GET .../requests/{id}/status`` -> ``{request_id, status, queue_position (IN_QUEUE,
    0-based), response_url, logs: null}``; IN_QUEUE for ``video_queued_seconds``, IN_PROGRESS
    for ``video_running_seconds``, then COMPLETED with ``success`` and ``error`` (null or
    ``{type: "prediction_failed", code, message, details: {code, message, reason, retryable,
    timestamp}}``; ``unsafe_content`` has reason ``moderation_blocked``). With
    ``failure_status="FAILED"`` a failure ends in status FAILED instead. ``GET
    .../requests/{id}`` -> 200 ``{video: {url, content_type, file_name, file_size},
    total_tokens, units}`` when it succeeded; 400 ``PREDICTION_FAILED`` with the v2 object in
    ``details`` when it failed (the SDK's contract); 400 ``request_not_completed`` before.
    ``PUT .../cancel`` -> ``{request_id, status: "CANCELLED"}`` while IN_QUEUE, else 400.
    ``video.url`` is ``{base}/files/videos/{id}.mp4?expires&sig``, 24 h, no auth (403 past
    ``expires`` or with a bad signature): the shipped sample MP4, padded to
    ``VideoOutcome.video_bytes`` when set.
    Every submit the queue takes (past the schema) is appended to ``video_requests``: a
    copy of its body with the model path under ``"_model"``. Only ``reference-to-video``
    models are served (``image-to-video`` with ``start_image``/``end_image`` is not: the bot
    sends Sunra no frames), and a ``?webhook=`` is ignored (Sunra documents no webhooks).

Faults and bookkeeping
    ``inject(Fault)`` as in :class:`SimulatorBase` (before auth and limits); ``requests`` logs
    ``/v1`` and ``/files``. All timing is lazy against ``clock()``; no background tasks.
    ``/_sim``: ``POST script/assets``, ``POST script/videos``, ``POST faults``, ``POST pass``
    (404), ``GET|DELETE requests``.
"""

from sandbox.common import AssetOutcome, Fault, VideoOutcome
from sandbox.sunra.simulator import SunraSimulator

__all__ = ["AssetOutcome", "Fault", "SunraSimulator", "VideoOutcome"]
