"""ToAPIs (seed 004): real-avatar verification, assets from a public URL, ``image_with_roles``.

Endpoints (``P`` = ``/v1/videos/doubao-seedance-2-0``; PROVIDERS.md writes the real-avatar
paths as ``.../real-avatar/...``: the prefix is taken from the private-avatar paths of seed 004)

- ``POST P/real-avatar/verify-tasks {callback_url?, locale, biz_id}`` -> ``data.task_id``.
- ``GET P/real-avatar/verify-tasks/{task_id}`` -> ``data{h5_link, byted_token, expires_at}``
  (also looked for under ``data.result``, APIMart-style). The page says ``completed`` means
  "session created", not "passed"; while the task has no link yet the client asks again every
  ``link_poll_seconds`` for up to ``link_wait_seconds``.
- ``GET P/real-avatar/verify-results?task_id=`` -> the outcome. The page lists the query
  parameters but the list is cut after "t"; we send ``task_id`` (it also says ``byted_token``
  "is used in the next step": the simulator accepts either). Shape NOT FOUND; read tolerantly:
  a group id in ``group_id``/``groupId``/``GroupId`` (also under ``result`` or ``group``) means
  passed; ``status`` failed/rejected, or a ``result_code`` other than ``10000`` with no
  group, means failed; anything else (pending, expired, verified but not yet bound) is pending.
- ``POST P/private-avatar/assets {group_id, asset_type: "image", source_url, name}`` ->
  ``data{asset_id, group_id, asset_type, source_url, status}``; ``GET P/private-avatar/assets/
  {asset_id}`` until ``status`` is ``active`` (processing | active | failed, any case). A failed
  asset's reason (NOT FOUND) is read from ``error{code,message}``, upstream ``Error{Code,
  Message}``, ``error_code``/``error_message`` or ``fail_reason``.
- ``POST /v1/videos/generations`` (the seed's path; the generation page shows
  ``/v1/video/generations``: on a 404 the client resends there once and keeps whichever path
  answered; a 404 creates nothing, so nothing is charged twice). ``GET
  /v1/videos/generations/{task_id}``. Video tasks are not wrapped: ``{id, object:
  "generation.task", model, status, progress, created_at, completed_at, expires_at, result{type:
  "video", url}, error{code, message}}``; status submitted | queued | in_progress | completed |
  failed. ToAPIs suggests polling every 5-10 s while submitted and 10-15 s while in progress;
  the client leaves the pace to its caller.

Choices where the documents are silent:

- Fresh links: :attr:`FreshLink.NEW_SESSION`. A verify task wraps one upstream H5 session whose
  ``byted_token`` is single use, and the page only says the GET *returns* the link, not that it
  mints one, so :meth:`ToAPIs.refresh_verification` returns None at no cost and the bot starts
  a new task. The group exists only after the person passed: a session carries ``session_id``
  = task id, ``group_id`` None.
- ``check_verifications``: no list or batch endpoint for results is documented, so it costs one
  ``GET verify-results?task_id=`` per pending task per call (the tracker only passes faces whose
  poll is due). The requests run concurrently (at most ``CHECK_CONCURRENCY``) and each answer is
  keyed by our own task id, so several pending verifications never mix and ``known_groups`` is
  not needed. One task's error does not hide the others' results; the call raises only if every
  request failed, or at once on an auth error.
- ``callback_url`` is sent only when the bot gives ``return_url``; ``locale`` is the person's
  language where it is ``en`` or ``zh`` (the docs' example is ``zh``; no list is documented,
  and ByteDance's check pages come in those two), else ``en``;
  ``biz_id`` is a fresh ``realface-<hex>`` per task (real-avatar groups have no name field).
- Video body: ``model``, ``prompt``, ``duration``, ``resolution``, ``generate_audio`` and
  ``aspect_ratio`` (the ``image_with_roles`` page's name; omitted for ``adaptive`` so ToAPIs
  decides), and ``image_with_roles: [{url: "asset://<id>", role}]`` in the request's order, the
  role being the image's own. The roles are documented ("Image assets can be used as:
  first_frame, last_frame, reference_image"; docs.toapis.com .../seedance-2/generation and
  .../doubao-seedance-2-0/generation, which also say seedance-2 and seedance-2-fast take
  first-frame and first-last-frame workflows): ``first_frame``; ``first_frame`` then
  ``last_frame`` (the same asset may be both); or 1..9 ``reference_image`` (Seedance's limit).
  Frames and references are never mixed (Seedance refuses that; the request is refused before
  sending by :func:`~bot.providers.checks.checked_video`). ``seedance-2-mini``, which has no
  frames, is not offered.
- Prompt: ``capabilities.image_tag`` is ``image {n}``, n being the position in
  ``image_with_roles``: the pages' own wording ("Keep the character from image 1", "start from
  image 1, and end on image 2"); no bracket or ``@`` form is documented. A references prompt
  naming no image (any case, "image 2" or "image2") gets the lead sentence "Keep the person from
  image 1 and image 2 as the main character." in the same form; frames prompts get none.
- Video callbacks: the generation pages document none (NOT FOUND; the verify task's
  ``callback_url`` is another thing), so ``video_callbacks`` is False and the bot polls.
- No asset list, group lookup, rename or delete is documented: ``list_assets`` raises
  :class:`ProviderError`, ``get_group`` reports a group we hold as active without a request (it
  exists only once verification passed), ``rename_group``/``delete_group`` return False.

Tolerance: the ``{success, message, data}`` envelope may be absent; ``success: false`` on a 2xx
is a rejection carrying the vendor's ``code``; extra fields are ignored; statuses compare
case-insensitively; times may be unix seconds, milliseconds or ISO 8601.
"""

from bot.providers.declaration import declare
from bot.providers.toapis.client import (
    ASSETS,
    CHECK_CONCURRENCY,
    LOCALE,
    PREFIX,
    VERIFY_RESULTS,
    VERIFY_TASKS,
    VIDEO_STATUS_PATH,
    VIDEO_SUBMIT_PATHS,
    ToAPIs,
)
from bot.providers.toapis.parsing import (
    IMAGE_TAG,
    MAX_PLAUSIBLE_LINK_SECONDS,
    MAX_REFERENCE_IMAGES,
    MODELS,
    PASSED_CODE,
    classify,
    generation_body,
    parse_asset,
    reference_prompt,
    unwrap,
    verification_outcome,
    video_status,
)

__all__ = [
    "ASSETS",
    "CHECK_CONCURRENCY",
    "DECLARATION",
    "IMAGE_TAG",
    "LOCALE",
    "MAX_PLAUSIBLE_LINK_SECONDS",
    "MAX_REFERENCE_IMAGES",
    "MODELS",
    "PASSED_CODE",
    "PREFIX",
    "VERIFY_RESULTS",
    "VERIFY_TASKS",
    "VIDEO_STATUS_PATH",
    "VIDEO_SUBMIT_PATHS",
    "ToAPIs",
    "classify",
    "generation_body",
    "parse_asset",
    "reference_prompt",
    "unwrap",
    "verification_outcome",
    "video_status",
]


DECLARATION = declare(ToAPIs, "TOAPIS_", "https://toapis.com", "sandbox.toapis:ToAPIsSimulator")
