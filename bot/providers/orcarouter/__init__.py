"""OrcaRouter (seed 002): verification sessions, URL-only uploads, Seedance reference videos.

Endpoints (``Authorization: Bearer sk-orca-...``; shapes from the seed, PROVIDERS.md and the
public pages docs.orcarouter.ai/api-reference/seedance-assets/* and /seedance-video/overview):

- ``POST /v1/asset/real-human/sessions {return_url?}`` -> ``{session_id, h5_link, status:
  "pending"}``. No group exists yet: OrcaRouter creates it when the person passes, then sends
  their browser to ``return_url?status=&session_id=&group_id=`` (read it with
  :func:`parse_return`). We send no other field: the docs say extra fields go to the upstream
  call as they are. A session poll endpoint is NOT FOUND; the link lives about 120 s.
- ``GET /v1/asset/groups?group_type=real_human&page_number&page_size&sort_by=CreateTime
  &sort_order=Desc`` -> ``{TotalCount, Items: [{Id, Name, GroupType, CreateTime,
  UpdateTime}], PageNumber, PageSize}``. A real-human group exists only after a passed check,
  so every listed one is ACTIVE. No single-group GET is documented: :meth:`get_group` lists.
- ``POST /v1/asset/files {GroupId, URL, AssetType: "Image", Name}`` -> ``{Id}``: by public URL
  only (``ImageUpload.public_url``). Past the account cap (default 100 assets, shared with the
  virtual groups) the answer is 403: raised as ``ProviderRejected(reason=QUOTA)``.
- ``GET /v1/asset/files/{id}`` -> ``{Id, GroupId, AssetType, Status, URL, CreateTime,
  UpdateTime}`` plus ``Error{Code, Message}`` when Failed (``FaceMismatch`` for another
  person); PascalCase, not wrapped. ``GET /v1/asset/files?group_id&page_number&page_size``
  -> the page shape above, rows with ``Name``.
- ``POST /v1/video/generations {model, prompt, metadata{content[], ratio, duration,
  resolution, generate_audio, watermark}}`` -> ``{id, task_id, model, progress,
  created_at}``; ``GET /v1/video/generations/{task_id}``.

Choices where the documents are silent:

- Models: ``seedance-2.0`` -> ``byteplus/dreamina-seedance-2-0-260128`` (the only one the
  overview calls provisioned); ``seedance-2.0-fast`` -> ``byteplus/seedance-2.0-fast``
  (listed as "planned"), so ``capabilities.models`` offers only ``seedance-2.0``.
- ``content[]`` item: Ark's ``{"type": "image_url", "image_url": {"url": "asset://<Id>"},
  "role": <role>}``, one per image in the request's order, the role being the image's own
  (:class:`~bot.providers.base.ImageRole`): ``first_frame``; ``first_frame`` then
  ``last_frame``; or 1..9 ``reference_image``. The reference roles are documented by
  OrcaRouter (/seedance-video/overview: "role markers (reference_image / reference_video /
  reference_audio)"); the frame roles are INFERRED: the overview lists first-frame and
  first-and-last-frame videos as supported and says the content goes to Ark's
  /contents/generations/tasks as it is, whose frame roles are ``first_frame`` and
  ``last_frame``. Frames and references are never mixed (Ark refuses that; the request is
  refused here first, by :func:`~bot.providers.checks.checked_video`).
- Prompt: ``[Image k]`` is the k-th image of ``content[]`` (seed 002: "by type + position
  ([Image 1], ...) never by raw asset id"), so ``capabilities.image_tag`` is ``[Image {n}]``.
  Raw ids in the text become their tag; a references prompt naming no ``[Image k]`` gets a
  lead-in naming them all; frames prompts get none (:func:`compose_prompt`).
- Video callbacks: no callback field is documented (NOT FOUND), so ``video_callbacks`` is
  False and the bot polls.
- The video GET body is NOT FOUND: status is read from ``status`` (any case; queued |
  pending | submitted -> QUEUED, in_progress | running | processing -> RUNNING, completed |
  succeeded | success -> COMPLETED, failed | cancelled | expired -> FAILED), the URL from
  ``metadata.url``, ``url``, ``video_url``, ``content.video_url`` or ``result.url``. Its
  lifetime comes from ``expires_at`` or the URL's own ``expires``/``Expires``, else 24 h.
- Errors are OpenAI-style ``{"error": {message, type, code}}``: 401 -> auth; 403 on an
  upload -> QUOTA; any other 403 ("no permission for this model / group") -> auth; 402
  (balance) -> QUOTA; 429 and 5xx as ``http.py`` does. The vendor code stays in ``.code``.
- Group rename ("update-group operation") and delete: paths NOT FOUND, so both return False.

Tolerance: a ``{code, data}`` envelope is unwrapped when present; keys are read in
PascalCase, camelCase or snake_case; statuses compare case-insensitively; unknown fields are
kept in ``raw`` and otherwise ignored; times may be ISO 8601 or unix seconds/milliseconds.
"""

from bot.providers.declaration import declare
from bot.providers.orcarouter.client import MAX_PAGES, MAX_REFERENCE_IMAGES, MODEL_IDS, OrcaRouter
from bot.providers.orcarouter.matching import CLOCK_SLACK, LINK_TTL, MEMORY_SECONDS, PASS_WINDOW
from bot.providers.orcarouter.parsing import (
    ASSET_QUOTA,
    IMAGE_TAG,
    PAGE_SIZE,
    VerificationReturn,
    classify,
    compose_prompt,
    parse_return,
    read_page,
    unwrap,
    video_status,
)

__all__ = [
    "ASSET_QUOTA",
    "CLOCK_SLACK",
    "DECLARATION",
    "IMAGE_TAG",
    "LINK_TTL",
    "MAX_PAGES",
    "MAX_REFERENCE_IMAGES",
    "MEMORY_SECONDS",
    "MODEL_IDS",
    "PAGE_SIZE",
    "PASS_WINDOW",
    "OrcaRouter",
    "VerificationReturn",
    "classify",
    "compose_prompt",
    "parse_return",
    "read_page",
    "unwrap",
    "video_status",
]


DECLARATION = declare(
    OrcaRouter,
    "ORCAROUTER_",
    "https://api.orcarouter.ai",
    "sandbox.orcarouter:OrcaRouterSimulator",
)
