"""The Sunra simulator class: routes, auth, rate limits, lazy state (shapes: package doc)."""

from __future__ import annotations

import itertools
import logging
import secrets
from http import HTTPStatus
from typing import Literal, Unpack

from aiohttp import web

from sandbox import helpers
from sandbox.common import Handler, SimulatorBase, VideoOutcome
from sandbox.helpers import Settled, SimulatorOptions, stamp_id
from sandbox.records import VIDEO_URL_TTL
from sandbox.sunra.render import (
    asset_json,
    request_urls,
    result_json,
    status_json,
)
from sandbox.sunra.state import (
    ARK_URL_TTL,
    ASSET_STATUSES,
    DIRECT_MODELS,
    RELAY_MODELS,
    ApiError,
    ArkAsset,
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
        submit_per_second: int | None = 10,
        submit_per_minute: int | None = 100,
        other_per_second: int | None = 100,
        other_per_minute: int | None = 1800,
        list_refreshes: bool = False,
        failure_status: Literal["COMPLETED", "FAILED"] = "COMPLETED",
        fetch_timeout: float = 10.0,
        **options: Unpack[SimulatorOptions],  # link_ttl is taken for uniformity: no links
    ) -> None:
        super().__init__(**options)
        self._limits = {
            "submit": (submit_per_second, submit_per_minute),
            "other": (other_per_second, other_per_minute),
        }
        self._list_refreshes = list_refreshes
        self._failure_status = failure_status
        self._fetch_timeout = fetch_timeout
        self._seq = itertools.count(1)
        self._windows: dict[tuple[str, str], RateWindow] = {}
        self._assets: dict[str, ArkAsset] = {}
        self._videos: dict[str, Prediction] = {}
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
                web.post("/_sim/pass", self._sim_pass),
            ]
        )

    # ------------------------------------------------------------------ controls

    def pass_link(self, h5_url: str) -> None:
        raise KeyError(f"Sunra has no verification links: {h5_url}")

    async def _sim_pass(self, request: web.Request) -> web.StreamResponse:
        # Sunra has no face check, so no link of ours can be passed.
        return web.json_response({"ok": False, "reason": "unknown"}, status=404)

    @property
    def groups(self) -> dict[str, object]:
        return {}  # Sunra has no groups

    @property
    def assets(self) -> dict[str, ArkAsset]:
        """By Sunra ``id``; ``status`` is Sunra's stored copy (see :meth:`upstream_status`)."""
        return self._assets

    videos = Settled[dict[str, Prediction]]("_videos")

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
            started = video.created_at + self._video_queued_seconds
            finished = started + self._video_running_seconds
            if now >= finished:
                video.completed_at = finished
                video.success = not video.failed
                failed_late = video.failed and self._failure_status == "FAILED"
                video.status = "FAILED" if failed_late else "COMPLETED"
            elif now >= started:
                video.status = "IN_PROGRESS"

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
        async def admitted(request: web.Request) -> web.StreamResponse:
            if request.path.startswith("/v1/"):
                request[ACCOUNT] = self._admit(request)
            return await handler(request)

        return await super().handle(request, admitted)

    def _admit(self, request: web.Request) -> str:
        """The caller's account, if the key is good and the account within its rate limits."""
        key = self.bearer_key(request, ("bearer", "key"))
        if key is None:
            raise ApiError(401, "Invalid API key", "unauthorized", "authentication_error")
        bucket = "submit" if _is_submit(request) else "other"
        window = self._windows.setdefault((key, bucket), RateWindow(*self._limits[bucket]))
        wait = window.admit(self.now())
        if wait is not None:
            raise rate_limited(bucket, wait)
        return key

    def bad_body(self, message: str) -> ApiError:
        return ApiError(400, message, "invalid_json")

    def routing_error(self, status: int, reason: str) -> ApiError:
        return ApiError(status, HTTPStatus(status).phrase, "not_found")

    def answer_error(self, request: web.Request, error: helpers.ApiError) -> web.StreamResponse:
        if not isinstance(error, ApiError):
            error = ApiError(error.status, error.message, error.code or "error")
        return error.response(self.now(), request.path)

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
        source_url, name, asset_type = check_asset_body(await self.json_body(request))
        asset_type = asset_type or asset_type_of(source_url)
        failure, content, content_type = await registration_outcome(
            source_url, asset_type, self._fetch_timeout
        )
        outcome = failure if failure is not None else self.next_asset_outcome()
        now = self.now()
        asset = ArkAsset(
            record_id="ark_" + secrets.token_hex(12),
            ark_asset_id=stamp_id("asset", now),
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
            path, expires = f"/files/ark/{asset.record_id}", int(self.now()) + ARK_URL_TTL
            ark_url = self.signed_url(request, path, "ark", asset.record_id, expires)
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
        forbidden = self.forbidden(request, "ark", asset.record_id)
        return forbidden or web.Response(body=asset.content, content_type=asset.content_type)

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
        body = await self.json_body(request)
        checked = check_video_input(model_id, body)
        account = request[ACCOUNT]
        failure = self._ref_failure(account, model_id, checked["reference_images"])
        outcome = self.next_video_outcome() if failure is None else VideoOutcome()
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
        self.video_requests.append({**body, "_model": model_id})
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
        return web.json_response(status_json(video, origin, ahead, self._video_running_seconds))

    async def _result(self, request: web.Request) -> web.StreamResponse:
        video = self._own_video(request)
        if video.status in ("IN_QUEUE", "IN_PROGRESS"):
            raise ApiError(400, "Request is still in progress", "request_not_completed")
        if video.status == "CANCELLED":
            raise ApiError(400, "Request was cancelled", "request_cancelled")
        if not video.success:
            error = prediction_error(*video.error_code(), video.completed_at or 0)
            raise ApiError(400, error["message"], "PREDICTION_FAILED", details=error["details"])
        path, expires = f"/files/videos/{video.request_id}.mp4", int(self.now()) + VIDEO_URL_TTL
        url = self.signed_url(request, path, "video", video.request_id, expires)
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
        return await self.serve_signed_mp4(request, video.request_id, video.outcome.video_bytes)


def _is_submit(request: web.Request) -> bool:
    path = request.path
    return (
        request.method == "POST"
        and path.startswith("/v1/queue/")
        and not path.startswith("/v1/queue/requests/")
    )
