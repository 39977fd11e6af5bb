"""The ToAPIs simulator class: routes, lazy timing, controls (shapes: see the package doc)."""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from collections.abc import Iterable
from typing import Any, Unpack
from urllib.parse import urlsplit

from aiohttp import web

from sandbox.common import SimulatorBase
from sandbox.helpers import ApiError, H5Link, Json, Settled, SimulatorOptions, optional_url, owned
from sandbox.orcarouter import fetch
from sandbox.records import VIDEO_URL_TTL
from sandbox.toapis import controls, videos
from sandbox.toapis.sources import fetch_source
from sandbox.toapis.state import (
    DEFAULT_FAILED_CODE,
    PASSED_CODE,
    PREFIX,
    VIDEO_PATHS,
    Asset,
    AvatarGroup,
    VerifyTask,
    VideoTask,
    asset_json,
    group_json,
    new_asset_id,
    new_group_id,
    new_task_id,
    result_json,
    task_json,
    video_error,
    wrapped,
    wrapped_error,
)


class ToAPIsSimulator(SimulatorBase):
    """ToAPIs real-avatar, private-avatar and video API on 127.0.0.1."""

    name = "toapis"

    def __init__(
        self,
        *,
        session_seconds: float = 0.0,
        activation_delay: float = 0.0,
        asset_quota: int | None = None,
        video_submit_paths: Iterable[str] = VIDEO_PATHS,
        fetch_timeout: float = 10.0,
        **options: Unpack[SimulatorOptions],
    ) -> None:
        super().__init__(**options)
        self._session_seconds = session_seconds
        self._activation_delay = activation_delay
        self._asset_quota = asset_quota
        self._fetch_timeout = fetch_timeout
        self._tasks: dict[str, VerifyTask] = {}
        self._links: dict[str, str] = {}  # link token -> task id
        self._groups: dict[str, AvatarGroup] = {}
        self._assets: dict[str, Asset] = {}
        self._videos: dict[str, VideoTask] = {}
        # The callback_url visits after a face check (the upstream session's CallbackURL is
        # where the person's browser goes, with ?bytedToken=&resultCode=): (url, status).
        self.callback_visits: list[tuple[str, int | None]] = []
        self._visits: set[asyncio.Task[None]] = set()
        self.fetches: list[str] = []  # every source_url the simulator GETs, in order
        real, private = f"{PREFIX}/real-avatar", f"{PREFIX}/private-avatar"
        routes = [
            web.post(f"{real}/verify-tasks", self._create_task),
            web.get(f"{real}/verify-tasks/{{task_id}}", self._get_task),
            web.get(f"{real}/verify-results", self._get_result),
            web.post(f"{private}/groups", self._create_group),
            web.post(f"{private}/assets", self._create_asset),
            web.get(f"{private}/assets/{{asset_id}}", self._get_asset),
            *(web.post(path, self._create_video) for path in video_submit_paths),
            *(web.get(f"{path}/{{task_id}}", self._get_video) for path in VIDEO_PATHS),
            web.get("/files/videos/{task_id}.mp4", self._download_video),
            *self.h5_routes(),
            *controls.routes(self),
        ]
        self.app.add_routes(routes)

    # ------------------------------------------------------------------ controls

    def pass_link(self, h5_url: str) -> None:
        """The person behind this H5 link passed (link expiry does not matter here)."""
        self.decide(self.task_of_link(h5_url), PASSED_CODE)

    def fail_link(self, h5_url: str, result_code: str = DEFAULT_FAILED_CODE) -> None:
        """The person behind this H5 link failed the liveness check."""
        self.decide(self.task_of_link(h5_url), result_code)

    def early_polls(self, task_id: str) -> int:
        """How many status polls of a video came sooner than ToAPIs suggests."""
        return videos.early_polls(self._videos[task_id])

    tasks = Settled[dict[str, VerifyTask]]("_tasks")
    groups = Settled[dict[str, AvatarGroup]]("_groups")
    assets = Settled[dict[str, Asset]]("_assets")
    videos = Settled[dict[str, VideoTask]]("_videos")

    # ------------------------------------------------------------------ state machine

    def _settle(self) -> None:
        now = self.now()
        for task in self._tasks.values():
            bind_at = (task.decided_at or now) + self._activation_delay
            if task.result_code == PASSED_CODE and task.group_id is None and now >= bind_at:
                group = AvatarGroup(
                    new_group_id(now), task.account, "real", None, None, bind_at, task.task_id
                )
                self._groups[group.group_id] = group
                task.group_id = group.group_id
        for asset in self._assets.values():
            ready_at = asset.created_at + self._processing_seconds
            if asset.status == "processing" and now >= ready_at:
                asset.status, asset.updated_at = asset.outcome.status.lower(), ready_at
        for video in self._videos.values():
            queued_at = video.created_at + self._video_queued_seconds / 2
            started = video.created_at + self._video_queued_seconds
            finished = started + self._video_running_seconds
            if video.status in ("completed", "failed"):
                continue
            if now >= finished:
                video.status, video.completed_at = video.outcome.status, finished
            elif now >= started:
                video.status = "in_progress"
            elif now >= queued_at:
                video.status = "queued"

    def decide(self, task: VerifyTask, result_code: str) -> None:
        if task.result_code is None:
            task.result_code, task.decided_at = result_code, self.now()
            self._settle()
            if task.callback_url:
                url = fetch.with_query(
                    task.callback_url, {"bytedToken": task.byted_token, "resultCode": result_code}
                )
                try:
                    visit = asyncio.get_running_loop().create_task(self._visit(url))
                except RuntimeError:  # decided outside an event loop: nobody to send back
                    return
                self._visits.add(visit)
                visit.add_done_callback(self._visits.discard)

    async def _visit(self, url: str) -> None:
        status, _ = await fetch.visit(url)
        self.callback_visits.append((url, status))

    async def stop(self) -> None:
        for visit in list(self._visits):
            visit.cancel()
        await asyncio.gather(*self._visits, return_exceptions=True)
        await super().stop()

    def task_of_link(self, h5_url: str) -> VerifyTask:
        token = urlsplit(h5_url).path.rstrip("/").rsplit("/", 1)[-1]
        task_id = self._links.get(token)
        if task_id is None:
            raise LookupError(f"unknown H5 link {h5_url}")
        return self._tasks[task_id]

    def h5_link(self, token: str) -> H5Link:
        task = self._tasks.get(self._links.get(token, ""))
        return self.link_state(
            task is not None and self.now() >= task.ready_at,
            task is not None and task.result_code is not None,
            task.expires_at if task else 0.0,
            "Real-person verification (ToAPIs sandbox).",
        )

    async def h5_press(self, token: str) -> None:
        self.decide(self._tasks[self._links[token]], PASSED_CODE)

    def _sim_scripted(self, script: deque[Any]) -> web.Response:
        return web.json_response({"ok": True})  # ToAPIs' controls do not report the queue

    def fault_body(
        self, status: int, message: str, headers: dict[str, str] | None
    ) -> web.StreamResponse:
        return wrapped_error(status, message, headers=headers)

    def answer_error(self, request: web.Request, error: ApiError) -> web.StreamResponse:
        if request.path.startswith(VIDEO_PATHS):
            return video_error(error.status, error.message, error.code)
        return wrapped_error(error.status, error.message, error.code)

    def _account(self, request: web.Request) -> str:
        key = self.bearer_key(request)
        if key is None:
            raise ApiError(401, "Invalid API key", "invalid_api_key")
        return key

    def _own_task(self, request: web.Request, task_id: str | None) -> VerifyTask:
        account = self._account(request)
        task = self._tasks.get(task_id or "")
        if task is None or task.account != account:
            raise ApiError(404, "Verify task not found", "task_not_found")
        return task

    # ------------------------------------------------------------------ real avatars

    async def _create_task(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        body = await self.json_body(request)
        callback = optional_url(body, "callback_url")
        locale, biz_id = body.get("locale", "zh"), body.get("biz_id")
        if not isinstance(locale, str) or not (biz_id is None or isinstance(biz_id, str)):
            raise ApiError(400, "locale and biz_id must be strings")
        now = self.now()
        ready_at = now + self._session_seconds
        task = VerifyTask(
            task_id=new_task_id(),
            account=account,
            biz_id=biz_id,
            callback_url=callback,
            locale=locale,
            created_at=now,
            ready_at=ready_at,
            link_token=secrets.token_urlsafe(24),
            byted_token=secrets.token_hex(17).upper(),
            expires_at=ready_at + self._link_ttl,
        )
        self._tasks[task.task_id] = task
        self._links[task.link_token] = task.task_id
        ready = now >= ready_at
        return wrapped({"task_id": task.task_id, "status": "completed" if ready else "submitted"})

    async def _get_task(self, request: web.Request) -> web.StreamResponse:
        task = self._own_task(request, request.match_info["task_id"])
        return wrapped(task_json(task, self.origin(request), self.now()))

    async def _get_result(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        task_id = request.query.get("task_id", "").strip()
        token = request.query.get("byted_token", "").strip()
        if not task_id and not token:
            raise ApiError(400, "task_id or byted_token is required")
        if not task_id:
            found = (t for t in self._tasks.values() if t.byted_token == token)
            task_id = next((t.task_id for t in found if t.account == account), "")
        task = self._own_task(request, task_id)
        return wrapped(result_json(task, self.now()))

    # ------------------------------------------------------------------ private avatars

    async def _create_group(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        body = await self.json_body(request)
        name, description = body.get("name"), body.get("description")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 64:
            raise ApiError(400, "name must be 1..64 characters")
        if description is not None and not isinstance(description, str):
            raise ApiError(400, "description must be a string")
        group = AvatarGroup(
            new_group_id(self.now()), account, "virtual", name.strip(), description, self.now()
        )
        self._groups[group.group_id] = group
        return wrapped(group_json(group))

    async def _create_asset(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        body = await self.json_body(request)
        group_id, source_url, name = (body.get(k) for k in ("group_id", "source_url", "name"))
        if not isinstance(group_id, str) or not group_id:
            raise ApiError(400, "group_id is required")
        if body.get("asset_type") not in ("image", "video", "audio"):
            raise ApiError(400, "asset_type must be image, video or audio")
        if body["asset_type"] != "image":
            raise ApiError(400, "this simulator takes image assets only")
        if not isinstance(source_url, str) or not source_url.startswith(("http://", "https://")):
            raise ApiError(400, "source_url must be a publicly reachable http/https URL")
        if name is not None and (not isinstance(name, str) or len(name) > 128):
            raise ApiError(400, "name must be a string of at most 128 characters")
        group = self._groups.get(group_id)
        if group is None or group.account != account:
            raise ApiError(404, "Asset group not found", "group_not_found")
        used = sum(1 for a in self._assets.values() if a.account == account)
        if self._asset_quota is not None and used >= self._asset_quota:
            raise ApiError(403, f"Asset quota of {self._asset_quota} reached", "asset_quota")
        self.fetches.append(source_url)
        problem, info = await fetch_source(source_url, self._fetch_timeout)
        if problem is None:
            problem = self.next_asset_outcome()
        now = self.now()
        asset = Asset(new_asset_id(now), account, group_id, name, source_url, now, problem)
        if info is not None:
            asset.mime_type, asset.width, asset.height = info.mime_type, info.width, info.height
        self._assets[asset.asset_id] = asset
        return wrapped(asset_json(asset))

    async def _get_asset(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        asset = self._assets.get(request.match_info["asset_id"])
        if asset is None or asset.account != account:
            raise ApiError(404, "Asset not found", "asset_not_found")
        return wrapped(asset_json(asset))

    # ------------------------------------------------------------------ videos

    async def _create_video(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        body = await self.json_body(request)
        spec = videos.parse_generation(body, owned(self._assets, account))
        self.video_requests.append(body)
        video = VideoTask(
            **spec.seedance(),
            task_id=new_task_id(),
            account=account,
            references=spec.references,
            asset_ids=[a.asset_id for a in spec.assets],
            created_at=self.now(),
            outcome=self.next_video_outcome(),
        )
        self._videos[video.task_id] = video
        self._settle()
        return web.json_response(self._video_body(video, request))

    async def _get_video(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        video = self._videos.get(request.match_info["task_id"])
        if video is None or video.account != account:
            raise ApiError(404, "Task not found")
        video.polls.append((self.now(), video.status))
        return web.json_response(self._video_body(video, request))

    def _video_body(self, video: VideoTask, request: web.Request) -> Json:
        url = expires = None
        if video.status == "completed" and video.completed_at is not None:
            expires = int(video.completed_at) + VIDEO_URL_TTL
            path = f"/files/videos/{video.task_id}.mp4"
            url = self.signed_url(request, path, "video", video.task_id, expires)
        return videos.video_json(video, url, expires)

    async def _download_video(self, request: web.Request) -> web.StreamResponse:
        video = self._videos.get(request.match_info["task_id"])
        if video is None or video.status != "completed":
            return web.Response(status=404, text="Not Found")
        return await self.serve_signed_mp4(request, video.task_id, video.outcome.video_bytes)
