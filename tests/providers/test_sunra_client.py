"""The Sunra client against its simulator over real HTTP, failure modes included."""

from __future__ import annotations

from contextlib import aclosing
from typing import Any

import httpx
import pytest

from bot.providers import sunra
from bot.providers.base import (
    AssetRef,
    FreshLink,
    GroupState,
    ImageRole,
    ImageUpload,
    PendingVerification,
    PhotoDeletion,
    Provider,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    RejectReason,
    RemoteAssetState,
    VideoImage,
    VideoRequest,
    VideoState,
)
from bot.providers.http import RetryPolicy
from bot.providers.sunra import Sunra
from sandbox.media import sample_mp4
from sandbox.sunra import AssetOutcome, Fault, SunraSimulator, VideoOutcome
from tests.clock import FakeClock
from tests.images import image
from tests.support import FAST, BotWeb, client_fixture, connect, running, sim_fixture


def make_sim(clock: FakeClock, **kw: Any) -> SunraSimulator:
    kw.setdefault("processing_seconds", 5)
    kw.setdefault("video_queued_seconds", 2)
    kw.setdefault("video_running_seconds", 3)
    return SunraSimulator(api_keys=("k",), clock=clock, **kw)


sim = sim_fixture(make_sim)
client = client_fixture(Sunra)


async def active_asset(client: Sunra, bot_web: BotWeb, clock: FakeClock, name: str) -> str:
    info = await client.upload_asset(None, bot_web.serve(name, image()), name)
    clock.advance(10)
    ref = AssetRef(info.asset_id, info.record_id, None)
    assert (await client.get_asset(ref)).state is RemoteAssetState.ACTIVE
    assert info.asset_id is not None
    return info.asset_id


def video(
    asset_ids: list[str], model: str = "seedance-2.0", prompt: str = "smiles"
) -> VideoRequest:
    return VideoRequest(
        prompt=prompt,
        images=[VideoImage(a, ImageRole.REFERENCE) for a in asset_ids],
        model=model,
        duration=5,
        resolution="720p",
        ratio="adaptive",
        audio=False,
    )


# ---------------------------------------------------------------------- no verification


async def test_no_face_check_and_no_groups(client: Sunra, sim: SunraSimulator) -> None:
    provider: Provider = client  # structurally a Provider
    caps = provider.capabilities
    assert caps.verification is False and caps.fresh_link is FreshLink.NONE
    assert caps.upload_by_url and not caps.lists_groups and caps.reference_images == 9
    assert not caps.first_frame and not caps.last_frame and not caps.video_callbacks
    assert caps.image_tag == "@Image{n}"
    with pytest.raises(ProviderError) as caught:
        await client.start_verification("Anna")
    assert caught.value.code == "no_verification"
    assert await client.refresh_verification(None, None) is None
    pending = [PendingVerification(i, f"f{i}", None, f"s{i}", 0.0) for i in range(3)]
    assert await client.check_verifications(pending, {"g"}) == {}
    assert (await client.get_group("face-7")).state is GroupState.ACTIVE
    assert not await client.rename_group("face-7", "x")
    assert not await client.delete_group("face-7")
    assert sim.count() == 0  # none of it touched the network
    with pytest.raises(KeyError):
        sim.pass_link(f"{sim.base_url}/h5/x")
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{sim.base_url}/_sim/pass", json={"url": "x"})
    assert answer.status_code == 404


# ---------------------------------------------------------------------- assets


async def test_upload_by_url_processing_then_active(
    client: Sunra, sim: SunraSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    info = await client.upload_asset("ignored", bot_web.serve("a", image()), "realface-1-a")
    assert info.state is RemoteAssetState.PROCESSING and info.name == "realface-1-a"
    assert info.asset_id and info.asset_id.startswith("asset-")
    assert info.record_id and info.record_id.startswith("ark_")
    # Fetched at registration only, twice as Sunra does (the relay, then upstream).
    assert bot_web.hits["a"] == 2
    clock.advance(10)
    (listed,) = await client.list_assets("ignored")
    assert listed.state is RemoteAssetState.PROCESSING  # the list is not refreshed upstream
    active = await client.get_asset(AssetRef(info.asset_id, info.record_id, None))
    assert active.state is RemoteAssetState.ACTIVE and active.asset_id == info.asset_id
    async with httpx.AsyncClient() as http:  # ark_url serves what was registered
        assert (await http.get(active.raw["ark_url"])).content == bot_web.files["a"]
    (listed,) = await client.list_assets("ignored")
    assert listed.state is RemoteAssetState.ACTIVE
    # Only the ark_asset_id known: found through the list, refreshed with a GET.
    again = await client.get_asset(AssetRef(info.asset_id, None, None))
    assert again.record_id == info.record_id and again.state is RemoteAssetState.ACTIVE
    assert bot_web.hits["a"] == 2  # polling never fetches the photo again


async def test_deleting_a_photo_soft_deletes_it(
    client: Sunra, sim: SunraSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    assert client.capabilities.photo_deletion is PhotoDeletion.ASSET_SOFT
    first = await client.upload_asset(None, bot_web.serve("a", image()), "realface-1-a")
    second = await client.upload_asset(None, bot_web.serve("b", image()), "realface-1-b")
    assert await client.delete_asset(AssetRef(first.asset_id, first.record_id, None))
    # Only the ark_asset_id known: found through the list first.
    assert await client.delete_asset(AssetRef(second.asset_id, None, None))
    assert sim.count("DELETE", f"/v1/ark/assets/{first.record_id}") == 1
    assert sim.count("DELETE", f"/v1/ark/assets/{second.record_id}") == 1
    assert await client.list_assets("ignored") == []
    with pytest.raises(ProviderRejected) as gone:
        await client.get_asset(AssetRef(first.asset_id, first.record_id, None))
    assert gone.value.reason is RejectReason.NOT_FOUND
    # Already gone counts as deleted.
    assert await client.delete_asset(AssetRef(first.asset_id, first.record_id, None))


async def test_upload_needs_a_public_url(client: Sunra, sim: SunraSimulator) -> None:
    with pytest.raises(ProviderError):
        await client.upload_asset(None, ImageUpload(image(), "a.jpg", "image/jpeg"), "n")
    assert sim.count() == 0


@pytest.mark.parametrize(
    ("outcome", "data", "code"),
    [
        (AssetOutcome(status="Failed", code="FaceMismatch"), image(), "FaceMismatch"),
        (None, None, "input_fetch_failed"),  # the URL answers 404
        (None, image(200, 200), "InvalidParameter"),  # too small for Seedance
    ],
)
async def test_failed_registrations(
    client: Sunra,
    sim: SunraSimulator,
    bot_web: BotWeb,
    clock: FakeClock,
    outcome: AssetOutcome | None,
    data: bytes | None,
    code: str,
) -> None:
    if outcome is not None:
        sim.script_assets(outcome)
    info = await client.upload_asset(None, bot_web.serve("x", data), "n")
    assert info.state is RemoteAssetState.PROCESSING
    clock.advance(10)
    failed = await client.get_asset(AssetRef(info.asset_id, info.record_id, None))
    assert failed.state is RemoteAssetState.FAILED and failed.error_code == code
    assert failed.error_message


async def test_the_simulator_fetches_from_127_0_0_1_only(
    client: Sunra, sim: SunraSimulator, clock: FakeClock
) -> None:
    remote = ImageUpload(b"", "a.jpg", "image/jpeg", "http://example.com/a.jpg")
    info = await client.upload_asset(None, remote, "n")
    clock.advance(10)
    failed = await client.get_asset(AssetRef(info.asset_id, info.record_id, None))
    assert failed.state is RemoteAssetState.FAILED and failed.error_code == "input_fetch_failed"


async def test_list_finds_an_upload_by_name_across_pages(
    client: Sunra,
    sim: SunraSimulator,
    bot_web: BotWeb,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sunra, "PAGE_SIZE", 2)
    upload = bot_web.serve("p", image())
    for i in range(5):
        await client.upload_asset(None, upload, f"realface-1-{i}")
    sim.reset_counts()
    listed = await client.list_assets("whatever")
    assert sorted(a.name or "" for a in listed) == [f"realface-1-{i}" for i in range(5)]
    assert sim.count("GET", "/v1/ark/assets") == 3


# ---------------------------------------------------------------------- HTTP failures


async def test_wrong_key_is_an_auth_error(sim: SunraSimulator, bot_web: BotWeb) -> None:
    async with aclosing(connect(Sunra, sim, "wrong")) as client:
        with pytest.raises(ProviderAuthError):
            await client.upload_asset(None, bot_web.serve("a", image()), "n")


async def test_403_over_the_submit_limit_is_rate_limited_and_never_resent(
    clock: FakeClock,
) -> None:
    sim = make_sim(clock, submit_per_second=1)
    async with running(sim), aclosing(connect(Sunra, sim)) as client:
        await client.submit_video(video(["asset-1"]))
        with pytest.raises(ProviderRateLimited) as caught:
            await client.submit_video(video(["asset-1"]))
        assert caught.value.status == 403 and caught.value.code == "rate_limit_exceeded"
        assert caught.value.retry_after == 1
        assert sim.count("POST", "/v1/queue/") == 2
        clock.advance(1.5)  # the window moved on
        await client.submit_video(video(["asset-1"]))


async def test_403_on_gets_is_retried_then_gives_up(clock: FakeClock) -> None:
    sim = make_sim(clock, other_per_second=1, other_per_minute=None)
    async with running(sim), aclosing(connect(Sunra, sim)) as client:
        await client.list_assets("")
        with pytest.raises(ProviderRateLimited):
            await client.list_assets("")
        assert sim.count("GET", "/v1/ark/assets") == 1 + FAST.attempts
        sim.inject(Fault(method="GET", path_prefix="/v1/ark/assets", status=403, times=1))
        clock.advance(2)
        assert await client.list_assets("") == []  # one injected 403, then through


async def test_get_retries_5xx_and_429_but_post_does_not(
    client: Sunra, sim: SunraSimulator, bot_web: BotWeb
) -> None:
    sim.inject(Fault(method="GET", path_prefix="/v1/ark/assets", status=503, times=2))
    assert await client.list_assets("") == []
    sim.inject(Fault(method="GET", path_prefix="/v1/ark/assets", status=429, retry_after=0))
    assert await client.list_assets("") == []
    sim.inject(Fault(method="POST", path_prefix="/v1/ark/assets", status=503))
    with pytest.raises(ProviderUnavailable) as caught:
        await client.upload_asset(None, bot_web.serve("a", image()), "n")
    assert caught.value.status == 503
    assert sim.count("POST", "/v1/ark/assets") == 1
    sim.inject(Fault(method="POST", path_prefix="/v1/queue/", status=502))
    with pytest.raises(ProviderUnavailable):
        await client.submit_video(video(["asset-1"]))
    assert sim.count("POST", "/v1/queue/") == 1


async def test_429_honours_retry_after_then_gives_up(client: Sunra, sim: SunraSimulator) -> None:
    sim.inject(Fault(method="GET", path_prefix="/v1/queue/", status=429, retry_after=0, times=5))
    with pytest.raises(ProviderRateLimited):
        await client.get_video("pd_x")
    assert sim.count("GET", "/v1/queue/") == FAST.attempts


async def test_timeout_is_unavailable(clock: FakeClock) -> None:
    sim = make_sim(clock)
    async with (
        running(sim),
        aclosing(connect(Sunra, sim, timeout=0.2, retry=RetryPolicy(attempts=1))) as client,
    ):
        sim.inject(Fault(method="POST", path_prefix="/v1/queue/", status=0, delay=1.0))
        with pytest.raises(ProviderUnavailable) as caught:
            await client.submit_video(video(["asset-1"]))
        assert caught.value.status is None  # no answer: the bot must not assume either way


def test_classify_reads_sunra_403s_and_failed_results() -> None:
    def answer(status: int, body: object, **headers: str) -> httpx.Response:
        request = httpx.Request("GET", "https://api.sunra.ai/v1/x")
        return httpx.Response(status, json=body, headers=headers, request=request)

    default = ProviderError("x")
    limited = sunra.classify(
        answer(403, {"error": {"code": "x"}}, **{"Retry-After": "3"}), default
    )
    assert isinstance(limited, ProviderRateLimited) and limited.retry_after == 3
    denied = sunra.classify(
        answer(403, {"error": {"type": "authorization_error", "code": "MODEL_ACCESS_DENIED"}}),
        default,
    )
    assert isinstance(denied, ProviderAuthError) and denied.code == "MODEL_ACCESS_DENIED"
    failed = sunra.classify(
        answer(
            400,
            {
                "error": {
                    "type": "invalid_request_error",
                    "code": "PREDICTION_FAILED",
                    "message": "m",
                    "details": {"code": "invalid_input", "reason": "input_fetch_failed"},
                }
            },
        ),
        default,
    )
    assert isinstance(failed, sunra.SunraPredictionFailed) and failed.code == "invalid_input"
    assert sunra.classify(answer(404, {}), default) is default


# ---------------------------------------------------------------------- videos


async def test_video_with_every_asset_as_a_reference(
    client: Sunra, sim: SunraSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    first = await active_asset(client, bot_web, clock, "a")
    second = await active_asset(client, bot_web, clock, "b")
    status = await client.submit_video(video([first, second]))
    assert status.state is VideoState.QUEUED and status.task_id.startswith("pd_")
    (job,) = sim.videos.values()
    assert job.model_id == "bytedance/seedance-2.0-relay/reference-to-video"
    assert job.reference_images == [f"asset://{first}", f"asset://{second}"]
    assert job.prompt == "@Image1 @Image2 smiles" and job.generate_audio is False
    queued = await client.get_video(status.task_id)
    assert queued.state is VideoState.QUEUED and queued.queue_position == 0
    clock.advance(3)
    assert (await client.get_video(status.task_id)).state is VideoState.RUNNING
    clock.advance(3)
    done = await client.get_video(status.task_id)
    assert done.state is VideoState.COMPLETED and done.video_url
    assert done.url_expires_at is not None and done.url_expires_at > clock.now + 23 * 3600
    async with httpx.AsyncClient() as http:
        answer = await http.get(done.video_url)
    assert answer.status_code == 200 and answer.content == sample_mp4()


async def test_a_prompt_that_names_its_images_is_left_alone(
    client: Sunra, sim: SunraSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    asset = await active_asset(client, bot_web, clock, "a")
    await client.submit_video(video([asset], prompt="@Image1 waves"))
    (job,) = sim.videos.values()
    assert job.prompt == "@Image1 waves"


async def test_references_go_in_order_named_in_the_prompt(
    client: Sunra, sim: SunraSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    anna = await active_asset(client, bot_web, clock, "anna")
    ben = await active_asset(client, bot_web, clock, "ben")
    await client.submit_video(video([ben, anna], prompt="@Image2 hugs @Image1"))
    (sent,) = sim.video_requests
    assert sent["_model"] == "bytedance/seedance-2.0-relay/reference-to-video"
    assert sent["reference_images"] == [f"asset://{ben}", f"asset://{anna}"]
    assert sent["prompt"] == "@Image2 hugs @Image1"  # named already: left alone
    assert "start_image" not in sent and "end_image" not in sent
    clock.advance(10)
    (job,) = sim.videos.values()
    assert (await client.get_video(job.request_id)).state is VideoState.COMPLETED


@pytest.mark.parametrize(
    "roles",
    [
        [ImageRole.FIRST_FRAME],
        [ImageRole.FIRST_FRAME, ImageRole.LAST_FRAME],
        [ImageRole.FIRST_FRAME, ImageRole.REFERENCE],
    ],
    ids=["first-frame", "first-and-last", "mixed"],
)
async def test_frames_are_refused_before_anything_is_sent(
    client: Sunra, sim: SunraSimulator, roles: list[ImageRole]
) -> None:
    images = [VideoImage(f"asset-{i}", role) for i, role in enumerate(roles)]
    request = VideoRequest("smiles", images, "seedance-2.0", 5, "720p", "adaptive", False)
    with pytest.raises(ProviderRejected) as caught:
        await client.submit_video(request)
    assert caught.value.reason is RejectReason.INVALID and caught.value.code == "bad_images"
    assert sim.count("POST", "/v1/queue/") == 0 and sim.video_requests == []


async def test_moderation_fails_the_video_with_its_code(
    client: Sunra, sim: SunraSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    asset = await active_asset(client, bot_web, clock, "a")
    sim.script_videos(VideoOutcome(status="failed", code="unsafe_content"))
    status = await client.submit_video(video([asset], model="seedance-2.0-fast"))
    (job,) = sim.videos.values()
    assert job.model_id == "bytedance/seedance-2.0-fast-relay/reference-to-video"
    clock.advance(10)
    failed = await client.get_video(status.task_id)
    assert failed.state is VideoState.FAILED and failed.error_code == "unsafe_content"
    assert failed.raw["error"]["details"]["reason"] == "moderation_blocked"


async def test_terminal_failed_status_and_a_failed_result_fetch(
    clock: FakeClock, bot_web: BotWeb
) -> None:
    sim = make_sim(clock, failure_status="FAILED")
    async with running(sim), aclosing(connect(Sunra, sim)) as client:
        asset = await active_asset(client, bot_web, clock, "a")
        sim.script_videos(VideoOutcome(status="failed", code="InternalServiceError"))
        status = await client.submit_video(video([asset]))
        clock.advance(10)
        failed = await client.get_video(status.task_id)
        assert failed.state is VideoState.FAILED and failed.error_code == "InternalServiceError"
        # The result endpoint of a failed prediction answers 400 PREDICTION_FAILED.
        with pytest.raises(sunra.SunraPredictionFailed) as caught:
            await client.json("GET", f"/v1/queue/requests/{status.task_id}")
        assert caught.value.code == "InternalServiceError"


async def test_an_asset_still_processing_fails_the_prediction(
    client: Sunra, bot_web: BotWeb, clock: FakeClock
) -> None:
    info = await client.upload_asset(None, bot_web.serve("a", image()), "n")
    assert info.asset_id is not None
    status = await client.submit_video(video([info.asset_id]))
    clock.advance(10)
    failed = await client.get_video(status.task_id)
    assert failed.state is VideoState.FAILED and failed.error_code == "InvalidParameter"


async def test_cancelled_prediction_is_failed(
    client: Sunra, sim: SunraSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    asset = await active_asset(client, bot_web, clock, "a")
    status = await client.submit_video(video([asset]))
    async with httpx.AsyncClient(headers={"Authorization": "Bearer k"}) as http:
        answer = await http.put(f"{sim.base_url}/v1/queue/requests/{status.task_id}/cancel")
    assert answer.json()["status"] == "CANCELLED"
    cancelled = await client.get_video(status.task_id)
    assert cancelled.state is VideoState.FAILED and cancelled.error_code == "cancelled"


async def test_padded_video_bytes(
    client: Sunra, sim: SunraSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    asset = await active_asset(client, bot_web, clock, "a")
    size = len(sample_mp4()) + 1000
    sim.script_videos(VideoOutcome(video_bytes=size))
    status = await client.submit_video(video([asset]))
    clock.advance(10)
    done = await client.get_video(status.task_id)
    assert done.video_url is not None
    async with httpx.AsyncClient() as http:
        body = (await http.get(done.video_url)).content
    assert len(body) == size and body.startswith(sample_mp4())


async def test_model_mapping_and_limits(client: Sunra, sim: SunraSimulator) -> None:
    assert sunra.vendor_model("seedance-2.0") == "bytedance/seedance-2.0-relay/reference-to-video"
    assert (
        sunra.vendor_model("seedance-2.0-fast")
        == "bytedance/seedance-2.0-fast-relay/reference-to-video"
    )
    with pytest.raises(ProviderRejected) as caught:
        await client.submit_video(video([], model="seedance-1.5"))
    assert caught.value.reason is RejectReason.INVALID
    with pytest.raises(ProviderRejected):
        await client.submit_video(video([f"asset-{i}" for i in range(10)]))
    assert sim.count() == 0  # refused before anything was charged
    with pytest.raises(ProviderRejected) as caught:  # fast has no 1080p: a 422 from Sunra
        await client.submit_video(
            VideoRequest(
                "x",
                [VideoImage("asset-1", ImageRole.REFERENCE)],
                "seedance-2.0-fast",
                5,
                "1080p",
                "16:9",
                True,
            )
        )
    assert caught.value.status == 422 and caught.value.code == "invalid_input"


# ---------------------------------------------------------------------- tolerance


def test_parsers_tolerate_other_shapes() -> None:
    rows = [{"id": "1", "ark_asset_id": "asset-1", "status": "ACTIVE", "name": "n"}]
    for body in (
        rows,
        {"items": rows, "total": 1},
        {"data": rows, "pagination": {"total": 1}},
        {"data": {"list": rows, "total": 1}},
    ):
        parsed, _ = sunra.page_rows(body)
        assert [sunra.parse_asset(r).state for r in parsed] == [RemoteAssetState.ACTIVE]
    wrapped = sunra.parse_asset({"data": {"id": "2", "status": "failed", "error": "Boom"}})
    assert wrapped.state is RemoteAssetState.FAILED and wrapped.error_code == "Boom"
    flat = {"code": "unsafe_content", "message": "m", "reason": "moderation_blocked"}
    assert sunra.failure_of(flat) == ("unsafe_content", "m")
    nested = {"type": "t", "code": "PREDICTION_FAILED", "details": {"code": "c", "message": "d"}}
    assert sunra.failure_of(nested) == ("c", "d")
    assert sunra.find_video_url({"video": {"url": "u1"}}) == "u1"
    assert sunra.find_video_url({"output": {"video_url": "u2"}}) == "u2"
    assert sunra.find_video_url({"data": {"videos": [], "video": "u3"}}) == "u3"
    assert sunra.url_expiry("https://cdn/x.mp4") is None
    amz = "https://s3/x.mp4?X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600"
    assert sunra.url_expiry(amz) == 1767225600 + 3600
