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
  "role": "reference_image"}``. Every asset is a reference image (up to 9); the first-frame
  role is not used because it cannot be mixed with references. ``[Image k]`` in the prompt is
  the k-th item (:func:`compose_prompt`); raw ids never reach the prompt.
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

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from bot.providers.base import (
    AssetInfo,
    AssetRef,
    Capabilities,
    FreshLink,
    GroupInfo,
    GroupState,
    ImageUpload,
    PendingVerification,
    ProviderAuthError,
    ProviderError,
    ProviderName,
    ProviderRejected,
    RejectReason,
    RemoteAssetState,
    VerificationSession,
    VideoRequest,
    VideoState,
    VideoStatus,
)
from bot.providers.http import ProviderHTTP, RetryPolicy

log = logging.getLogger(__name__)

MODEL_IDS = {
    "seedance-2.0": "byteplus/dreamina-seedance-2-0-260128",
    "seedance-2.0-fast": "byteplus/seedance-2.0-fast",
}
ASSET_QUOTA = 100
MAX_VIDEO_ASSETS = 9  # Seedance 2.0 takes at most 9 reference images
LINK_TTL = 120.0
PAGE_SIZE = 100
MAX_PAGES = 20
# Matching new groups to sessions by time (see check_verifications).
CLOCK_SLACK = 10.0  # our clock against OrcaRouter's CreateTime (whole seconds)
PASS_WINDOW = LINK_TTL + 60.0  # a check begun just before the link expires may end later
MEMORY_SECONDS = 3600.0  # sessions older than this (before the newest) are forgotten
VIDEO_URL_LIFETIME = 24 * 3600  # Ark deletes the MP4 after 24 h (PROVIDERS.md)
_IMAGE_TAG = re.compile(r"\[Image \d+\]")
_PASSED = {"success", "succeeded", "passed", "pass", "ok", "true", "10000"}


@dataclass(frozen=True)
class VerificationReturn:
    """What the person's browser brought back to ``return_url``."""

    status: str
    session_id: str | None
    group_id: str | None

    @property
    def passed(self) -> bool:
        return self.status.lower() in _PASSED and self.group_id is not None


def parse_return(query: Mapping[str, str]) -> VerificationReturn:
    """Read ``?status=&session_id=&group_id=`` (camelCase tolerated) from the return visit."""

    def first(*keys: str) -> str | None:
        for key in keys:
            value = query.get(key)
            if value:
                return value
        return None

    return VerificationReturn(
        status=first("status", "Status", "resultCode") or "",
        session_id=first("session_id", "sessionId"),
        group_id=first("group_id", "groupId", "GroupId"),
    )


@dataclass
class _Session:
    """A session this client started or was told about, for telling groups apart."""

    key: int | None  # our face key, once a pending list has named it
    started_at: float | None  # bot clock; None until a pending list has named it
    registered: float  # time.monotonic() when first heard of

    def covers(self, created: float) -> bool:
        if self.started_at is None:  # not placed yet: it could own any group
            return True
        return self.started_at - CLOCK_SLACK <= created <= self.started_at + PASS_WINDOW


class OrcaRouter:
    name = ProviderName.ORCAROUTER
    capabilities = Capabilities(
        display_name="OrcaRouter",
        verification=True,
        fresh_link=FreshLink.NEW_SESSION,
        upload_by_url=True,
        lists_assets=True,
        lists_groups=True,
        models=("seedance-2.0",),
        max_video_assets=MAX_VIDEO_ASSETS,
        asset_quota=ASSET_QUOTA,
    )

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = ProviderHTTP(
            base_url,
            {"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            retry=retry,
            classify=classify,
            transport=transport,
        )
        self._sessions: dict[str, _Session] = {}

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, **kwargs)
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderError("OrcaRouter answered with something that is not JSON") from exc
        return unwrap(body)

    # ------------------------------------------------------------------ verification

    async def start_verification(
        self, face_name: str, *, return_url: str | None = None
    ) -> VerificationSession:
        # The session takes no name: the group is named by OrcaRouter, the face by the bot.
        body = {} if return_url is None else {"return_url": return_url}
        data = await self._json("POST", "/v1/asset/real-human/sessions", json=body)
        session_id = _str(data, "session_id", "sessionId", "SessionId")
        link = _str(data, "h5_link", "h5Link", "H5Link")
        if not session_id or not link:
            raise ProviderError("OrcaRouter returned no session_id or h5_link")
        self._sessions[session_id] = _Session(None, None, time.monotonic())
        expires_in = _float(_get(data, "expires_in", "ExpiresIn")) or LINK_TTL
        return VerificationSession(
            h5_link=link, group_id=None, session_id=session_id, expires_in=expires_in, raw=data
        )

    async def refresh_verification(
        self, group_id: str | None, session_id: str | None
    ) -> VerificationSession | None:
        # A fresh link is a new session, started by the bot through start_verification so
        # that it records the new session id and start time (the matching needs both).
        return None

    async def get_group(self, group_id: str) -> GroupInfo:
        for row in await self._groups(stop_before=None):
            if _str(row, "Id", "id", "GroupId") == group_id:
                return _group(row)
        raise ProviderRejected(
            f"OrcaRouter has no real-human group {group_id}",
            reason=RejectReason.NOT_FOUND,
            status=404,
        )

    async def check_verifications(
        self, pending: Sequence[PendingVerification], known_groups: set[str]
    ) -> dict[int, GroupInfo]:
        """Bind new real-human groups to pending faces: one listing, never a guess.

        The rule, in order:

        1. A face whose ``group_id`` the return visit already gave (:func:`parse_return`)
           gets that group once it is listed and was created within one window of the
           face's current session (a stale or forged ``group_id`` is ignored).
        2. A listed row naming a pending ``session_id`` (not documented, honoured) binds it.
        3. Otherwise by time. Every session this client has started or seen pending (also
           those no longer pending: their late groups are orphans, not somebody else's) has
           a window ``[start - CLOCK_SLACK, start + PASS_WINDOW]``; a session started here but
           not yet seen in a pending list could own any group. A listed group that is not in
           ``known_groups`` and falls in exactly one face's windows belongs to that face if it
           is the only such group for it; that face then drops out and the rest is retried.
           Two faces whose windows overlap and hold the same new group stay pending: only the
           return visit can tell them apart. Faces are never matched by order or by guess.

        This assumes the key is used by this bot alone (another app's real-human groups
        would look like ours) and keeps session memory in this process: after a restart only
        the sessions of faces still pending are known.
        """
        if not pending:
            return {}
        self._remember(pending)
        starts = [s.started_at for s in self._sessions.values() if s.started_at is not None]
        earliest = min(starts) - CLOCK_SLACK if starts else None
        rows = await self._groups(stop_before=earliest)
        listed = {gid: row for row in rows if (gid := _str(row, "Id", "id", "GroupId"))}
        found: dict[int, GroupInfo] = {}
        taken = set(known_groups)
        settled: set[int] = set()
        for p in pending:
            if p.group_id is None:
                continue
            settled.add(p.key)  # its group is known: it owns no other
            row = listed.get(p.group_id)
            created = _time(_get(row, "CreateTime", "createTime", "create_time"))
            near = created is None or abs(created - p.started_at) <= PASS_WINDOW + CLOCK_SLACK
            if row is not None and near:
                found[p.key] = _group(row)
            taken.add(p.group_id)
        by_session = {p.session_id: p for p in pending if p.session_id and p.key not in settled}
        for gid, row in listed.items():
            owner = by_session.get(_str(row, "SessionId", "session_id", "sessionId") or "")
            if gid not in taken and owner is not None and owner.key not in found:
                found[owner.key] = _group(row)
                settled.add(owner.key)
                taken.add(gid)
        asked = {p.key for p in pending}
        for gid, key in self._match_by_time(listed, taken, settled).items():
            if key in asked and key not in found:
                found[key] = _group(listed[gid])
        for key in found:
            self._forget(key)
        return found

    def _remember(self, pending: Sequence[PendingVerification]) -> None:
        for p in pending:
            session_id = p.session_id or f"face:{p.key}:{p.started_at}"
            session = self._sessions.setdefault(session_id, _Session(None, None, 0.0))
            session.key, session.started_at = p.key, p.started_at
        newest = max(p.started_at for p in pending)
        now = time.monotonic()
        for session_id, s in list(self._sessions.items()):
            stale = s.started_at is None and now - s.registered > PASS_WINDOW
            if stale or (s.started_at is not None and s.started_at < newest - MEMORY_SECONDS):
                del self._sessions[session_id]

    def _forget(self, key: int) -> None:
        for session_id in [sid for sid, s in self._sessions.items() if s.key == key]:
            del self._sessions[session_id]

    def _match_by_time(
        self, listed: dict[str, dict[str, Any]], taken: set[str], settled: set[int]
    ) -> dict[str, int]:
        unknown = -1  # stands for sessions not yet placed; it never wins a group
        holders: dict[str, set[int]] = {}
        for gid, row in listed.items():
            created = _time(_get(row, "CreateTime", "createTime", "create_time"))
            if gid in taken or created is None:
                continue
            keys = {
                unknown if s.key is None or s.started_at is None else s.key
                for s in self._sessions.values()
                if s.covers(created) and s.key not in settled
            }
            if keys:
                holders[gid] = keys
        matched: dict[str, int] = {}
        progress = True
        while progress:
            progress = False
            sole: dict[int, list[str]] = {}
            for gid, keys in holders.items():
                if len(keys) == 1 and unknown not in keys:
                    sole.setdefault(next(iter(keys)), []).append(gid)
            for key, gids in sole.items():
                if len(gids) != 1:  # two groups only this face could own: do not choose
                    continue
                matched[gids[0]] = key
                del holders[gids[0]]
                for keys in holders.values():
                    keys.discard(key)
                progress = True
        return matched

    async def _groups(self, *, stop_before: float | None) -> list[dict[str, Any]]:
        """Real-human groups, newest first; stop once a sorted page is older than needed."""
        rows: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            data = await self._json(
                "GET",
                "/v1/asset/groups",
                params={
                    "group_type": "real_human",
                    "page_number": page,
                    "page_size": PAGE_SIZE,
                    "sort_by": "CreateTime",
                    "sort_order": "Desc",
                },
            )
            page_rows, total, size = read_page(data)
            rows.extend(page_rows)
            if not page_rows or page * size >= total:
                break
            times = [_time(_get(r, "CreateTime", "createTime")) for r in page_rows]
            if stop_before is not None and None not in times:
                known = [t for t in times if t is not None]
                if known == sorted(known, reverse=True) and known[-1] < stop_before:
                    break
        return rows

    # ------------------------------------------------------------------ assets

    async def upload_asset(self, group_id: str | None, image: ImageUpload, name: str) -> AssetInfo:
        if group_id is None:
            raise ProviderError("OrcaRouter uploads need a real-human group")
        if image.public_url is None:
            raise ProviderError("OrcaRouter takes images by public URL only; none was given")
        body = {"GroupId": group_id, "URL": image.public_url, "AssetType": "Image", "Name": name}
        data = await self._json("POST", "/v1/asset/files", json=body)
        info = _asset(data)
        return AssetInfo(
            asset_id=info.asset_id,
            state=info.state,
            group_id=info.group_id or group_id,
            name=info.name or name,
            record_id=info.asset_id,
            raw=info.raw,
        )

    async def get_asset(self, ref: AssetRef) -> AssetInfo:
        asset_id = ref.asset_id or ref.record_id
        if asset_id is None:
            raise ProviderError("OrcaRouter assets are looked up by their Id")
        return _asset(await self._json("GET", f"/v1/asset/files/{asset_id}"))

    async def list_assets(self, group_id: str) -> list[AssetInfo]:
        assets: list[AssetInfo] = []
        for page in range(1, MAX_PAGES + 1):
            data = await self._json(
                "GET",
                "/v1/asset/files",
                params={"group_id": group_id, "page_number": page, "page_size": PAGE_SIZE},
            )
            rows, total, size = read_page(data)
            assets.extend(_asset(row) for row in rows)
            if not rows or page * size >= total:
                break
        return assets

    async def rename_group(self, group_id: str, name: str) -> bool:
        return False  # the update-group path is not documented: the name lives in the bot

    async def delete_group(self, group_id: str) -> bool:
        return False  # not documented: the group stays at OrcaRouter

    # ------------------------------------------------------------------ videos

    async def submit_video(self, request: VideoRequest) -> VideoStatus:
        model = MODEL_IDS.get(request.model)
        if model is None:
            raise ProviderRejected(
                f"OrcaRouter has no model for {request.model!r}",
                reason=RejectReason.INVALID,
                code="unknown_model",
            )
        ids = list(request.asset_ids)
        if len(ids) > MAX_VIDEO_ASSETS:
            raise ProviderRejected(
                f"OrcaRouter takes at most {MAX_VIDEO_ASSETS} images per video, got {len(ids)}",
                reason=RejectReason.INVALID,
                code="too_many_assets",
            )
        content = [
            {
                "type": "image_url",
                "image_url": {"url": f"asset://{aid}"},
                "role": "reference_image",
            }
            for aid in ids
        ]
        body = {
            "model": model,
            "prompt": compose_prompt(request.prompt, ids),
            "metadata": {
                "content": content,
                "ratio": request.ratio,
                "duration": request.duration,
                "resolution": request.resolution,
                "generate_audio": request.audio,
                "watermark": False,
            },
        }
        return video_status(await self._json("POST", "/v1/video/generations", json=body))

    async def get_video(self, task_id: str) -> VideoStatus:
        return video_status(await self._json("GET", f"/v1/video/generations/{task_id}"))


def compose_prompt(prompt: str, asset_ids: Sequence[str]) -> str:
    """Name the images as ``[Image k]`` (k = position in ``content[]``), never by raw id.

    Raw ids (or ``asset://`` refs) in the text become their tag; a prompt that names no
    image gets a lead-in naming them all, so every reference is tied to the person.
    """
    text = prompt.strip()
    for i, asset_id in enumerate(asset_ids, 1):
        text = text.replace(f"asset://{asset_id}", f"[Image {i}]").replace(
            asset_id, f"[Image {i}]"
        )
    if not asset_ids or _IMAGE_TAG.search(text):
        return text
    tags = [f"[Image {i}]" for i in range(1, len(asset_ids) + 1)]
    if len(tags) == 1:
        lead = f"{tags[0]} shows the person in this video."
    else:
        lead = f"{', '.join(tags[:-1])} and {tags[-1]} show the person in this video."
    return f"{lead} {text}".strip()


def classify(response: httpx.Response, error: ProviderError) -> ProviderError:
    """OrcaRouter's meaning of 402/403 (see the module docstring)."""
    status = response.status_code
    if status == 403:
        request = response.request
        if request.method == "POST" and request.url.path.rstrip("/").endswith("/asset/files"):
            return ProviderRejected(
                f"OrcaRouter asset quota reached (default {ASSET_QUOTA} assets per account, "
                f"shared by all groups): delete assets or ask OrcaRouter to raise the cap "
                f"({error.message})",
                reason=RejectReason.QUOTA,
                status=status,
                code=error.code,
            )
        return ProviderAuthError(
            f"OrcaRouter refused this key for the request: {error.message}",
            status=status,
            code=error.code,
        )
    if status == 402:
        return ProviderRejected(
            f"OrcaRouter account balance exhausted: {error.message}",
            reason=RejectReason.QUOTA,
            status=status,
            code=error.code,
        )
    return error


def unwrap(body: Any) -> Any:
    """The ``data`` of a ``{code, data}`` / ``{success, data}`` envelope, else the body."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict | list):
        return body
    if not ({"code", "success"} & body.keys()) or {"Id", "id", "task_id"} & body.keys():
        return body
    if body.get("success") is False:
        message = str(body.get("message") or body.get("msg") or "request failed")
        raise ProviderRejected(message, reason=RejectReason.OTHER)
    return body["data"]


def read_page(data: Any) -> tuple[list[dict[str, Any]], int, int]:
    """Rows, total and page size of ``{TotalCount, Items, PageNumber, PageSize}`` (or alike)."""
    if isinstance(data, list):
        rows: Any = data
        data = {}
    elif isinstance(data, dict):
        rows = next((data[k] for k in ("Items", "items", "list", "records") if k in data), [])
    else:
        return [], 0, PAGE_SIZE
    rows = [r for r in rows or [] if isinstance(r, dict)]
    total = _float(_get(data, "TotalCount", "totalCount", "total"))
    size = _float(_get(data, "PageSize", "pageSize", "page_size"))
    return rows, int(total) if total is not None else len(rows), int(size or PAGE_SIZE)


def video_status(body: Any) -> VideoStatus:
    if not isinstance(body, dict):
        raise ProviderError("OrcaRouter returned a video task that is not an object")
    task_id = _str(body, "task_id", "id", "taskId")
    if task_id is None:
        raise ProviderError("OrcaRouter returned a video task without an id")
    status = (_str(body, "status", "task_status", "state") or "").lower()
    state = {
        "queued": VideoState.QUEUED,
        "pending": VideoState.QUEUED,
        "submitted": VideoState.QUEUED,
        "not_start": VideoState.QUEUED,
        "in_progress": VideoState.RUNNING,
        "running": VideoState.RUNNING,
        "processing": VideoState.RUNNING,
        "completed": VideoState.COMPLETED,
        "succeeded": VideoState.COMPLETED,
        "success": VideoState.COMPLETED,
        "failed": VideoState.FAILED,
        "failure": VideoState.FAILED,
        "cancelled": VideoState.FAILED,
        "canceled": VideoState.FAILED,
        "expired": VideoState.FAILED,
    }.get(status, VideoState.QUEUED)
    url = (
        _str(body.get("metadata"), "url", "video_url")
        or _str(body, "url", "video_url")
        or _str(body.get("content"), "video_url", "url")
        or _str(body.get("result"), "url", "video_url")
    )
    code = message = None
    error = body.get("error")
    if isinstance(error, dict):
        code, message = _str(error, "code", "Code", "type"), _str(error, "message", "Message")
    elif isinstance(error, str) and error:
        message = error
    message = message or _str(body, "fail_reason", "failReason")
    if state is VideoState.FAILED and code is None:
        code = status or "failed"
    if state is VideoState.COMPLETED and url is None:
        raise ProviderError("OrcaRouter said the video is completed but gave no url")
    expires = None
    if url is not None:
        done = _time(_get(body, "completed_at", "finish_time", "updated_at"))
        expires = _time(body.get("expires_at")) or url_expiry(url, done)
    progress = _float(body.get("queue_position"))
    return VideoStatus(
        task_id=task_id,
        state=state,
        video_url=url,
        url_expires_at=expires,
        error_code=code,
        error_message=message,
        queue_position=int(progress) if progress is not None else None,
        raw=body,
    )


def url_expiry(url: str, completed_at: float | None) -> float:
    """A signed URL's own expiry (``expires`` / ``Expires`` / X-Amz), else 24 h."""
    query = parse_qs(urlparse(url).query)
    for key in ("expires", "Expires", "X-Tos-Expires", "X-Amz-Expires"):
        if key in query:
            value = _float(query[key][0])
            if value is not None:
                if value < 10**9:  # a lifetime in seconds, not a timestamp
                    return (completed_at or time.time()) + value
                return value
    return (completed_at or time.time()) + VIDEO_URL_LIFETIME


def _get(data: Any, *keys: str) -> Any:
    if not isinstance(data, dict):
        return None
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return value
    return None


def _str(data: Any, *keys: str) -> str | None:
    value = _get(data, *keys)
    return None if value is None or isinstance(value, dict | list) else str(value)


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _time(value: Any) -> float | None:
    """Unix seconds from ISO 8601 (``Z`` or offset; naive = UTC) or unix s/ms."""
    number = _float(value)
    if number is not None:
        return number / 1000 if number > 1e11 else number
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def _group(row: dict[str, Any]) -> GroupInfo:
    group_id = _str(row, "Id", "id", "GroupId")
    if group_id is None:
        raise ProviderError("OrcaRouter returned a group without an Id")
    status = (_str(row, "Status", "status") or "").lower()
    failed = status in ("failed", "rejected", "disabled", "deleted")
    return GroupInfo(
        group_id=group_id,
        state=GroupState.FAILED if failed else GroupState.ACTIVE,
        name=_str(row, "Name", "name"),
        raw=row,
    )


def _asset(data: Any) -> AssetInfo:
    if not isinstance(data, dict):
        raise ProviderError("OrcaRouter returned an asset that is not an object")
    asset_id = _str(data, "Id", "id", "AssetId", "asset_id")
    if asset_id is None:
        raise ProviderError("OrcaRouter returned an asset without an Id")
    status = (_str(data, "Status", "status") or "").lower()
    state = {
        "active": RemoteAssetState.ACTIVE,
        "failed": RemoteAssetState.FAILED,
        "fail": RemoteAssetState.FAILED,
    }.get(status, RemoteAssetState.PROCESSING)
    code = message = None
    error = _get(data, "Error", "error")
    if isinstance(error, dict):
        code, message = _str(error, "Code", "code"), _str(error, "Message", "message")
    elif isinstance(error, str):
        code = error
    if state is RemoteAssetState.FAILED and code is None:
        code = "Failed"
    return AssetInfo(
        asset_id=asset_id,
        state=state,
        group_id=_str(data, "GroupId", "groupId", "group_id"),
        name=_str(data, "Name", "name"),
        record_id=asset_id,
        error_code=code,
        error_message=message,
        raw=data,
    )
