"""Provider requests per minute to track 1,000 pending assets in 100 groups.

Runs the real Tracker against the Token360 simulator over HTTP, on a simulated clock
(so ten minutes take seconds), with every asset staying Processing the whole time, and
counts what the simulator received. The naive tracker asks GET /v1/assets/{id} for every
asset on every tick. Usage: python -m benchmarks.polling_cost [--poll 3] [--minutes 10]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
from pathlib import Path

from PIL import Image

from bot.providers.base import ImageUpload
from bot.providers.registry import Providers
from bot.providers.token360 import Token360
from bot.services.faces import FaceService
from bot.services.pending import PendingInputs
from bot.services.tracking import Schedule, Tracker
from bot.services.uploads import UploadService
from sandbox.token360 import Token360Simulator
from storage.assets import AssetRepo, IncomingFile
from storage.chats import ChatRepo
from storage.database import Database
from storage.faces import FaceRepo
from storage.links import InviteRepo, LinkRepo
from storage.models import AssetState, FaceStatus, Owner, OwnerKind
from storage.pending import PendingRepo
from storage.users import UserRepo

GROUPS = 100
ASSETS_PER_GROUP = 10


class Quiet:
    """A notifier that tells nobody: only provider traffic is measured."""

    async def face_outcome(self, face: object) -> None: ...
    async def link_expired(self, face: object, link: object) -> None: ...
    async def batch_changed(self, batch_id: int) -> None: ...


class SimClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def run(poll: float, minutes: int) -> None:
    clock = SimClock()
    sim = Token360Simulator(api_keys=("bench",), processing_seconds=10**9, clock=clock)
    await sim.start()
    client = Token360(sim.base_url, "bench", timeout=30)
    buffer = io.BytesIO()
    Image.new("RGB", (400, 500), "gray").save(buffer, "JPEG")
    photo = ImageUpload(buffer.getvalue(), "p.jpg", "image/jpeg")
    with tempfile.TemporaryDirectory() as tmp:
        async with Database(Path(tmp) / "bench.sqlite3") as db:
            faces, assets = FaceRepo(db), AssetRepo(db)
            for g in range(GROUPS):
                session = await client.start_verification(f"face {g}")
                assert session.group_id is not None
                sim.pass_verification(session.group_id)
                face = await faces.create(
                    owner=Owner(OwnerKind.USER, 1),
                    created_by=1,
                    chat_id=1,
                    name=f"face {g}",
                    provider="token360",
                    provider_group_id=session.group_id,
                    provider_session_id=None,
                    now=clock(),
                )
                await faces.transition(face.id, FaceStatus.ACTIVE, clock())
                for a in range(ASSETS_PER_GROUP):
                    _, row, _ = await assets.add_to_batch(
                        chat_id=1,
                        user_id=1,
                        face_id=face.id,
                        media_group_id=f"g{g}",
                        file=IncomingFile(f"f{g}-{a}", f"u{g}-{a}", None, None, None, None, None),
                        name_prefix=f"realface-{face.id}",
                        now=clock(),
                    )
                    info = await client.upload_asset(session.group_id, photo, row.name)
                    await assets.transition(
                        row.id,
                        AssetState.PROCESSING,
                        clock(),
                        provider_asset_id=info.asset_id,
                        next_poll_at=clock(),
                    )
            providers = Providers([client])
            notifier = Quiet()
            face_service = FaceService(
                faces=faces,
                links=LinkRepo(db),
                invites=InviteRepo(db),
                assets=assets,
                users=UserRepo(db),
                chats=ChatRepo(db),
                pending=PendingInputs(PendingRepo(db), clock),
                providers=providers,
                notifier=notifier,
                clock=clock,
                link_ttl=120,
                invite_ttl=86400,
            )
            uploads = UploadService(
                assets=assets,
                faces=face_service,
                providers=providers,
                notifier=notifier,
                clock=clock,
                poll_seconds=poll,
            )
            tracker = Tracker(
                faces=face_service,
                uploads=uploads,
                face_repo=faces,
                links=LinkRepo(db),
                assets=assets,
                providers=providers,
                notifier=notifier,
                clock=clock,
                schedule=Schedule(
                    poll_seconds=poll,
                    max_poll_seconds=60,
                    verification_grace_seconds=60,
                    asset_timeout_seconds=10**9,
                ),
            )
            sim.reset_counts()
            ticks_per_minute = round(60 / poll)
            per_minute: list[int] = []
            for _minute in range(minutes):
                before = sim.count()
                for _ in range(ticks_per_minute):
                    await tracker.tick()
                    clock.now += poll
                per_minute.append(sim.count() - before)
    await client.aclose()
    await sim.stop()
    naive = GROUPS * ASSETS_PER_GROUP * ticks_per_minute
    print(
        f"pending assets: {GROUPS * ASSETS_PER_GROUP} in {GROUPS} groups, poll interval {poll:g} s"
    )
    print(f"naive (GET per asset per tick): {naive} requests/minute")
    print(f"realface-bot, minute 1: {per_minute[0]} requests/minute")
    print(f"realface-bot, minute {minutes} (steady): {per_minute[-1]} requests/minute")
    print("per minute: " + ", ".join(str(n) for n in per_minute))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--poll", type=float, default=3.0)
    parser.add_argument("--minutes", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.poll, args.minutes))


if __name__ == "__main__":
    main()
