"""The Token360 simulator over real HTTP on 127.0.0.1, driven with httpx."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pillow_heif
import pytest
from PIL import Image

from sandbox.media import padded_mp4, sample_mp4
from sandbox.token360 import (
    AssetOutcome,
    Fault,
    Token360Simulator,
    VideoOutcome,
)
from tests.clock import FakeClock

T0 = 1_750_000_000.0

MakeSim = Callable[..., Awaitable[Token360Simulator]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
async def make_sim(clock: FakeClock) -> AsyncIterator[MakeSim]:
    started: list[Token360Simulator] = []

    async def make(**kwargs: Any) -> Token360Simulator:
        kwargs.setdefault("api_keys", ("k1", "k2"))
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("processing_seconds", 1.0)
        kwargs.setdefault("video_queued_seconds", 1.0)
        kwargs.setdefault("video_running_seconds", 2.0)
        sim = Token360Simulator(**kwargs)
        await sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        await sim.stop()


@pytest.fixture
async def sim(make_sim: MakeSim) -> Token360Simulator:
    return await make_sim()


@pytest.fixture
async def api(sim: Token360Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(sim) as client:
        yield client


def _client(sim: Token360Simulator, key: str | None = "k1", **kw: Any) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    kw.setdefault("timeout", 5.0)
    return httpx.AsyncClient(base_url=sim.base_url, headers=headers, **kw)


def image_bytes(width: int = 600, height: int = 800, fmt: str = "JPEG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 150, 120)).save(buf, fmt)
    return buf.getvalue()


def token_of(link: str) -> str:
    return urlsplit(link).path.rsplit("/", 1)[-1]


async def create_group(api: httpx.AsyncClient, name: str = "Alice") -> dict[str, Any]:
    r = await api.post("/v1/asset-groups", json={"name": name, "groupKind": "REAL_FACE"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["code"] == 0 and body["msg"] == "success"
    data: dict[str, Any] = body["data"]
    return data


async def active_group(api: httpx.AsyncClient, sim: Token360Simulator) -> str:
    group_id: str = (await create_group(api))["assetGroupId"]
    sim.pass_verification(group_id)
    return group_id


async def upload(
    api: httpx.AsyncClient, group_id: str, data: bytes | None = None, name: str = "face"
) -> httpx.Response:
    files = {"file": ("face.jpg", image_bytes() if data is None else data, "image/jpeg")}
    return await api.post("/v1/assets", data={"groupId": group_id, "name": name}, files=files)


async def active_asset(api: httpx.AsyncClient, sim: Token360Simulator, clock: FakeClock) -> str:
    r = await upload(api, await active_group(api, sim))
    clock.advance(1.0)
    asset_id: str = r.json()["data"]["assetId"]
    return asset_id


def video_request(asset_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "model": "seedance-2.0",
        "prompt": "A verified person smiles",
        "frame_images": [
            {
                "type": "image_url",
                "frame_type": "first_frame",
                "image_url": {"url": f"asset://{asset_id}"},
            }
        ],
        "duration": 5,
        "resolution": "720p",
        "generate_audio": False,
    }
    body.update(overrides)
    return body


def top_level_boxes(data: bytes) -> list[tuple[str, int]]:
    boxes, offset = [], 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        assert size >= 8
        boxes.append((kind.decode(), size))
        offset += size
    assert offset == len(data)
    return boxes


# ---------------------------------------------------------------- groups and verification


async def test_create_group_is_pending_with_link(
    api: httpx.AsyncClient, sim: Token360Simulator
) -> None:
    group = await create_group(api)
    assert re.fullmatch(r"ag_[0-9a-f]{24}", group["assetGroupId"])
    assert group["status"] == "pending_validation"
    assert group["groupKind"] == "REAL_FACE"
    assert group["name"] == "Alice"
    assert group["h5Link"].startswith(f"{sim.base_url}/h5/")
    assert group["createdAt"] == "2025-06-15T15:06:40.000Z"
    assert set(group) == {
        "assetGroupId",
        "name",
        "groupKind",
        "status",
        "h5Link",
        "createdAt",
        "updatedAt",
    }
    page = await api.get(group["h5Link"])
    assert page.status_code == 200
    assert "Pass verification" in page.text


async def test_bad_group_requests(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/asset-groups", json={"name": "x", "groupKind": "OTHER"})
    assert r.status_code == 400
    assert r.json() == {"code": 400, "msg": r.json()["msg"], "data": None}
    r = await api.post("/v1/asset-groups", json={"name": "x" * 65, "groupKind": "REAL_FACE"})
    assert r.status_code == 400
    r = await api.post("/v1/asset-groups", json={"name": "", "groupKind": "REAL_FACE"})
    assert r.status_code == 400
    r = await api.post("/v1/asset-groups", json={"name": "v", "groupKind": "VIRTUAL"})
    assert r.json()["data"]["status"] == "active"
    assert r.json()["data"]["h5Link"] is None


async def test_get_gives_fresh_link_and_kills_the_old_one(api: httpx.AsyncClient) -> None:
    group = await create_group(api)
    old = group["h5Link"]
    r = await api.get(f"/v1/asset-groups/{group['assetGroupId']}")
    fresh = r.json()["data"]["h5Link"]
    assert fresh and fresh != old
    assert (await api.get(old)).status_code == 410
    dead = await api.post(f"{old}/pass")
    assert (dead.status_code, dead.json()) == (410, {"ok": False, "reason": "superseded"})
    assert (await api.post(f"{fresh}/pass")).json() == {"ok": True}


async def test_no_fresh_link_when_disabled(make_sim: MakeSim) -> None:
    sim = await make_sim(fresh_link_on_get=False)
    async with _client(sim) as api:
        group = await create_group(api)
        r = await api.get(f"/v1/asset-groups/{group['assetGroupId']}")
        assert r.json()["data"]["status"] == "pending_validation"
        assert r.json()["data"]["h5Link"] is None
        assert (await api.get(group["h5Link"])).status_code == 200  # the first one still works


async def test_link_expires(api: httpx.AsyncClient, clock: FakeClock) -> None:
    link = (await create_group(api))["h5Link"]
    clock.advance(119.9)
    assert (await api.get(link)).status_code == 200
    clock.advance(0.1)
    page = await api.get(link)
    assert page.status_code == 410
    assert "This link has expired" in page.text
    r = await api.post(f"{link}/pass")
    assert (r.status_code, r.json()) == (410, {"ok": False, "reason": "expired"})


async def test_pass_makes_group_active(api: httpx.AsyncClient, sim: Token360Simulator) -> None:
    group = await create_group(api)
    link = group["h5Link"]
    assert (await api.post(f"{link}/pass")).json() == {"ok": True}
    again = await api.post(f"{link}/pass")
    assert (again.status_code, again.json()["reason"]) == (409, "used")
    unknown = await api.post(f"{sim.base_url}/h5/nope/pass")
    assert (unknown.status_code, unknown.json()["reason"]) == (404, "unknown")
    r = await api.get(f"/v1/asset-groups/{group['assetGroupId']}")
    assert r.json()["data"]["status"] == "active"
    assert r.json()["data"]["h5Link"] is None
    assert sim.groups[group["assetGroupId"]].status == "active"


async def test_browser_form_pass_gets_html(api: httpx.AsyncClient) -> None:
    link = (await create_group(api))["h5Link"]
    r = await api.post(f"{link}/pass", data={"confirm": "1"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "Verification passed" in r.text


async def test_activation_delay(make_sim: MakeSim, clock: FakeClock) -> None:
    sim = await make_sim(activation_delay=5.0)
    async with _client(sim) as api:
        group = await create_group(api)
        await api.post(f"{group['h5Link']}/pass")
        r = await api.get(f"/v1/asset-groups/{group['assetGroupId']}")
        assert r.json()["data"]["status"] == "pending_validation"
        assert r.json()["data"]["h5Link"] is None  # passed: no new links
        clock.advance(5.0)
        r = await api.get(f"/v1/asset-groups/{group['assetGroupId']}")
        assert r.json()["data"]["status"] == "active"


@pytest.mark.parametrize("shape", ["records", "list"])
async def test_group_list_shapes(make_sim: MakeSim, clock: FakeClock, shape: str) -> None:
    sim = await make_sim(list_shape=shape)
    async with _client(sim) as api:
        ids = []
        for name in ("one", "two", "three"):
            ids.append((await create_group(api, name))["assetGroupId"])
            clock.advance(1)
        sim.pass_verification(ids[1])
        r = await api.get("/v1/asset-groups", params={"current": 1, "size": 2})
        data = r.json()["data"]
        if shape == "records":
            assert (data["total"], data["current"], data["size"]) == (3, 1, 2)
            items = data["records"]
        else:
            assert data["pagination"] == {"current": 1, "size": 2, "total": 3}
            items = data["list"]
        assert [g["assetGroupId"] for g in items] == [ids[2], ids[1]]
        assert all(g["h5Link"] is None for g in items)
        r = await api.get(
            "/v1/asset-groups", params={"status": "active", "groupKind": "REAL_FACE"}
        )
        found = r.json()["data"]["records" if shape == "records" else "list"]
        assert [g["assetGroupId"] for g in found] == [ids[1]]
        assert (await api.get("/v1/asset-groups", params={"size": 101})).status_code == 400


@pytest.mark.parametrize("order", ["newest", "oldest", "by_id"])
async def test_group_list_orders_and_ignored_filters(
    make_sim: MakeSim, clock: FakeClock, order: str
) -> None:
    sim = await make_sim(list_order=order)
    async with _client(sim) as api:
        ids = []
        for name in ("one", "two", "three", "four"):
            ids.append((await create_group(api, name))["assetGroupId"])
            clock.advance(1)
        expected = {"newest": ids[::-1], "oldest": ids, "by_id": sorted(ids)}[order]
        pages = [
            (await api.get("/v1/asset-groups", params={"current": n, "size": 3})).json()["data"]
            for n in (1, 2)
        ]
        assert [g["assetGroupId"] for p in pages for g in p["records"]] == expected
        r = await api.get("/v1/asset-groups", params={"status": "active"})
        assert r.json()["data"]["records"] == []
    blind = await make_sim(group_filters=False)
    async with _client(blind) as api:
        await create_group(api, "one")
        r = await api.get("/v1/asset-groups", params={"status": "active", "keyword": "zz"})
        assert r.json()["data"]["total"] == 1  # taken, not applied


# ---------------------------------------------------------------- auth and faults


async def test_auth_and_accounts(sim: Token360Simulator, api: httpx.AsyncClient) -> None:
    group_id = await active_group(api, sim)
    for key in (None, "wrong"):
        async with _client(sim, key) as anon:
            r = await anon.get("/v1/asset-groups")
            assert r.status_code == 401
            assert r.json() == {"code": 401, "msg": "Invalid API key", "data": None}
            assert (await anon.post("/v1/videos", json={})).status_code == 401
    async with _client(sim, "k2") as other:
        assert (await other.get(f"/v1/asset-groups/{group_id}")).status_code == 404
        assert (await upload(other, group_id)).status_code == 404
        listed = await other.get("/v1/asset-groups")
        assert listed.json()["data"]["total"] == 0


async def test_429_fault_with_retry_after(sim: Token360Simulator, api: httpx.AsyncClient) -> None:
    sim.inject(Fault("GET", "/v1/asset-groups", status=429, retry_after=2.5, times=2))
    for _ in range(2):
        r = await api.get("/v1/asset-groups")
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "3"
        assert r.json() == {"code": 429, "msg": "Too Many Requests", "data": None}
    assert (await api.get("/v1/asset-groups")).status_code == 200
    sim.inject(Fault(None, "/v1/", status=503))
    r = await api.post("/v1/asset-groups", json={})  # fault runs before validation
    assert (r.status_code, r.json()["code"]) == (503, 503)
    assert sim.count("GET", "/v1/asset-groups") == 3
    assert sim.count(path_prefix="/v1/") == 4


async def test_delay_fault_provokes_client_timeout(sim: Token360Simulator) -> None:
    sim.inject(Fault(None, "/v1/asset-groups", status=0, delay=0.3))
    async with _client(sim, timeout=0.05) as api:
        with pytest.raises(httpx.ReadTimeout):
            await api.get("/v1/asset-groups")
    async with _client(sim) as api:
        assert (await api.get("/v1/asset-groups")).status_code == 200


async def test_sim_http_controls(
    sim: Token360Simulator, api: httpx.AsyncClient, clock: FakeClock
) -> None:
    group = await create_group(api)
    r = await api.post(f"/_sim/groups/{group['assetGroupId']}/pass")
    assert r.json() == {"ok": True}
    assert (await api.post("/_sim/groups/ag_nope/pass")).status_code == 404
    r = await api.post("/_sim/script/assets", json=[{"status": "Failed", "code": "FaceMismatch"}])
    assert r.json() == {"ok": True, "queued": 1}
    assert (await api.post("/_sim/script/assets", json=[{"status": "weird"}])).status_code == 400
    r = await api.post("/_sim/faults", json={"method": "POST", "path_prefix": "/v1/assets"})
    assert r.status_code == 200
    assert (await upload(api, group["assetGroupId"])).status_code == 500
    asset = (await upload(api, group["assetGroupId"])).json()["data"]
    clock.advance(1)
    got = await api.get(f"/v1/assets/{asset['assetId']}")
    assert got.json()["data"]["status"] == "Failed"
    r = await api.post("/_sim/script/videos", json=[{"video_bytes": 3}])
    assert r.status_code == 400
    requests = (await api.get("/_sim/requests")).json()["requests"]
    assert requests[0] == ["POST", "/v1/asset-groups"]
    assert all(path.startswith("/v1/") for _, path in requests)
    await api.delete("/_sim/requests")
    assert sim.requests == []


# ---------------------------------------------------------------- assets


async def test_upload_into_pending_group_is_409(api: httpx.AsyncClient) -> None:
    group = await create_group(api)
    r = await upload(api, group["assetGroupId"])
    assert r.status_code == 409
    assert r.json() == {"code": 409, "msg": "Asset group is not active", "data": None}


async def test_upload_checks(api: httpx.AsyncClient, sim: Token360Simulator) -> None:
    group_id = await active_group(api, sim)
    r = await upload(api, group_id, image_bytes(200, 400))
    assert r.status_code == 400 and "width" in r.json()["msg"]
    r = await upload(api, group_id, image_bytes(2000, 400))
    assert r.status_code == 400 and "aspect ratio" in r.json()["msg"]
    r = await upload(api, group_id, image_bytes(300, 6001))
    assert r.status_code == 400 and "height" in r.json()["msg"]
    r = await upload(api, group_id, b"%PDF-1.4 definitely not an image")
    assert r.status_code == 400 and "not a readable image" in r.json()["msg"]
    r = await upload(api, group_id, image_bytes()[:2000])
    assert r.status_code == 400 and "truncated" in r.json()["msg"]
    r = await upload(api, group_id, image_bytes(fmt="PPM"))
    assert r.status_code == 400 and "format" in r.json()["msg"]
    r = await upload(api, group_id, b"\0" * (30 * 1024 * 1024))
    assert r.status_code == 413
    assert (await upload(api, "ag_unknown")).status_code == 404
    assert (await upload(api, group_id, name="")).status_code == 400
    r = await api.post("/v1/assets", json={"groupId": group_id})
    assert r.status_code == 400
    assert sim.assets == {}


async def test_good_upload_turns_active(
    api: httpx.AsyncClient, sim: Token360Simulator, clock: FakeClock
) -> None:
    group_id = await active_group(api, sim)
    r = await upload(api, group_id, image_bytes(600, 800, "PNG"), name="Alice front")
    assert r.status_code == 200
    asset = r.json()["data"]
    assert re.fullmatch(r"ta_[0-9a-f]{32}", asset["assetId"])
    assert isinstance(asset["id"], int)
    assert asset | {"assetId": None, "id": None, "sizeBytes": None} == {
        "id": None,
        "assetId": None,
        "assetGroupId": group_id,
        "name": "Alice front",
        "status": "Processing",
        "mimeType": "image/png",
        "sizeBytes": None,
        "width": 600,
        "height": 800,
        "error": None,
        "createdAt": "2025-06-15T15:06:40.000Z",
        "updatedAt": "2025-06-15T15:06:40.000Z",
    }
    assert asset["sizeBytes"] == len(image_bytes(600, 800, "PNG"))
    clock.advance(0.5)
    got = (await api.get(f"/v1/assets/{asset['assetId']}")).json()["data"]
    assert got["status"] == "Processing"
    clock.advance(0.5)
    got = (await api.get(f"/v1/assets/{asset['assetId']}")).json()["data"]
    assert got["status"] == "Active"
    assert got["updatedAt"] == "2025-06-15T15:06:41.000Z"
    listed = (await api.get("/v1/assets", params={"groupId": group_id})).json()["data"]
    assert listed["total"] == 1 and listed["records"][0]["assetId"] == asset["assetId"]
    assert (await api.get("/v1/assets/ta_0")).status_code == 404


async def test_heic_upload(api: httpx.AsyncClient, sim: Token360Simulator) -> None:
    group_id = await active_group(api, sim)
    buf = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (640, 480), (10, 20, 30))).save(buf, quality=50)
    r = await upload(api, group_id, buf.getvalue())
    assert r.status_code == 200, r.text
    assert r.json()["data"]["mimeType"] == "image/heic"


async def test_scripted_face_mismatch(
    api: httpx.AsyncClient, sim: Token360Simulator, clock: FakeClock
) -> None:
    group_id = await active_group(api, sim)
    sim.script_assets(AssetOutcome(status="Failed", code="FaceMismatch"))
    first = (await upload(api, group_id)).json()["data"]
    second = (await upload(api, group_id)).json()["data"]
    clock.advance(1)
    failed = (await api.get(f"/v1/assets/{first['assetId']}")).json()["data"]
    assert failed["status"] == "Failed"
    assert failed["error"] == {
        "code": "FaceMismatch",
        "message": "Face consistency verification failed.",
    }
    ok = (await api.get(f"/v1/assets/{second['assetId']}")).json()["data"]
    assert (ok["status"], ok["error"]) == ("Active", None)


@pytest.mark.parametrize(("case", "expected"), [("lower", "active"), ("upper", "ACTIVE")])
async def test_status_case(make_sim: MakeSim, clock: FakeClock, case: str, expected: str) -> None:
    sim = await make_sim(status_case=case, list_shape="list")
    async with _client(sim) as api:
        asset_id = await active_asset(api, sim, clock)
        r = await api.get("/v1/assets", params={"status": "ACTIVE"})
        assert [a["status"] for a in r.json()["data"]["list"]] == [expected]
        assert r.json()["data"]["list"][0]["assetId"] == asset_id


# ---------------------------------------------------------------- videos


async def test_video_completes_and_downloads(
    api: httpx.AsyncClient, sim: Token360Simulator, clock: FakeClock
) -> None:
    asset_id = await active_asset(api, sim, clock)
    r = await api.post("/v1/videos", json=video_request(asset_id, ratio="9:16"))
    assert r.status_code == 200, r.text
    job = r.json()
    assert re.fullmatch(r"video_[0-9a-f]{24}", job["id"])
    assert job == {
        "id": job["id"],
        "object": "video",
        "status": "queued",
        "model": "seedance-2.0",
        "created_at": int(clock.now),
        "error": None,
    }
    clock.advance(1)
    assert (await api.get(f"/v1/videos/{job['id']}")).json()["status"] == "in_progress"
    clock.advance(2)
    done = (await api.get(f"/v1/videos/{job['id']}")).json()
    assert done["status"] == "completed"
    assert done["completed_at"] == int(clock.now)
    assert (done["seconds"], done["size"]) == (5, "720x1280")
    async with httpx.AsyncClient(timeout=5) as anon:  # presigned: no auth header
        video = await anon.get(done["url"])
        assert video.status_code == 200
        assert video.headers["content-type"] == "video/mp4"
        assert video.content == sample_mp4()
        head = await anon.head(done["url"])
        assert int(head.headers["content-length"]) == len(sample_mp4())
        assert (await anon.get(done["url"].replace("sig=", "sig=0"))).status_code == 403
        clock.advance(24 * 3600)
        assert (await anon.get(done["url"])).status_code == 403
    assert sim.count("GET", "/files/") == 3
    assert sim.count(path_prefix="/files/") == 4  # and one HEAD
    assert sim.videos[job["id"]].asset_ids == [asset_id]


async def test_padded_video_download(
    api: httpx.AsyncClient, sim: Token360Simulator, clock: FakeClock
) -> None:
    asset_id = await active_asset(api, sim, clock)
    sim.script_videos(VideoOutcome(video_bytes=5_000_000))
    job = (await api.post("/v1/videos", json=video_request(asset_id))).json()
    clock.advance(3)
    url = (await api.get(f"/v1/videos/{job['id']}")).json()["url"]
    video = await api.get(url)
    assert len(video.content) == 5_000_000
    assert int(video.headers["content-length"]) == 5_000_000
    assert video.content == padded_mp4(5_000_000)


async def test_client_leaving_mid_download_is_quiet(
    api: httpx.AsyncClient,
    sim: Token360Simulator,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    asset_id = await active_asset(api, sim, clock)
    sim.script_videos(VideoOutcome(video_bytes=40_000_000))
    job = (await api.post("/v1/videos", json=video_request(asset_id))).json()
    clock.advance(3)
    url = (await api.get(f"/v1/videos/{job['id']}")).json()["url"]
    async with api.stream("GET", url) as response:
        async for _ in response.aiter_bytes():
            break
    await asyncio.sleep(0.1)
    assert (await api.get(f"/v1/videos/{job['id']}")).status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_padded_mp4_is_valid_mp4() -> None:
    data = padded_mp4(5_000_000)
    assert len(data) == 5_000_000
    assert data.startswith(sample_mp4())
    boxes = top_level_boxes(data)
    assert [kind for kind, _ in boxes][:2] == ["ftyp", "moov"]
    assert {"mdat", "free"} <= {kind for kind, _ in boxes}
    assert boxes[-1] == ("free", 5_000_000 - len(sample_mp4()))
    assert top_level_boxes(sample_mp4())[-1][0] == "mdat"
    assert padded_mp4(len(sample_mp4())) == sample_mp4()
    with pytest.raises(ValueError):
        padded_mp4(len(sample_mp4()) + 7)


async def test_scripted_video_failure(
    api: httpx.AsyncClient, sim: Token360Simulator, clock: FakeClock
) -> None:
    asset_id = await active_asset(api, sim, clock)
    sim.script_videos(VideoOutcome(status="failed", code="OutputVideoSensitiveContentDetected"))
    job = (await api.post("/v1/videos", json=video_request(asset_id))).json()
    clock.advance(3)
    failed = (await api.get(f"/v1/videos/{job['id']}")).json()
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "OutputVideoSensitiveContentDetected"
    assert failed["error"]["message"]
    assert "url" not in failed


async def test_video_rejects_bad_refs_and_params(
    api: httpx.AsyncClient, sim: Token360Simulator, clock: FakeClock
) -> None:
    group_id = await active_group(api, sim)
    processing = (await upload(api, group_id)).json()["data"]["assetId"]
    r = await api.post("/v1/videos", json=video_request(processing))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "InvalidParameter"
    assert "Processing" in r.json()["error"]["message"]
    clock.advance(1)
    assert (await api.post("/v1/videos", json=video_request(processing))).status_code == 200
    async with _client(sim, "k2") as other:
        r = await other.post("/v1/videos", json=video_request(processing))
        assert r.status_code == 400 and "not found" in r.json()["error"]["message"]
        assert (await other.get("/v1/videos/video_x")).status_code == 404
    bad: list[dict[str, Any]] = [
        {"model": "seedance-1.5-pro"},
        {"model": "seedance-2.0-fast", "resolution": "1080p"},
        {"duration": 3},
        {"duration": True},
        {"ratio": "2:1"},
        {"prompt": " "},
        {"frame_images": [{"type": "image_url", "frame_type": "first_frame", "image_url": {}}]},
    ]
    for override in bad:
        r = await api.post("/v1/videos", json=video_request(processing, **override))
        assert r.status_code == 400, override
        assert r.json()["error"]["code"] == "InvalidParameter"
    r = await api.post("/v1/videos", json=video_request("ua_123"))
    assert r.status_code == 400
    r = await api.get("/v1/videos")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "NotFound"


async def test_real_clock_timings(make_sim: MakeSim) -> None:
    sim = await make_sim(
        clock=time.time,
        processing_seconds=0.05,
        video_queued_seconds=0.02,
        video_running_seconds=0.05,
    )
    async with _client(sim) as api:
        group_id = await active_group(api, sim)
        asset_id = (await upload(api, group_id)).json()["data"]["assetId"]
        await asyncio.sleep(0.06)
        assert sim.assets[asset_id].status == "Active"
        job = (await api.post("/v1/videos", json=video_request(asset_id))).json()
        await asyncio.sleep(0.08)
        done = (await api.get(f"/v1/videos/{job['id']}")).json()
        assert done["status"] == "completed"
        assert (await api.get(done["url"])).content == sample_mp4()
