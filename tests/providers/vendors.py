"""The five vendors behind one face, for contract tests: how to serve each simulator, make its
client, walk a face through verification, and where its creating POSTs and its reads live."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.providers.base import (
    Capabilities,
    ImageRole,
    ImageUpload,
    PendingVerification,
    VideoImage,
    VideoRequest,
)
from bot.providers.orcarouter import OrcaRouter
from bot.providers.powertokens import PowerTokens
from bot.providers.sunra import Sunra
from bot.providers.toapis import ToAPIs
from bot.providers.token360 import Token360
from sandbox.common import SimulatorBase
from sandbox.orcarouter import OrcaRouterSimulator
from sandbox.powertokens import PowerTokensSimulator
from sandbox.sunra import SunraSimulator
from sandbox.toapis import ToAPIsSimulator
from sandbox.token360 import Token360Simulator
from tests.clock import FakeClock
from tests.images import image
from tests.support import BotWeb

TOAPIS_REAL = "/v1/videos/doubao-seedance-2-0/real-avatar"
TOAPIS_ASSETS = "/v1/videos/doubao-seedance-2-0/private-avatar/assets"


@dataclass(frozen=True)
class Created:
    """How many of each thing the provider holds: started checks, uploads, videos."""

    checks: int
    uploads: int
    videos: int


@dataclass(frozen=True)
class Vendor:
    """One provider as the contract tests drive it (simulator on a fake clock)."""

    name: str
    simulator: Callable[..., SimulatorBase]
    client: Any  # the client class
    start_path: str | None  # the POST that starts a face check (None: no check)
    upload_path: str
    submit_path: str
    # The requests that only read, as (method, path prefix): GETs, and PowerTokens' listings.
    reads: tuple[tuple[str, str], ...]
    created: Callable[[Any], Created]
    # Error statuses the provider uses for "slow down", besides 429 (Sunra: 403).
    rate_limit_statuses: tuple[int, ...] = (429,)
    client_options: dict[str, Any] = field(default_factory=dict)

    def make_sim(self, clock: FakeClock) -> Any:
        return self.simulator(api_keys=("k",), processing_seconds=5, clock=clock)

    def make_client(self, sim: SimulatorBase, clock: FakeClock, **kw: Any) -> Any:
        options = {**self.client_options, **kw}
        if self.name == "powertokens":
            options["clock"] = clock
        return self.client(sim.base_url, "k", **options)

    def photo(self, bot_web: BotWeb) -> ImageUpload:
        """A face photo as the bot hands it over: bytes, and a public URL for URL-only ones."""
        if self.client.capabilities.upload_by_url:
            return bot_web.photo()
        return ImageUpload(image(), f"{secrets.token_hex(4)}.jpg", "image/jpeg")

    async def begin(self, client: Any, clock: FakeClock, key: int) -> Check | None:
        """Start a face check as the bot does (None where the vendor has none)."""
        if self.start_path is None:
            return None
        session = await client.start_verification(f"face {key}")
        pending = PendingVerification(
            key, f"face {key}", session.group_id, session.session_id, clock.now
        )
        clock.advance(1)
        return Check(session.h5_link, pending)

    def video_request(self, asset_id: str) -> VideoRequest:
        """A one-photo video in the simplest mode this vendor takes."""
        return video_request(asset_id, self.client.capabilities)

    def pass_check(self, sim: Any, clock: FakeClock, check: Check) -> str | None:
        """The person passes; the group the provider made, where the test can know it now."""
        made = sim.pass_link(check.h5_link)
        clock.advance(1)
        return made if isinstance(made, str) else check.pending.group_id


@dataclass(frozen=True)
class Check:
    h5_link: str
    pending: PendingVerification


def video_request(asset_id: str, caps: Capabilities | None = None) -> VideoRequest:
    """A one-photo video: the photo as its first frame where ``caps`` take one, else as a
    reference (which every vendor takes, so without ``caps`` it is a reference)."""
    role = ImageRole.FIRST_FRAME if caps is not None and caps.first_frame else ImageRole.REFERENCE
    return VideoRequest(
        prompt="She waves at the camera",
        images=[VideoImage(asset_id, role)],
        model="seedance-2.0",
        duration=5,
        resolution="720p",
        ratio="9:16",
        audio=False,
    )


VENDORS = [
    Vendor(
        name="token360",
        simulator=Token360Simulator,
        client=Token360,
        start_path="/v1/asset-groups",
        upload_path="/v1/assets",
        submit_path="/v1/videos",
        reads=(("GET", "/v1/"),),
        created=lambda sim: Created(len(sim.groups), len(sim.assets), len(sim.videos)),
    ),
    Vendor(
        name="sunra",
        simulator=SunraSimulator,
        client=Sunra,
        start_path=None,
        upload_path="/v1/ark/assets",
        submit_path="/v1/queue/",
        reads=(("GET", "/v1/"),),
        created=lambda sim: Created(0, len(sim.assets), len(sim.videos)),
        rate_limit_statuses=(429, 403),
    ),
    Vendor(
        name="orcarouter",
        simulator=OrcaRouterSimulator,
        client=OrcaRouter,
        start_path="/v1/asset/real-human/sessions",
        upload_path="/v1/asset/files",
        submit_path="/v1/video/generations",
        reads=(("GET", "/v1/"),),
        created=lambda sim: Created(len(sim.sessions), len(sim.assets), len(sim.videos)),
    ),
    Vendor(
        name="powertokens",
        simulator=PowerTokensSimulator,
        client=PowerTokens,
        start_path="/v1/asset/get-authorize-url",
        upload_path="/v1/asset/upload",
        submit_path="/v1/videos",
        reads=(
            ("GET", "/v1/"),
            ("POST", "/v1/asset/groups/list"),
            ("POST", "/v1/asset/groups/assets"),
        ),
        created=lambda sim: Created(len(sim.sessions), len(sim.jobs), len(sim.videos)),
    ),
    Vendor(
        name="toapis",
        simulator=ToAPIsSimulator,
        client=ToAPIs,
        start_path=f"{TOAPIS_REAL}/verify-tasks",
        upload_path=TOAPIS_ASSETS,
        submit_path="/v1/videos/generations",
        reads=(("GET", "/v1/"),),
        created=lambda sim: Created(len(sim.tasks), len(sim.assets), len(sim.videos)),
    ),
]
