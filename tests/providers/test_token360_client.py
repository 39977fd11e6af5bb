"""The Token360 client against its simulator over real HTTP, failure modes included."""

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import aclosing
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.providers.base import (
    AssetRef,
    GroupState,
    ImageRole,
    ImageUpload,
    PendingVerification,
    PhotoDeletion,
    ProviderAuthError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    RejectReason,
    RemoteAssetState,
    VideoImage,
    VideoRequest,
    VideoState,
    VideoStatus,
)
from bot.providers.http import RetryPolicy
from bot.providers.token360 import Token360, callback_status, page_rows
from sandbox.token360 import (
    AssetGroup,
    AssetOutcome,
    Fault,
    Token360Simulator,
    VideoOutcome,
)
from tests.clock import FakeClock
from tests.images import image
from tests.support import FAST, LoopbackApp, client_fixture, connect, running, sim_fixture

CLOCK = FakeClock()


def make(**kw: Any) -> Token360Simulator:
    return Token360Simulator(api_keys=("k",), processing_seconds=5, clock=CLOCK, **kw)


sim = sim_fixture(lambda _: make())
client = client_fixture(Token360)


async def active_group(client: Token360, sim: Token360Simulator) -> str:
    session = await client.start_verification("Anna")
    assert session.group_id is not None
    sim.pass_verification(session.group_id)
    return session.group_id


async def test_verification_session_and_activation(
    client: Token360, sim: Token360Simulator
) -> None:
    session = await client.start_verification("Anna")
    assert session.group_id and session.h5_link.startswith(sim.base_url)
    found = await client.find_groups({session.group_id})
    assert found[session.group_id].state is GroupState.PENDING
    sim.pass_verification(session.group_id)
    found = await client.find_groups({session.group_id})
    assert found[session.group_id].state is GroupState.ACTIVE


async def test_fresh_link_for_the_same_group(client: Token360) -> None:
    session = await client.start_verification("Anna")
    fresh = await client.refresh_verification(session.group_id, None)
    assert fresh is not None and fresh.group_id == session.group_id
    assert fresh.h5_link != session.h5_link


async def test_no_fresh_link_means_none() -> None:
    async with (
        running(make(fresh_link_on_get=False)) as sim,
        aclosing(connect(Token360, sim)) as client,
    ):
        session = await client.start_verification("Anna")
        assert await client.refresh_verification(session.group_id, None) is None


async def test_upload_processing_then_active(client: Token360, sim: Token360Simulator) -> None:
    group = await active_group(client, sim)
    info = await client.upload_asset(group, ImageUpload(image(), "a.jpg", "image/jpeg"), "n-1")
    assert info.asset_id is not None
    assert info.asset_id.startswith("ta_") and len(info.asset_id) == 35
    assert info.state is RemoteAssetState.PROCESSING
    CLOCK.advance(10)  # processing is over
    assert (
        await client.get_asset(AssetRef(info.asset_id, None, group))
    ).state is RemoteAssetState.ACTIVE


async def test_deleting_a_group_deletes_its_photos(
    client: Token360, sim: Token360Simulator
) -> None:
    group = await active_group(client, sim)
    info = await client.upload_asset(group, ImageUpload(image(), "a.jpg", "image/jpeg"), "n-1")
    other = await active_group(client, sim)
    assert client.capabilities.photo_deletion is PhotoDeletion.GROUP
    assert await client.delete_group(group)
    assert sim.count("DELETE", f"/v1/asset-groups/{group}") == 1
    assert group not in sim.groups and other in sim.groups
    with pytest.raises(ProviderRejected) as gone:
        await client.get_asset(AssetRef(info.asset_id, None, group))
    assert gone.value.reason is RejectReason.NOT_FOUND
    assert await client.delete_group(group)  # already gone counts as deleted


async def test_face_mismatch(client: Token360, sim: Token360Simulator) -> None:
    group = await active_group(client, sim)
    sim.script_assets(AssetOutcome(status="Failed", code="FaceMismatch"))
    info = await client.upload_asset(group, ImageUpload(image(), "a.jpg", "image/jpeg"), "n")
    CLOCK.advance(10)
    failed = await client.get_asset(AssetRef(info.asset_id, None, group))
    assert failed.state is RemoteAssetState.FAILED and failed.error_code == "FaceMismatch"


async def test_upload_into_pending_group_is_409(client: Token360) -> None:
    session = await client.start_verification("Anna")
    assert session.group_id is not None
    with pytest.raises(ProviderRejected) as caught:
        await client.upload_asset(
            session.group_id, ImageUpload(image(), "a.jpg", "image/jpeg"), "n"
        )
    assert caught.value.reason is RejectReason.GROUP_NOT_ACTIVE


@pytest.mark.parametrize(
    ("shape", "case"), [("records", "title"), ("list", "lower"), ("list", "upper")]
)
async def test_tolerates_list_shapes_and_status_case(shape: str, case: str) -> None:
    async with (
        running(make(list_shape=shape, status_case=case)) as sim,
        aclosing(connect(Token360, sim)) as client,
    ):
        group = await active_group(client, sim)
        for i in range(3):
            await client.upload_asset(group, ImageUpload(image(), "a.png", "image/png"), f"n{i}")
        CLOCK.advance(10)
        listed = await client.list_assets(group)
        assert sorted(a.name or "" for a in listed) == ["n0", "n1", "n2"]
        assert {a.state for a in listed} == {RemoteAssetState.ACTIVE}


async def test_wrong_key_is_an_auth_error(sim: Token360Simulator) -> None:
    async with aclosing(connect(Token360, sim, "wrong")) as client:
        with pytest.raises(ProviderAuthError):
            await client.start_verification("Anna")


async def test_get_retries_5xx_and_429_but_post_does_not(
    client: Token360, sim: Token360Simulator
) -> None:
    group = await active_group(client, sim)
    sim.inject(Fault(method="GET", path_prefix="/v1/asset-groups", status=503, times=2))
    assert group in await client.find_groups({group})
    sim.inject(Fault(method="POST", path_prefix="/v1/asset-groups", status=503, times=1))
    before = sim.count("POST", "/v1/asset-groups")
    with pytest.raises(ProviderUnavailable):
        await client.start_verification("Bob")
    assert sim.count("POST", "/v1/asset-groups") == before + 1  # never resent


async def test_429_honours_retry_after_then_gives_up(
    client: Token360, sim: Token360Simulator
) -> None:
    sim.inject(
        Fault(method="GET", path_prefix="/v1/asset-groups", status=429, retry_after=0, times=5)
    )
    with pytest.raises(ProviderRateLimited):
        await client.find_groups({"ag_x"})
    assert sim.count("GET", "/v1/asset-groups") == FAST.attempts


async def test_timeout_is_unavailable() -> None:
    sim = make()
    async with (
        running(sim),
        aclosing(connect(Token360, sim, timeout=0.2, retry=RetryPolicy(attempts=1))) as client,
    ):
        sim.inject(Fault(method="POST", path_prefix="/v1/asset-groups", status=0, delay=1.0))
        with pytest.raises(ProviderUnavailable):
            await client.start_verification("Anna")


def test_retry_policy_prefers_retry_after_within_its_cap() -> None:
    policy = RetryPolicy(base_seconds=0.5, max_retry_after=30)
    assert policy.delay(0, 7) == 7
    assert policy.delay(0, 300) == 30
    assert 0.25 <= policy.delay(1, None) <= 1.0


async def test_first_frame_video_from_an_active_asset(
    client: Token360, sim: Token360Simulator
) -> None:
    group = await active_group(client, sim)
    asset = await client.upload_asset(group, ImageUpload(image(), "a.jpg", "image/jpeg"), "n")
    assert asset.asset_id is not None
    request = video(first_frame(asset.asset_id), ratio="adaptive")
    with pytest.raises(ProviderRejected) as caught:  # still Processing: refused
        await client.submit_video(request)
    assert caught.value.code == "InvalidParameter"
    CLOCK.advance(10)
    status = await client.submit_video(request)
    assert status.state is VideoState.QUEUED and status.task_id.startswith("video_")
    (job,) = sim.videos.values()
    assert job.asset_ids == [asset.asset_id] and job.generate_audio is False
    (sent,) = sim.video_requests
    assert sent["frame_images"] == [
        {
            "type": "image_url",
            "frame_type": "first_frame",
            "image_url": {"url": f"asset://{asset.asset_id}"},
        }
    ]
    assert "input_references" not in sent and "callback_url" not in sent
    assert sent["prompt"] == "smiles"  # a frames mode gets no lead-in
    CLOCK.advance(10)
    done = await client.get_video(status.task_id)
    assert done.state is VideoState.COMPLETED and done.video_url
    assert done.url_expires_at is not None and done.url_expires_at > CLOCK.now + 23 * 3600


async def test_video_failure_carries_the_code(client: Token360, sim: Token360Simulator) -> None:
    group = await active_group(client, sim)
    asset = await client.upload_asset(group, ImageUpload(image(), "a.jpg", "image/jpeg"), "n")
    CLOCK.advance(10)
    sim.script_videos(VideoOutcome(status="failed", code="OutputVideoSensitiveContentDetected"))
    assert asset.asset_id is not None
    status = await client.submit_video(
        VideoRequest(
            prompt="x",
            images=first_frame(asset.asset_id),
            model="seedance-2.0-fast",
            duration=4,
            resolution="480p",
            ratio="9:16",
            audio=True,
        )
    )
    CLOCK.advance(10)
    failed = await client.get_video(status.task_id)
    assert failed.state is VideoState.FAILED
    assert failed.error_code == "OutputVideoSensitiveContentDetected"


# ---------------------------------------------------------------- video modes


def first_frame(asset_id: str) -> list[VideoImage]:
    return [VideoImage(asset_id, ImageRole.FIRST_FRAME)]


def references(asset_ids: Iterable[str]) -> list[VideoImage]:
    return [VideoImage(a, ImageRole.REFERENCE) for a in asset_ids]


def video(images: list[VideoImage], prompt: str = "smiles", **kw: Any) -> VideoRequest:
    options: dict[str, Any] = {
        "model": "seedance-2.0",
        "duration": 5,
        "resolution": "720p",
        "ratio": "9:16",
        "audio": False,
        **kw,
    }
    return VideoRequest(prompt=prompt, images=images, **options)


async def active_assets(client: Token360, sim: Token360Simulator, count: int) -> list[str]:
    """``count`` Active photos of one face."""
    group = await active_group(client, sim)
    made = [
        await client.upload_asset(group, ImageUpload(image(), "a.jpg", "image/jpeg"), f"n{i}")
        for i in range(count)
    ]
    CLOCK.advance(10)
    ids = [a.asset_id for a in made]
    assert None not in ids
    return [a for a in ids if a is not None]


def test_capabilities_take_every_mode_and_callbacks() -> None:
    caps = Token360.capabilities
    assert caps.first_frame and caps.last_frame and caps.reference_images == 9
    assert caps.image_tag == "[Image {n}]" and caps.video_callbacks


async def test_first_and_last_frame_land_in_their_slots(
    client: Token360, sim: Token360Simulator
) -> None:
    first, last = await active_assets(client, sim, 2)
    images = [VideoImage(first, ImageRole.FIRST_FRAME), VideoImage(last, ImageRole.LAST_FRAME)]
    status = await client.submit_video(video(images, "she turns"))
    (sent,) = sim.video_requests
    slots = [(f["frame_type"], f["image_url"]["url"]) for f in sent["frame_images"]]
    assert slots == [("first_frame", f"asset://{first}"), ("last_frame", f"asset://{last}")]
    assert all(f["type"] == "image_url" for f in sent["frame_images"])
    assert "input_references" not in sent and sent["prompt"] == "she turns"
    assert sent["aspect_ratio"] == "9:16" and sim.videos[status.task_id].ratio == "9:16"
    assert sim.videos[status.task_id].asset_ids == [first, last]
    # The same photo may be both frames (Ark: "the first and last frame may be the same").
    same = [VideoImage(first, ImageRole.FIRST_FRAME), VideoImage(first, ImageRole.LAST_FRAME)]
    await client.submit_video(video(same))
    assert [f["frame_type"] for f in sim.video_requests[1]["frame_images"]] == [
        "first_frame",
        "last_frame",
    ]


async def test_references_go_in_order_named_in_the_prompt(
    client: Token360, sim: Token360Simulator
) -> None:
    anna, ben, cleo = await active_assets(client, sim, 3)
    await client.submit_video(video(references([anna, ben]), "[Image 1] hugs [Image 2]"))
    await client.submit_video(video(references([cleo, anna, ben]), "three friends wave"))
    named, unnamed = sim.video_requests
    assert named["input_references"] == [
        {"type": "image_url", "image_url": {"url": f"asset://{anna}"}},
        {"type": "image_url", "image_url": {"url": f"asset://{ben}"}},
    ]
    assert "frame_images" not in named
    assert named["prompt"] == "[Image 1] hugs [Image 2]"  # named already: left alone
    urls = [r["image_url"]["url"] for r in unnamed["input_references"]]
    assert urls == [f"asset://{cleo}", f"asset://{anna}", f"asset://{ben}"]
    assert unnamed["prompt"] == "[Image 1] [Image 2] [Image 3] three friends wave"
    assert [v.asset_ids for v in sim.videos.values()] == [[anna, ben], [cleo, anna, ben]]
    CLOCK.advance(10)
    for task in sim.videos:
        assert (await client.get_video(task)).state is VideoState.COMPLETED


@pytest.mark.parametrize(
    "images",
    [
        [VideoImage("ta_a", ImageRole.FIRST_FRAME), VideoImage("ta_b", ImageRole.REFERENCE)],
        [VideoImage("ta_a", ImageRole.LAST_FRAME)],
        [VideoImage("ta_a", ImageRole.FIRST_FRAME), VideoImage("ta_b", ImageRole.FIRST_FRAME)],
        references(f"ta_{i}" for i in range(10)),
        [],
    ],
    ids=["mixed", "last-without-first", "two-firsts", "ten-references", "none"],
)
async def test_a_request_token360_would_refuse_is_never_sent(
    client: Token360, sim: Token360Simulator, images: list[VideoImage]
) -> None:
    with pytest.raises(ProviderRejected) as caught:
        await client.submit_video(video(images))
    assert caught.value.reason is RejectReason.INVALID and caught.value.code == "bad_images"
    assert sim.count("POST", "/v1/videos") == 0 and sim.video_requests == []


async def test_the_simulator_checks_references_as_token360_would(
    client: Token360, sim: Token360Simulator
) -> None:
    (asset,) = await active_assets(client, sim, 1)
    ref = {"type": "image_url", "image_url": {"url": f"asset://{asset}"}}
    frame = {**ref, "frame_type": "first_frame"}
    base = {"model": "seedance-2.0", "prompt": "p"}
    bad: list[dict[str, Any]] = [
        {"frame_images": [frame], "input_references": [ref]},
        {"input_references": []},
        {"input_references": [ref] * 10},
        {"input_references": [{**ref, "type": "video_url"}]},
        {"input_references": [{"type": "image_url", "image_url": {}}]},
        {"input_references": [{**ref, "image_url": {"url": "asset://ua_1"}}]},
        {"input_references": [{**ref, "image_url": {"url": "asset://ta_unknown"}}]},
        {"frame_images": [{**frame, "frame_type": "reference_image"}]},
        {"frame_images": [{**frame, "frame_type": "last_frame"}]},
        {"input_references": [ref], "callback_url": "ftp://x"},
        {"input_references": [ref], "callback_url": "http://x", "request_id": 7},
    ]
    async with httpx.AsyncClient(
        base_url=sim.base_url, headers={"Authorization": "Bearer k"}
    ) as http:
        for extra in bad:
            answer = await http.post("/v1/videos", json={**base, **extra})
            assert answer.status_code == 400, extra
            assert answer.json()["error"]["code"] == "InvalidParameter"
        assert sim.video_requests == []
        answer = await http.post("/v1/videos", json={**base, "input_references": [ref] * 9})
        assert answer.status_code == 200
    assert sim.video_requests == [{**base, "input_references": [ref] * 9}]


# ---------------------------------------------------------------- callbacks


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait for ``condition``, failing after ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


class Receiver(LoopbackApp):
    """The bot's callback endpoint on 127.0.0.1: it answers ``statuses`` in turn (then 200),
    keeps every body, and with a ``client`` asks Token360 about the video as each arrives."""

    def __init__(self, client: Token360 | None = None, statuses: Iterable[int] = ()) -> None:
        self.client = client
        self.statuses = deque(statuses)
        self.bodies: list[Any] = []
        self.seen: list[VideoStatus] = []  # what a GET said upon each callback
        super().__init__([web.post("/callbacks/video", self._callback)])

    @property
    def url(self) -> str:
        return f"{self.base_url}/callbacks/video"

    async def _callback(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.bodies.append(body)
        if self.client is not None:
            self.seen.append(await self.client.get_video(body["data"]["id"]))
        return web.Response(status=self.statuses.popleft() if self.statuses else 200)


async def test_a_callback_arrives_once_after_the_video_completed(
    client: Token360, sim: Token360Simulator
) -> None:
    (asset,) = await active_assets(client, sim, 1)
    async with running(Receiver(client)) as receiver:
        status = await client.submit_video(video(first_frame(asset), callback_url=receiver.url))
        (sent,) = sim.video_requests
        assert sent["callback_url"] == receiver.url
        assert sent["request_id"].startswith("realface-")
        assert sim.callbacks.tasks  # waiting for the video to end
        CLOCK.advance(10)
        await until(lambda: not sim.callbacks.tasks)
        (body,) = receiver.bodies
        assert body["request_id"] == sent["request_id"]
        request_id, reported = callback_status(body)
        assert request_id == sent["request_id"] and reported.task_id == status.task_id
        assert reported.state is VideoState.COMPLETED and reported.video_url
        (seen,) = receiver.seen  # a GET made upon the callback already sees the end
        assert seen.state is VideoState.COMPLETED and seen.video_url == reported.video_url
        assert sim.callbacks_sent == [{"url": receiver.url, "body": body, "status": 200}]
    # The other envelope a callback might have: the video itself, with request_id.
    flat = {**body["data"], "request_id": "r-1"}
    assert callback_status(flat)[0] == "r-1"
    assert callback_status(flat)[1].state is VideoState.COMPLETED


async def test_a_dropped_callback_never_arrives(client: Token360, sim: Token360Simulator) -> None:
    (asset,) = await active_assets(client, sim, 1)
    sim.drop_callbacks = True
    async with running(Receiver()) as receiver:
        status = await client.submit_video(video(first_frame(asset), callback_url=receiver.url))
        CLOCK.advance(10)
        assert (await client.get_video(status.task_id)).state is VideoState.COMPLETED
        await until(lambda: not sim.callbacks.tasks)  # its delivery was decided
        assert receiver.bodies == [] and sim.callbacks_sent == []
        (dropped,) = sim.callbacks_dropped
        assert dropped["body"]["data"]["id"] == status.task_id


async def test_a_failing_receiver_gets_the_third_attempt(
    client: Token360, sim: Token360Simulator
) -> None:
    (asset,) = await active_assets(client, sim, 1)
    async with running(Receiver(statuses=[500, 500])) as receiver:
        sim.script_videos(VideoOutcome(status="failed", code="InternalServiceError"))
        await client.submit_video(video(first_frame(asset), callback_url=receiver.url))
        CLOCK.advance(10)
        await until(lambda: len(sim.callbacks_sent) == 1)
        CLOCK.advance(1)  # 1 s before the second attempt
        await until(lambda: len(sim.callbacks_sent) == 2)
        CLOCK.advance(3)  # 3 s before the third
        await until(lambda: not sim.callbacks.tasks)
        assert [c["status"] for c in sim.callbacks_sent] == [500, 500, 200]
        assert len(receiver.bodies) == 3 and all(b == receiver.bodies[0] for b in receiver.bodies)
        _, reported = callback_status(receiver.bodies[0])
        assert reported.state is VideoState.FAILED
        assert reported.error_code == "InternalServiceError"


async def test_an_unreachable_receiver_is_tried_three_times_then_given_up(
    client: Token360, sim: Token360Simulator
) -> None:
    (asset,) = await active_assets(client, sim, 1)
    url = "http://127.0.0.1:1/callbacks/video"  # nothing listens there
    await client.submit_video(video(first_frame(asset), callback_url=url))
    CLOCK.advance(10)
    await until(lambda: len(sim.callbacks_sent) == 1)
    CLOCK.advance(1)
    await until(lambda: len(sim.callbacks_sent) == 2)
    CLOCK.advance(3)
    await until(lambda: not sim.callbacks.tasks)
    assert [c["status"] for c in sim.callbacks_sent] == [None, None, None]


# ---------------------------------------------------------------- any number of groups


def add_groups(sim: Token360Simulator, count: int, *, first_seq: int, status: str) -> None:
    """Other groups on the account (made here, not over HTTP, to stay fast). Their ids sort
    before any random one, so each order the simulator offers puts them around ours."""
    for i in range(count):
        group_id = f"ag_{first_seq + i + 10_000_000:024d}"
        sim.store.groups[group_id] = AssetGroup(
            group_id=group_id,
            account="k",
            name=f"Someone {i}",
            kind="REAL_FACE",
            status=status,
            created_at=CLOCK.now,
            updated_at=CLOCK.now,
            seq=first_seq + i,
        )


@pytest.mark.parametrize(
    ("order", "filters"),
    [("newest", True), ("oldest", True), ("by_id", True), ("newest", False), ("by_id", False)],
)
async def test_a_passed_check_is_seen_past_the_300th_group(order: str, filters: bool) -> None:
    async with (
        running(make(list_order=order, group_filters=filters)) as sim,
        aclosing(connect(Token360, sim)) as client,
    ):
        add_groups(sim, 400, first_seq=-1_000, status="active")  # older than ours
        session = await client.start_verification("Anna")
        assert session.group_id is not None
        add_groups(sim, 400, first_seq=1_000_000, status="active")  # newer
        add_groups(sim, 50, first_seq=2_000_000, status="pending_validation")
        held = session.h5_link.rsplit("/", 1)[-1]
        pending = [PendingVerification(7, "Anna", session.group_id, None, CLOCK.now)]

        assert await client.check_verifications(pending, set()) == {}
        listed = sim.count("GET", "/v1/asset-groups")
        if filters:
            assert listed == 8  # each page of the 800 active groups, once
        else:
            assert listed <= 9  # up to ours, at most every page of all 851, once
        sim.pass_verification(session.group_id)
        found = await client.check_verifications(pending, set())
        assert found[7].group_id == session.group_id
        assert found[7].state is GroupState.ACTIVE
        # Never read by id: that would have minted a new link and killed the person's.
        assert sim.count("GET", "/v1/asset-groups/") == 0
        assert sim.links[held].state == "used"


def test_page_rows_reads_both_shapes_and_a_missing_total() -> None:
    rows = [{"assetGroupId": "a"}]
    assert page_rows({"records": rows, "total": "7"}) == (rows, 7)
    assert page_rows({"list": rows, "pagination": {"total": 3}}) == (rows, 3)
    assert page_rows({"list": rows}) == (rows, None)
    assert page_rows([*rows, 2]) == (rows, None)


async def test_a_list_that_ignores_the_page_number_is_read_once_more_not_for_ever() -> None:
    calls: list[httpx.Request] = []
    page = [{"assetGroupId": f"ag_{i}", "status": "active"} for i in range(100)]

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(
            200, json={"code": 0, "msg": "ok", "data": {"records": page, "total": 5000}}
        )

    client = Token360("http://127.0.0.1:9", "k", transport=httpx.MockTransport(answer))
    async with aclosing(client):
        pending = [PendingVerification(1, "A", "ag_missing", None, 0.0)]
        assert await client.check_verifications(pending, set()) == {}
    assert len(calls) == 2  # page 2 brought nothing new: the end
    assert calls[0].url.params["status"] == "active"
