"""An in-process simulator of Token360's Real Face asset API and video API.

It serves the test-suite and the bot's sandbox mode over real HTTP (aiohttp). It follows
Token360's Real Face page (seed 000) and ``PROVIDERS.md``; where those are silent it makes the
choices below, and a client that works against it must still tolerate the alternatives
``PROVIDERS.md`` lists.

Accounts and auth
    Every ``/v1`` route wants ``Authorization: Bearer <key>``; a missing or unknown key answers
    401 ``{"code":401,"msg":"Invalid API key","data":null}``, on the video routes too. Each key
    is its own account: another account's group, asset or video is "not found" (404), and an
    ``asset://`` reference to it is rejected as unknown (400). Unknown ``/v1`` routes, and a
    known path with a wrong method (e.g. ``GET /v1/videos``), answer 404 without auth.

Asset endpoints (wrapped)
    Success ``{"code":0,"msg":"success","data":...}`` with HTTP 200; errors
    ``{"code":<http status>,"msg":"...","data":null}`` with that HTTP status.
    Group: ``{assetGroupId: "ag_"+24 hex, name, groupKind, status, h5Link, createdAt,
    updatedAt}``; ``status`` is ``pending_validation`` or ``active`` (always lower snake
    case); ``h5Link`` is always present, ``null`` when there is none. Times are ISO 8601 UTC
    with milliseconds and ``Z``. ``name`` is stripped and must be 1..64 characters;
    ``groupKind`` is ``REAL_FACE`` or ``VIRTUAL`` (a plain group, active at once, no link).
    ``DELETE /v1/asset-groups/{id}`` (Token360's public reference, not the seed) answers
    ``{"code":0,"data":"Deleted successfully","msg":"Asset group deleted"}`` and removes the
    group, its assets and its links (the page answers "unknown"); the id is kept in
    ``deleted_groups``. A video already running is not touched (nothing is documented).
    Asset: ``{id: int, assetId: "ta_"+32 hex, assetGroupId, name, status, mimeType,
    sizeBytes, width, height, error: null | {code, message}, createdAt, updatedAt}``;
    ``status`` is Processing | Active | Failed in the configured case. The multipart form
    needs ``file``, ``name`` (1..128 characters) and ``groupId``; missing ones answer 400
    before the group is looked up. A scripted ``AssetOutcome(status="Failed")`` without a
    code fails with ``FaceMismatch`` / "Face consistency verification failed.". HEIC
    reports ``mimeType`` ``image/heic``; phone JPEGs that Pillow reads as MPO report
    ``image/jpeg``; width and height are the stored pixels (EXIF rotation not applied).
    Image rules (``media.inspect_image``): under 30 MB (413), JPEG/PNG/WebP/BMP/TIFF/GIF/HEIC,
    sides 300..6000 px, width/height 0.4..2.5, fully decodable (400, message names the rule).
    Lists: ``current`` >= 1 (default 1), ``size`` 1..100 (default 20), either
    ``{records, total, current, size}`` or ``{list, pagination: {current, size, total}}``.
    The seed gives no order: ``list_order`` is ``newest`` (default) or ``oldest`` first by
    creation, or ``by_id`` (ascending id, unrelated to creation), so clients can be tested
    against any. Group filters: ``keyword`` (case-insensitive substring of the name, or the
    exact id), ``groupKind``, ``status`` (case-insensitive); ``group_filters=False`` takes
    ``keyword`` and ``status`` but ignores them. Asset filters: ``groupId``, ``status``
    (case-insensitive), ``keyword`` (name substring or exact assetId). Listed groups never
    carry an ``h5Link``: only the single-group GET mints links.

Verification links
    ``h5Link`` is ``{base_url}/h5/{token}``, a fresh 32-character url-safe token, valid
    ``link_ttl`` seconds and single use. ``GET /v1/asset-groups/{id}`` on a group that is
    pending and not yet passed mints a new link each call (``fresh_link_on_get``) and the
    group's earlier links stop working (410, reason ``superseded``): a client that polls
    that route kills the link the person is holding, so poll the list route instead. With
    ``fresh_link_on_get=False`` the GET carries ``h5Link: null`` (Token360's UI advice:
    create a new group). After the person passes, the group stays ``pending_validation`` for
    ``activation_delay`` seconds with no link, then turns ``active``. ``GET /h5/{token}``
    is an HTML page with a "Pass verification" button; ``POST /h5/{token}/pass`` answers
    ``{"ok":true}``, or ``{"ok":false,"reason":...}`` with 404 ``unknown``, 409 ``used``
    (or the group already passed), 410 ``expired`` / ``superseded``. A browser form post
    (``application/x-www-form-urlencoded``) gets the same status with an HTML page instead.

Videos (not wrapped)
    ``POST /v1/videos`` answers 200 ``{id: "video_"+24 hex, object: "video", status:
    "queued", model, created_at: unix int, error: null}``. ``GET /v1/videos/{id}`` answers
    the same object with ``status`` queued -> in_progress -> completed | failed.
    ``completed`` adds ``url``, ``completed_at`` (unix int), ``seconds`` (int; a duration of
    -1, "auto", reports 5) and ``size`` (OpenAI-style ``"WIDTHxHEIGHT"`` for the resolution
    and ratio; ``adaptive`` picks the ratio nearest the first frame, else 16:9). ``failed``
    sets ``error: {code, message}`` (default code ``InternalServiceError``). Errors:
    ``{"error":{"code","message"}}`` with code ``InvalidParameter`` (400) or ``NotFound``
    (404). Defaults: duration 5, resolution 720p, ``aspect_ratio`` adaptive (the name
    Token360's API reference gives; ``ratio``, which an earlier client sent, is read where
    ``aspect_ratio`` is absent), generate_audio true. Images, in one of two fields, never
    both (400):
    ``frame_images`` (may be absent: text-to-video): each entry needs ``type: image_url``,
    ``frame_type`` first_frame | last_frame (each at most once; last needs first) and
    ``image_url.url``. ``input_references``: 1..9 entries ``{type: image_url, image_url:
    {url}}`` (another ``type`` -> 400; other keys ignored), in the prompt's order.
    ``asset://`` refs must name an Active ``ta_`` asset of the same account; http(s) and
    data URLs are accepted unchecked. Unknown fields are ignored. Every accepted body is
    appended to ``video_requests``.

Video callbacks
    ``callback_url`` (http(s), else 400) with an optional ``request_id`` (text, else 400): when
    the video ends (its timing is lazy: ``created_at + video_queued_seconds +
    video_running_seconds`` on ``clock()``, which a background task reads every 10 ms) the
    state is settled first, so a GET made upon the callback sees the end, then one POST of
    ``{"request_id": <as sent, or null>, "data": <the object GET /v1/videos/{id} answers>}``
    (the envelope is a choice: Token360 documents none; no signature header). A non-2xx
    answer or a connection error is retried 1 s, then 3 s after it (on ``clock()``), 3
    attempts in all, 30 s timeout each (Token360's webhook page); then it gives up. Each
    attempt is recorded in ``callbacks_sent`` (``{url, body, status}``, status None with no
    answer); with ``drop_callbacks`` True none is sent and the callback goes to
    ``callbacks_dropped`` instead. ``callbacks.tasks`` are the deliveries still under way,
    cancelled by ``stop()``. There is no ``/_sim`` control for callbacks.

Video files
    ``url`` is ``{base_url}/files/videos/{id}.mp4?expires=<unix>&sig=<hex HMAC-SHA256>``,
    valid 24 h from completion, no auth. Wrong signature or past ``expires`` -> 403, unknown
    or unfinished video -> 404, both plain text. The body is the shipped 2 s 320x240 sample
    (whatever ``size`` and ``seconds`` claim), or, when ``VideoOutcome.video_bytes`` is set,
    the sample padded to exactly that many bytes, streamed in 1 MB chunks.

Faults and bookkeeping
    Faults (shared by every simulator: see :class:`Fault` and ``flaky``) are matched (method,
    path prefix; first match that strikes wins, ``times`` counts down) before any route or
    auth check, on every path except ``/_sim``. An error status answers the wrapped body
    ``{"code":status,"msg":<reason phrase>,"data":null}`` after ``delay`` (cut short by
    ``stop()``), and 429 adds ``Retry-After`` (whole seconds, at least 1); status 0 answers
    normally. Other kinds: ``timeout``, ``reset``, ``hold``; ``processed`` does the work
    first. ``requests`` records ``/v1`` and ``/files`` requests only, faulted ones included
    (and also in ``faulted``). All timing is evaluated lazily against ``clock()``
    whenever a request arrives or ``groups``/``assets``/``videos``/``links`` is read; the
    only background tasks are callback deliveries. ``/_sim`` (no auth) mirrors the Python
    controls for a bot in another process and adds ``DELETE /_sim/requests`` (``reset_counts``).
"""

from sandbox.common import AssetOutcome, Fault, VideoOutcome
from sandbox.helpers import Json
from sandbox.records import VIDEO_URL_TTL
from sandbox.token360.simulator import Token360Simulator
from sandbox.token360.state import (
    GROUP_ACTIVE,
    GROUP_PENDING,
    MODELS,
    RATIOS,
    RESOLUTIONS,
    Asset,
    AssetGroup,
    VerificationLink,
    VideoJob,
)

__all__ = [
    "GROUP_ACTIVE",
    "GROUP_PENDING",
    "MODELS",
    "RATIOS",
    "RESOLUTIONS",
    "VIDEO_URL_TTL",
    "Asset",
    "AssetGroup",
    "AssetOutcome",
    "Fault",
    "Json",
    "Token360Simulator",
    "VerificationLink",
    "VideoJob",
    "VideoOutcome",
]
