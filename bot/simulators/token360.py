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
    Lists: ``current`` >= 1 (default 1), ``size`` 1..100 (default 20), newest first, either
    ``{records, total, current, size}`` or ``{list, pagination: {current, size, total}}``.
    Group filters: ``keyword`` (case-insensitive substring of the name, or the exact id),
    ``groupKind``, ``status`` (case-insensitive). Asset filters: ``groupId``, ``status``
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
    (404). Defaults: duration 5, resolution 720p, ratio adaptive, generate_audio true.
    ``frame_images`` may be absent (text-to-video); each entry needs ``type: image_url``,
    ``frame_type`` first_frame | last_frame (each at most once; last needs first) and
    ``image_url.url``; ``asset://`` refs must name an Active ``ta_`` asset of the same
    account; http(s) and data URLs are accepted unchecked. Unknown fields are ignored.

Video files
    ``url`` is ``{base_url}/files/videos/{id}.mp4?expires=<unix>&sig=<hex HMAC-SHA256>``,
    valid 24 h from completion, no auth. Wrong signature or past ``expires`` -> 403, unknown
    or unfinished video -> 404, both plain text. The body is the shipped 2 s 320x240 sample
    (whatever ``size`` and ``seconds`` claim), or, when ``VideoOutcome.video_bytes`` is set,
    the sample padded to exactly that many bytes, streamed in 1 MB chunks.

Faults and bookkeeping
    Faults are matched (method, path prefix; first match wins, ``times`` counts down) before
    any route or auth check, on every path except ``/_sim``; ``delay`` sleeps first (cut
    short by ``stop()``); status 0 then answers normally, any other status answers the
    wrapped body ``{"code":status,"msg":<reason phrase>,"data":null}``, and 429 adds
    ``Retry-After`` (whole seconds, at least 1). ``requests`` records ``/v1`` and ``/files``
    requests only, faulted ones included. All timing is evaluated lazily against ``clock()``
    whenever a request arrives or ``groups``/``assets``/``videos``/``links`` is read; there
    are no background tasks. ``/_sim`` (no auth) mirrors the Python controls for a bot in
    another process and adds ``DELETE /_sim/requests`` (``reset_counts``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import itertools
import logging
import math
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Literal

from aiohttp import BodyPartReader, web

from bot.simulators.common import (
    AssetOutcome,
    Fault,
    Handler,
    SimulatorBase,
    VideoOutcome,
)
from bot.simulators.media import (
    MAX_IMAGE_BYTES,
    ImageRejected,
    inspect_image,
)

log = logging.getLogger(__name__)

Json = dict[str, Any]

GROUP_PENDING = "pending_validation"
GROUP_ACTIVE = "active"
MODELS = ("seedance-2.0", "seedance-2.0-fast")
RESOLUTIONS = ("480p", "720p", "1080p")
RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "adaptive")
VIDEO_URL_TTL = 24 * 3600
_DIMENSIONS: dict[str, tuple[tuple[int, int], ...]] = {  # in RATIOS order, without adaptive
    "480p": ((992, 432), (864, 496), (752, 560), (640, 640), (560, 752), (496, 864)),
    "720p": ((1470, 630), (1280, 720), (1112, 834), (960, 960), (834, 1112), (720, 1280)),
    "1080p": ((2206, 946), (1920, 1080), (1664, 1248), (1440, 1440), (1248, 1664), (1080, 1920)),
}


@dataclass
class AssetGroup:
    group_id: str
    account: str
    name: str
    kind: str
    status: str
    created_at: float
    updated_at: float
    seq: int
    passed_at: float | None = None
    link_token: str | None = None  # the newest link minted for this group


@dataclass
class VerificationLink:
    token: str
    group_id: str
    expires_at: float
    state: Literal["open", "used", "superseded"] = "open"


@dataclass
class Asset:
    record_id: int
    asset_id: str
    account: str
    group_id: str
    name: str
    mime_type: str
    size_bytes: int
    width: int
    height: int
    created_at: float
    updated_at: float
    outcome: AssetOutcome
    status: str = "Processing"  # Processing | Active | Failed (title case internally)


@dataclass
class VideoJob:
    video_id: str
    account: str
    model: str
    prompt: str
    duration: int
    resolution: str
    ratio: str
    generate_audio: bool
    asset_ids: list[str]
    width: int
    height: int
    created_at: float
    outcome: VideoOutcome
    status: str = "queued"  # queued | in_progress | completed | failed
    completed_at: float | None = None


class _ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def _iso(ts: float) -> str:
    stamp = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Simulated fault"


def _wrapped(data: object) -> web.Response:
    return web.json_response({"code": 0, "msg": "success", "data": data})


def _wrapped_error(
    status: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"code": status, "msg": message, "data": None}
    return web.json_response(body, status=status, headers=headers)


def _video_error(status: int, message: str, code: str | None) -> web.Response:
    code = code or {400: "InvalidParameter", 404: "NotFound"}.get(status, _phrase(status))
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _int_param(query: Any, name: str, default: int) -> int:
    raw = query.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise _ApiError(400, f"{name} must be an integer") from None


async def _read_part(part: BodyPartReader, keep: int) -> tuple[bytes, int]:
    """Read a whole part, keeping at most ``keep`` bytes; return (kept bytes, total size)."""
    kept = bytearray()
    total = 0
    while chunk := await part.read_chunk(1 << 16):
        total += len(chunk)
        if len(kept) < keep:
            kept.extend(chunk[: keep - len(kept)])
    return bytes(kept), total


class Token360Simulator(SimulatorBase):
    """Token360 Real Face + video API on 127.0.0.1; see the module docstring for the shapes."""

    def __init__(
        self,
        *,
        api_keys: Iterable[str] = ("sim-key",),
        link_ttl: float = 120.0,
        activation_delay: float = 0.0,
        processing_seconds: float = 0.2,
        video_queued_seconds: float = 0.1,
        video_running_seconds: float = 0.3,
        fresh_link_on_get: bool = True,
        list_shape: Literal["records", "list"] = "records",
        status_case: Literal["title", "lower", "upper"] = "title",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api_keys = frozenset(api_keys)
        self._link_ttl = link_ttl
        self._activation_delay = activation_delay
        self._processing_seconds = processing_seconds
        self._video_queued_seconds = video_queued_seconds
        self._video_running_seconds = video_running_seconds
        self._fresh_link_on_get = fresh_link_on_get
        self._list_shape = list_shape
        self._status_case = status_case
        super().__init__(clock=clock)
        self._secret = secrets.token_bytes(32)
        self._seq = itertools.count(1)
        self._record_ids = itertools.count(1)
        self._groups: dict[str, AssetGroup] = {}
        self._links: dict[str, VerificationLink] = {}
        self._assets: dict[str, Asset] = {}
        self._videos: dict[str, VideoJob] = {}
        self._asset_script: deque[AssetOutcome] = deque()
        self._video_script: deque[VideoOutcome] = deque()
        self._add_routes()

    def _add_routes(self) -> None:
        self.app.add_routes(
            [
                web.post("/v1/asset-groups", self._create_group),
                web.get("/v1/asset-groups", self._list_groups),
                web.get("/v1/asset-groups/{group_id}", self._get_group),
                web.post("/v1/assets", self._upload_asset),
                web.get("/v1/assets", self._list_assets),
                web.get("/v1/assets/{asset_id}", self._get_asset),
                web.post("/v1/videos", self._create_video),
                web.get("/v1/videos/{video_id}", self._get_video),
                web.get("/files/videos/{video_id}.mp4", self._download_video),
                web.get("/h5/{token}", self._h5_page),
                web.post("/h5/{token}/pass", self._h5_pass),
                web.post("/_sim/script/assets", self._sim_script_assets),
                web.post("/_sim/script/videos", self._sim_script_videos),
                web.post("/_sim/faults", self._sim_fault),
                web.post("/_sim/groups/{group_id}/pass", self._sim_pass),
                web.get("/_sim/requests", self._sim_requests),
                web.delete("/_sim/requests", self._sim_reset_requests),
            ]
        )

    # ------------------------------------------------------------------ lifecycle

    # ------------------------------------------------------------------ controls

    def script_assets(self, *outcomes: AssetOutcome) -> None:
        self._asset_script.extend(outcomes)

    def script_videos(self, *outcomes: VideoOutcome) -> None:
        self._video_script.extend(outcomes)

    def pass_link(self, h5_url: str) -> None:
        """The person behind this H5 link passed (as the page's button would do)."""
        token = h5_url.rstrip("/").rsplit("/", 1)[-1]
        self.pass_verification(self._links[token].group_id)

    def pass_verification(self, group_id: str) -> None:
        """The person passed the H5 check for ``group_id`` (link expiry does not matter)."""
        group = self._groups[group_id]
        if group.status == GROUP_PENDING and group.passed_at is None:
            self._mark_passed(group)

    @property
    def groups(self) -> dict[str, AssetGroup]:
        self._settle()
        return self._groups

    @property
    def links(self) -> dict[str, VerificationLink]:
        self._settle()
        return self._links

    @property
    def assets(self) -> dict[str, Asset]:
        self._settle()
        return self._assets

    @property
    def videos(self) -> dict[str, VideoJob]:
        self._settle()
        return self._videos

    # ------------------------------------------------------------------ state machine

    def _settle(self) -> None:
        now = self._clock()
        for group in self._groups.values():
            if group.status == GROUP_PENDING and group.passed_at is not None:
                active_at = group.passed_at + self._activation_delay
                if now >= active_at:
                    group.status, group.updated_at = GROUP_ACTIVE, active_at
        for asset in self._assets.values():
            ready_at = asset.created_at + self._processing_seconds
            if asset.status == "Processing" and now >= ready_at:
                asset.status, asset.updated_at = asset.outcome.status, ready_at
        for video in self._videos.values():
            started = video.created_at + self._video_queued_seconds
            finished = started + self._video_running_seconds
            if video.status in ("queued", "in_progress"):
                if now >= finished:
                    video.status, video.completed_at = video.outcome.status, finished
                elif now >= started:
                    video.status = "in_progress"

    def _mark_passed(self, group: AssetGroup) -> None:
        group.passed_at = group.updated_at = self._clock()
        link = self._links.get(group.link_token or "")
        if link is not None and link.state == "open":
            link.state = "used"
        self._settle()

    def _issue_link(self, group: AssetGroup, origin: str) -> str:
        old = self._links.get(group.link_token or "")
        if old is not None and old.state == "open":
            old.state = "superseded"
        token = secrets.token_urlsafe(24)
        self._links[token] = VerificationLink(
            token, group.group_id, self._clock() + self._link_ttl
        )
        group.link_token = token
        return f"{origin}/h5/{token}"

    def _origin(self, request: web.Request) -> str:
        return self.base_url or f"{request.scheme}://{request.host}"

    def fault_body(
        self, status: int, message: str, headers: dict[str, str] | None
    ) -> web.StreamResponse:
        return _wrapped_error(status, message, headers)

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        self._settle()
        is_video = path.startswith("/v1/videos")
        try:
            return await handler(request)
        except _ApiError as exc:
            if is_video and exc.status != 401:
                return _video_error(exc.status, exc.message, exc.code)
            return _wrapped_error(exc.status, exc.message)
        except web.HTTPException as exc:
            if not path.startswith("/v1/") or exc.status < 400:
                raise
            status = 404 if exc.status == 405 else exc.status
            if is_video:
                return _video_error(status, _phrase(status), None)
            return _wrapped_error(status, _phrase(status))

    def _account(self, request: web.Request) -> str:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or key not in self._api_keys:
            raise _ApiError(401, "Invalid API key")
        return key

    async def _json_body(self, request: web.Request) -> Json:
        try:
            body = await request.json()
        except ValueError:
            raise _ApiError(400, "Request body must be JSON") from None
        if not isinstance(body, dict):
            raise _ApiError(400, "Request body must be a JSON object")
        return body

    def _page(self, items: list[Json], request: web.Request) -> Json:
        current = _int_param(request.query, "current", 1)
        size = _int_param(request.query, "size", 20)
        if current < 1:
            raise _ApiError(400, "current must be >= 1")
        if not 1 <= size <= 100:
            raise _ApiError(400, "size must be between 1 and 100")
        chunk = items[(current - 1) * size : current * size]
        total = len(items)
        if self._list_shape == "records":
            return {"records": chunk, "total": total, "current": current, "size": size}
        return {"list": chunk, "pagination": {"current": current, "size": size, "total": total}}

    # ------------------------------------------------------------------ asset groups

    def _group_json(self, group: AssetGroup, h5_link: str | None = None) -> Json:
        return {
            "assetGroupId": group.group_id,
            "name": group.name,
            "groupKind": group.kind,
            "status": group.status,
            "h5Link": h5_link,
            "createdAt": _iso(group.created_at),
            "updatedAt": _iso(group.updated_at),
        }

    def _own_group(self, account: str, group_id: str) -> AssetGroup:
        group = self._groups.get(group_id)
        if group is None or group.account != account:
            raise _ApiError(404, "Asset group not found")
        return group

    async def _create_group(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        body = await self._json_body(request)
        name, kind = body.get("name"), body.get("groupKind")
        if kind not in ("REAL_FACE", "VIRTUAL"):
            raise _ApiError(400, "groupKind must be REAL_FACE or VIRTUAL")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 64:
            raise _ApiError(400, "name must be 1..64 characters")
        now = self._clock()
        group = AssetGroup(
            group_id="ag_" + secrets.token_hex(12),
            account=account,
            name=name.strip(),
            kind=kind,
            status=GROUP_PENDING if kind == "REAL_FACE" else GROUP_ACTIVE,
            created_at=now,
            updated_at=now,
            seq=next(self._seq),
        )
        self._groups[group.group_id] = group
        link = self._issue_link(group, self._origin(request)) if kind == "REAL_FACE" else None
        return _wrapped(self._group_json(group, link))

    async def _get_group(self, request: web.Request) -> web.StreamResponse:
        group = self._own_group(self._account(request), request.match_info["group_id"])
        link = None
        if group.status == GROUP_PENDING and group.passed_at is None and self._fresh_link_on_get:
            link = self._issue_link(group, self._origin(request))
        return _wrapped(self._group_json(group, link))

    async def _list_groups(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        query = request.query
        keyword = query.get("keyword", "").strip().lower()
        kind = query.get("groupKind", "").strip().upper()
        status = query.get("status", "").strip().lower()
        found = [
            g
            for g in self._groups.values()
            if g.account == account
            and (not keyword or keyword in g.name.lower() or keyword == g.group_id)
            and (not kind or g.kind == kind)
            and (not status or g.status == status)
        ]
        found.sort(key=lambda g: g.seq, reverse=True)
        return _wrapped(self._page([self._group_json(g) for g in found], request))

    # ------------------------------------------------------------------ verification page

    def _link_problem(self, token: str) -> tuple[int, str, VerificationLink | None]:
        link = self._links.get(token)
        if link is None:
            return 404, "unknown", None
        group = self._groups[link.group_id]
        if link.state == "used" or group.passed_at is not None:
            return 409, "used", link
        if link.state == "superseded":
            return 410, "superseded", link
        if self._clock() >= link.expires_at:
            return 410, "expired", link
        return 200, "", link

    async def _h5_page(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        status, reason, link = self._link_problem(token)
        if status != 200 or link is None:
            return _h5_html(status, _H5_MESSAGES[reason])
        name = html.escape(self._groups[link.group_id].name)
        left = max(0, int(link.expires_at - self._clock()))
        body = (
            f"<p>Real-person verification for <b>{name}</b>.</p>"
            "<p>Sandbox: this page stands in for the BytePlus liveness check.</p>"
            f'<form method="post" action="/h5/{html.escape(token)}/pass">'
            '<button type="submit">Pass verification</button></form>'
            f"<p><small>This link expires in {left} s.</small></p>"
        )
        return _h5_html(200, body)

    async def _h5_pass(self, request: web.Request) -> web.StreamResponse:
        status, reason, link = self._link_problem(request.match_info["token"])
        if status == 200 and link is not None:
            self._mark_passed(self._groups[link.group_id])
        if request.content_type == "application/x-www-form-urlencoded":
            return _h5_html(status, _H5_MESSAGES[reason])
        if status == 200:
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "reason": reason}, status=status)

    # ------------------------------------------------------------------ assets

    def _asset_json(self, asset: Asset) -> Json:
        status = asset.status
        if self._status_case == "lower":
            status = status.lower()
        elif self._status_case == "upper":
            status = status.upper()
        error = None
        if asset.status == "Failed":
            error = {"code": asset.outcome.code, "message": asset.outcome.message}
        return {
            "id": asset.record_id,
            "assetId": asset.asset_id,
            "assetGroupId": asset.group_id,
            "name": asset.name,
            "status": status,
            "mimeType": asset.mime_type,
            "sizeBytes": asset.size_bytes,
            "width": asset.width,
            "height": asset.height,
            "error": error,
            "createdAt": _iso(asset.created_at),
            "updatedAt": _iso(asset.updated_at),
        }

    async def _read_upload(self, request: web.Request) -> tuple[dict[str, str], bytes | None, int]:
        if not request.content_type.startswith("multipart/"):
            raise _ApiError(400, "Expected multipart/form-data with file, name and groupId")
        fields: dict[str, str] = {}
        data: bytes | None = None
        size = 0
        try:
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    raise _ApiError(400, "Nested multipart is not supported")
                if part.name == "file":
                    data, size = await _read_part(part, MAX_IMAGE_BYTES)
                elif part.name in ("name", "groupId"):
                    raw, _ = await _read_part(part, 4096)
                    fields[part.name] = raw.decode("utf-8", errors="replace")
                else:
                    await part.release()
        except (ValueError, RuntimeError, AssertionError) as exc:
            raise _ApiError(400, f"Malformed multipart body: {exc}") from None
        return fields, data, size

    async def _upload_asset(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        fields, data, size = await self._read_upload(request)
        group_id = fields.get("groupId", "").strip()
        name = fields.get("name", "").strip()
        if not group_id:
            raise _ApiError(400, "groupId is required")
        if not 1 <= len(name) <= 128:
            raise _ApiError(400, "name is required (1..128 characters)")
        if data is None:
            raise _ApiError(400, "file is required")
        group = self._own_group(account, group_id)
        if group.status != GROUP_ACTIVE:
            raise _ApiError(409, "Asset group is not active")
        if size >= MAX_IMAGE_BYTES:
            raise _ApiError(413, f"File is {size} bytes; the limit is under 30 MB")
        try:
            info = await asyncio.to_thread(inspect_image, data)
        except ImageRejected as exc:
            raise _ApiError(exc.status, exc.message) from None
        now = self._clock()
        outcome = self._asset_script.popleft() if self._asset_script else AssetOutcome()
        asset = Asset(
            record_id=next(self._record_ids),
            asset_id="ta_" + secrets.token_hex(16),
            account=account,
            group_id=group.group_id,
            name=name,
            mime_type=info.mime_type,
            size_bytes=size,
            width=info.width,
            height=info.height,
            created_at=now,
            updated_at=now,
            outcome=outcome,
        )
        self._assets[asset.asset_id] = asset
        return _wrapped(self._asset_json(asset))

    async def _get_asset(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        asset = self._assets.get(request.match_info["asset_id"])
        if asset is None or asset.account != account:
            raise _ApiError(404, "Asset not found")
        return _wrapped(self._asset_json(asset))

    async def _list_assets(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        query = request.query
        group_id = query.get("groupId", "").strip()
        status = query.get("status", "").strip().lower()
        keyword = query.get("keyword", "").strip().lower()
        found = [
            a
            for a in self._assets.values()
            if a.account == account
            and (not group_id or a.group_id == group_id)
            and (not status or a.status.lower() == status)
            and (not keyword or keyword in a.name.lower() or keyword == a.asset_id)
        ]
        found.sort(key=lambda a: a.record_id, reverse=True)
        return _wrapped(self._page([self._asset_json(a) for a in found], request))

    # ------------------------------------------------------------------ videos

    def _video_json(self, video: VideoJob, request: web.Request) -> Json:
        body: Json = {
            "id": video.video_id,
            "object": "video",
            "status": video.status,
            "model": video.model,
            "created_at": int(video.created_at),
            "error": None,
        }
        if video.status == "completed" and video.completed_at is not None:
            expires = int(video.completed_at) + VIDEO_URL_TTL
            sig = self._sign(video.video_id, expires)
            body["url"] = (
                f"{self._origin(request)}/files/videos/{video.video_id}.mp4"
                f"?expires={expires}&sig={sig}"
            )
            body["completed_at"] = int(video.completed_at)
            body["seconds"] = video.duration if video.duration > 0 else 5
            body["size"] = f"{video.width}x{video.height}"
        elif video.status == "failed":
            body["error"] = {"code": video.outcome.code, "message": video.outcome.message}
        return body

    def _sign(self, video_id: str, expires: int) -> str:
        message = f"{video_id}:{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def _frame_assets(self, account: str, frames: object) -> list[Asset]:
        """Validate ``frame_images``; return the referenced assets, first frame first."""
        if frames is None:
            return []
        if not isinstance(frames, list):
            raise _ApiError(400, "frame_images must be a list")
        seen: dict[str, Asset | None] = {}
        for i, frame in enumerate(frames):
            where = f"frame_images[{i}]"
            if not isinstance(frame, dict) or frame.get("type") != "image_url":
                raise _ApiError(400, f"{where}.type must be image_url")
            kind = frame.get("frame_type")
            if kind not in ("first_frame", "last_frame") or kind in seen:
                raise _ApiError(400, f"{where}.frame_type must be a unique first_frame|last_frame")
            image_url = frame.get("image_url")
            url = image_url.get("url") if isinstance(image_url, dict) else None
            if not isinstance(url, str) or not url:
                raise _ApiError(400, f"{where}.image_url.url is required")
            seen[kind] = self._referenced_asset(account, url, where)
        if "last_frame" in seen and "first_frame" not in seen:
            raise _ApiError(400, "a last_frame needs a first_frame")
        return [a for k in ("first_frame", "last_frame") if (a := seen.get(k)) is not None]

    def _referenced_asset(self, account: str, url: str, where: str) -> Asset | None:
        if url.startswith(("http://", "https://", "data:image/")):
            return None
        if not url.startswith("asset://"):
            raise _ApiError(400, f"{where}: unsupported image URL scheme")
        asset_id = url.removeprefix("asset://")
        if not asset_id.startswith("ta_"):
            raise _ApiError(400, f"{where}: {asset_id} is not a Real Face asset ID (ta_...)")
        asset = self._assets.get(asset_id)
        if asset is None or asset.account != account:
            raise _ApiError(400, f"{where}: asset {asset_id} not found")
        if asset.status != "Active":
            raise _ApiError(400, f"{where}: asset {asset_id} is {asset.status}, not Active")
        return asset

    def _dimensions(self, resolution: str, ratio: str, first: Asset | None) -> tuple[int, int]:
        table = _DIMENSIONS[resolution]
        if ratio != "adaptive":
            return table[RATIOS.index(ratio)]
        if first is None:
            return table[RATIOS.index("16:9")]
        target = math.log(first.width / first.height)
        return min(table, key=lambda wh: abs(math.log(wh[0] / wh[1]) - target))

    async def _create_video(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        body = await self._json_body(request)
        model = body.get("model")
        if model not in MODELS:
            raise _ApiError(400, f"model must be one of {', '.join(MODELS)}")
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise _ApiError(400, "prompt must be a non-empty string")
        duration = body.get("duration", 5)
        if type(duration) is not int or not (duration == -1 or 4 <= duration <= 15):
            raise _ApiError(400, "duration must be an integer 4..15 or -1")
        resolution = body.get("resolution", "720p")
        allowed = RESOLUTIONS[:2] if model == "seedance-2.0-fast" else RESOLUTIONS
        if resolution not in allowed:
            raise _ApiError(400, f"resolution must be one of {', '.join(allowed)} for {model}")
        ratio = body.get("ratio", "adaptive")
        if ratio not in RATIOS:
            raise _ApiError(400, f"ratio must be one of {', '.join(RATIOS)}")
        generate_audio = body.get("generate_audio", True)
        if not isinstance(generate_audio, bool):
            raise _ApiError(400, "generate_audio must be a boolean")
        assets = self._frame_assets(account, body.get("frame_images"))
        width, height = self._dimensions(resolution, ratio, assets[0] if assets else None)
        video = VideoJob(
            video_id="video_" + secrets.token_hex(12),
            account=account,
            model=model,
            prompt=prompt,
            duration=duration,
            resolution=resolution,
            ratio=ratio,
            generate_audio=generate_audio,
            asset_ids=[a.asset_id for a in assets],
            width=width,
            height=height,
            created_at=self._clock(),
            outcome=self._video_script.popleft() if self._video_script else VideoOutcome(),
        )
        self._videos[video.video_id] = video
        return web.json_response(self._video_json(video, request))

    async def _get_video(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        video = self._videos.get(request.match_info["video_id"])
        if video is None or video.account != account:
            raise _ApiError(404, "Video not found")
        return web.json_response(self._video_json(video, request))

    async def _download_video(self, request: web.Request) -> web.StreamResponse:
        video = self._videos.get(request.match_info["video_id"])
        if video is None or video.status != "completed":
            return web.Response(status=404, text="Not Found")
        try:
            expires = int(request.query.get("expires", ""))
        except ValueError:
            return web.Response(status=403, text="Forbidden: bad expires")
        good = self._sign(video.video_id, expires)
        if not hmac.compare_digest(good, request.query.get("sig", "")):
            return web.Response(status=403, text="Forbidden: signature mismatch")
        if self._clock() >= expires:
            return web.Response(status=403, text="Forbidden: link expired")
        return await self.serve_mp4(request, video.outcome.video_bytes)

    # ------------------------------------------------------------------ /_sim controls

    async def _sim_json(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="body must be JSON") from None

    async def _sim_script_assets(self, request: web.Request) -> web.StreamResponse:
        body = await self._sim_json(request)
        try:
            outcomes = [AssetOutcome(**item) for item in body]
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        self.script_assets(*outcomes)
        return web.json_response({"ok": True, "queued": len(self._asset_script)})

    async def _sim_script_videos(self, request: web.Request) -> web.StreamResponse:
        body = await self._sim_json(request)
        try:
            outcomes = [VideoOutcome(**item) for item in body]
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        self.script_videos(*outcomes)
        return web.json_response({"ok": True, "queued": len(self._video_script)})

    async def _sim_fault(self, request: web.Request) -> web.StreamResponse:
        body = await self._sim_json(request)
        try:
            self.inject(Fault(**body))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"ok": True})

    async def _sim_pass(self, request: web.Request) -> web.StreamResponse:
        group_id = request.match_info["group_id"]
        if group_id not in self._groups:
            raise web.HTTPNotFound(text="unknown group")
        self.pass_verification(group_id)
        return web.json_response({"ok": True})

    async def _sim_requests(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"requests": [list(r) for r in self.requests]})

    async def _sim_reset_requests(self, request: web.Request) -> web.StreamResponse:
        self.reset_counts()
        return web.json_response({"ok": True})


_H5_MESSAGES = {
    "": "<p>Verification passed. You can go back to Telegram.</p>",
    "unknown": "<p>This link is not valid.</p>",
    "used": "<p>This link has already been used.</p>",
    "expired": "<p>This link has expired.</p>",
    "superseded": "<p>This link has expired: a newer link was issued.</p>",
}


def _h5_html(status: int, body: str) -> web.Response:
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Real-person verification</title></head><body>{body}</body></html>"
    )
    return web.Response(status=status, text=page, content_type="text/html")
