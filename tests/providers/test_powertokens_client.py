"""The PowerTokens client against its simulator over real HTTP, failure modes included."""

from contextlib import aclosing
from typing import Any

import httpx
import pytest

from bot.providers.base import (
    AssetRef,
    GroupState,
    ImageRole,
    ImageUpload,
    PendingVerification,
    ProviderAuthError,
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
from bot.providers.powertokens import (
    GroupRow,
    PowerTokens,
    claim_name,
    default_video_base,
    match_groups,
    page_rows,
    timestamp,
    video_status,
)
from sandbox.media import sample_mp4
from sandbox.powertokens import (
    AssetOutcome,
    Fault,
    PowerTokensSimulator,
    VideoOutcome,
)
from tests import support
from tests.clock import FakeClock
from tests.images import image
from tests.support import FAST, client_fixture, running, sim_fixture

CLOCK = FakeClock()
JPEG = ImageUpload(image(), "realface-1-1.jpg", "image/jpeg")


def make(**kw: Any) -> PowerTokensSimulator:
    return PowerTokensSimulator(api_keys=("k",), processing_seconds=5, clock=CLOCK, **kw)


def connect(sim: PowerTokensSimulator, key: str = "k", **kw: Any) -> PowerTokens:
    return support.connect(PowerTokens, sim, key, clock=CLOCK, **kw)


sim = sim_fixture(lambda _: make())
client = client_fixture(PowerTokens, clock=CLOCK)


async def begin(client: PowerTokens, key: int, name: str) -> tuple[PendingVerification, str]:
    """Start a verification as the bot does: the link's clock starts when it comes back."""
    session = await client.start_verification(name)
    assert session.group_id is None and session.session_id
    pending = PendingVerification(key, name, None, session.session_id, CLOCK.now)
    CLOCK.advance(1)
    return pending, session.h5_link


async def active_group(client: PowerTokens, sim: PowerTokensSimulator, name: str = "Anna") -> str:
    pending, link = await begin(client, 1, name)
    sim.pass_link(link)
    CLOCK.advance(1)
    found = await client.check_verifications([pending], set())
    return found[1].group_id


async def uploaded(client: PowerTokens, group: str, name: str = "realface-1-1") -> str:
    """Upload and wait (on the fake clock) until the asset succeeded; return its asset id."""
    info = await client.upload_asset(group, JPEG, name)
    CLOCK.advance(10)
    done = await client.get_asset(AssetRef(None, info.record_id, group))
    assert done.state is RemoteAssetState.ACTIVE and done.asset_id
    return done.asset_id


# ---------------------------------------------------------------------- verification


async def test_verification_flow_to_an_active_group(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    pending, link = await begin(client, 7, "Anna")
    assert link.startswith(f"{sim.base_url}/h5/")
    async with httpx.AsyncClient() as browser:
        page = await browser.get(link)
        assert page.status_code == 200 and "Pass verification" in page.text
        assert await client.check_verifications([pending], set()) == {}
        passed = await browser.post(f"{link}/pass")
        assert passed.json() == {"ok": True}
        assert (await browser.post(f"{link}/pass")).status_code == 409  # single use
    CLOCK.advance(1)
    found = await client.check_verifications([pending], set())
    info = found[7]
    assert info.state is GroupState.ACTIVE and info.group_id in sim.groups
    assert info.name == claim_name("Anna", pending.session_id or "")
    assert sim.groups[info.group_id].name == info.name  # renamed: identifiable by its tag
    assert sim.groups[info.group_id].real_human_type == 2
    renames = sim.count("POST", "/v1/asset/groups/rename")
    # Stored by the bot: ignored from now on. Lost by a restart: found again by its tag.
    assert await client.check_verifications([pending], {info.group_id}) == {}
    assert (await client.check_verifications([pending], set()))[7].group_id == info.group_id
    assert sim.count("POST", "/v1/asset/groups/rename") == renames
    assert (await client.get_group(info.group_id)).state is GroupState.ACTIVE


async def test_groups_that_were_there_before_are_never_taken(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    console = sim.add_group("Console face", created_at=CLOCK.now - 3600)
    virtual = sim.add_group("Props", group_type=0)
    old_tagged = sim.add_group(claim_name("Old face", "pt-gone"))
    pending, link = await begin(client, 1, "Anna")
    assert await client.check_verifications([pending], set()) == {}
    sim.pass_link(link)
    CLOCK.advance(1)
    found = await client.check_verifications([pending], set())
    assert found[1].group_id not in (console, virtual, old_tagged)


async def test_several_pending_verifications_each_get_their_own_group(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    anna, anna_link = await begin(client, 1, "Anna")
    sim.pass_link(anna_link)
    CLOCK.advance(1)
    bob, bob_link = await begin(client, 2, "Bob")  # Anna's group is listed before Bob
    found = await client.check_verifications([anna, bob], set())
    assert list(found) == [1] and found[1].name and found[1].name.startswith("Anna #rf")
    known = {found[1].group_id}
    sim.pass_link(bob_link)
    CLOCK.advance(1)
    carl, carl_link = await begin(client, 3, "Carl")  # Bob's group is listed before Carl
    found = await client.check_verifications([bob, carl], known)
    assert list(found) == [2] and found[2].name and found[2].name.startswith("Bob #rf")
    known.add(found[2].group_id)
    sim.pass_link(carl_link)
    CLOCK.advance(1)
    found = await client.check_verifications([carl], known)
    assert found[3].name and found[3].name.startswith("Carl #rf")
    assert len(known | {found[3].group_id}) == 3
    assert sim.count("POST", "/v1/asset/groups/list") == 3 + 3  # 3 snapshots + 3 polls


async def test_passes_in_any_order_match_exactly_when_the_group_takes_our_name() -> None:
    async with running(make(authorize_names=True)) as sim, aclosing(connect(sim)) as client:
        started = [await begin(client, key, name) for key, name in enumerate("ABC", 1)]
        for _, link in reversed(started):  # C passes first, A last, all before one poll
            sim.pass_link(link)
            CLOCK.advance(1)
        found = await client.check_verifications([p for p, _ in started], set())
        for pending, _ in started:
            assert found[pending.key].name == claim_name(pending.name, pending.session_id or "")
        assert sim.count("POST", "/v1/asset/groups/rename") == 0  # already tagged


async def test_overlapping_untagged_passes_are_never_guessed(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    """Untagged new groups that two live verifications could own are bound to neither: a
    guess could hand one person's face to another user (the bot runs PowerTokens
    verifications one at a time per account so this does not arise)."""
    anna, anna_link = await begin(client, 1, "Anna")
    bob, bob_link = await begin(client, 2, "Bob")
    sim.pass_link(bob_link)
    CLOCK.advance(1)
    sim.pass_link(anna_link)
    CLOCK.advance(1)
    assert await client.check_verifications([anna, bob], set()) == {}


async def test_fresh_link_means_a_new_session(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    first = await client.start_verification("Anna")
    assert await client.refresh_verification(None, first.session_id) is None
    second = await client.start_verification("Anna")
    assert second.h5_link != first.h5_link and second.session_id != first.session_id
    CLOCK.advance(121)
    async with httpx.AsyncClient() as browser:
        assert (await browser.post(f"{first.h5_link}/pass")).status_code == 410
        assert (await browser.get(second.h5_link)).status_code == 410
        assert (await browser.post(f"{sim.base_url}/h5/nope/pass")).status_code == 404


async def test_sim_controls_over_http(client: PowerTokens, sim: PowerTokensSimulator) -> None:
    pending, link = await begin(client, 1, "Anna")
    async with httpx.AsyncClient(base_url=sim.base_url) as control:
        assert (await control.post("/_sim/pass", json={"url": link})).status_code == 200
        assert (await control.post("/_sim/pass", json={"url": "x/h5/nope"})).status_code == 404
        fault = {"method": "POST", "path_prefix": "/v1/asset/upload", "status": 503}
        assert (await control.post("/_sim/faults", json=fault)).status_code == 200
        scripted = [{"status": "Failed", "code": "FaceMismatch"}]
        assert (await control.post("/_sim/script/assets", json=scripted)).status_code == 200
        videos = [{"status": "failed", "code": "X"}]
        assert (await control.post("/_sim/script/videos", json=videos)).status_code == 200
    CLOCK.advance(1)
    group = (await client.check_verifications([pending], set()))[1].group_id
    with pytest.raises(ProviderUnavailable):
        await client.upload_asset(group, JPEG, "n")
    info = await client.upload_asset(group, JPEG, "n")
    CLOCK.advance(10)
    failed = await client.get_asset(AssetRef(None, info.record_id, group))
    assert failed.error_code == "FaceMismatch"


# ---------------------------------------------------------------------- assets


async def test_upload_polls_the_task_without_auth_then_active(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    group = await active_group(client, sim)
    info = await client.upload_asset(group, JPEG, "realface-1-1")
    assert info.state is RemoteAssetState.PROCESSING and info.asset_id is None
    assert info.record_id and info.record_id.startswith("task-")
    ref = AssetRef(None, info.record_id, group)
    assert (await client.get_asset(ref)).asset_id is None  # the task is still processing
    CLOCK.advance(3)  # the task is done, the asset is under review
    review = await client.get_asset(ref)
    assert review.state is RemoteAssetState.PROCESSING and review.asset_id
    CLOCK.advance(3)
    active = await client.get_asset(AssetRef(review.asset_id, info.record_id, group))
    assert active.state is RemoteAssetState.ACTIVE and active.asset_id == review.asset_id
    assert (await client.get_asset(ref)).state is RemoteAssetState.ACTIVE
    listed = await client.list_assets(group)
    assert [(a.name, a.state) for a in listed] == [("realface-1-1", RemoteAssetState.ACTIVE)]
    assert sim.jobs_polled_with_auth == 0
    async with httpx.AsyncClient() as anonymous:
        job = await anonymous.get(
            f"{sim.base_url}/v1/asset/jobs/get-asset-id", params={"task_id": info.record_id}
        )
    assert job.json()["data"]["asset_id"] == review.asset_id


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("FaceMismatch", "Face consistency verification failed."),
        ("ContentModeration", "The image did not pass content moderation."),
    ],
)
async def test_failed_review_carries_its_code(
    client: PowerTokens, sim: PowerTokensSimulator, code: str, message: str
) -> None:
    group = await active_group(client, sim)
    sim.script_assets(AssetOutcome(status="Failed", code=code))
    info = await client.upload_asset(group, JPEG, "n")
    CLOCK.advance(10)
    failed = await client.get_asset(AssetRef(None, info.record_id, group))
    assert failed.state is RemoteAssetState.FAILED and failed.error_code == code
    assert failed.error_message == message
    (listed,) = await client.list_assets(group)
    assert listed.state is RemoteAssetState.FAILED and listed.error_code == code


async def test_quota_403_and_image_rules() -> None:
    async with running(make(asset_quota=1)) as sim, aclosing(connect(sim)) as client:
        group = await active_group(client, sim)
        small = ImageUpload(image(200, 200), "s.jpg", "image/jpeg")
        with pytest.raises(ProviderRejected) as caught:
            await client.upload_asset(group, small, "small")
        assert caught.value.reason is RejectReason.INVALID and "300" in caught.value.message
        await client.upload_asset(group, JPEG, "one")
        with pytest.raises(ProviderRejected) as caught:
            await client.upload_asset(group, JPEG, "two")
        assert caught.value.reason is RejectReason.QUOTA and caught.value.code == "403"


async def test_errors_inside_a_200_envelope_are_mapped() -> None:
    async with (
        running(make(errors_in_body=True)) as sim,
        aclosing(connect(sim)) as client,
        aclosing(connect(sim, key="wrong")) as stranger,
    ):
        with pytest.raises(ProviderRejected) as caught:
            await client.upload_asset("group-nope", JPEG, "n")
        assert caught.value.reason is RejectReason.NOT_FOUND and caught.value.code == "404"
        with pytest.raises(ProviderAuthError):
            await stranger.start_verification("Anna")


async def test_rename_and_delete_groups(client: PowerTokens, sim: PowerTokensSimulator) -> None:
    group = await active_group(client, sim)
    assert await client.rename_group(group, "Anna B.")
    assert sim.groups[group].name == "Anna B."
    assert await client.delete_group(group)
    assert group not in sim.groups
    assert await client.delete_group(group)  # already gone
    with pytest.raises(ProviderRejected) as caught:
        await client.get_group(group)
    assert caught.value.reason is RejectReason.NOT_FOUND


# ---------------------------------------------------------------------- auth, retries


async def test_auth_header_has_no_bearer_on_asset_routes(sim: PowerTokensSimulator) -> None:
    async with (
        aclosing(connect(sim, key="wrong")) as wrong,
        aclosing(connect(sim, bearer=True)) as bearer,
    ):
        for client in (wrong, bearer):
            with pytest.raises(ProviderAuthError) as caught:
                await client.start_verification("Anna")
            assert caught.value.status == 401
    async with (
        running(make(accept_bearer_on_assets=True)) as tolerant,
        aclosing(connect(tolerant, bearer=True, video_bearer=False)) as client,
    ):
        assert (await client.start_verification("Anna")).h5_link


async def test_gets_retry_5xx_and_429_posts_do_not(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    group = await active_group(client, sim)
    info = await client.upload_asset(group, JPEG, "n")
    job = "/v1/asset/jobs/get-asset-id"
    sim.inject(Fault(method="GET", path_prefix=job, status=503, times=2))
    await client.get_asset(AssetRef(None, info.record_id, group))
    assert sim.count("GET", job) == 3
    sim.inject(Fault(method="GET", path_prefix=job, status=429, retry_after=0, times=5))
    with pytest.raises(ProviderRateLimited):
        await client.get_asset(AssetRef(None, info.record_id, group))
    assert sim.count("GET", job) == 3 + FAST.attempts
    listing = "/v1/asset/groups/list"
    pending = [PendingVerification(1, "A", None, "s", 0)]
    # The listing is a POST that only reads: as safe to repeat as a GET.
    for status, error in ((503, ProviderUnavailable), (429, ProviderRateLimited)):
        sim.inject(Fault(method="POST", path_prefix=listing, status=status, times=5))
        before = sim.count("POST", listing)
        with pytest.raises(error):
            await client.check_verifications(pending, set())
        assert sim.count("POST", listing) == before + FAST.attempts
        sim.clear_faults()


async def test_timeout_is_unavailable(client: PowerTokens, sim: PowerTokensSimulator) -> None:
    group = await active_group(client, sim)
    async with aclosing(connect(sim, timeout=0.2, retry=RetryPolicy(attempts=1))) as slow:
        sim.inject(Fault(method="POST", path_prefix="/v1/asset/upload", status=0, delay=1.0))
        with pytest.raises(ProviderUnavailable):
            await slow.upload_asset(group, JPEG, "n")


# ---------------------------------------------------------------------- video


def frames(*ids: str) -> list[VideoImage]:
    """A first frame, and a last frame where a second id is given."""
    roles = [ImageRole.FIRST_FRAME, ImageRole.LAST_FRAME]
    return [VideoImage(i, role) for i, role in zip(ids, roles, strict=False)]


def refs(*ids: str) -> list[VideoImage]:
    return [VideoImage(i, ImageRole.REFERENCE) for i in ids]


def request_for(images: list[VideoImage], model: str = "seedance-2.0", **kw: Any) -> VideoRequest:
    fields: dict[str, Any] = {
        "prompt": "smiles and waves",
        "duration": 5,
        "resolution": "720p",
        "ratio": "adaptive",
        "audio": False,
    }
    fields.update(kw)
    return VideoRequest(images=images, model=model, **fields)


async def test_video_from_one_asset_to_a_downloadable_mp4(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    group = await active_group(client, sim)
    asset_id = await uploaded(client, group)
    status = await client.submit_video(request_for(frames(asset_id)))
    assert status.state is VideoState.QUEUED and status.task_id.startswith("cgt-")
    (job,) = sim.videos.values()
    assert job.model == "dreamina-seedance-2-0-260128" and job.seconds == "5"
    assert job.media[1] == {"type": "first_frame", "url": f"asset://{asset_id}"}
    assert job.prompt == "smiles and waves" and job.generate_audio is False
    CLOCK.advance(0.2)
    assert (await client.get_video(status.task_id)).state is VideoState.RUNNING
    CLOCK.advance(1)
    done = await client.get_video(status.task_id)
    assert done.state is VideoState.COMPLETED and done.video_url
    assert done.url_expires_at is not None and done.url_expires_at > CLOCK.now + 23 * 3600
    async with httpx.AsyncClient() as anyone:  # no auth needed
        assert (await anyone.get(done.video_url)).content == sample_mp4()


async def test_several_assets_are_reference_images_named_in_the_prompt(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    group = await active_group(client, sim)
    ids = [await uploaded(client, group, f"realface-1-{i}") for i in range(3)]
    size = len(sample_mp4()) + 1000
    sim.script_videos(VideoOutcome(video_bytes=size))
    request = request_for(refs(*ids), "seedance-2.0-fast", resolution="480p")
    status = await client.submit_video(request)
    (job,) = sim.videos.values()
    assert job.model == "dreamina-seedance-2-0-fast-260128" and job.asset_ids == ids
    assert [m["type"] for m in job.media] == ["text"] + ["reference_image"] * 3
    lead = "Image 1, Image 2 and Image 3 show the person in this video."
    assert job.prompt == f"{lead} smiles and waves"
    CLOCK.advance(1)
    done = await client.get_video(status.task_id)
    assert done.video_url
    async with httpx.AsyncClient() as anyone:
        assert len((await anyone.get(done.video_url)).content) == size


async def test_failed_video_carries_its_code(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    group = await active_group(client, sim)
    asset_id = await uploaded(client, group)
    sim.script_videos(VideoOutcome(status="failed", code="OutputVideoSensitiveContentDetected"))
    status = await client.submit_video(request_for(frames(asset_id), duration=4, ratio="9:16"))
    CLOCK.advance(1)
    failed = await client.get_video(status.task_id)
    assert failed.state is VideoState.FAILED
    assert failed.error_code == "OutputVideoSensitiveContentDetected" and failed.error_message


async def test_video_rejections_are_not_retried(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    group = await active_group(client, sim)
    info = await client.upload_asset(group, JPEG, "n")
    CLOCK.advance(3)  # the asset id is known, the review is not over
    review = await client.get_asset(AssetRef(None, info.record_id, group))
    assert review.asset_id is not None
    with pytest.raises(ProviderRejected) as caught:
        await client.submit_video(request_for(frames(review.asset_id)))
    assert caught.value.code == "InvalidParameter" and caught.value.status == 400
    sim.inject(Fault(method="POST", path_prefix="/v1/videos", status=502))
    CLOCK.advance(5)
    with pytest.raises(ProviderUnavailable):
        await client.submit_video(request_for(frames(review.asset_id)))
    assert sim.count("POST", "/v1/videos") == 2 and not sim.videos
    with pytest.raises(ProviderRejected):
        await client.submit_video(request_for(frames(review.asset_id), model="seedance-9"))
    with pytest.raises(ProviderRejected):
        await client.submit_video(request_for(refs(*["a"] * 10)))
    assert sim.count("POST", "/v1/videos") == 2  # refused before sending


async def test_first_and_last_frame_land_in_their_slots(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    caps = client.capabilities
    assert caps.first_frame and caps.last_frame and caps.reference_images == 9
    assert caps.image_tag == "Image {n}" and not caps.video_callbacks
    group = await active_group(client, sim)
    first, last = [await uploaded(client, group, f"realface-1-{i}") for i in range(2)]
    await client.submit_video(request_for(frames(first, last)))
    await client.submit_video(request_for(frames(first, first)))  # one face at both ends
    media = [body["media"] for body in sim.video_requests]
    text = {"type": "text", "text": "smiles and waves"}  # frames get no lead-in
    assert media == [
        [
            text,
            {"type": "first_frame", "url": f"asset://{first}"},
            {"type": "last_frame", "url": f"asset://{last}"},
        ],
        [
            text,
            {"type": "first_frame", "url": f"asset://{first}"},
            {"type": "last_frame", "url": f"asset://{first}"},
        ],
    ]


async def test_references_keep_their_order_and_the_prompt_names_them(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    group = await active_group(client, sim)
    ids = [await uploaded(client, group, f"realface-1-{i}") for i in range(3)]
    prompt = "Image 2 hugs Image 1 while Image 3 laughs"  # as the bot names the faces
    await client.submit_video(request_for(refs(*reversed(ids)), prompt=prompt))
    await client.submit_video(request_for(refs(ids[0]), prompt="waves"))
    named, lone = sim.video_requests
    assert named["media"] == [{"type": "text", "text": prompt}] + [
        {"type": "reference_image", "url": f"asset://{i}"} for i in reversed(ids)
    ]
    assert lone["media"][0]["text"] == "Image 1 shows the person in this video. waves"


@pytest.mark.parametrize(
    "images",
    [
        [VideoImage("a", ImageRole.LAST_FRAME)],
        [VideoImage("a", ImageRole.FIRST_FRAME), VideoImage("b", ImageRole.REFERENCE)],
        [VideoImage("a", ImageRole.FIRST_FRAME), VideoImage("b", ImageRole.FIRST_FRAME)],
        refs(*[f"a{i}" for i in range(10)]),
        [],
    ],
    ids=["last-alone", "mixed", "two-firsts", "ten-references", "none"],
)
async def test_requests_it_cannot_take_are_refused_before_sending(
    client: PowerTokens, sim: PowerTokensSimulator, images: list[VideoImage]
) -> None:
    with pytest.raises(ProviderRejected) as caught:
        await client.submit_video(request_for(images))
    assert caught.value.reason is RejectReason.INVALID and caught.value.code == "bad_images"
    assert sim.count("POST", "/v1/videos") == 0


async def test_simulator_refuses_media_the_service_refuses(
    client: PowerTokens, sim: PowerTokensSimulator
) -> None:
    group = await active_group(client, sim)
    aid = await uploaded(client, group)

    def item(kind: str, asset_id: str = aid) -> dict[str, str]:
        return {"type": kind, "url": f"asset://{asset_id}"}

    bad = [
        [item("mask")],
        [item("first_frame"), item("reference_image")],
        [item("last_frame")],
        [item("first_frame"), item("first_frame")],
        [item("reference_image")] * 10,
        [item("reference_image", "asset-nobody")],
    ]
    model = "dreamina-seedance-2-0-260128"
    async with httpx.AsyncClient(
        base_url=sim.base_url, headers={"Authorization": "Bearer k"}
    ) as raw:
        for media in bad:
            answer = await raw.post("/v1/videos", json={"model": model, "media": media})
            assert answer.status_code == 400, media
            assert answer.json()["error"]["code"] == "InvalidParameter"
        assert sim.video_requests == []
        body = {"model": model, "media": [item("first_frame"), item("last_frame")]}
        assert (await raw.post("/v1/videos", json=body)).status_code == 200
    assert sim.video_requests == [body]


# ---------------------------------------------------------------------- parsing


def test_tolerant_parsing() -> None:
    assert timestamp(1_760_000_000) == timestamp(1_760_000_000_000) == 1_760_000_000
    assert timestamp("2026-06-04T10:06:09Z") == timestamp("2026-06-04T18:06:09+08:00")
    assert timestamp("2026-06-04 10:06:09") is None  # no zone: not trusted
    assert page_rows({"records": [{"a": 1}], "total": "7"}) == ([{"a": 1}], 7)
    assert page_rows([{"a": 1}, 2]) == ([{"a": 1}], None)
    assert default_video_base("https://powertokens.ai/api") == "https://api.powertokens.ai"
    assert default_video_base("http://127.0.0.1:1") == "http://127.0.0.1:1"
    shapes = [
        {"id": "t", "status": "SUCCEEDED", "content": {"video_url": "https://v/a.mp4"}},
        {"task_id": "t", "status": "completed", "metadata": {"url": "https://v/a.mp4"}},
        {"code": 200, "msg": "", "data": {"id": "t", "status": "succeeded", "url": "https://v"}},
    ]
    for body in shapes:
        status = video_status(body, 100.0)
        assert status.state is VideoState.COMPLETED and status.task_id == "t"
        assert status.url_expires_at == 100.0 + 24 * 3600
    expired = video_status({"id": "t", "status": "expired", "error": "too slow"}, 0)
    assert expired.state is VideoState.FAILED and expired.error_code == "expired"


def test_provider_creation_times_bound_the_match() -> None:
    pending = [PendingVerification(1, "A", None, "s1", 1000.0)]

    def row(gid: str, created: float | None) -> GroupRow:
        return GroupRow(gid, "RealPerson", created, GroupState.ACTIVE, {}, seen_at=2000.0)

    too_old, too_late, fine = row("g1", 100.0), row("g2", 5000.0), row("g3", 1010.0)
    matches = match_groups([too_old, too_late, fine], pending, set(), {})
    assert [(m.key, m.row.group_id) for m in matches] == [(1, "g3")]
    assert match_groups([row("g4", None)], pending, set(), {"g4": 999.0}) == []
    # The client's own issue time wins over the bot's started_at (kept on another clock).
    skewed = [PendingVerification(1, "A", None, "s1", 99_999.0)]
    assert [m.key for m in match_groups([fine], skewed, set(), {}, {"s1": 1000.0})] == [1]
    assert match_groups([fine], skewed, set(), {}) == []
