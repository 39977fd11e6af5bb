"""PowerTokens (seed 003): authorize URL, real-person groups found by listing, task-based uploads.

Two hosts. The Asset Library lives under ``base_url`` (production ``https://powertokens.ai/api``;
the ``/api`` prefix is part of it) and takes ``Authorization: <key>`` with no "Bearer" (seed;
``bearer=True`` sends "Bearer <key>" instead). Video generation lives at
``https://api.powertokens.ai`` and its pages show ``Authorization: Bearer <key>``
(``video_bearer``). ``video_base_url`` defaults to that host when ``base_url`` is the production
Asset Library, else to ``base_url`` itself (the simulator serves both).

Asset Library endpoints (wrapped ``{code: 200, data, msg}``):

- ``POST /v1/asset/get-authorize-url`` ``{group_name, callback_url?}`` -> the link, read from
  ``data`` as a string or from ``url``/``authorize_url``/``auth_url``/``h5_link``. Body NOT
  FOUND: ``group_name`` is our claim name (below), sent in case the group takes it.
- ``POST /v1/asset/groups/list`` ``{group_type: 1, page, page_size}`` -> groups ``{group_id,
  group_name, group_type, real_human_type, created_at}``. Rows are read from ``data`` as a list
  or ``data.list|items|records|rows|groups``; paging stops at ``total``, at a short page, or
  when a page repeats (an API that ignores ``page``). Rows with a ``group_type`` other than 1
  are skipped. A listed real-person group exists only after a passed check, so it is active
  unless its ``status`` says failed/disabled.
- ``POST /v1/asset/groups/rename`` ``{group_id, name, group_name}`` (the field name is NOT
  FOUND: both are sent); ``POST /v1/asset/groups/delete`` ``{group_id}``.
- ``POST /v1/asset/upload`` multipart ``file`` (named ``image.file_name``), ``group_id``,
  ``name`` -> ``data.task_id``. :class:`AssetInfo` then has ``asset_id`` None and the task id in
  ``record_id``, so an :class:`AssetRef` can be polled.
- ``GET /v1/asset/jobs/get-asset-id?task_id=`` WITHOUT auth (seed) -> ``data.asset_id`` once
  the file is processed. No asset id yet is "processing"; ``status`` failed (or a non-200
  ``code`` whose message says it failed) is "failed"; other non-200 codes count as processing
  too (the bot times an asset out), except 401/404/429/5xx, which raise.
- ``POST /v1/asset/groups/assets`` ``{group_id, asset_id?, page, page_size}`` -> rows ``{asset_id,
  name, status: 1 under review | 2 succeeded | 3 failed, error?}`` (strings such as
  ``active``/``failed`` are accepted too). :meth:`PowerTokens.get_asset` asks for the one asset
  by ``asset_id`` once the job gave it. Names lose a trailing image extension, as the file name
  may become the asset name.

Video (not wrapped; docs.powertokens.ai "Seedance 2.0" and "video-status" pages, and
PowerTokens/video-studio models.py): ``POST /v1/videos {model, media: [{type: "text", text},
{type: "first_frame" | "reference_image", url: "asset://<asset_id>"}...], seconds: "5", size,
ratio, generate_audio, watermark: false}`` -> ``{id, task_id, status: "pending"}``;
``GET /v1/videos/{task_id}`` -> status pending | queued | running | succeeded | failed |
cancelled | expired, ``video_url`` (24 h; also read from ``content.video_url``, ``metadata.url``
or ``url``), ``error{code, message}``. One asset is the first frame; several (at most 9) are
reference images, and a prompt that names none gets "[Image 1] [Image 2] ..." in front (the
upstream Ark convention; PowerTokens' seed only shows the Playground's ``@`` picker).
Models: ``seedance-2.0`` -> ``dreamina-seedance-2-0-260128``, ``seedance-2.0-fast`` ->
``dreamina-seedance-2-0-fast-260128``.

Finding the new group (``check_verifications``): one list request per call (plus pages), and
one rename per group found. The rows carry nothing documented that ties a group to the link
that made it, so:

1. Groups in ``known_groups`` are ignored.
2. Claim tag: every group we hand out is renamed to ``"<face name> #rf<8 hex>"``, the hex
   derived from the verification's ``session_id`` (our own ``pt-...`` nonce; the authorize
   answer has no documented id). A group carrying a pending verification's tag is that face's
   (a restart between the rename and the bot storing the group loses nothing); a group tagged
   for no pending verification belongs to an earlier face and is never handed out again. If
   the provider names the group after the ``group_name`` we sent with the authorize request,
   the group arrives tagged and is matched exactly.
3. Otherwise by time, oldest new group first. A group may belong to a verification only if
   this client did not list it at or before the verification started (``start_verification``
   lists the groups first, and every poll notes what it saw; "started" is when this client got
   the link, on its own ``clock``, or the bot's ``started_at`` for links from before a
   restart), and, where the row has a creation time with a known zone (unix, or ISO 8601 with
   an offset; naive strings are ignored), it was created no earlier than ``CLOCK_SKEW`` before
   the start and no later than ``PASS_WINDOW`` after it (the link lives 120 s). A group that
   several pending verifications could own is bound to none (a guess could give one person's
   face to another user); the bot avoids that case by running one PowerTokens verification
   per account at a time (``Capabilities.serial_verification``). The match is then renamed
   (step 2), so later polls find it by its tag.

Errors: HTTP statuses and non-200 ``code`` in a 2xx envelope both map to our hierarchy: 401 auth,
429 rate limited, 5xx unavailable, 402 and 403 with a quota/balance message QUOTA, other 403
OTHER, 404 NOT_FOUND, 409 GROUP_NOT_ACTIVE, 413 TOO_LARGE, other 4xx INVALID; the vendor's
code (``code`` or ``error.code``) is kept in ``.code``. Extra fields are ignored everywhere.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
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
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    RejectReason,
    RemoteAssetState,
    VerificationSession,
    VideoRequest,
    VideoState,
    VideoStatus,
)
from bot.providers.http import ProviderHTTP, RetryPolicy, retry_after_seconds

log = logging.getLogger(__name__)

PRODUCTION_ASSET_HOSTS = ("powertokens.ai", "www.powertokens.ai")
PRODUCTION_VIDEO_BASE = "https://api.powertokens.ai"
MODEL_IDS = {
    "seedance-2.0": "dreamina-seedance-2-0-260128",
    "seedance-2.0-fast": "dreamina-seedance-2-0-fast-260128",
}
MAX_REFERENCE_IMAGES = 9
MAX_NAME = 64  # "Name must be no more than 64 characters" (PowerTokens CLI)
PAGE_SIZE = 100
MAX_PAGES = 20
CLOCK_SKEW = 60.0  # provider clock vs ours, seconds
PASS_WINDOW = 180.0  # the link lives 120 s; up to 60 s more for the group to appear
VIDEO_URL_LIFETIME = 24 * 3600
_OK_CODES = (0, 200, "0", "200")
_TAG = re.compile(r" #(rf[0-9a-f]{8})$")
_IMAGE_MENTION = re.compile(r"\[image\s*\d+\]", re.IGNORECASE)
_EXTENSION = re.compile(r"\.(jpe?g|png|webp|bmp|tiff?|gif|heic|heif)$", re.IGNORECASE)
_QUOTA_WORDS = ("quota", "limit", "exceed", "insufficient", "balance", "额度", "上限", "余额")
_FAILED_WORDS = ("fail", "error", "reject", "失败")


class PowerTokens:
    name = ProviderName.POWERTOKENS
    capabilities = Capabilities(
        display_name="PowerTokens",
        fresh_link=FreshLink.NEW_SESSION,
        serial_verification=True,
        upload_by_url=False,
        lists_assets=True,
        lists_groups=True,
        max_video_assets=MAX_REFERENCE_IMAGES,
    )

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        bearer: bool = False,
        video_base_url: str | None = None,
        video_bearer: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # No default Authorization: get-asset-id must go without it, so each call adds its own.
        self.http = ProviderHTTP(
            base_url, {}, timeout=timeout, retry=retry, classify=classify, transport=transport
        )
        self.video_http = ProviderHTTP(
            video_base_url or default_video_base(base_url),
            {},
            timeout=timeout,
            retry=retry,
            classify=classify,
            transport=transport,
        )
        self._asset_auth = {"Authorization": f"Bearer {api_key}" if bearer else api_key}
        self._video_auth = {"Authorization": f"Bearer {api_key}" if video_bearer else api_key}
        self._clock = clock
        self._seen: dict[str, float] = {}  # group id -> when this client first listed it
        self._issued: dict[str, float] = {}  # session id -> when this client got its link

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.video_http.aclose()

    async def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, headers=self._asset_auth, **kwargs)
        return unwrap(response)

    async def _pages(self, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        collected: list[dict[str, Any]] = []
        previous: dict[str, Any] | None = None
        for page in range(1, MAX_PAGES + 1):
            data = await self._data(
                "POST", path, json={**body, "page": page, "page_size": PAGE_SIZE}
            )
            rows, total = page_rows(data)
            if not rows or rows[0] == previous:  # empty, or the API ignores ``page``
                break
            previous = rows[0]
            collected.extend(rows)
            done = len(collected) >= total if total is not None else len(rows) < PAGE_SIZE
            if done:
                break
        return collected

    # ------------------------------------------------------------------ verification

    async def start_verification(
        self, face_name: str, *, return_url: str | None = None
    ) -> VerificationSession:
        try:  # what is listed now is older than this session (see the module docstring)
            await self._real_person_groups()
        except ProviderError as exc:
            log.warning("PowerTokens group snapshot failed: %s", exc)
        session_id = "pt-" + secrets.token_hex(8)  # ours: the claim tag derives from it
        body: dict[str, Any] = {"group_name": claim_name(face_name, session_id)}
        if return_url:
            body["callback_url"] = return_url
        data = await self._data("POST", "/v1/asset/get-authorize-url", json=body)
        link = _str(data, "url", "authorize_url", "auth_url", "authorizeUrl", "h5_link", "link")
        if isinstance(data, str) and data.startswith("http"):
            link, data = data, {"url": data}
        if not link:
            raise ProviderError("PowerTokens returned no authorization URL")
        self._issued[session_id] = self._clock()
        expires_in = _number(data, "expires_in", "expire_in", "ttl")
        return VerificationSession(
            h5_link=link,
            group_id=None,
            session_id=session_id,
            expires_in=expires_in,
            raw=data if isinstance(data, dict) else {},
        )

    async def refresh_verification(
        self, group_id: str | None, session_id: str | None
    ) -> VerificationSession | None:
        return None  # every authorize URL is a new session: the bot starts a new one

    async def get_group(self, group_id: str) -> GroupInfo:
        for row in await self._real_person_groups():
            if row.group_id == group_id:
                return row.info()
        raise ProviderRejected(
            f"PowerTokens has no real-person group {group_id}",
            reason=RejectReason.NOT_FOUND,
            status=404,
        )

    async def check_verifications(
        self, pending: Sequence[PendingVerification], known_groups: set[str]
    ) -> dict[int, GroupInfo]:
        if not pending:
            return {}
        rows = await self._real_person_groups()
        matches = match_groups(rows, pending, known_groups, self._seen, self._issued)
        found: dict[int, GroupInfo] = {}
        for match in matches:
            info = match.row.info()
            if match.rename is not None:
                try:
                    await self.rename_group(info.group_id, match.rename)
                    info = GroupInfo(info.group_id, info.state, match.rename, None, info.raw)
                except ProviderError as exc:
                    log.warning("claiming group %s failed: %s", info.group_id, exc)
            found[match.key] = info
        return found

    async def _real_person_groups(self) -> list[GroupRow]:
        rows = await self._pages("/v1/asset/groups/list", {"group_type": 1})
        listed_at = self._clock()
        groups = [g for g in (group_row(r) for r in rows) if g is not None]
        for group in groups:
            self._seen.setdefault(group.group_id, listed_at)
            group.seen_at = self._seen[group.group_id]
        return groups

    async def rename_group(self, group_id: str, name: str) -> bool:
        body = {"group_id": group_id, "name": name[:MAX_NAME], "group_name": name[:MAX_NAME]}
        await self._data("POST", "/v1/asset/groups/rename", json=body)
        return True

    async def delete_group(self, group_id: str) -> bool:
        try:
            await self._data("POST", "/v1/asset/groups/delete", json={"group_id": group_id})
        except ProviderRejected as exc:
            if exc.reason is not RejectReason.NOT_FOUND:
                raise  # already gone counts as deleted
        return True

    # ------------------------------------------------------------------ assets

    async def upload_asset(self, group_id: str | None, image: ImageUpload, name: str) -> AssetInfo:
        if group_id is None:
            raise ProviderError("PowerTokens real-person uploads need the group id")
        data = await self._data(
            "POST",
            "/v1/asset/upload",
            data={"group_id": group_id, "name": name[:MAX_NAME]},
            files={"file": (image.file_name, image.data, image.mime_type)},
        )
        task_id = _str(data, "task_id", "taskId")
        if task_id is None:
            raise ProviderError("PowerTokens accepted the upload but returned no task_id")
        return AssetInfo(
            asset_id=None,
            state=RemoteAssetState.PROCESSING,
            group_id=group_id,
            name=name,
            record_id=task_id,
            raw=data if isinstance(data, dict) else {},
        )

    async def get_asset(self, ref: AssetRef) -> AssetInfo:
        asset_id = ref.asset_id
        if asset_id is None:
            if ref.record_id is None:
                raise ProviderError("a PowerTokens asset needs its asset id or upload task id")
            job = await self._job(ref.record_id)
            if job.asset_id is None:
                return replace(job, group_id=ref.group_id)
            asset_id = job.asset_id
        body: dict[str, Any] = {"asset_id": asset_id}
        if ref.group_id is not None:
            body["group_id"] = ref.group_id
        for row in await self._pages("/v1/asset/groups/assets", body):
            info = asset_info(row, record_id=ref.record_id, group_id=ref.group_id)
            if info.asset_id == asset_id:
                return info
        # Known to the job but not listed yet: still on its way into the group.
        return AssetInfo(
            asset_id, RemoteAssetState.PROCESSING, ref.group_id, record_id=ref.record_id
        )

    async def _job(self, task_id: str) -> AssetInfo:
        """``get-asset-id``: deliberately without the Authorization header (seed)."""
        response = await self.http.request(
            "GET", "/v1/asset/jobs/get-asset-id", params={"task_id": task_id}
        )
        body = _json(response)
        data: Any = body
        failed_code: str | None = None
        message: str | None = None
        if _is_envelope(body):
            data = body.get("data")
            message = _str(body, "msg", "message")
            if body.get("code") not in _OK_CODES:
                status = _int(body.get("code")) or 400
                if status in (401, 404, 429) or status >= 500:
                    raise error_for(status, str(body.get("code")), message or "", None)
                if _says_failed(message):
                    failed_code = str(body.get("code"))
        asset_id = data if isinstance(data, str) and data else _str(data, "asset_id", "assetId")
        if asset_id is not None:
            return AssetInfo(asset_id, RemoteAssetState.PROCESSING, record_id=task_id, raw=body)
        if _says_failed(_str(data, "status", "state")):
            code, why = asset_error(_dict(data))
            failed_code, message = code or failed_code or "upload_failed", why or message
        if failed_code is None:
            return AssetInfo(None, RemoteAssetState.PROCESSING, record_id=task_id, raw=_dict(body))
        return AssetInfo(
            None,
            RemoteAssetState.FAILED,
            record_id=task_id,
            error_code=failed_code,
            error_message=message,
            raw=_dict(body),
        )

    async def list_assets(self, group_id: str) -> list[AssetInfo]:
        rows = await self._pages("/v1/asset/groups/assets", {"group_id": group_id})
        return [asset_info(row, group_id=group_id) for row in rows]

    # ------------------------------------------------------------------ video

    async def submit_video(self, request: VideoRequest) -> VideoStatus:
        model = MODEL_IDS.get(request.model, request.model)
        if model not in MODEL_IDS.values():
            raise ProviderRejected(
                f"PowerTokens has no model {request.model!r}", reason=RejectReason.INVALID
            )
        asset_ids = list(request.asset_ids)
        if len(asset_ids) > MAX_REFERENCE_IMAGES:
            raise ProviderRejected(
                f"PowerTokens takes at most {MAX_REFERENCE_IMAGES} reference images",
                reason=RejectReason.INVALID,
            )
        media: list[dict[str, str]] = []
        prompt = reference_prompt(request.prompt, len(asset_ids))
        if prompt.strip():
            media.append({"type": "text", "text": prompt})
        role = "first_frame" if len(asset_ids) == 1 else "reference_image"
        media.extend({"type": role, "url": f"asset://{a}"} for a in asset_ids)
        body = {
            "model": model,
            "media": media,
            "seconds": str(request.duration),
            "size": request.resolution,
            "ratio": request.ratio,
            "generate_audio": request.audio,
            "watermark": False,
        }
        response = await self.video_http.request(
            "POST", "/v1/videos", json=body, headers=self._video_auth
        )
        return video_status(_json(response), self._clock())

    async def get_video(self, task_id: str) -> VideoStatus:
        response = await self.video_http.request(
            "GET", f"/v1/videos/{task_id}", headers=self._video_auth
        )
        return video_status(_json(response), self._clock())


# ---------------------------------------------------------------------- group matching


@dataclass
class GroupRow:
    group_id: str
    name: str | None
    created_at: float | None  # provider time with a known zone, else None
    state: GroupState
    raw: dict[str, Any]
    seen_at: float | None = None  # when this client first listed it

    def info(self) -> GroupInfo:
        return GroupInfo(self.group_id, self.state, self.name, None, self.raw)


@dataclass(frozen=True)
class Match:
    key: int
    row: GroupRow
    rename: str | None = field(default=None)  # the claim name to give it, if not yet tagged


def match_groups(
    rows: Sequence[GroupRow],
    pending: Sequence[PendingVerification],
    known_groups: set[str],
    seen: dict[str, float],
    issued: dict[str, float] | None = None,
) -> list[Match]:
    """Which listed groups belong to which pending verification (module docstring, 1-3).

    ``seen``: group id -> when this client first listed it; ``issued``: session id -> when this
    client got the link (on its own clock; ``started_at`` stands in for sessions it did not
    issue, e.g. after a restart).
    """
    issued = issued or {}

    def start(p: PendingVerification) -> float:
        return issued.get(p.session_id or "", p.started_at)

    by_tag = {claim_tag(p.session_id or f"face-{p.key}"): p for p in pending}
    matches: list[Match] = []
    waiting = {p.key: p for p in pending}
    fresh: list[GroupRow] = []
    for row in rows:
        if row.group_id in known_groups:
            continue
        tag = _TAG.search(row.name or "")
        if tag is None:
            fresh.append(row)
            continue
        owner = by_tag.get(tag.group(1))
        if owner is not None and owner.key in waiting:
            matches.append(Match(owner.key, row))
            del waiting[owner.key]
    fresh.sort(key=lambda r: r.created_at or seen.get(r.group_id) or r.seen_at or 0.0)
    for row in fresh:
        eligible = sorted(
            (p for p in waiting.values() if _may_belong(row, start(p), seen)),
            key=lambda p: (start(p), p.key),
        )
        if not eligible:
            continue
        if len(eligible) > 1:
            # Guessing could bind one user's face to another user's verified person: wait
            # (the sessions' windows close, or a tag tells them apart) rather than guess.
            log.warning(
                "group %s could belong to any of faces %s: not binding it",
                row.group_id,
                [p.key for p in eligible],
            )
            continue
        chosen = eligible[0]
        tag_source = chosen.session_id or f"face-{chosen.key}"
        matches.append(Match(chosen.key, row, claim_name(chosen.name, tag_source)))
        del waiting[chosen.key]
    return matches


def _may_belong(row: GroupRow, started: float, seen: dict[str, float]) -> bool:
    first_seen = seen.get(row.group_id, row.seen_at)
    if first_seen is not None and first_seen <= started:
        return False  # it was there before this verification started
    if row.created_at is not None:
        return started - CLOCK_SKEW <= row.created_at <= started + PASS_WINDOW
    return True


def claim_tag(session_id: str) -> str:
    return "rf" + hashlib.sha256(session_id.encode()).hexdigest()[:8]


def claim_name(face_name: str, session_id: str) -> str:
    """``"<face name> #rf<8 hex>"`` within the 64-character name limit."""
    suffix = f" #{claim_tag(session_id)}"
    return face_name[: MAX_NAME - len(suffix)].rstrip() + suffix


def group_row(row: dict[str, Any]) -> GroupRow | None:
    group_id = _str(row, "group_id", "groupId", "GroupId", "id", "Id")
    kind = row.get("group_type", row.get("groupType", row.get("GroupType")))
    if group_id is None or (kind is not None and str(kind) not in ("1", "real_human")):
        return None
    status = (_str(row, "status", "Status") or "").lower()
    failed = status in ("failed", "disabled", "rejected", "expired")
    created = None
    for key in ("created_at", "create_time", "createdAt", "CreateTime", "created"):
        if key in row:
            created = timestamp(row[key])
            break
    return GroupRow(
        group_id=group_id,
        name=_str(row, "group_name", "name", "groupName", "Name"),
        created_at=created,
        state=GroupState.FAILED if failed else GroupState.ACTIVE,
        raw=row,
    )


# ---------------------------------------------------------------------- parsing


def default_video_base(base_url: str) -> str:
    parsed = urlparse(base_url)
    if parsed.hostname in PRODUCTION_ASSET_HOSTS:
        return PRODUCTION_VIDEO_BASE
    return base_url


def classify(response: httpx.Response, default: ProviderError) -> ProviderError:
    """Refine an HTTP error with the envelope's ``code``/``msg`` or an ``error`` object."""
    body = _json_or_none(response)
    code: str | None = None
    message = default.message
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code = _str(error, "code", "type")
            message = _str(error, "message") or message
        elif body.get("code") not in (None, *_OK_CODES):
            code = str(body["code"])
    return error_for(response.status_code, code, message, retry_after_seconds(response))


def error_for(
    status: int, code: str | None, message: str, retry_after: float | None
) -> ProviderError:
    if status == 401:
        return ProviderAuthError(message, status=status, code=code)
    if status == 429:
        return ProviderRateLimited(message, retry_after=retry_after)
    if status >= 500:
        return ProviderUnavailable(message, status=status, code=code)
    quota = any(word in message.lower() for word in _QUOTA_WORDS)
    reason = {
        402: RejectReason.QUOTA,
        403: RejectReason.QUOTA if quota else RejectReason.OTHER,
        404: RejectReason.NOT_FOUND,
        409: RejectReason.GROUP_NOT_ACTIVE,
        413: RejectReason.TOO_LARGE,
    }.get(status, RejectReason.INVALID)
    return ProviderRejected(message, reason=reason, status=status, code=code)


def unwrap(response: httpx.Response) -> Any:
    """``data`` of a ``{code, data, msg}`` envelope (or the body); a non-200 ``code`` raises."""
    body = _json(response)
    if not _is_envelope(body):
        return body
    code = body.get("code")
    if code in _OK_CODES:
        return body.get("data")
    message = str(body.get("msg") or body.get("message") or f"error code {code}")
    status = _int(code)
    if status is None or not 400 <= status <= 599:
        status = 400
    raise error_for(status, str(code), message, None)


def page_rows(data: Any) -> tuple[list[dict[str, Any]], int | None]:
    """Rows and total (None if not given) of a list answer in any of the usual shapes."""
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)], None
    if not isinstance(data, dict):
        return [], None
    rows: Any = []
    for key in ("list", "items", "records", "rows", "groups", "assets", "data"):
        if isinstance(data.get(key), list):
            rows = data[key]
            break
    total = data.get("total", data.get("total_count", data.get("count")))
    pagination = data.get("pagination")
    if total is None and isinstance(pagination, dict):
        total = pagination.get("total")
    return [r for r in rows if isinstance(r, dict)], _int(total)


def asset_info(
    row: dict[str, Any], *, record_id: str | None = None, group_id: str | None = None
) -> AssetInfo:
    status = (_str(row, "status", "Status") or "").lower()
    state = {
        "2": RemoteAssetState.ACTIVE,
        "active": RemoteAssetState.ACTIVE,
        "succeeded": RemoteAssetState.ACTIVE,
        "success": RemoteAssetState.ACTIVE,
        "3": RemoteAssetState.FAILED,
        "failed": RemoteAssetState.FAILED,
        "fail": RemoteAssetState.FAILED,
    }.get(status, RemoteAssetState.PROCESSING)
    code, message = asset_error(row) if state is RemoteAssetState.FAILED else (None, None)
    name = _str(row, "name", "asset_name", "file_name", "Name")
    return AssetInfo(
        asset_id=_str(row, "asset_id", "assetId", "AssetId"),
        state=state,
        group_id=_str(row, "group_id", "groupId", "GroupId") or group_id,
        name=_EXTENSION.sub("", name) if name else None,
        record_id=_str(row, "task_id", "taskId") or record_id,
        error_code=code,
        error_message=message,
        raw=row,
    )


def asset_error(data: dict[str, Any]) -> tuple[str | None, str | None]:
    for key in ("error", "Error"):
        error = data.get(key)
        if isinstance(error, dict):
            return _str(error, "code", "Code"), _str(error, "message", "Message")
        if isinstance(error, str) and error:
            return error, None
    code = _str(data, "error_code", "errorCode", "fail_code")
    message = _str(data, "error_msg", "error_message", "fail_reason", "reason", "msg")
    return code, message


def video_status(body: Any, now: float) -> VideoStatus:
    if _is_envelope(body) and isinstance(body.get("data"), dict) and "status" not in body:
        body = body["data"]
    task_id = _str(body, "task_id", "id")
    if not isinstance(body, dict) or task_id is None:
        raise ProviderError("PowerTokens returned a video task without an id")
    status = (_str(body, "status") or "").lower()
    state = {
        "running": VideoState.RUNNING,
        "in_progress": VideoState.RUNNING,
        "processing": VideoState.RUNNING,
        "succeeded": VideoState.COMPLETED,
        "completed": VideoState.COMPLETED,
        "success": VideoState.COMPLETED,
        "failed": VideoState.FAILED,
        "error": VideoState.FAILED,
        "cancelled": VideoState.FAILED,
        "canceled": VideoState.FAILED,
        "expired": VideoState.FAILED,
    }.get(status, VideoState.QUEUED)  # pending, queued, submitted, unknown
    url = _str(body, "video_url") or _str(body.get("content"), "video_url")
    url = url or _str(body.get("metadata"), "url") or _str(body, "url")
    code = message = None
    error = body.get("error")
    if isinstance(error, dict):
        code, message = _str(error, "code", "type"), _str(error, "message")
    elif isinstance(error, str) and error:
        message = error
    if state is VideoState.FAILED:
        code = code or status or "failed"
        message = message or _str(body, "message", "fail_reason")
    if state is VideoState.COMPLETED and url is None:
        raise ProviderError("PowerTokens said the video succeeded but gave no video_url")
    expires = None
    if url is not None:
        expires = timestamp(body.get("expires_at")) or _query_expiry(url)
        if expires is None:
            done = timestamp(body.get("completed_at")) or timestamp(body.get("updated_at"))
            expires = (done or now) + VIDEO_URL_LIFETIME
    return VideoStatus(
        task_id=task_id,
        state=state,
        video_url=url,
        url_expires_at=expires,
        error_code=code,
        error_message=message,
        raw=body,
    )


def reference_prompt(prompt: str, count: int) -> str:
    """With several reference images, a prompt naming none gets "[Image 1] ..." in front."""
    if count < 2 or _IMAGE_MENTION.search(prompt):
        return prompt
    tags = " ".join(f"[Image {i}]" for i in range(1, count + 1))
    return f"{tags} {prompt}".strip()


def timestamp(value: Any) -> float | None:
    """Unix seconds from unix s/ms or ISO 8601 with a zone; naive or unreadable -> None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) / 1000 if value > 1e12 else float(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return timestamp(float(text))
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.timestamp() if parsed.tzinfo is not None else None
    return None


def _query_expiry(url: str) -> float | None:
    query = parse_qs(urlparse(url).query)
    for key in ("expires", "Expires"):
        if key in query:
            return timestamp(query[key][0])
    return None


def _is_envelope(body: Any) -> bool:
    return isinstance(body, dict) and "code" in body and ("data" in body or "msg" in body)


def _says_failed(text: str | None) -> bool:
    return bool(text) and any(word in (text or "").lower() for word in _FAILED_WORDS)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError("PowerTokens answered with something that is not JSON") from exc


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _number(data: Any, *keys: str) -> float | None:
    if not isinstance(data, dict):
        return None
    for key in keys:
        value = data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
    return None


def _str(data: Any, *keys: str) -> str | None:
    if not isinstance(data, dict):
        return None
    for key in keys:
        value = data.get(key)
        if value not in (None, "") and not isinstance(value, dict | list):
            return str(value)
    return None
