"""An in-process simulator of PowerTokens' Asset Library (real-person assets) and video API.

It follows seed 003 and ``PROVIDERS.md``, plus PowerTokens' public video pages and its own
video-studio client; where they are silent it makes the choices below. One server plays both
hosts: the Asset Library (``https://powertokens.ai/api``) and the video API
(``https://api.powertokens.ai``), all routes at the root.

Accounts and auth
    Asset routes want ``Authorization: <key>`` (no "Bearer"; "Bearer <key>" is refused unless
    ``accept_bearer_on_assets``); video routes take either form. A bad key answers 401. Each key
    is its own account; another account's group, asset or video is "not found".
    ``GET /v1/asset/jobs/get-asset-id`` needs no auth at all; calls that carry an
    Authorization header anyway are counted in ``jobs_polled_with_auth``.

Asset Library (wrapped)
    Success ``{"code":200,"msg":"success","data":...}``; errors ``{"code":<status>,"msg",
    "data":null}`` with that HTTP status, or HTTP 200 with ``errors_in_body=True``.
    ``POST /v1/asset/get-authorize-url`` (optional JSON ``{group_name|name, callback_url}``)
    -> ``data{url}``: ``{base_url}/h5/{token}``, valid ``link_ttl`` s, single use. After the
    person passes, a group appears ``group_delay`` s later: ``{group_id: "group-<utc stamp>-
    <5 chars>", group_name: "RealPerson-<hex>", group_type: 1, real_human_type: 2,
    asset_count, created_at, updated_at}`` (unix seconds). Nothing in it points back to the
    link; with ``authorize_names=True`` the group takes the ``group_name`` sent with the
    authorize request. ``add_group`` puts in groups made elsewhere (console: real_human_type
    1; virtual: group_type 0).
    ``POST /v1/asset/groups/list {group_type?, real_human_type?, name?, page, page_size}`` and
    ``POST /v1/asset/groups/assets {group_id, type?, status?, name?, asset_id?, page,
    page_size}`` answer ``{list, total, page, page_size}``, newest first; ``page`` >= 1,
    ``page_size`` 1..100 (default 20). ``groups/create {name}`` makes a virtual group;
    ``groups/rename {group_id, name|group_name}`` (1..64 characters); ``groups/delete
    {group_id}`` drops the group, its assets and upload tasks.
    ``POST /v1/asset/upload`` multipart ``file`` + ``group_id`` (or ``group_name``: a virtual
    group of that name, made if missing) + optional ``name`` (default: the file name; 1..64)
    -> ``data{task_id}``. Image rules (``media.inspect_image``) answer 400/413 at once;
    ``asset_quota`` uploads per account, then 403 "Asset quota exceeded". ``get-asset-id
    ?task_id=`` answers ``data{task_id, status: "processing", asset_id: null}`` (msg
    "processing") for ``job_seconds`` (default half of ``processing_seconds``), then
    ``data{task_id, status: "succeeded", asset_id: "asset-<stamp>-<5>"}``; unknown task 404.
    From then the asset is listed: ``{asset_id, group_id, name, type: 1, status, mime_type,
    file_size, width, height, error, created_at}``, ``status`` 1 (under review) until
    ``processing_seconds`` after the upload, then 2 (succeeded) or 3 (failed, ``error{code,
    message}``; a scripted ``AssetOutcome("Failed")`` defaults to FaceMismatch).

Videos (not wrapped; errors ``{"error":{"code","message"}}``, code ``InvalidParameter`` 400,
``NotFound`` 404, ``Unauthorized`` 401)
    ``POST /v1/videos {model, media, seconds, size, ratio, generate_audio, watermark}``:
    models ``dreamina-seedance-2-0-260128`` (480p/720p/1080p) and
    ``dreamina-seedance-2-0-fast-260128`` (480p/720p); ``seconds`` a string "4".."15" or "-1"
    (default "5"); ratio default adaptive with images, else 16:9. ``media`` items: at most one
    ``{type: text, text}``; ``first_frame``/``last_frame`` (once each, last needs first) or
    ``reference_image`` (<= 9) / ``reference_video`` / ``reference_audio`` (<= 3), never
    frames and references together (the same asset may be first and last frame); any other
    ``type`` is refused; every ``url`` must be ``asset://<asset_id>`` of a succeeded asset of
    the account. Each refusal is 400 ``InvalidParameter``. Every accepted body is appended to
    ``video_requests``. Answers ``{id, task_id, object: "video", model, status:
    "pending", progress, created_at, ...}``; ``GET /v1/videos/{task_id}`` then says queued
    (``video_queued_seconds``) -> running (``video_running_seconds``) -> succeeded | failed,
    with ``completed_at``, and ``video_url`` ``{base_url}/files/videos/{id}.mp4?expires=&sig=``
    (no auth, 24 h, the sample MP4 or ``VideoOutcome.video_bytes`` bytes) or ``error{code,
    message}``.

Verification page and controls
    ``GET /h5/{token}`` is a page with a "Pass verification" button; ``POST /h5/{token}/pass``
    -> ``{"ok":true}`` or ``{"ok":false,"reason"}`` with 404 unknown / 409 used / 410 expired
    (HTML for a browser form post). Python: ``pass_link(h5_url)``, ``script_assets``,
    ``script_videos``, ``inject(Fault)``, ``add_group``, ``count``; state in ``groups``,
    ``sessions``, ``jobs``, ``assets``, ``videos``. HTTP: ``POST /_sim/script/assets``,
    ``/_sim/script/videos`` (JSON arrays), ``/_sim/faults``, ``/_sim/pass {"url"}``,
    ``GET``/``DELETE /_sim/requests``. Faults (:class:`Fault`: error answers, timeouts, resets,
    held answers) answer errors in the wrapped body (429 adds ``Retry-After``). All timing is
    lazy against ``clock()``; no background tasks.
"""

from sandbox.common import AssetOutcome, Fault, VideoOutcome
from sandbox.powertokens.simulator import PowerTokensSimulator

__all__ = ["AssetOutcome", "Fault", "PowerTokensSimulator", "VideoOutcome"]
