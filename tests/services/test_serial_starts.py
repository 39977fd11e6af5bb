"""A provider that cannot tell two new face checks apart takes one at a time, across every
worker sharing the database (issue 14): the check and the start's intent it lets through
are one step under the database's mutex."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.providers.registry import Providers
from bot.services.errors import Refusal, ServiceRefused
from bot.services.faces import FaceService
from bot.services.pending import PendingInputs
from storage.database import Database, Dialect
from storage.pending import PendingRepo
from tests.clock import FakeClock
from tests.services.conftest import Actors, FakeNotifier, FakeProvider, face_service_on


def worker(db: Database, clock: FakeClock, provider: FakeProvider) -> FaceService:
    """One worker's FaceService on the shared database, as bot/app.py builds it."""
    pending = PendingInputs(PendingRepo(db), clock)
    providers = Providers([provider])
    return face_service_on(db, clock, providers, FakeNotifier(), pending, mutex=db.mutex)


async def test_two_workers_never_start_two_checks_at_a_serial_provider(
    database: str, clock: FakeClock, actors: Actors
) -> None:
    provider = FakeProvider()
    provider.capabilities = replace(provider.capabilities, serial_verification=True)
    async with Database(database) as first_db, Database(database) as other_db:
        # Workers are processes of their own on PostgreSQL; SQLite's file is one process's.
        second_db = other_db if first_db.dialect is Dialect.POSTGRESQL else first_db
        first, second = worker(first_db, clock, provider), worker(second_db, clock, provider)
        done = await asyncio.gather(
            first.create(actors.alice, "Anna"),
            second.create(actors.bob, "Ben"),
            return_exceptions=True,
        )
    refused = [d for d in done if isinstance(d, ServiceRefused)]
    assert len(refused) == 1 and refused[0].refusal is Refusal.PROVIDER_BUSY, done
    assert provider.calls.count("start_verification") == 1
