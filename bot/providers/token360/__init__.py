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

Tolerance, because the public pages disagree (shared/PROVIDERS.md): the ``{code, data,
msg}`` envelope may be absent; ``code`` 0 or 200 means OK; a page lists its rows in
``data.list`` or ``data.records`` (or ``data`` is the list); statuses compare
case-insensitively; a failed asset's reason may be ``error{code,message}``,
``errorCode``/``errorMessage``, ``failReason`` or upstream ``Error{Code,Message}``.
Group states other than active count as pending unless they say failed/rejected/expired.
"""

from bot.providers.declaration import declare
from bot.providers.token360.client import ACTIVE, PAGE_SIZE, Token360
from bot.providers.token360.parsing import page_rows, unwrap, video_status

__all__ = [
    "ACTIVE",
    "DECLARATION",
    "PAGE_SIZE",
    "Token360",
    "page_rows",
    "unwrap",
    "video_status",
]

DECLARATION = declare(
    Token360, "TOKEN360_", "https://api.token360.ai", "sandbox.token360:Token360Simulator"
)
