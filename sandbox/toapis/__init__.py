"""An in-process simulator of ToAPIs' Seedance 2.0 avatar and video API (seed 004).

It serves the test-suite (and a sandbox) over real HTTP (aiohttp) on 127.0.0.1. It follows
seed 004 and the ToAPIs section of ``PROVIDERS.md``; where they are silent it makes the choices
below (the client must still tolerate the alternatives its docstring lists). ``P`` is
``/v1/videos/doubao-seedance-2-0``: PROVIDERS.md writes the real-avatar paths as ``...``; the
prefix is taken from the private-avatar paths of the seed.

Accounts and auth
    Every ``/v1`` route wants ``Authorization: Bearer <key>``; a missing or unknown key answers
    401. Each key is its own account: another account's task, group, asset or video is 404.
    Unknown ``/v1`` routes and wrong methods answer 404.

Avatar routes (wrapped)
    Success ``{"success": true, "message": "", "data": ...}``, HTTP 200. Errors ``{"success":
    false, "message": "...", "data": null}`` with the HTTP status, plus ``"code"`` (a string)
    where there is a specific one (``invalid_api_key``, ``task_not_found``, ``group_not_found``,
    ``asset_not_found``, ``asset_quota``). Injected faults answer this shape on every path.

Real-avatar verification
    ``POST P/real-avatar/verify-tasks {callback_url?, locale?, biz_id?}`` -> ``data{task_id:
    "task_"+26 hex, status}``. ``callback_url`` is optional here (the page's example always
    sends one) but must be http(s) if given. The upstream session is ready ``session_seconds``
    after creation (status ``submitted``/``in_progress`` until then, ``completed`` after:
    "session created", not "passed"). ``GET P/real-avatar/verify-tasks/{task_id}`` -> ``data{
    task_id, status, biz_id, locale, callback_url, h5_link, byted_token, expires_at (unix int),
    created_at}``, the link fields null until ready. One task = one link: a GET never mints a new
    one; after ``link_ttl`` the same, dead link comes back (the bot starts a new task instead).
    ``GET P/real-avatar/verify-results?task_id=`` (or ``?byted_token=``; one of them is required,
    400 otherwise) -> ``data{task_id, status, result_code, group_id}`` with status ``pending``
    (link live), ``expired`` (link dead, not passed), ``processing`` (passed, result_code
    ``10000``, group being bound for ``activation_delay`` s), ``verified`` (``group_id`` =
    ``group-YYYYmmddHHMMSS-xxxxx``) or ``failed`` (result_code not ``10000``). Asking does not use
    anything up. There is no list of results. Once the person finished the page (passed or
    not), their browser is sent to the task's ``callback_url`` with ``?bytedToken=&resultCode=``
    added, as ByteDance's CreateVisualValidateSession does (what ToAPIs sends there is NOT
    FOUND; the upstream redirect is documented): the simulator makes that visit
    (``callback_visits``), to loopback hosts only.

H5 links
    ``{base_url}/h5/{token}``, valid ``link_ttl`` s from the session being ready, single use.
    ``GET`` is an HTML page with a "Pass verification" form button; ``POST {link}/pass`` answers
    ``{"ok":true}`` or ``{"ok":false,"reason":...}`` with 404 ``unknown``, 409 ``used`` (the task
    was already decided) or 410 ``expired``; a browser form post gets an HTML page instead.

Private-avatar groups and assets
    ``POST P/private-avatar/groups {name, description?}`` -> a virtual group (active at once).
    Real groups come from passed verifications. ``POST P/private-avatar/assets {group_id,
    asset_type, source_url, name?}``: ``asset_type`` image only (video/audio: 400), ``source_url``
    must be http(s) (400), unknown group 404, past ``asset_quota`` assets per account 403. The
    simulator sends ``source_url`` a HEAD, then a GET, during the POST (127.0.0.1 only; other
    hosts are not fetched), and checks it with ``media.inspect_image``; any problem makes the
    asset fail (``SourceUrlUnreachable`` or ``InvalidImage``) instead of taking the next
    scripted outcome.
    Answer ``data{asset_id: "asset-YYYYmmddHHMMSS-xxxxx", group_id, asset_type, name, source_url,
    status, error, created_at, updated_at}``; status ``processing`` for ``processing_seconds``,
    then ``active`` or ``failed`` (lower case) with ``error{code, message}`` (scripted default
    ``FaceMismatch``). ``GET P/private-avatar/assets/{asset_id}``. No list route.

Videos (not wrapped)
    ``POST /v1/videos/generations`` and ``POST /v1/video/generations`` (``video_submit_paths``
    chooses which exist) take ``model`` (seedance-2 | seedance-2-fast), ``prompt``, ``duration``
    (4..15 or -1, default 5), ``resolution`` (fast: 480p/720p), ``aspect_ratio`` (or ``ratio``,
    default adaptive), ``generate_audio`` (default true; resolution and audio also read from
    ``metadata``), ``image_with_roles`` (at most 9 ``{url, role}``; role first_frame | last_frame
    | reference_image; one first_frame, or a first_frame and one last_frame (the same asset may
    be both), or 1..9 reference_image, never frames with references; ``asset://`` must name an
    active asset of the account, http(s) URLs are taken unchecked; each refusal is 400).
    Unknown fields are ignored. Every accepted body is appended to ``video_requests``. Errors
    ``{"error":{"code","message","type"}}`` (``InvalidParameter`` 400, ``NotFound`` 404).
    Task: ``{id, object: "generation.task", model, status, progress, created_at, metadata}``;
    status ``submitted`` then ``queued`` (each half of ``video_queued_seconds``), ``in_progress``
    (``video_running_seconds``), then ``completed`` with ``completed_at``, ``expires_at`` and
    ``result{type: "video", url, duration, resolution}``, or ``failed`` with ``error{code,
    message}`` (default ``InternalServiceError``). ``GET /v1/videos/generations/{id}`` (and the
    singular path). ToAPIs suggests polling every 5-10 s while submitted and 10-15 s while in
    progress: each poll is recorded and :meth:`ToAPIsSimulator.early_polls` counts the early
    ones; nothing is enforced.

Video files
    ``{base_url}/files/videos/{id}.mp4?expires=<unix>&sig=<HMAC>``, valid 24 h from completion
    (ToAPIs' lifetime is NOT FOUND; upstream's is 24 h), no auth; bad signature or past expiry
    403, unknown or unfinished 404. The body is the shipped sample MP4, padded to
    ``VideoOutcome.video_bytes`` if set.

Controls and bookkeeping
    ``script_assets``, ``script_videos``, ``inject(Fault)``, ``pass_link(h5_url)``,
    ``fail_link(h5_url, result_code)``; readable ``tasks``, ``groups``, ``assets``, ``videos``
    and ``fetches`` (every source URL fetched). Over HTTP: ``POST /_sim/script/assets``,
    ``/_sim/script/videos``, ``/_sim/faults``, ``/_sim/pass {"url"}``, ``/_sim/fail {"url",
    "result_code"?}``, ``GET``/``DELETE /_sim/requests``. All timing is evaluated lazily against
    ``clock()``; there are no background tasks.
"""

from sandbox.common import AssetOutcome, Fault, VideoOutcome
from sandbox.toapis.simulator import ToAPIsSimulator

__all__ = ["AssetOutcome", "Fault", "ToAPIsSimulator", "VideoOutcome"]
