"""The ToAPIs client against its simulator over real HTTP, failure modes included."""

from __future__ import annotations

import secrets
import time
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
    verification_locale,
)
from bot.providers.http import RetryPolicy
from bot.providers.toapis import (
    ASSETS,
    VERIFY_RESULTS,
    VERIFY_TASKS,
    ToAPIs,
    reference_prompt,
    verification_outcome,
    video_status,
)
from sandbox.media import sample_mp4
from sandbox.toapis import AssetOutcome, Fault, ToAPIsSimulator, VideoOutcome
from tests.clock import FakeClock
from tests.images import image
from tests.support import FAST, BotWeb, client_fixture, connect, running, sim_fixture

sim = sim_fixture(
    lambda clock: ToAPIsSimulator(api_keys=("k",), processing_seconds=5, clock=clock)
)
client = client_fixture(ToAPIs)


def pending(key: int, session_id: str | None) -> PendingVerification:
    return PendingVerification(key, f"face {key}", None, session_id, time.time())


async def verified_group(client: ToAPIs, sim: ToAPIsSimulator) -> str:
    session = await client.start_verification("Anna")
    sim.pass_link(session.h5_link)
    found = await client.check_verifications([pending(1, session.session_id)], set())
    return found[1].group_id


async def active_asset(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb, clock: FakeClock, group: str
) -> str:
    info = await client.upload_asset(group, bot_web.photo(), f"n-{secrets.token_hex(3)}")
    clock.advance(10)
    assert info.asset_id is not None
    return info.asset_id


def video_request(
    asset_ids: list[str],
    model: str = "seedance-2.0",
    roles: list[ImageRole] | None = None,
    **kw: object,
) -> VideoRequest:
    """References by default; ``roles`` gives each image its own."""
    roles = roles or [ImageRole.REFERENCE] * len(asset_ids)
    fields: dict[str, object] = {
        "prompt": "She waves at the camera",
        "images": [VideoImage(a, r) for a, r in zip(asset_ids, roles, strict=True)],
        "model": model,
        "duration": 5,
        "resolution": "720p",
        "ratio": "9:16",
        "audio": False,
    }
    fields.update(kw)
    return VideoRequest(**fields)  # type: ignore[arg-type]


def test_structurally_a_provider_with_honest_capabilities() -> None:
    provider: Provider = ToAPIs("http://127.0.0.1:1", "k")
    caps = provider.capabilities
    assert caps.verification and caps.fresh_link is FreshLink.NEW_SESSION
    assert caps.upload_by_url and not caps.lists_assets and not caps.lists_groups
    assert caps.models == ("seedance-2.0", "seedance-2.0-fast")
    assert caps.first_frame and caps.last_frame and caps.reference_images == 9
    assert caps.image_tag == "image {n}" and not caps.video_callbacks


async def test_closes_cleanly() -> None:
    await ToAPIs("http://127.0.0.1:1", "k").aclose()


# Verification


async def test_verification_flow_to_an_active_group(client: ToAPIs, sim: ToAPIsSimulator) -> None:
    session = await client.start_verification("Anna", return_url="https://t.me/some_bot")
    assert session.h5_link.startswith(f"{sim.base_url}/h5/")
    assert session.group_id is None and session.session_id in sim.tasks
    assert session.expires_in is not None and 100 < session.expires_in <= 120
    task = sim.tasks[session.session_id]
    assert task.callback_url == "https://t.me/some_bot" and task.locale == "en"
    assert task.biz_id and task.biz_id.startswith("realface-")
    waiting = [pending(7, session.session_id)]
    assert await client.check_verifications(waiting, set()) == {}
    async with httpx.AsyncClient() as browser:  # what the bot's sandbox button does
        assert (await browser.post(session.h5_link + "/pass")).json() == {"ok": True}
    found = await client.check_verifications(waiting, set())
    assert found[7].state is GroupState.ACTIVE and found[7].group_id in sim.groups
    assert sim.groups[found[7].group_id].kind == "real"
    assert (await client.get_group(found[7].group_id)).state is GroupState.ACTIVE


async def test_the_check_page_is_in_the_persons_language_where_it_can_be(
    client: ToAPIs, sim: ToAPIsSimulator
) -> None:
    caps = client.capabilities
    chinese = await client.start_verification("Li", locale=verification_locale(caps, "zh"))
    russian = await client.start_verification("Olga", locale=verification_locale(caps, "ru"))
    assert sim.tasks[chinese.session_id].locale == "zh"
    assert sim.tasks[russian.session_id].locale == "en"  # no Russian page: English


async def test_the_group_appears_only_once_bound(clock: FakeClock) -> None:
    sim = ToAPIsSimulator(api_keys=("k",), activation_delay=3, clock=clock)
    async with running(sim), aclosing(connect(ToAPIs, sim)) as client:
        session = await client.start_verification("Anna")
        sim.pass_link(session.h5_link)
        waiting = [pending(1, session.session_id)]
        assert await client.check_verifications(waiting, set()) == {}  # passed, not bound
        clock.advance(3)
        assert (await client.check_verifications(waiting, set()))[1].state is GroupState.ACTIVE


async def test_several_pending_at_once_one_request_each(
    client: ToAPIs, sim: ToAPIsSimulator
) -> None:
    sessions = [await client.start_verification(f"Face {i}") for i in range(4)]
    waiting = [pending(i, s.session_id) for i, s in enumerate(sessions)]
    sim.pass_link(sessions[2].h5_link)
    sim.pass_link(sessions[0].h5_link)
    sim.fail_link(sessions[3].h5_link)
    sim.reset_counts()
    found = await client.check_verifications(waiting, {"group-other"})
    assert sim.count("GET", VERIFY_RESULTS) == len(waiting)  # no batch endpoint exists
    assert sim.count() == len(waiting)
    assert set(found) == {0, 2, 3}
    assert found[0].state is found[2].state is GroupState.ACTIVE
    assert found[0].group_id != found[2].group_id
    assert sim.tasks[sessions[2].session_id or ""].group_id == found[2].group_id
    assert found[3].state is GroupState.FAILED
    no_session = PendingVerification(9, "x", None, None, 0.0)
    assert await client.check_verifications([no_session], set()) == {}


async def test_one_failing_check_does_not_hide_the_others(
    client: ToAPIs, sim: ToAPIsSimulator
) -> None:
    sessions = [await client.start_verification(f"Face {i}") for i in range(3)]
    for s in sessions:
        sim.pass_link(s.h5_link)
    waiting = [pending(i, s.session_id) for i, s in enumerate(sessions)]
    # Enough 503s to sink at most one task's three attempts: the rest still come back.
    sim.inject(Fault(method="GET", path_prefix=VERIFY_RESULTS, status=503, times=FAST.attempts))
    found = await client.check_verifications(waiting, set())
    assert len(found) >= len(waiting) - 1
    sim.inject(Fault(method="GET", path_prefix=VERIFY_RESULTS, status=503, times=100))
    with pytest.raises(ProviderUnavailable):  # every one failed: say so
        await client.check_verifications(waiting, set())


async def test_check_with_a_wrong_key_is_an_auth_error(sim: ToAPIsSimulator) -> None:
    async with aclosing(connect(ToAPIs, sim, "wrong")) as client:
        with pytest.raises(ProviderAuthError):
            await client.check_verifications([pending(1, "task_X")], set())
        with pytest.raises(ProviderAuthError):
            await client.start_verification("Anna")


async def test_fresh_link_means_a_new_task(
    client: ToAPIs, sim: ToAPIsSimulator, clock: FakeClock
) -> None:
    old = await client.start_verification("Anna")
    sim.reset_counts()
    assert await client.refresh_verification(None, old.session_id) is None
    assert sim.count() == 0  # nothing asked: a task's GET never mints a new link
    clock.advance(121)
    async with httpx.AsyncClient() as browser:
        assert (await browser.post(old.h5_link + "/pass")).status_code == 410
        new = await client.start_verification("Anna")
        assert new.session_id != old.session_id and new.h5_link != old.h5_link
        assert (await browser.post(new.h5_link + "/pass")).status_code == 200
        assert (await browser.post(new.h5_link + "/pass")).status_code == 409
        assert (await browser.post(f"{sim.base_url}/h5/nope/pass")).status_code == 404
    found = await client.check_verifications([pending(1, new.session_id)], set())
    assert found[1].state is GroupState.ACTIVE


async def test_h5_page_has_a_pass_button(client: ToAPIs) -> None:
    session = await client.start_verification("Anna")
    async with httpx.AsyncClient() as browser:
        page = await browser.get(session.h5_link)
        assert page.status_code == 200 and "Pass verification" in page.text
        form = await browser.post(session.h5_link + "/pass", data={"x": "1"})
        assert form.status_code == 200 and "text/html" in form.headers["content-type"]


async def test_link_is_fetched_when_the_session_is_slow() -> None:
    sim = ToAPIsSimulator(api_keys=("k",), session_seconds=0.5)  # real clock
    async with running(sim), aclosing(connect(ToAPIs, sim)) as client:
        client.link_poll_seconds = 0.02
        session = await client.start_verification("Anna")
        assert session.h5_link.startswith(sim.base_url)
        assert sim.count("GET", VERIFY_TASKS) >= 2
        client.link_wait_seconds = 0.0
        with pytest.raises(ProviderUnavailable):
            await client.start_verification("Bob")


async def test_sim_controls_over_http(client: ToAPIs, sim: ToAPIsSimulator) -> None:
    a = await client.start_verification("A")
    b = await client.start_verification("B")
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        assert (await http.post("/_sim/pass", json={"url": a.h5_link})).status_code == 200
        fail = await http.post("/_sim/fail", json={"url": b.h5_link, "result_code": "30002"})
        assert fail.status_code == 200
        assert (await http.post("/_sim/pass", json={"url": "http://x/h5/no"})).status_code == 404
        scripted = [{"status": "Failed", "code": "FaceMismatch"}]
        assert (await http.post("/_sim/script/assets", json=scripted)).status_code == 200
        fault = {"method": "GET", "path_prefix": "/v1/", "status": 502}
        assert (await http.post("/_sim/faults", json=fault)).status_code == 200
        assert (await http.post("/_sim/script/videos", json=[{"status": "x"}])).status_code == 400
    found = await client.check_verifications([pending(1, a.session_id)], set())
    assert found[1].state is GroupState.ACTIVE  # after one retried 502
    found = await client.check_verifications([pending(2, b.session_id)], set())
    assert found[2].state is GroupState.FAILED and found[2].raw["result_code"] == "30002"


# Assets


async def test_upload_by_url_then_active(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    group = await verified_group(client, sim)
    upload = bot_web.photo()
    info = await client.upload_asset(group, upload, "realface-1-0001")
    assert info.asset_id and info.asset_id.startswith("asset-")
    assert info.state is RemoteAssetState.PROCESSING and info.group_id == group
    # Fetched at registration only: a HEAD, then the GET (ToAPIs checks the source first).
    assert sim.fetches == [upload.public_url] and bot_web.hits.total() == 2
    clock.advance(10)
    active = await client.get_asset(AssetRef(info.asset_id, info.record_id, group))
    assert active.state is RemoteAssetState.ACTIVE and active.name == "realface-1-0001"
    assert sim.assets[info.asset_id].width == 600


async def test_upload_needs_a_public_url_and_a_group(client: ToAPIs) -> None:
    with pytest.raises(ProviderError):
        await client.upload_asset("group-x", ImageUpload(image(), "a.jpg", "image/jpeg"), "n")
    with pytest.raises(ProviderError):
        await client.upload_asset(
            None, ImageUpload(image(), "a.jpg", "image/jpeg", "http://x"), "n"
        )


async def test_face_mismatch(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    group = await verified_group(client, sim)
    sim.script_assets(AssetOutcome(status="Failed", code="FaceMismatch"))
    info = await client.upload_asset(group, bot_web.photo(), "n")
    clock.advance(10)
    failed = await client.get_asset(AssetRef(info.asset_id, None, group))
    assert failed.state is RemoteAssetState.FAILED and failed.error_code == "FaceMismatch"
    assert failed.error_message == "Face consistency verification failed."


async def test_unreachable_or_bad_source_fails_the_asset(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    group = await verified_group(client, sim)
    gone = bot_web.photo()
    bot_web.files.clear()
    tiny = bot_web.photo(image(100, 100))
    elsewhere = ImageUpload(b"", "a.jpg", "image/jpeg", public_url="https://example.com/a.jpg")
    infos = [await client.upload_asset(group, u, "n") for u in (gone, tiny, elsewhere)]
    clock.advance(10)
    states = [await client.get_asset(AssetRef(i.asset_id, None, group)) for i in infos]
    assert [s.state for s in states] == [RemoteAssetState.FAILED] * 3
    codes = [s.error_code for s in states]
    assert codes == ["SourceUrlUnreachable", "InvalidImage", "SourceUrlUnreachable"]
    # The missing one stops at its HEAD, the tiny one is HEAD and GET, and the foreign
    # host was never contacted.
    assert bot_web.hits.total() == 3


async def test_quota_unknown_group_and_no_listing(clock: FakeClock, bot_web: BotWeb) -> None:
    sim = ToAPIsSimulator(api_keys=("k",), asset_quota=1, clock=clock)
    async with running(sim), aclosing(connect(ToAPIs, sim)) as client:
        group = await verified_group(client, sim)
        await client.upload_asset(group, bot_web.photo(), "n1")
        with pytest.raises(ProviderRejected) as caught:
            await client.upload_asset(group, bot_web.photo(), "n2")
        assert caught.value.reason is RejectReason.QUOTA and caught.value.code == "asset_quota"
        with pytest.raises(ProviderRejected) as caught:
            await client.upload_asset("group-nope", bot_web.photo(), "n3")
        assert caught.value.reason is RejectReason.NOT_FOUND
        with pytest.raises(ProviderError):
            await client.list_assets(group)
        assert not await client.rename_group(group, "x")
        assert not await client.delete_group(group)


async def test_virtual_group_from_the_seed(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb
) -> None:
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        created = await http.post(
            "/v1/videos/doubao-seedance-2-0/private-avatar/groups",
            json={"name": "brand-avatar-group", "description": "Virtual avatar asset group"},
            headers={"Authorization": "Bearer k"},
        )
    body = created.json()
    assert body["success"] is True and body["data"]["group_id"].startswith("group-")
    info = await client.upload_asset(body["data"]["group_id"], bot_web.photo(), "full-body")
    assert info.state is RemoteAssetState.PROCESSING


# HTTP failure modes


async def test_get_retries_5xx_and_429_but_post_does_not(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb
) -> None:
    group = await verified_group(client, sim)
    info = await client.upload_asset(group, bot_web.photo(), "n")
    sim.inject(Fault(method="GET", path_prefix=ASSETS, status=503, times=2))
    assert (await client.get_asset(AssetRef(info.asset_id, None, group))).asset_id
    sim.inject(Fault(method="GET", path_prefix=ASSETS, status=429, retry_after=0, times=2))
    assert (await client.get_asset(AssetRef(info.asset_id, None, group))).asset_id
    for status, error in ((503, ProviderUnavailable), (429, ProviderRateLimited)):
        sim.inject(Fault(method="POST", path_prefix=VERIFY_TASKS, status=status))
        before = sim.count("POST", VERIFY_TASKS)
        with pytest.raises(error):
            await client.start_verification("Bob")
        assert sim.count("POST", VERIFY_TASKS) == before + 1  # never resent
    sim.inject(Fault(method="POST", path_prefix=ASSETS, status=500))
    with pytest.raises(ProviderUnavailable):
        await client.upload_asset(group, bot_web.photo(), "n2")
    assert sim.count("POST", ASSETS) == 2


async def test_429_honours_retry_after_then_gives_up(client: ToAPIs, sim: ToAPIsSimulator) -> None:
    sim.inject(Fault(method="GET", path_prefix=ASSETS, status=429, retry_after=0, times=5))
    with pytest.raises(ProviderRateLimited) as caught:
        await client.get_asset(AssetRef("asset-x", None, None))
    assert caught.value.retry_after == 1
    assert sim.count("GET", ASSETS) == FAST.attempts


async def test_timeout_is_unavailable(sim: ToAPIsSimulator) -> None:
    slow = connect(ToAPIs, sim, timeout=0.2, retry=RetryPolicy(attempts=1))
    async with aclosing(slow) as client:
        sim.inject(Fault(method="POST", path_prefix=VERIFY_TASKS, status=0, delay=1.0))
        with pytest.raises(ProviderUnavailable) as caught:
            await client.start_verification("Anna")
        assert caught.value.status is None  # no answer: it may have been created


# Video


async def test_reference_video_to_completed_and_download(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    group = await verified_group(client, sim)
    ids = [await active_asset(client, sim, bot_web, clock, group) for _ in range(2)]
    status = await client.submit_video(video_request(ids))
    assert status.state is VideoState.QUEUED and status.task_id.startswith("task_")
    job = sim.videos[status.task_id]
    assert job.references == [(f"asset://{i}", "reference_image") for i in ids]
    assert job.model == "seedance-2" and job.ratio == "9:16" and job.generate_audio is False
    assert job.prompt.startswith("Keep the person from image 1 and image 2")
    clock.advance(0.06)
    assert (await client.get_video(status.task_id)).state is VideoState.QUEUED  # queued
    clock.advance(0.1)
    assert (await client.get_video(status.task_id)).state is VideoState.RUNNING
    clock.advance(1)
    done = await client.get_video(status.task_id)
    assert done.state is VideoState.COMPLETED and done.video_url
    assert done.url_expires_at is not None and job.completed_at is not None
    assert done.url_expires_at == pytest.approx(job.completed_at + 24 * 3600, abs=1)
    async with httpx.AsyncClient() as http:
        video = await http.get(done.video_url)
    assert video.status_code == 200 and video.content == sample_mp4()
    assert sim.early_polls(status.task_id) == 3  # we polled far faster than ToAPIs suggests


async def test_video_from_a_processing_asset_is_rejected(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb
) -> None:
    group = await verified_group(client, sim)
    info = await client.upload_asset(group, bot_web.photo(), "n")
    assert info.asset_id is not None
    before = sim.count("POST")
    with pytest.raises(ProviderRejected) as caught:
        await client.submit_video(video_request([info.asset_id]))
    assert caught.value.code == "InvalidParameter" and caught.value.status == 400
    assert sim.count("POST") == before + 1


async def test_failed_video_carries_its_code(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    group = await verified_group(client, sim)
    asset = await active_asset(client, sim, bot_web, clock, group)
    sim.script_videos(VideoOutcome(status="failed", code="OutputVideoSensitiveContentDetected"))
    status = await client.submit_video(video_request([asset], "seedance-2.0-fast"))
    assert sim.videos[status.task_id].model == "seedance-2-fast"
    clock.advance(10)
    failed = await client.get_video(status.task_id)
    assert failed.state is VideoState.FAILED and failed.video_url is None
    assert failed.error_code == "OutputVideoSensitiveContentDetected"
    assert failed.error_message


async def test_model_mapping_and_limits(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    group = await verified_group(client, sim)
    asset = await active_asset(client, sim, bot_web, clock, group)
    sim.reset_counts()
    for bad in (video_request([asset], "seedance-1.0"), video_request([asset] * 10)):
        with pytest.raises(ProviderRejected) as caught:
            await client.submit_video(bad)
        assert caught.value.reason is RejectReason.INVALID
    assert sim.count() == 0  # refused before anything was sent
    with pytest.raises(ProviderRejected):  # fast has no 1080p: ToAPIs says so
        await client.submit_video(video_request([asset], "seedance-2.0-fast", resolution="1080p"))
    adaptive = await client.submit_video(video_request([asset], ratio="adaptive", duration=-1))
    assert sim.videos[adaptive.task_id].ratio == "adaptive"  # left to ToAPIs' default


FRAMES = [ImageRole.FIRST_FRAME, ImageRole.LAST_FRAME]


async def test_first_and_last_frame_land_in_their_slots(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    group = await verified_group(client, sim)
    first, last = [await active_asset(client, sim, bot_web, clock, group) for _ in range(2)]
    await client.submit_video(video_request([first, last], roles=FRAMES))
    await client.submit_video(video_request([first], roles=[ImageRole.FIRST_FRAME]))
    await client.submit_video(video_request([last, last], roles=FRAMES))  # one face, both ends
    assert [body["image_with_roles"] for body in sim.video_requests] == [
        [
            {"url": f"asset://{first}", "role": "first_frame"},
            {"url": f"asset://{last}", "role": "last_frame"},
        ],
        [{"url": f"asset://{first}", "role": "first_frame"}],
        [
            {"url": f"asset://{last}", "role": "first_frame"},
            {"url": f"asset://{last}", "role": "last_frame"},
        ],
    ]
    # Frames get no lead-in: their place in the video says what they are.
    assert {body["prompt"] for body in sim.video_requests} == {"She waves at the camera"}


async def test_references_keep_their_order_and_the_prompt_names_them(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    group = await verified_group(client, sim)
    ids = [await active_asset(client, sim, bot_web, clock, group) for _ in range(3)]
    prompt = "image 1 hugs image 2 while image 3 laughs"  # as the bot names the faces
    await client.submit_video(video_request(ids, prompt=prompt))
    (body,) = sim.video_requests
    assert body["image_with_roles"] == [
        {"url": f"asset://{i}", "role": "reference_image"} for i in ids
    ]
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
    client: ToAPIs, sim: ToAPIsSimulator, roles: list[ImageRole]
) -> None:
    ids = [f"asset-{i}" for i in range(len(roles))]
    with pytest.raises(ProviderRejected) as caught:
        await client.submit_video(video_request(ids, roles=roles))
    assert caught.value.reason is RejectReason.INVALID and caught.value.code == "bad_images"
    assert sim.count("POST", "/v1/videos/generations") == 0
    assert sim.count("POST", "/v1/video/generations") == 0


async def test_simulator_refuses_what_toapis_refuses(
    client: ToAPIs, sim: ToAPIsSimulator, bot_web: BotWeb, clock: FakeClock
) -> None:
    group = await verified_group(client, sim)
    aid = await active_asset(client, sim, bot_web, clock, group)

    def item(role: str, asset_id: str = aid) -> dict[str, str]:
        return {"url": f"asset://{asset_id}", "role": role}

    bad = [
        [item("mask")],
        [item("first_frame"), item("reference_image")],
        [item("last_frame")],
        [item("first_frame"), item("first_frame")],
        [item("reference_image")] * 10,
        [item("reference_image", "asset-nobody")],
    ]
    async with httpx.AsyncClient(
        base_url=sim.base_url, headers={"Authorization": "Bearer k"}
    ) as raw:
        for images in bad:
            body = {"model": "seedance-2", "prompt": "p", "image_with_roles": images}
            answer = await raw.post("/v1/videos/generations", json=body)
            assert answer.status_code == 400, images
        assert sim.video_requests == []
        body = {"model": "seedance-2", "prompt": "p", "image_with_roles": [item("first_frame")]}
        assert (await raw.post("/v1/videos/generations", json=body)).status_code == 200
    assert sim.video_requests == [body]


async def test_falls_back_to_the_singular_path_on_404(clock: FakeClock, bot_web: BotWeb) -> None:
    sim = ToAPIsSimulator(
        api_keys=("k",), clock=clock, video_submit_paths=("/v1/video/generations",)
    )
    async with running(sim), aclosing(connect(ToAPIs, sim)) as client:
        group = await verified_group(client, sim)
        asset = await active_asset(client, sim, bot_web, clock, group)
        first = await client.submit_video(video_request([asset]))
        second = await client.submit_video(video_request([asset]))
        assert first.task_id != second.task_id
        assert sim.count("POST", "/v1/videos/generations") == 1  # learned once
        assert sim.count("POST", "/v1/video/generations") == 2
        clock.advance(10)
        assert (await client.get_video(first.task_id)).state is VideoState.COMPLETED


async def test_video_poll_retries_and_unknown_task(client: ToAPIs, sim: ToAPIsSimulator) -> None:
    sim.inject(Fault(method="GET", path_prefix="/v1/videos/generations/", status=502, times=2))
    with pytest.raises(ProviderRejected) as caught:
        await client.get_video("task_nope")
    assert caught.value.reason is RejectReason.NOT_FOUND
    assert sim.count("GET", "/v1/videos/generations/") == 3


# Parsing tolerance (pure)


def test_reference_prompt_names_images_once() -> None:
    assert reference_prompt("waves", 0) == "waves"  # frames: no lead-in
    assert reference_prompt("waves", 1).startswith("Keep the person from image 1 as")
    assert "image 1, image 2 and image 3" in reference_prompt("waves", 3)
    assert reference_prompt("Start from Image 1, end on image 2", 2).startswith("Start")


def test_verification_outcome_shapes() -> None:
    assert verification_outcome({"status": "pending", "group_id": None}, "t") is None
    assert verification_outcome({"status": "processing", "result_code": "10000"}, "t") is None
    nested = verification_outcome({"status": "ok", "result": {"GroupId": "group-1"}}, "t")
    assert nested is not None and nested.group_id == "group-1"
    assert nested.state is GroupState.ACTIVE
    listed = verification_outcome([{"task_id": "a"}, {"task_id": "t", "groupId": "g"}], "t")
    assert listed is not None and listed.group_id == "g"
    failed = verification_outcome({"resultCode": "30001"}, "t")
    assert failed is not None and failed.state is GroupState.FAILED and failed.group_id == "t"


def test_video_status_tolerance() -> None:
    wrapped = {"success": True, "data": {"task_id": "x", "status": "SUCCEEDED", "video_url": "u"}}
    done = video_status(wrapped)
    assert done.state is VideoState.COMPLETED and done.video_url == "u"
    assert done.url_expires_at is not None
    stamped = video_status(
        {"id": "x", "status": "completed", "result": {"url": "u"}, "expires_at": 1.9e12}
    )
    assert stamped.url_expires_at == 1.9e9
    failed = video_status({"id": "x", "status": "cancelled"})
    assert failed.state is VideoState.FAILED and failed.error_code == "cancelled"
    assert video_status({"id": "x", "status": "submitted"}).state is VideoState.QUEUED
    with pytest.raises(ProviderError):
        video_status({"id": "x", "status": "completed"})
