"""The OrcaRouter client against its simulator over real HTTP, failure modes included."""

from __future__ import annotations

from contextlib import aclosing

import httpx
import pytest

from bot.providers.base import (
    AssetRef,
    FreshLink,
    GroupState,
    ImageRole,
    ImageUpload,
    PendingVerification,
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
from bot.providers.orcarouter import (
    MODEL_IDS,
    OrcaRouter,
    compose_prompt,
    parse_return,
    read_page,
    unwrap,
    video_status,
)
from sandbox.media import sample_mp4
from sandbox.orcarouter import (
    AssetOutcome,
    Fault,
    LinkRefused,
    OrcaRouterSimulator,
    VideoOutcome,
)
from tests.clock import FakeClock
from tests.images import image
from tests.support import FAST, BotWeb, client_fixture, connect, running, sim_fixture

sim = sim_fixture(
    lambda clock: OrcaRouterSimulator(api_keys=("k",), processing_seconds=5, clock=clock)
)
client = client_fixture(OrcaRouter)


async def started(
    client: OrcaRouter, clock: FakeClock, key: int, **kw: str
) -> tuple[PendingVerification, str]:
    session = await client.start_verification(f"face {key}", **kw)
    assert session.group_id is None and session.session_id
    pending = PendingVerification(key, f"face {key}", None, session.session_id, clock.now)
    return pending, session.h5_link


async def active_group(client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock) -> str:
    pending, link = await started(client, clock, 1)
    clock.advance(20)
    group_id = sim.pass_link(link)
    found = await client.check_verifications([pending], set())
    assert found[1].group_id == group_id
    return group_id


# ---------------------------------------------------------------- verification


async def test_verification_flow_with_return_url(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, bot_web: BotWeb
) -> None:
    assert client.capabilities.fresh_link is FreshLink.NEW_SESSION
    pending, link = await started(client, clock, 7, return_url=f"{bot_web.base_url}/return?f=7")
    assert link.startswith(f"{sim.base_url}/h5/")
    assert await client.check_verifications([pending], set()) == {}
    clock.advance(30)
    group_id = sim.pass_link(link)
    await sim.wait_returns()
    (query,) = bot_web.returns
    back = parse_return(query)
    assert query["f"] == "7" and back.passed
    assert back.session_id == pending.session_id and back.group_id == group_id
    # The bot records the group the return brought; the listing confirms it.
    bound = PendingVerification(7, "face 7", back.group_id, back.session_id, pending.started_at)
    found = await client.check_verifications([bound], {group_id})
    assert found[7].group_id == group_id and found[7].state is GroupState.ACTIVE
    assert (await client.get_group(group_id)).state is GroupState.ACTIVE


async def test_person_who_never_returns_is_found_by_listing(
    clock: FakeClock, bot_web: BotWeb
) -> None:
    sim = OrcaRouterSimulator(api_keys=("k",), follow_return_url=False, clock=clock)
    async with running(sim), aclosing(connect(OrcaRouter, sim)) as client:
        pending, link = await started(client, clock, 1, return_url=f"{bot_web.base_url}/return")
        clock.advance(40)
        group_id = sim.pass_link(link)
        await sim.wait_returns()
        assert bot_web.returns == [] and sim.return_visits == []
        found = await client.check_verifications([pending], set())
        assert found[1].group_id == group_id


async def test_several_pending_in_one_listing(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock
) -> None:
    a, link_a = await started(client, clock, 1)
    clock.advance(200)
    b, link_b = await started(client, clock, 2)
    clock.advance(10)
    group_b = sim.pass_link(link_b)
    clock.advance(190)
    c, link_c = await started(client, clock, 3)
    clock.advance(10)
    group_c = sim.pass_link(link_c)
    clock.advance(5)
    sim.reset_counts()
    found = await client.check_verifications([c, a, b], set())
    assert {k: g.group_id for k, g in found.items()} == {2: group_b, 3: group_c}
    assert sim.count("GET", "/v1/asset/groups") == 1  # one listing for every pending face
    with pytest.raises(LinkRefused) as refused:
        sim.pass_link(link_a)  # A never passed, and now its link is out of time
    assert refused.value.status == 410


async def test_overlapping_sessions_wait_for_the_return(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock
) -> None:
    a, link_a = await started(client, clock, 1)
    clock.advance(30)
    b, link_b = await started(client, clock, 2)
    clock.advance(30)
    group_b = sim.pass_link(link_b)
    # The group falls in both faces' windows: nobody is told a guess.
    assert await client.check_verifications([a, b], set()) == {}
    # The return visit names B's group: B is bound, and A is not given it.
    b_back = PendingVerification(2, "face 2", group_b, b.session_id, b.started_at)
    found = await client.check_verifications([a, b_back], {group_b})
    assert {k: g.group_id for k, g in found.items()} == {2: group_b}
    clock.advance(20)
    group_a = sim.pass_link(link_a)
    found = await client.check_verifications([a], {group_b})
    assert {k: g.group_id for k, g in found.items()} == {1: group_a}


async def test_session_not_yet_pending_is_not_robbed(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock
) -> None:
    a, _ = await started(client, clock, 1)
    await client.check_verifications([a], set())
    clock.advance(100)
    b, link_b = await started(client, clock, 2)  # the poller has not listed B yet
    clock.advance(10)
    group_b = sim.pass_link(link_b)  # inside A's window too
    assert await client.check_verifications([a], set()) == {}  # B's session could own it
    assert await client.check_verifications([a, b], set()) == {}  # both could: no guess
    b_back = PendingVerification(2, "face 2", group_b, b.session_id, b.started_at)
    found = await client.check_verifications([a, b_back], {group_b})
    assert {k: g.group_id for k, g in found.items()} == {2: group_b}


async def test_late_group_of_an_expired_face_is_not_given_away(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock
) -> None:
    a, link_a = await started(client, clock, 1)
    await client.check_verifications([a], set())
    clock.advance(110)
    c, _ = await started(client, clock, 3)
    clock.advance(5)
    sim.pass_link(link_a)  # A's person passed at the last moment; A is no longer polled
    assert await client.check_verifications([c], set()) == {}


async def test_known_groups_are_never_bound_again(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock
) -> None:
    other, link_other = await started(client, clock, 9)
    clock.advance(5)
    taken = sim.pass_link(link_other)
    a, link_a = await started(client, clock, 1)
    clock.advance(5)
    mine = sim.pass_link(link_a)
    b_back = PendingVerification(9, "face 9", taken, other.session_id, other.started_at)
    found = await client.check_verifications([a, b_back], {taken})
    assert found[1].group_id == mine and found[9].group_id == taken
    found = await client.check_verifications([a], {taken})
    assert found[1].group_id == mine


async def test_returned_group_from_another_time_is_ignored(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock
) -> None:
    _, link_old = await started(client, clock, 9)
    clock.advance(5)
    stale = sim.pass_link(link_old)  # somebody else's group, bound long ago
    clock.advance(3600)
    a, _ = await started(client, clock, 1)
    forged = PendingVerification(1, "face 1", stale, a.session_id, a.started_at)
    assert await client.check_verifications([forged], {stale}) == {}


async def test_fresh_link_is_a_new_session(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock
) -> None:
    first = await client.start_verification("Anna")
    assert first.expires_in == 120
    assert await client.refresh_verification(None, first.session_id) is None
    second = await client.start_verification("Anna")
    assert second.session_id != first.session_id and second.h5_link != first.h5_link
    clock.advance(121)
    with pytest.raises(LinkRefused) as refused:
        sim.pass_link(first.h5_link)
    assert refused.value.reason == "expired"


async def test_h5_page_and_press(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, bot_web: BotWeb
) -> None:
    session = await client.start_verification("Anna", return_url=f"{bot_web.base_url}/return")
    async with httpx.AsyncClient() as browser:
        page = await browser.get(session.h5_link)
        assert page.status_code == 200 and "Pass verification" in page.text
        pressed = await browser.post(f"{session.h5_link}/pass")
        assert pressed.json() == {"ok": True}
        assert bot_web.returns[0]["status"] == "success"  # visited before the answer
        again = await browser.post(f"{session.h5_link}/pass")
        assert again.status_code == 409 and again.json()["reason"] == "used"
        unknown = await browser.post(f"{sim.base_url}/h5/nope/pass")
        assert unknown.status_code == 404
        other = await client.start_verification("Bob")
        via_sim = await browser.post(f"{sim.base_url}/_sim/pass", json={"url": other.h5_link})
        assert via_sim.json()["ok"] is True and via_sim.json()["group_id"] in sim.groups


async def test_failed_face_check_returns_failed(
    client: OrcaRouter, sim: OrcaRouterSimulator, bot_web: BotWeb
) -> None:
    session = await client.start_verification("Anna", return_url=f"{bot_web.base_url}/return")
    sim.fail_link(session.h5_link)
    await sim.wait_returns()
    back = parse_return(bot_web.returns[0])
    assert back.status == "failed" and not back.passed and sim.groups == {}


# ---------------------------------------------------------------- assets


async def test_upload_by_url_to_active(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, bot_web: BotWeb
) -> None:
    group = await active_group(client, sim, clock)
    upload = bot_web.serve("a.jpg", image())
    info = await client.upload_asset(group, upload, "face-1-upload-1")
    assert info.asset_id and info.asset_id.startswith("asset-")
    assert info.state is RemoteAssetState.PROCESSING and info.group_id == group
    assert bot_web.hits["a.jpg"] == 1  # fetched once, by the provider
    clock.advance(10)
    got = await client.get_asset(AssetRef(info.asset_id, info.record_id, group))
    assert got.state is RemoteAssetState.ACTIVE and got.group_id == group
    (listed,) = await client.list_assets(group)
    assert listed.name == "face-1-upload-1" and listed.state is RemoteAssetState.ACTIVE
    async with httpx.AsyncClient() as plain:
        assert (await plain.get(got.raw["URL"])).content == upload.data


async def test_upload_needs_a_public_url(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock
) -> None:
    group = await active_group(client, sim, clock)
    with pytest.raises(ProviderError, match="public URL"):
        await client.upload_asset(group, ImageUpload(image(), "a.jpg", "image/jpeg"), "n")


async def test_face_mismatch(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, bot_web: BotWeb
) -> None:
    group = await active_group(client, sim, clock)
    sim.script_assets(AssetOutcome(status="Failed"))
    info = await client.upload_asset(group, bot_web.serve("b.jpg", image()), "n")
    clock.advance(10)
    failed = await client.get_asset(AssetRef(info.asset_id, None, group))
    assert failed.state is RemoteAssetState.FAILED and failed.error_code == "FaceMismatch"
    assert failed.error_message == "Face consistency verification failed."


async def test_unfetchable_or_broken_url_fails_the_asset(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, bot_web: BotWeb
) -> None:
    group = await active_group(client, sim, clock)
    gone = bot_web.serve("none", None)
    missing = await client.upload_asset(group, gone, "gone")
    broken = await client.upload_asset(group, bot_web.serve("t.jpg", b"not an image"), "bad")
    tiny = await client.upload_asset(group, bot_web.serve("s.jpg", image(100, 100)), "tiny")
    clock.advance(10)
    codes = {a.name: a.error_code for a in await client.list_assets(group)}
    assert codes == {
        "gone": "DownloadFailed",
        "bad": "InvalidParameter",
        "tiny": "InvalidParameter",
    }
    assert missing.asset_id and broken.asset_id and tiny.asset_id


async def test_quota_is_shared_and_403_is_quota(clock: FakeClock, bot_web: BotWeb) -> None:
    sim = OrcaRouterSimulator(api_keys=("k",), asset_quota=2, clock=clock)
    async with running(sim), aclosing(connect(OrcaRouter, sim)) as client:
        group = await active_group(client, sim, clock)
        async with httpx.AsyncClient(headers={"Authorization": "Bearer k"}) as raw:
            made = await raw.post(f"{sim.base_url}/v1/asset/groups", json={"Name": "virtual"})
            virtual = made.json()["Id"]
        await client.upload_asset(virtual, bot_web.serve("v.jpg", image()), "virtual-1")
        await client.upload_asset(group, bot_web.serve("r.jpg", image()), "real-1")
        before = sim.count("POST", "/v1/asset/files")
        with pytest.raises(ProviderRejected) as caught:
            await client.upload_asset(group, bot_web.serve("r2.jpg", image()), "real-2")
        assert caught.value.reason is RejectReason.QUOTA and caught.value.status == 403
        assert caught.value.code == "asset_quota_exceeded"
        assert "quota" in caught.value.message and "100" in caught.value.message
        assert sim.count("POST", "/v1/asset/files") == before + 1  # never resent


# ---------------------------------------------------------------- HTTP failures


async def test_wrong_key_is_an_auth_error(sim: OrcaRouterSimulator) -> None:
    async with aclosing(connect(OrcaRouter, sim, "wrong")) as client:
        with pytest.raises(ProviderAuthError):
            await client.start_verification("Anna")


async def test_other_403_is_an_auth_error(client: OrcaRouter, sim: OrcaRouterSimulator) -> None:
    sim.inject(Fault(method="GET", path_prefix="/v1/video/", status=403))
    with pytest.raises(ProviderAuthError):
        await client.get_video("cgt-x")


async def test_get_retries_5xx_but_post_does_not(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock
) -> None:
    group = await active_group(client, sim, clock)
    sim.inject(Fault(method="GET", path_prefix="/v1/asset/groups", status=503, times=2))
    assert (await client.get_group(group)).group_id == group
    sim.inject(Fault(method="POST", path_prefix="/v1/asset/real-human", status=502))
    before = sim.count("POST", "/v1/asset/real-human/sessions")
    with pytest.raises(ProviderUnavailable):
        await client.start_verification("Bob")
    assert sim.count("POST", "/v1/asset/real-human/sessions") == before + 1


async def test_429_honours_retry_after_then_gives_up(
    client: OrcaRouter, sim: OrcaRouterSimulator
) -> None:
    sim.inject(Fault(method="GET", path_prefix="/v1/asset/files", status=429, times=5))
    with pytest.raises(ProviderRateLimited) as caught:
        await client.list_assets("group-x")
    assert caught.value.retry_after == 1
    assert sim.count("GET", "/v1/asset/files") == FAST.attempts
    sim.inject(Fault(method="POST", path_prefix="/v1/video", status=429))
    with pytest.raises(ProviderRateLimited):
        await client.submit_video(_request(["asset-x"]))
    assert sim.count("POST", "/v1/video/generations") == 1


async def test_timeout_is_unavailable(sim: OrcaRouterSimulator) -> None:
    slow = connect(OrcaRouter, sim, timeout=0.2, retry=RetryPolicy(attempts=1))
    async with aclosing(slow) as client:
        sim.inject(Fault(method="POST", path_prefix="/v1/asset/real", status=0, delay=1.0))
        with pytest.raises(ProviderUnavailable):
            await client.start_verification("Anna")


# ---------------------------------------------------------------- videos


def _request(
    ids: list[str],
    model: str = "seedance-2.0",
    prompt: str = "waves",
    roles: list[ImageRole] | None = None,
) -> VideoRequest:
    """References by default; ``roles`` gives each image its own."""
    roles = roles or [ImageRole.REFERENCE] * len(ids)
    return VideoRequest(
        prompt=prompt,
        images=[VideoImage(i, role) for i, role in zip(ids, roles, strict=True)],
        model=model,
        duration=5,
        resolution="720p",
        ratio="9:16",
        audio=False,
    )


async def _active_assets(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, web_: BotWeb, n: int
) -> list[str]:
    group = await active_group(client, sim, clock)
    ids = []
    for i in range(n):
        info = await client.upload_asset(group, web_.serve(f"p{i}.jpg", image()), f"n{i}")
        assert info.asset_id is not None
        ids.append(info.asset_id)
    clock.advance(10)
    return ids


async def test_video_with_several_assets_to_completed(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, bot_web: BotWeb
) -> None:
    ids = await _active_assets(client, sim, clock, bot_web, 2)
    sim.script_videos(VideoOutcome(video_bytes=len(sample_mp4()) + 100))
    status = await client.submit_video(_request(ids, prompt=f"asset://{ids[1]} waves"))
    assert status.state is VideoState.QUEUED and status.task_id.startswith("cgt-")
    (job,) = sim.videos.values()
    assert job.model == MODEL_IDS["seedance-2.0"] == "byteplus/dreamina-seedance-2-0-260128"
    assert job.asset_ids == ids and job.generate_audio is False and job.ratio == "9:16"
    assert job.prompt == "[Image 2] waves"
    clock.advance(0.2)
    assert (await client.get_video(status.task_id)).state is VideoState.RUNNING
    clock.advance(10)
    done = await client.get_video(status.task_id)
    assert done.state is VideoState.COMPLETED and done.video_url
    assert done.url_expires_at is not None and done.url_expires_at > clock.now + 23 * 3600
    async with httpx.AsyncClient() as plain:
        body = (await plain.get(done.video_url)).content
    assert body.startswith(sample_mp4()) and len(body) == len(sample_mp4()) + 100


async def test_prompt_names_every_image_when_it_names_none(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, bot_web: BotWeb
) -> None:
    ids = await _active_assets(client, sim, clock, bot_web, 3)
    await client.submit_video(_request(ids, prompt="dances in the rain"))
    (job,) = sim.videos.values()
    expected = "[Image 1], [Image 2] and [Image 3] show the person in this video. dances"
    assert job.prompt == f"{expected} in the rain"


async def test_video_failure_carries_the_code(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, bot_web: BotWeb
) -> None:
    ids = await _active_assets(client, sim, clock, bot_web, 1)
    sim.script_videos(VideoOutcome(status="failed", code="OutputVideoSensitiveContentDetected"))
    status = await client.submit_video(_request(ids))
    clock.advance(10)
    failed = await client.get_video(status.task_id)
    assert failed.state is VideoState.FAILED and failed.video_url is None
    assert failed.error_code == "OutputVideoSensitiveContentDetected"
    assert failed.error_message


async def test_processing_asset_is_refused(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, bot_web: BotWeb
) -> None:
    group = await active_group(client, sim, clock)
    info = await client.upload_asset(group, bot_web.serve("q.jpg", image()), "q")
    assert info.asset_id is not None
    with pytest.raises(ProviderRejected) as caught:
        await client.submit_video(_request([info.asset_id]))
    assert caught.value.reason is RejectReason.INVALID and caught.value.code == "InvalidParameter"


async def test_model_mapping(clock: FakeClock, bot_web: BotWeb) -> None:
    assert OrcaRouter.capabilities.models == ("seedance-2.0",)
    assert MODEL_IDS["seedance-2.0-fast"] == "byteplus/seedance-2.0-fast"
    for fast_available in (False, True):
        sim = OrcaRouterSimulator(api_keys=("k",), fast_available=fast_available, clock=clock)
        async with running(sim), aclosing(connect(OrcaRouter, sim)) as client:
            ids = await _active_assets(client, sim, clock, bot_web, 1)
            request = _request(ids, model="seedance-2.0-fast")
            if fast_available:
                await client.submit_video(request)
                (job,) = sim.videos.values()
                assert job.model == "byteplus/seedance-2.0-fast"
            else:
                with pytest.raises(ProviderRejected) as caught:
                    await client.submit_video(request)
                assert caught.value.code == "model_not_available"
            with pytest.raises(ProviderRejected) as unknown:
                await client.submit_video(_request(ids, model="seedance-1.0"))
            assert unknown.value.code == "unknown_model"


async def test_first_and_last_frame_land_in_their_slots(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, bot_web: BotWeb
) -> None:
    caps = client.capabilities
    assert caps.first_frame and caps.last_frame and caps.reference_images == 9
    assert caps.image_tag == "[Image {n}]" and not caps.video_callbacks
    first, last = await _active_assets(client, sim, clock, bot_web, 2)
    frames = [ImageRole.FIRST_FRAME, ImageRole.LAST_FRAME]
    await client.submit_video(_request([first, last], prompt="she turns", roles=frames))
    await client.submit_video(_request([first], roles=[ImageRole.FIRST_FRAME]))
    await client.submit_video(_request([first, first], roles=frames))  # one face, both ends
    slots = [
        [(c["role"], c["image_url"]["url"]) for c in body["metadata"]["content"]]
        for body in sim.video_requests
    ]
    assert slots == [
        [("first_frame", f"asset://{first}"), ("last_frame", f"asset://{last}")],
        [("first_frame", f"asset://{first}")],
        [("first_frame", f"asset://{first}"), ("last_frame", f"asset://{first}")],
    ]
    # Frames get no lead-in: their place in the video says what they are.
    assert [body["prompt"] for body in sim.video_requests] == ["she turns", "waves", "waves"]


async def test_references_keep_their_order_and_the_prompt_names_them(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, bot_web: BotWeb
) -> None:
    ids = await _active_assets(client, sim, clock, bot_web, 3)
    prompt = "[Image 1] hugs [Image 2] while [Image 3] laughs"
    await client.submit_video(_request(ids, prompt=prompt))
    (body,) = sim.video_requests
    content = body["metadata"]["content"]
    assert [c["image_url"]["url"] for c in content] == [f"asset://{i}" for i in ids]
    assert {c["role"] for c in content} == {"reference_image"}
    assert body["prompt"] == prompt  # already named: no lead-in


@pytest.mark.parametrize(
    "roles",
    [
        [ImageRole.LAST_FRAME],
        [ImageRole.FIRST_FRAME, ImageRole.REFERENCE],
        [ImageRole.FIRST_FRAME, ImageRole.FIRST_FRAME],
        [ImageRole.REFERENCE] * 10,
        [],
    ],
    ids=["last-alone", "mixed", "two-firsts", "ten-references", "none"],
)
async def test_requests_it_cannot_take_are_refused_before_sending(
    client: OrcaRouter, sim: OrcaRouterSimulator, roles: list[ImageRole]
) -> None:
    ids = [f"asset-{i}" for i in range(len(roles))]
    with pytest.raises(ProviderRejected) as caught:
        await client.submit_video(_request(ids, roles=roles))
    assert caught.value.reason is RejectReason.INVALID and caught.value.code == "bad_images"
    assert sim.count("POST", "/v1/video/generations") == 0


async def test_simulator_refuses_what_ark_refuses(
    client: OrcaRouter, sim: OrcaRouterSimulator, clock: FakeClock, bot_web: BotWeb
) -> None:
    (aid,) = await _active_assets(client, sim, clock, bot_web, 1)

    def item(role: str | None, asset_id: str = aid) -> dict[str, object]:
        image: dict[str, object] = {
            "type": "image_url",
            "image_url": {"url": f"asset://{asset_id}"},
        }
        return image if role is None else {**image, "role": role}

    bad = [
        [item("mask")],
        [item("first_frame"), item("reference_image")],
        [item("last_frame")],
        [item(None), item(None)],  # no role is a first frame: two first frames
        [item("reference_image")] * 10,
        [item("reference_image", "asset-nobody")],
    ]

    def body(content: list[dict[str, object]]) -> dict[str, object]:
        return {
            "model": MODEL_IDS["seedance-2.0"],
            "prompt": "p",
            "metadata": {"content": content},
        }

    async with httpx.AsyncClient(
        base_url=sim.base_url, headers={"Authorization": "Bearer k"}
    ) as raw:
        for content in bad:
            answer = await raw.post("/v1/video/generations", json=body(content))
            assert answer.status_code == 400, content
            assert answer.json()["error"]["code"] == "InvalidParameter"
        assert sim.video_requests == []
        answer = await raw.post("/v1/video/generations", json=body([item(None)]))
        assert answer.status_code == 200
    assert sim.video_requests == [body([item(None)])]


# ---------------------------------------------------------------- tolerance (pure)


def test_compose_prompt() -> None:
    def refs(*ids: str) -> list[VideoImage]:
        return [VideoImage(i, ImageRole.REFERENCE) for i in ids]

    assert compose_prompt("smiles", refs("asset-1")) == (
        "[Image 1] shows the person in this video. smiles"
    )
    assert compose_prompt("[Image 1] smiles", refs("asset-1", "asset-2")) == "[Image 1] smiles"
    assert compose_prompt("asset-2 and asset://asset-1", refs("asset-1", "asset-2")) == (
        "[Image 2] and [Image 1]"
    )
    assert compose_prompt(" a sunset ", []) == "a sunset"
    frames = [VideoImage("a", ImageRole.FIRST_FRAME), VideoImage("b", ImageRole.LAST_FRAME)]
    assert compose_prompt("smiles", frames) == "smiles"


def test_video_status_tolerates_other_shapes() -> None:
    wrapped = {
        "code": "success",
        "message": "",
        "data": {
            "task_id": "t1",
            "status": "SUCCEEDED",
            "url": "https://x/v.mp4?Expires=2000000000",
        },
    }
    done = video_status(unwrap(wrapped))
    assert done.state is VideoState.COMPLETED and done.url_expires_at == 2000000000
    ark = video_status({"id": "t2", "status": "succeeded", "content": {"video_url": "https://y"}})
    assert ark.video_url == "https://y"
    failed = video_status({"id": "t3", "status": "failed", "fail_reason": "moderation"})
    assert failed.error_code == "failed" and failed.error_message == "moderation"
    assert video_status({"task_id": "t4", "status": "processing"}).state is VideoState.RUNNING
    with pytest.raises(ProviderError):
        video_status({"id": "t5", "status": "completed"})


def test_read_page_tolerates_other_shapes() -> None:
    rows, total, size = read_page({"items": [{"Id": "a"}], "total": 31, "pageSize": 30})
    assert rows == [{"Id": "a"}] and total == 31 and size == 30
    assert read_page([{"Id": "b"}]) == ([{"Id": "b"}], 1, 100)


def test_parse_return() -> None:
    back = parse_return({"status": "success", "session_id": "s", "group_id": "group-1"})
    assert back.passed and back.group_id == "group-1"
    assert not parse_return({"status": "failed", "session_id": "s", "group_id": ""}).passed
