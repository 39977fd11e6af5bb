"""Token360 (seed 000): Real Face groups, multipart uploads, ``ta_`` assets.

Requests, as the seed shows them:

- ``POST /v1/asset-groups {name, groupKind: "REAL_FACE"}`` -> ``data.assetGroupId`` and
  (may include) ``data.h5Link``, valid 120 s.
- ``GET /v1/asset-groups/{id}`` -> the group; the seed says it gives a fresh ``h5Link``.
  Token360's own UI says "create a new group" instead; where no link comes back,
  :meth:`refresh_verification` returns None and the service creates a new group.
- ``GET /v1/asset-groups?groupKind=REAL_FACE&status&keyword&current&size`` -> a page of
  groups (filters: PROVIDERS.md). The order of a list is not documented: lists are read
  to their end (or until what is looked for is found), never for a fixed number of pages.
- ``POST /v1/assets`` multipart ``file``, ``name``, ``groupId`` -> ``data{id, assetId, ...}``.
- ``GET /v1/assets/{assetId}`` and ``GET /v1/assets?groupId=`` -> status.
- ``DELETE /v1/asset-groups/{groupId}`` -> ``data: "Deleted successfully"``: not in the seed,
  from Token360's public API reference, which says it deletes the group's assets too. This
  is how a withdrawn or deleted face's photos leave Token360. No rename is documented.

Videos (issue 13; research in /tmp/research13.md, section 1). ``POST /v1/videos {model,
prompt, duration, resolution, aspect_ratio, generate_audio, ...}``; the API "infers the
generation workflow from ``frame_images`` and ``input_references``" (API reference): there is
no mode field. Per mode:

- First frame (seed 000) and first + last frame (public client code, e.g. beizhangnina/AI-video
  ``from_first_last``): ``frame_images: [{type: "image_url", frame_type: "first_frame" |
  "last_frame", image_url: {url: "asset://ta_..."}}]``, first frame first. No lead-in.
- References (up to 9, Seedance 2.0's limit): ``input_references: [{type: "image_url",
  image_url: {url: "asset://ta_..."}}]`` in the order the prompt numbers them, and no
  ``frame_images`` (the API reference names the field; the item shape is from public client
  code, ``from_references``; whether items take a ``role`` key is not documented, so none is
  sent). How a prompt names reference n is NOT documented for Token360: we chose
  ``[Image {n}]`` (``capabilities.image_tag``; the form OrcaRouter documents and Ark's own
  positional style). A prompt naming none gets ``[Image 1] [Image 2] ...`` in front of it.
- ``aspect_ratio`` is the name Token360's API reference gives the ratio (the seed's example
  sends none); ``duration`` is an integer.
- Callbacks (Token360's webhook page): with ``VideoRequest.callback_url`` the body carries
  top-level ``callback_url`` and ``request_id``, "your business ID", echoed in the callback.
  Ours is a fresh ``realface-<24 hex>`` per submit (a submit is never resent, and the bot
  knows its job from the callback URL). Token360 POSTs once when the task is ``completed`` or
  ``failed``; 3 attempts in all, 1 s then 3 s apart, 30 s timeout each. The envelope's
  fields, headers and any signature are NOT documented: :func:`callback_status` reads
  ``{"request_id", "data": <the video object of GET /v1/videos/{id}>}`` (what the simulator
  sends, a choice) or a video object with ``request_id`` beside its fields. A callback is only
  a hint: the state is what ``GET /v1/videos/{id}`` says.

Tolerance, because the public pages disagree (shared/PROVIDERS.md): the ``{code, data,
msg}`` envelope may be absent; ``code`` 0 or 200 means OK; a page lists its rows in
``data.list`` or ``data.records`` (or ``data`` is the list); statuses compare
case-insensitively; a failed asset's reason may be ``error{code,message}``,
``errorCode``/``errorMessage``, ``failReason`` or upstream ``Error{Code,Message}``.
Group states other than active count as pending unless they say failed/rejected/expired.
"""

from bot.providers.declaration import declare
from bot.providers.token360.client import ACTIVE, MAX_REFERENCE_IMAGES, PAGE_SIZE, Token360
from bot.providers.token360.parsing import (
    IMAGE_TAG,
    MODEL_IDS,
    callback_status,
    page_rows,
    reference_prompt,
    unwrap,
    video_status,
)

__all__ = [
    "ACTIVE",
    "DECLARATION",
    "IMAGE_TAG",
    "MAX_REFERENCE_IMAGES",
    "MODEL_IDS",
    "PAGE_SIZE",
    "Token360",
    "callback_status",
    "page_rows",
    "reference_prompt",
    "unwrap",
    "video_status",
]

DECLARATION = declare(
    Token360, "TOKEN360_", "https://api.token360.ai", "sandbox.token360:Token360Simulator"
)
