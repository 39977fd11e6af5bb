"""The Sunra simulator class: routes, auth, rate limits, lazy state (shapes: package doc)."""

from __future__ import annotations

import itertools
import logging
import secrets
import string
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Literal

from aiohttp import web

from bot.simulators.common import AssetOutcome, Handler, SimulatorBase, VideoOutcome
from bot.simulators.sunra import control
from bot.simulators.sunra.render import (
    Signer,
    asset_json,
    request_urls,
    result_json,
    status_json,
)
from bot.simulators.sunra.state import (
    ARK_URL_TTL,
    ASSET_STATUSES,
    DIRECT_MODELS,
    RELAY_MODELS,
    VIDEO_URL_TTL,
    ApiError,
    ArkAsset,
    Json,
    Prediction,
    RateWindow,
    asset_type_of,
    check_asset_body,
    check_video_input,
    name_from_url,
    prediction_error,
    rate_limited,
    registration_outcome,
    token,
)

log = logging.getLogger(__name__)

ACCOUNT = web.RequestKey("account", str)


class SunraSimulator(SimulatorBase):
    """Sunra Ark assets + queue on 127.0.0.1; see the module docstring for the shapes."""

    name = "sunra"

    def __init__(
        self,
        *,
        api_keys: Iterable[str] = ("sim-key",),
        link_ttl: float = 120.0,  # accepted for a uniform signature; Sunra has no links
        processing_seconds: float = 0.2,
        video_queued_seconds: float = 0.1,
        video_running_seconds: float = 0.3,
        clock: Callable[[], float] = time.time,
        submit_per_second: int | None = 10,
        submit_per_minute: int | None = 100,
        other_per_second: int | None = 100,
        other_per_minute: int | None = 1800,
        list_refreshes: bool = False,
        failure_status: Literal["COMPLETED", "FAILED"] = "COMPLETED",
        fetch_timeout: float = 10.0,
    ) -> None:
        super().__init__(clock=clock)
        self._api_keys = frozenset(api_keys)
        self._processing_seconds = processing_seconds
        self._queued_seconds = video_queued_seconds
        self._running_seconds = video_running_seconds
        self._limits = {
            "submit": (submit_per_second, submit_per_minute),
            "other": (other_per_second, other_per_minute),
        }
        self._list_refreshes = list_refreshes
        self._failure_status = failure_status
        self._fetch_timeout = fetch_timeout
        self._signer = Signer(clock)
        self._seq = itertools.count(1)
        self._windows: dict[tuple[str, str], RateWindow] = {}
        self._assets: dict[str, ArkAsset] = {}
        self._videos: dict[str, Prediction] = {}
        self.asset_script: deque[AssetOutcome] = deque()
        self.video_script: deque[VideoOutcome] = deque()
        self.app.add_routes(
            [
                web.post("/v1/ark/assets", self._create_asset),
                web.get("/v1/ark/assets", self._list_assets),
                web.get("/v1/ark/assets/{record_id}", self._get_asset),
                web.delete("/v1/ark/assets/{record_id}", self._delete_asset),
                web.get("/v1/queue/requests/{rid}/status", self._status),
                web.get("/v1/queue/requests/{rid}", self._result),
                web.put("/v1/queue/requests/{rid}/cancel", self._cancel),
                web.post("/v1/queue/{model_id:.+}", self._submit),
                web.get("/files/videos/{rid}.mp4", self._download_video),
                web.get("/files/ark/{record_id}", self._download_ark),
                *control.routes(self),
            ]
        )

    # ------------------------------------------------------------------ controls

    def script_assets(self, *outcomes: AssetOutcome) -> None:
        self.asset_script.extend(outcomes)

    def script_videos(self, *outcomes: VideoOutcome) -> None:
        self.video_script.extend(outcomes)

    def pass_link(self, h5_url: str) -> None:
        raise KeyError(f"Sunra has no verification links: {h5_url}")

    @property
    def groups(self) -> dict[str, object]:
        return {}  # Sunra has no groups

    @property
    def assets(self) -> dict[str, ArkAsset]:
        """By Sunra ``id``; ``status`` is Sunra's stored copy (see :meth:`upstream_status`)."""
        return self._assets

    @property
    def videos(self) -> dict[str, Prediction]:
        self._settle()
        return self._videos

    def upstream_status(self, asset: ArkAsset) -> str:
        if self.now() < asset.created_at + self._processing_seconds:
            return "processing"
        return asset.outcome.status.lower()

    # ------------------------------------------------------------------ plumbing

    def _settle(self) -> None:
        now = self.now()
        for video in self._videos.values():
            if video.status not in ("IN_QUEUE", "IN_PROGRESS"):
                continue
            started = video.created_at + self._queued_seconds
            finished = started + self._running_seconds
            if now >= finished:
                video.completed_at = finished
                video.success = not video.failed
                failed_late = video.failed and self._failure_status == "FAILED"
                video.status = "FAILED" if failed_late else "COMPLETED"
            elif now >= started:
                video.status = "IN_PROGRESS"

    def origin(self, request: web.Request) -> str:
        return self.base_url or f"{request.scheme}://{request.host}"

    def fault_body(
        self, status: int, message: str, headers: dict[str, str] | None
    ) -> web.StreamResponse:
        if status == 403:
            return rate_limited("simulated", 1).response(self.now(), "")
        code = message.lower().replace(" ", "_")
        error = ApiError(
            status, message, code, "api_error" if status >= 500 else "invalid_request_error"
        )
        response = error.response(self.now(), "")
        if headers:
            response.headers.update(headers)
        return response

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        self._settle()
        if not path.startswith("/v1/"):
            return await handler(request)
        try:
            account = self._account(request)
            bucket = "submit" if _is_submit(request) else "other"
            window = self._windows.setdefault((account, bucket), RateWindow(*self._limits[bucket]))
            wait = window.admit(self.now())
            if wait is not None:
                raise rate_limited(bucket, wait)
            request[ACCOUNT] = account
            return await handler(request)
        except ApiError as exc:
            return exc.response(self.now(), path)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            status = 404 if exc.status == 405 else exc.status
            phrase = HTTPStatus(status).phrase
            return ApiError(status, phrase, "not_found").response(self.now(), path)

    def _account(self, request: web.Request) -> str:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() not in ("bearer", "key") or key not in self._api_keys:
            raise ApiError(401, "Invalid API key", "unauthorized", "authentication_error")
        return key

    async def _body(self, request: web.Request) -> Json:
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Request body must be JSON", "invalid_json") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object", "invalid_json")
        return body

    # ------------------------------------------------------------------ Ark assets

    def _own_asset(self, request: web.Request) -> ArkAsset:
        asset = self._assets.get(request.match_info["record_id"])
        if asset is None or asset.account != request[ACCOUNT] or asset.deleted:
            raise ApiError(404, "Asset not found", "not_found")
        return asset

    def _refresh(self, asset: ArkAsset) -> None:
        status = self.upstream_status(asset)
        if status != asset.status:
            asset.status = status
            asset.updated_at = asset.created_at + self._processing_seconds

    async def _create_asset(self, request: web.Request) -> web.StreamResponse:
        source_url, name, asset_type = check_asset_body(await self._body(request))
        asset_type = asset_type or asset_type_of(source_url)
        failure, content, content_type = await registration_outcome(
            source_url, asset_type, self._fetch_timeout
        )
        outcome = failure
        if outcome is None:
            outcome = self.asset_script.popleft() if self.asset_script else AssetOutcome()
        now = self.now()
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d%H%M%S")
        asset = ArkAsset(
            record_id="ark_" + secrets.token_hex(12),
            ark_asset_id=f"asset-{stamp}-{token(5, string.ascii_lowercase + string.digits)}",
            account=request[ACCOUNT],
            name=name or name_from_url(source_url),
            asset_type=asset_type,
            source_url=source_url,
            created_at=now,
            updated_at=now,
            outcome=outcome,
            content=content,
            content_type=content_type,
        )
        self._assets[asset.record_id] = asset
        return web.json_response(asset_json(asset), status=201)

    async def _get_asset(self, request: web.Request) -> web.StreamResponse:
        asset = self._own_asset(request)
        self._refresh(asset)
        ark_url = None
        if asset.status == "active":
            path, key = f"/files/ark/{asset.record_id}", asset.record_id
            ark_url = self._signer.url(self.origin(request), path, "ark", key, ARK_URL_TTL)
        return web.json_response(asset_json(asset, ark_url))

    async def _delete_asset(self, request: web.Request) -> web.StreamResponse:
        asset = self._own_asset(request)
        asset.deleted = True
        return web.json_response({"id": asset.record_id, "deleted": True})

    async def _list_assets(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        status = query.get("status", "").strip().lower()
        if status and status not in ASSET_STATUSES:
            raise ApiError(422, "status must be processing, active or failed", "invalid_input")
        try:
            page, size = int(query.get("page", "1")), int(query.get("page_size", "20"))
        except ValueError:
            raise ApiError(422, "page and page_size must be integers", "invalid_input") from None
        if page < 1 or not 1 <= size <= 100:
            raise ApiError(422, "page must be >= 1 and page_size 1..100", "invalid_input")
        mine = [
            a for a in self._assets.values() if a.account == request[ACCOUNT] and not a.deleted
        ]
        if self._list_refreshes:
            for asset in mine:
                self._refresh(asset)
        found = [a for a in mine if not status or a.status == status]
        found.sort(key=lambda a: a.created_at, reverse=True)
        rows = [asset_json(a) for a in found]
        chunk = rows[(page - 1) * size : page * size]
        return web.json_response(
            {"items": chunk, "total": len(rows), "page": page, "page_size": size}
        )

    async def _download_ark(self, request: web.Request) -> web.StreamResponse:
        asset = self._assets.get(request.match_info["record_id"])
        if asset is None or asset.deleted or self.upstream_status(asset) != "active":
            return web.Response(status=404, text="Not Found")
        problem = self._signer.problem(request, "ark", asset.record_id)
        if problem is not None:
            return web.Response(status=403, text=f"Forbidden: {problem}")
        return web.Response(body=asset.content, content_type=asset.content_type)

    # ------------------------------------------------------------------ queue

    def _ref_failure(self, account: str, model_id: str, refs: list[str]) -> tuple[str, str] | None:
        for ref in refs:
            if not ref.startswith("asset://"):
                continue
            if model_id not in RELAY_MODELS:
                return "InvalidParameter", f"{ref} is only recognized on the relay models"
            ark_id = ref.removeprefix("asset://")
            asset = next(
                (
                    a
                    for a in self._assets.values()
                    if a.ark_asset_id == ark_id and a.account == account and not a.deleted
                ),
                None,
            )
            if asset is None:
                return "InvalidParameter", f"asset {ark_id} not found"
            if self.upstream_status(asset) != "active":
                return "InvalidParameter", f"asset {ark_id} is not active"
        return None

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        model_id = request.match_info["model_id"]
        if model_id not in RELAY_MODELS + DIRECT_MODELS:
            raise ApiError(404, f"Model {model_id} not found", "model_not_found")
        body = await self._body(request)
        checked = check_video_input(model_id, body)
        account = request[ACCOUNT]
        failure = self._ref_failure(account, model_id, checked["reference_images"])
        outcome = VideoOutcome()
        if failure is None and self.video_script:
            outcome = self.video_script.popleft()
        video = Prediction(
            request_id="pd_" + token(24),
            account=account,
            model_id=model_id,
            created_at=self.now(),
            seq=next(self._seq),
            outcome=outcome,
            failure=failure,
            input=body,
            **checked,
        )
        self._videos[video.request_id] = video
        urls = request_urls(self.origin(request), video.request_id)
        return web.json_response({"request_id": video.request_id, "status": video.status, **urls})

    def _own_video(self, request: web.Request) -> Prediction:
        video = self._videos.get(request.match_info["rid"])
        if video is None or video.account != request[ACCOUNT]:
            raise ApiError(404, "Request not found", "not_found")
        return video

    async def _status(self, request: web.Request) -> web.StreamResponse:
        video = self._own_video(request)
        ahead = sum(
            1 for v in self._videos.values() if v.status == "IN_QUEUE" and v.seq < video.seq
        )
        origin = self.origin(request)
        return web.json_response(status_json(video, origin, ahead, self._running_seconds))

    async def _result(self, request: web.Request) -> web.StreamResponse:
        video = self._own_video(request)
        if video.status in ("IN_QUEUE", "IN_PROGRESS"):
            raise ApiError(400, "Request is still in progress", "request_not_completed")
        if video.status == "CANCELLED":
            raise ApiError(400, "Request was cancelled", "request_cancelled")
        if not video.success:
            error = prediction_error(*video.error_code(), video.completed_at or 0)
            raise ApiError(400, error["message"], "PREDICTION_FAILED", details=error["details"])
        path, key = f"/files/videos/{video.request_id}.mp4", video.request_id
        url = self._signer.url(self.origin(request), path, "video", key, VIDEO_URL_TTL)
        return web.json_response(result_json(video, url))

    async def _cancel(self, request: web.Request) -> web.StreamResponse:
        video = self._own_video(request)
        if video.status != "IN_QUEUE":
            raise ApiError(
                400, f"Request is {video.status}; only queued ones cancel", "cannot_cancel"
            )
        video.status, video.completed_at = "CANCELLED", self.now()
        return web.json_response({"request_id": video.request_id, "status": "CANCELLED"})

    async def _download_video(self, request: web.Request) -> web.StreamResponse:
        video = self._videos.get(request.match_info["rid"])
        if video is None or video.status != "COMPLETED" or not video.success:
            return web.Response(status=404, text="Not Found")
        problem = self._signer.problem(request, "video", video.request_id)
        if problem is not None:
            return web.Response(status=403, text=f"Forbidden: {problem}")
        return await self.serve_mp4(request, video.outcome.video_bytes)


def _is_submit(request: web.Request) -> bool:
    path = request.path
    return (
        request.method == "POST"
        and path.startswith("/v1/queue/")
        and not path.startswith("/v1/queue/requests/")
    )
