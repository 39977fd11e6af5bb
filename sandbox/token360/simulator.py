"""The Token360 simulator: accounts, asset groups, verification links and the lazy state
machine; assets and videos are routed by their own modules, the H5 page and the ``/_sim``
controls by :class:`SimulatorBase` (shapes: see the package docstring)."""

from __future__ import annotations

import html
import itertools
import secrets
from collections.abc import Callable
from typing import Any, ClassVar, Literal, TypeVar, Unpack

from aiohttp import web

from sandbox.common import SimulatorBase
from sandbox.helpers import (
    H5_MESSAGES,
    ApiError,
    H5Link,
    Json,
    Settled,
    SimulatorOptions,
    iso,
    phrase,
)
from sandbox.token360.assets import AssetRoutes
from sandbox.token360.callbacks import CallbackSender
from sandbox.token360.state import (
    GROUP_ACTIVE,
    GROUP_PENDING,
    Asset,
    AssetGroup,
    Store,
    VerificationLink,
    VideoJob,
    video_error,
    wrapped,
    wrapped_error,
)
from sandbox.token360.videos import VideoRoutes

T = TypeVar("T")
ListOrder = Literal["newest", "oldest", "by_id"]


def _int_param(query: Any, name: str, default: int) -> int:
    raw = query.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None


class Token360Simulator(SimulatorBase):
    """Token360 Real Face + video API on 127.0.0.1; see the package docstring for the shapes."""

    h5_messages: ClassVar[dict[str, str]] = {
        **H5_MESSAGES,
        "superseded": "<p>This link has expired: a newer link was issued.</p>",
    }
    # In the bot's sandbox a passed check takes a moment, as at Token360.
    sandbox_options: ClassVar[dict[str, Any]] = {"activation_delay": 1.0}

    def __init__(
        self,
        *,
        activation_delay: float = 0.0,
        fresh_link_on_get: bool = True,
        list_shape: Literal["records", "list"] = "records",
        status_case: Literal["title", "lower", "upper"] = "title",
        list_order: ListOrder = "newest",
        group_filters: bool = True,
        **options: Unpack[SimulatorOptions],
    ) -> None:
        super().__init__(**options)
        self._activation_delay = activation_delay
        self._fresh_link_on_get = fresh_link_on_get
        self._list_shape = list_shape
        self.list_order: ListOrder = list_order
        self._group_filters = group_filters
        self._seq = itertools.count(1)
        self.store = Store()
        self.deleted_groups: set[str] = set()  # for tests: what a DELETE took away
        # Video callbacks (callbacks.py): with ``drop_callbacks`` none is sent, each one
        # going to ``callbacks_dropped`` instead; ``callbacks_sent`` has every attempt made
        # ({url, body, status}: the status answered, None where no answer came).
        self.callbacks = CallbackSender(self)
        self.drop_callbacks = False
        self.callbacks_sent: list[dict[str, Any]] = []
        self.callbacks_dropped: list[dict[str, Any]] = []
        self.app.add_routes(
            [
                web.post("/v1/asset-groups", self._create_group),
                web.get("/v1/asset-groups", self._list_groups),
                web.get("/v1/asset-groups/{group_id}", self._get_group),
                web.delete("/v1/asset-groups/{group_id}", self._delete_group),
                *AssetRoutes(self, status_case).routes(),
                *VideoRoutes(self).routes(),
                *self.h5_routes(),
                web.post("/_sim/groups/{group_id}/pass", self._sim_pass),
            ]
        )

    # ------------------------------------------------------------------ controls

    def pass_link(self, h5_url: str) -> None:
        """The person behind this H5 link passed (as the page's button would do)."""
        token = h5_url.rstrip("/").rsplit("/", 1)[-1]
        self.pass_verification(self.store.links[token].group_id)

    def pass_verification(self, group_id: str) -> None:
        """The person passed the H5 check for ``group_id`` (link expiry does not matter)."""
        group = self.store.groups[group_id]
        if group.status == GROUP_PENDING and group.passed_at is None:
            self.mark_passed(group)

    groups = Settled[dict[str, AssetGroup]]("store.groups")
    links = Settled[dict[str, VerificationLink]]("store.links")
    assets = Settled[dict[str, Asset]]("store.assets")
    videos = Settled[dict[str, VideoJob]]("store.videos")

    async def stop(self) -> None:
        """Stop serving; callbacks not yet delivered are cancelled first."""
        await self.callbacks.close()
        await super().stop()

    # ------------------------------------------------------------------ state machine

    def finishes_at(self, video: VideoJob) -> float:
        """When ``video`` ends, on the simulator's clock."""
        return video.created_at + self._video_queued_seconds + self._video_running_seconds

    def settle(self) -> None:
        """Bring the lazily timed state up to ``clock()`` now."""
        self._settle()

    def _settle(self) -> None:
        now = self._clock()
        for group in self.store.groups.values():
            if group.status == GROUP_PENDING and group.passed_at is not None:
                active_at = group.passed_at + self._activation_delay
                if now >= active_at:
                    group.status, group.updated_at = GROUP_ACTIVE, active_at
        for asset in self.store.assets.values():
            ready_at = asset.created_at + self._processing_seconds
            if asset.status == "Processing" and now >= ready_at:
                asset.status, asset.updated_at = asset.outcome.status, ready_at
        for video in self.store.videos.values():
            self.advance_video(video, now)

    def mark_passed(self, group: AssetGroup) -> None:
        group.passed_at = group.updated_at = self._clock()
        link = self.store.links.get(group.link_token or "")
        if link is not None and link.state == "open":
            link.state = "used"
        self._settle()

    def _issue_link(self, group: AssetGroup, origin: str) -> str:
        old = self.store.links.get(group.link_token or "")
        if old is not None and old.state == "open":
            old.state = "superseded"
        token = secrets.token_urlsafe(24)
        self.store.links[token] = VerificationLink(
            token, group.group_id, self._clock() + self._link_ttl
        )
        group.link_token = token
        return f"{origin}/h5/{token}"

    # ------------------------------------------------------------------ verification page

    def h5_link(self, token: str) -> H5Link:
        link = self.store.links.get(token)
        if link is None:
            return H5Link(404, "unknown")
        group = self.store.groups[link.group_id]
        if link.state == "superseded" and group.passed_at is None:
            return H5Link(410, "superseded")
        return self.link_state(
            True,
            link.state == "used" or group.passed_at is not None,
            link.expires_at,
            f"Real-person verification for <b>{html.escape(group.name)}</b>.",
        )

    async def h5_press(self, token: str) -> None:
        self.mark_passed(self.store.groups[self.store.links[token].group_id])

    async def _sim_pass(self, request: web.Request) -> web.StreamResponse:
        group_id = request.match_info["group_id"]
        if group_id not in self.store.groups:
            raise web.HTTPNotFound(text="unknown group")
        self.pass_verification(group_id)
        return web.json_response({"ok": True})

    # ------------------------------------------------------------------ requests

    def fault_body(
        self, status: int, message: str, headers: dict[str, str] | None
    ) -> web.StreamResponse:
        return wrapped_error(status, message, headers)

    def routing_error(self, status: int, reason: str) -> ApiError:
        return ApiError(status, phrase(status))

    def answer_error(self, request: web.Request, error: ApiError) -> web.StreamResponse:
        if request.path.startswith("/v1/videos") and error.status != 401:
            return video_error(error.status, error.message, error.code)
        return wrapped_error(error.status, error.message)

    def account(self, request: web.Request) -> str:
        key = self.bearer_key(request)
        if key is None:
            raise ApiError(401, "Invalid API key")
        return key

    def ordered(self, items: list[T], seq: Callable[[T], int], ref: Callable[[T], str]) -> list[T]:
        """A list in the configured order: newest or oldest first by creation, or by id,
        an order unrelated to when anything was made (the seed documents none)."""
        if self.list_order == "by_id":
            return sorted(items, key=ref)
        return sorted(items, key=seq, reverse=self.list_order == "newest")

    def page(self, items: list[Json], request: web.Request) -> Json:
        current = _int_param(request.query, "current", 1)
        size = _int_param(request.query, "size", 20)
        if current < 1:
            raise ApiError(400, "current must be >= 1")
        if not 1 <= size <= 100:
            raise ApiError(400, "size must be between 1 and 100")
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
            "createdAt": iso(group.created_at),
            "updatedAt": iso(group.updated_at),
        }

    def own_group(self, account: str, group_id: str) -> AssetGroup:
        group = self.store.groups.get(group_id)
        if group is None or group.account != account:
            raise ApiError(404, "Asset group not found")
        return group

    async def _create_group(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        body = await self.json_body(request)
        name, kind = body.get("name"), body.get("groupKind")
        if kind not in ("REAL_FACE", "VIRTUAL"):
            raise ApiError(400, "groupKind must be REAL_FACE or VIRTUAL")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 64:
            raise ApiError(400, "name must be 1..64 characters")
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
        self.store.groups[group.group_id] = group
        link = self._issue_link(group, self.origin(request)) if kind == "REAL_FACE" else None
        return wrapped(self._group_json(group, link))

    async def _get_group(self, request: web.Request) -> web.StreamResponse:
        group = self.own_group(self.account(request), request.match_info["group_id"])
        link = None
        if group.status == GROUP_PENDING and group.passed_at is None and self._fresh_link_on_get:
            link = self._issue_link(group, self.origin(request))
        return wrapped(self._group_json(group, link))

    async def _delete_group(self, request: web.Request) -> web.StreamResponse:
        # Token360's public reference: the group's assets go with it.
        group = self.own_group(self.account(request), request.match_info["group_id"])
        del self.store.groups[group.group_id]
        for key, asset in list(self.store.assets.items()):
            if asset.group_id == group.group_id:
                del self.store.assets[key]
        for token, link in list(self.store.links.items()):
            if link.group_id == group.group_id:
                del self.store.links[token]  # its page now answers "unknown link"
        self.deleted_groups.add(group.group_id)
        return web.json_response(
            {"code": 0, "data": "Deleted successfully", "msg": "Asset group deleted"}
        )

    async def _list_groups(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        query = request.query
        keyword = query.get("keyword", "").strip().lower()
        kind = query.get("groupKind", "").strip().upper()
        status = query.get("status", "").strip().lower()
        if not self._group_filters:  # a server that takes the filters but ignores them
            keyword = status = ""
        found = [
            g
            for g in self.store.groups.values()
            if g.account == account
            and (not keyword or keyword in g.name.lower() or keyword == g.group_id)
            and (not kind or g.kind == kind)
            and (not status or g.status == status)
        ]
        found = self.ordered(found, lambda g: g.seq, lambda g: g.group_id)
        return wrapped(self.page([self._group_json(g) for g in found], request))
