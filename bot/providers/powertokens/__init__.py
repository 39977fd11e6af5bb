"""PowerTokens (seed 003): authorize URL, real-person groups found by listing, task-based uploads.

Two hosts. The Asset Library lives under ``base_url`` (production ``https://powertokens.ai/api``;
the ``/api`` prefix is part of it) and takes ``Authorization: <key>`` with no "Bearer" (seed;
``bearer=True`` sends "Bearer <key>" instead). Video generation lives at
``https://api.powertokens.ai`` and its pages show ``Authorization: Bearer <key>``
(``video_bearer``). ``video_base_url`` defaults to that host when ``base_url`` is the production
Asset Library, else to ``base_url`` itself (the simulator serves both).

Asset Library endpoints (wrapped ``{code: 200, data, msg}``):

- ``POST /v1/asset/get-authorize-url`` ``{group_name, callback_url?}`` -> the link, read from
  ``data`` as a string or from ``url``/``authorize_url``/``auth_url``/``h5_link``. Body NOT
  FOUND: ``group_name`` is our claim name (below), sent in case the group takes it.
- ``POST /v1/asset/groups/list`` ``{group_type: 1, page, page_size}`` -> groups ``{group_id,
  group_name, group_type, real_human_type, created_at}``. Rows are read from ``data`` as a list
  or ``data.list|items|records|rows|groups``; paging stops at ``total``, at a short page, or
  when a page repeats (an API that ignores ``page``). Rows with a ``group_type`` other than 1
  are skipped. A listed real-person group exists only after a passed check, so it is active
  unless its ``status`` says failed/disabled.
- ``POST /v1/asset/groups/rename`` ``{group_id, name, group_name}`` (the field name is NOT
  FOUND: both are sent); ``POST /v1/asset/groups/delete`` ``{group_id}``.
- ``POST /v1/asset/upload`` multipart ``file`` (named ``image.file_name``), ``group_id``,
  ``name`` -> ``data.task_id``. :class:`AssetInfo` then has ``asset_id`` None and the task id in
  ``record_id``, so an :class:`AssetRef` can be polled.
- ``GET /v1/asset/jobs/get-asset-id?task_id=`` WITHOUT auth (seed) -> ``data.asset_id`` once
  the file is processed. No asset id yet is "processing"; ``status`` failed (or a non-200
  ``code`` whose message says it failed) is "failed"; other non-200 codes count as processing
  too (the bot times an asset out), except 401/404/429/5xx, which raise.
- ``POST /v1/asset/groups/assets`` ``{group_id, asset_id?, page, page_size}`` -> rows ``{asset_id,
  name, status: 1 under review | 2 succeeded | 3 failed, error?}`` (strings such as
  ``active``/``failed`` are accepted too). :meth:`PowerTokens.get_asset` asks for the one asset
  by ``asset_id`` once the job gave it. Names lose a trailing image extension, as the file name
  may become the asset name.

Video (not wrapped; docs.powertokens.ai "Seedance 2.0" (dreamina-seedance-2-0-text-to-video,
multimodal-reference-to-video) and "video-status" pages, and PowerTokens/video-studio
models.py): ``POST /v1/videos {model, media: [{type: "text", text}, {type: <role>, url:
"asset://<asset_id>"}...], seconds: "5", size, ratio, generate_audio, watermark: false}`` ->
``{id, task_id, status: "pending"}``; ``GET /v1/videos/{task_id}`` -> status pending | queued |
running | succeeded | failed | cancelled | expired, ``video_url`` (24 h; also read from
``content.video_url``, ``metadata.url`` or ``url``), ``error{code, message}``. Models:
``seedance-2.0`` -> ``dreamina-seedance-2-0-260128``, ``seedance-2.0-fast`` ->
``dreamina-seedance-2-0-fast-260128``.

- ``media``: the text item first, then one item per image in the request's order, its
  ``type`` the image's role (documented: "2.0 supports text, first_frame, last_frame,
  reference_image, ..."): ``first_frame``; ``first_frame`` then ``last_frame`` (the same asset
  may be both); or 1..9 ``reference_image`` (Seedance's limit; video-studio's validator takes
  the same five types). Frames and references are never mixed (Ark refuses that; the request
  is refused before sending by :func:`~bot.providers.checks.checked_video`). The text item
  first is the docs' and video-studio's order; no order rule is documented.
- Prompt: ``capabilities.image_tag`` is ``Image {n}`` (n = position among the images). The
  /v1/videos pages show no syntax (NOT FOUND); the Seedance 2.0 sample on PowerTokens'
  official-compatible page (/byteplus/api/v3/contents/generations/tasks, ByteDance's own)
  names images in words: "the first frame is Image 1 ... freezes on Image 2". The brackets we
  used before (Ark 1.0's "[图1]") are gone: nothing on PowerTokens shows them for 2.0. A
  references prompt that names no image (``image 2``, ``Image2`` or ``[Image 2]``, any case)
  gets the lead-in "Image 1 and Image 2 show the person in this video." in the same form;
  frames prompts get none (:func:`reference_prompt`).
- Video callbacks: NOT FOUND on /v1/videos (only the Ark-compatible endpoint claims Ark's
  fields), so ``video_callbacks`` is False and the bot polls.

Finding the new group (``check_verifications``): one list request per call (plus pages), and
one rename per group found. The rows carry nothing documented that ties a group to the link
that made it, so:

1. Groups in ``known_groups`` are ignored.
2. Claim tag: every group we hand out is renamed to ``"<face name> #rf<8 hex>"``, the hex
   derived from the verification's ``session_id`` (our own ``pt-...`` nonce; the authorize
   answer has no documented id). A group carrying a pending verification's tag is that face's
   (a restart between the rename and the bot storing the group loses nothing); a group tagged
   for no pending verification belongs to an earlier face and is never handed out again. If
   the provider names the group after the ``group_name`` we sent with the authorize request,
   the group arrives tagged and is matched exactly.
3. Otherwise by time, oldest new group first. A group may belong to a verification only if
   this client did not list it at or before the verification started (``start_verification``
   lists the groups first, and every poll notes what it saw; "started" is when this client got
   the link, on its own ``clock``, or the bot's ``started_at`` for links from before a
   restart), and, where the row has a creation time with a known zone (unix, or ISO 8601 with
   an offset; naive strings are ignored), it was created no earlier than ``CLOCK_SKEW`` before
   the start and no later than ``PASS_WINDOW`` after it (the link lives 120 s). A group that
   several pending verifications could own is bound to none (a guess could give one person's
   face to another user); the bot avoids that case by running one PowerTokens verification
   per account at a time (``Capabilities.serial_verification``). The match is then renamed
   (step 2), so later polls find it by its tag.

Errors: HTTP statuses and non-200 ``code`` in a 2xx envelope both map to our hierarchy: 401 auth,
429 rate limited, 5xx unavailable, 402 and 403 with a quota/balance message QUOTA, other 403
OTHER, 404 NOT_FOUND, 409 GROUP_NOT_ACTIVE, 413 TOO_LARGE, other 4xx INVALID; a rejection keeps
the vendor's code (``code`` or ``error.code``) in ``.code`` (``http.status_error``). Extra fields
are ignored everywhere.
"""

from bot.providers.declaration import ClientSettings, declare, flag
from bot.providers.powertokens.client import (
    MAX_PAGES,
    MAX_REFERENCE_IMAGES,
    MODEL_IDS,
    PAGE_SIZE,
    PowerTokens,
)
from bot.providers.powertokens.matching import (
    CLOCK_SKEW,
    MAX_NAME,
    PASS_WINDOW,
    GroupRow,
    Match,
    claim_name,
    claim_tag,
    group_row,
    match_groups,
)
from bot.providers.powertokens.parsing import (
    IMAGE_TAG,
    PRODUCTION_ASSET_HOSTS,
    PRODUCTION_VIDEO_BASE,
    asset_error,
    asset_info,
    classify,
    default_video_base,
    error_for,
    page_rows,
    reference_prompt,
    timestamp,
    unwrap,
    video_status,
)

__all__ = [
    "CLOCK_SKEW",
    "DECLARATION",
    "IMAGE_TAG",
    "MAX_NAME",
    "MAX_PAGES",
    "MAX_REFERENCE_IMAGES",
    "MODEL_IDS",
    "PAGE_SIZE",
    "PASS_WINDOW",
    "PRODUCTION_ASSET_HOSTS",
    "PRODUCTION_VIDEO_BASE",
    "GroupRow",
    "Match",
    "PowerTokens",
    "asset_error",
    "asset_info",
    "claim_name",
    "claim_tag",
    "classify",
    "default_video_base",
    "error_for",
    "group_row",
    "match_groups",
    "page_rows",
    "reference_prompt",
    "timestamp",
    "unwrap",
    "video_status",
]


def _build(settings: ClientSettings) -> PowerTokens:
    return PowerTokens(
        settings.base_url,
        settings.api_key,
        timeout=settings.timeout,
        retry=settings.retry,
        # Its asset pages send the key bare; some of its video pages show "Bearer".
        bearer=flag(settings.options.get("AUTH_BEARER")),
    )


DECLARATION = declare(
    PowerTokens,
    "POWERTOKENS_",
    "https://powertokens.ai/api",
    "sandbox.powertokens:PowerTokensSimulator",
    build=_build,
    options=("AUTH_BEARER",),
)
