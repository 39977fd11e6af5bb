"""An in-process simulator of OrcaRouter's Seedance asset library and video API.

It serves the test-suite and the bot's sandbox mode over real HTTP (aiohttp, 127.0.0.1). It
follows seed 002, ``PROVIDERS.md`` and the public docs.orcarouter.ai pages; where those are
silent it makes the choices below (a client must still tolerate the alternatives).

Accounts and errors
    Every ``/v1`` route wants ``Authorization: Bearer <key>``; each key is its own account
    (another account's group, asset or task is 404). Errors are OpenAI-style
    ``{"error": {"message", "type", "code"}}``: 401 ``invalid_api_key``, 400
    ``InvalidParameter`` (or a more precise code), 404 ``NotFound.GroupId`` /
    ``NotFound.AssetId`` / ``task_not_found``, 403 ``asset_quota_exceeded`` past the quota.
    Unknown ``/v1`` routes and wrong methods answer 404.

Verification sessions
    ``POST /v1/asset/real-human/sessions {return_url?}`` (``return_url`` must be http(s))
    -> ``{session_id: 40-char token, h5_link: "{base_url}/h5/{token}", status: "pending"}``.
    No session poll route exists (NOT FOUND in the docs). The link lives ``link_ttl`` seconds
    and is single use. When the person passes (``pass_link(h5_url)``, ``POST /_sim/pass
    {"url"}`` or ``POST /h5/{token}/pass``), a real-human group is created at once
    (``group-YYYYMMDDhhmmss-xxxxx``, Name ``real-human-...``, GroupType ``LivenessFace``)
    and, with ``follow_return_url=True`` (the default), the simulator GETs
    ``return_url?status=success&session_id=...&group_id=...`` itself, as the person's
    browser would (loopback hosts only; logged in ``return_visits``). ``pass_link`` does
    that in a task (``await wait_returns()``); the HTTP presses await it before answering.
    ``fail_link`` models a failed face check: no group, ``status=failed&group_id=``.
    ``follow_return_url=False`` models a person who never gets back to the page.
    ``GET /h5/{token}`` is an HTML page with a "Pass verification" form button;
    ``POST /h5/{token}/pass`` answers ``{"ok":true}`` or ``{"ok":false,"reason"}`` with 404
    ``unknown``, 409 ``used``, 410 ``expired`` (an HTML page for a browser form post).

Groups
    ``GET /v1/asset/groups?group_type=real_human|aigc (default real_human)&page_number
    (default 1)&page_size (1..100, default 10)&name (substring)&sort_by=CreateTime|UpdateTime
    &sort_order=Desc|Asc`` (default CreateTime, Desc) -> ``{TotalCount, Items: [{Id, Name,
    GroupType, ProjectName, CreateTime, UpdateTime}], PageNumber, PageSize}``. Times are ISO
    8601 UTC in whole seconds with ``Z``. ``POST /v1/asset/groups {Name, Description?}`` ->
    ``{Id}`` makes a virtual (AIGC) group, so the shared quota can be exercised.

Assets
    ``POST /v1/asset/files {GroupId, URL, AssetType, Name?}`` -> ``{Id}``
    (``asset-YYYYMMDDhhmmss-xxxxx``); only ``Image`` is simulated. The account's assets
    (every status, every group) count against ``asset_quota`` (default 100): past it, 403.
    The simulator GETs ``URL`` once before answering (loopback only, no redirects, at most
    30 MB) and checks it with ``media.inspect_image``; a failed fetch fails the asset with
    ``DownloadFailed``, a broken image with ``InvalidParameter`` (``.FileSize`` for 413).
    Otherwise the next scripted ``AssetOutcome`` decides (default Active; ``Failed`` without
    a code is ``FaceMismatch``, "Face consistency verification failed."). Status is
    ``Processing`` for ``processing_seconds``, then ``Active`` or ``Failed`` (with
    ``Error{Code, Message}``). ``GET /v1/asset/files/{id}`` -> ``{Id, GroupId, AssetType,
    Status, URL, CreateTime, UpdateTime}`` (no Name, as documented); ``GET /v1/asset/files
    ?group_id|group_type&statuses&name&page_number&page_size&sort_by&sort_order`` -> the page
    shape with ``Name`` in each item. ``URL`` is ``""`` until Active, then a signed
    ``/files/assets/{id}?expires&sig`` link to the fetched bytes, valid 12 h.

Videos
    ``POST /v1/video/generations {model, prompt, metadata{content[], ratio, duration,
    resolution, generate_audio, watermark}}``. Models: ``byteplus/dreamina-seedance-2-0-260128``
    and, with ``fast_available=True``, ``byteplus/seedance-2.0-fast`` (the docs list it as
    planned: 400 ``model_not_available`` otherwise). ``content[]`` items are ``{"type":
    "image_url", "image_url": {"url": "asset://<Id>"}, "role": "reference_image" |
    "first_frame" | "last_frame"}`` (text items are skipped; no role is Ark's first frame);
    each must name an Active asset of the account. Ark's three modes, never mixed: one
    first_frame; first_frame and last_frame (the same asset may be both); 1..9
    reference_image. Anything else (an unknown role, frames with references, two first
    frames, a last frame without a first, a tenth reference) is 400 ``InvalidParameter``. The
    prompt must not contain a referenced asset's raw Id, and every ``[Image N]`` in it must be
    within the images given. Every accepted body is appended to ``video_requests``.
    Defaults: duration 5 (4..15 or -1), resolution 720p (fast: 480p/720p), ratio adaptive,
    generate_audio true, watermark false. The answer and
    ``GET /v1/video/generations/{task_id}`` are ``{id, task_id (cgt-...), object: "video",
    model, status: queued -> in_progress -> completed | failed, progress 0..100, created_at,
    completed_at, metadata{duration, ratio, resolution, url?}, error: null | {code,
    message}}``. ``metadata.url`` is ``/files/videos/{task_id}.mp4?expires=<unix>&sig=``,
    no auth, 24 h; it serves the shipped sample MP4 or, with ``VideoOutcome.video_bytes``,
    the sample padded to that size.

Faults, timing, controls
    Faults (``inject``) match before any route or auth check except ``/_sim``; a faulted
    request gets the error envelope above; 429 carries ``Retry-After``. All timing is lazy
    against ``clock()`` (settled on each request and on reading ``groups``/``assets``/
    ``videos``); the only tasks are return visits. ``/_sim`` (no auth) mirrors the controls:
    ``POST /_sim/script/assets``, ``/_sim/script/videos``, ``/_sim/faults``, ``/_sim/pass
    {"url"}``, ``GET``/``DELETE /_sim/requests``.
"""

from sandbox.common import AssetOutcome, Fault, VideoOutcome
from sandbox.orcarouter.simulator import OrcaRouterSimulator
from sandbox.orcarouter.state import LinkRefused, ReturnVisit

__all__ = [
    "AssetOutcome",
    "Fault",
    "LinkRefused",
    "OrcaRouterSimulator",
    "ReturnVisit",
    "VideoOutcome",
]
