"""The store's promises on both backends (storage/database.py, storage/leases.py), checked
with two connections to one database as two workers would hold them."""

from __future__ import annotations

import asyncio

from storage.database import Database, Dialect
from storage.leases import LeaseKind, LeaseRepo
from storage.migrations import MIGRATIONS


async def test_the_schema_is_migrated_once_with_types_that_hold_telegram_ids_and_times(
    database: str,
) -> None:
    async with Database(database) as db, Database(database) as again:
        assert await db.schema_version() == len(MIGRATIONS) == await again.schema_version()
        if db.dialect is Dialect.POSTGRESQL:
            # float4 timestamps would be ~2 minutes coarse; int4 ids overflow.
            narrow = await db.fetchall(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type IN ('real', 'integer')"
            )
            assert [tuple(r) for r in narrow] == []
        async with db.write() as conn:
            await conn.execute(
                "INSERT INTO users (id, first_name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (-1_001_234_567_890, "Big", 1_733_000_000.123456, 1_733_000_000.123456),
            )
        row = await again.fetchone("SELECT id, created_at FROM users")
        assert row is not None
        assert (row["id"], row["created_at"]) == (-1_001_234_567_890, 1_733_000_000.123456)


async def test_writes_of_two_workers_never_interleave(database: str) -> None:
    """A check-then-insert in one write sees no other worker's write between its steps."""
    async with Database(database) as first, Database(database) as second:
        inside = asyncio.Event()
        order: list[str] = []

        async def slow_writer() -> None:
            async with first.write() as conn:
                await conn.execute(
                    "INSERT INTO users (id, first_name, created_at, updated_at) "
                    "VALUES (1, 'A', 0, 0)"
                )
                inside.set()
                await asyncio.sleep(0.3)  # holding the write while the other one asks
                order.append("first")

        async def other_writer() -> None:
            await inside.wait()
            async with second.write() as conn:
                order.append("second")
                rows = await conn.fetchall("SELECT id FROM users")
                assert [r["id"] for r in rows] == [1]  # the first one's, committed

        await asyncio.gather(slow_writer(), other_writer())
        assert order == ["first", "second"]


async def test_each_item_is_granted_to_one_worker_however_claims_race(database: str) -> None:
    async with Database(database) as first, Database(database) as second:
        repos = {"a": LeaseRepo(first), "b": LeaseRepo(second)}
        items = list(range(1, 41))

        async def claims(owner: str, shift: int) -> set[int]:
            got: set[int] = set()
            for n in range(8):  # overlapping batches, in different orders
                batch = items[(n * 5 + shift) % 40 :] + items[: (n * 5 + shift) % 40]
                got |= await repos[owner].claim(LeaseKind.VIDEO, batch[:15], owner, 10, 20)
            return got

        a, b = await asyncio.gather(claims("a", 0), claims("b", 20))
        assert a.isdisjoint(b) and a | b == set(items)
        # Lapsed leases go to whoever asks; live ones stay their holder's.
        assert await repos["b"].claim(LeaseKind.VIDEO, sorted(a), "b", 15, 25) == set()
        assert await repos["b"].claim(LeaseKind.VIDEO, sorted(a), "b", 20, 30) == a
