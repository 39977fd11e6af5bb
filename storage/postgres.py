"""The PostgreSQL backend (asyncpg): a pool, shared by every worker process.

- **One writer across processes.** A write is a transaction on a pooled connection that
  first takes ``pg_advisory_xact_lock(WRITE_LOCK)``: the repositories' check-then-insert
  steps (a draft per request, an album's batch, a link that replaces the last one) stay
  atomic when several workers share the database, exactly as on SQLite's single writer.
  The lock ends with the transaction, so a worker killed mid-write holds nothing. Within a
  process an ``asyncio.Lock`` queues writes first, so one process never holds several pool
  connections waiting on the same lock.
- **Read-your-writes.** Reads run on any pooled connection outside a transaction: READ
  COMMITTED sees every write committed before the statement began.
- **Migrations** are the same ordered list as SQLite's (storage/migrations.py, types
  spelled for PostgreSQL), applied under their own advisory lock with the version in
  ``schema_version``: workers starting together migrate once.
- Work that must not be done twice at once (a row's poll, a delivery) is leased row by
  row; see storage/leases.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.database import (
    Conflict,
    Conn,
    Dialect,
    Params,
    Row,
    Unreachable,
    redacted,
    statements,
)
from storage.migrations import MIGRATIONS, text_for
from storage.placeholders import dollar

log = logging.getLogger(__name__)

# Advisory lock keys: any fixed numbers, distinct from each other.
WRITE_LOCK = 0x7265_6166_0001
MIGRATE_LOCK = 0x7265_6166_0002

POOL_SIZE = 10
CONNECT_SECONDS = 10.0
# Each connection prepares each statement once; the repositories use a few hundred.
STATEMENT_CACHE = 1024


def _changed(status: str) -> int:
    """Rows changed, from a command tag such as ``UPDATE 3`` or ``INSERT 0 1``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresConn:
    """A write transaction's connection."""

    dialect = Dialect.POSTGRESQL

    def __init__(self, conn: PoolConnectionProxy[Any]) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        statement = dollar(sql)
        return _changed(await self._conn.execute(statement.sql, *statement.values(params)))

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        statement = dollar(sql)
        await self._conn.executemany(statement.sql, [statement.values(r) for r in rows])

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        statement = dollar(sql)
        return list(await self._conn.fetch(statement.sql, *statement.values(params)))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        statement = dollar(sql)
        row: Row | None = await self._conn.fetchrow(statement.sql, *statement.values(params))
        return row


class PostgresBackend:
    dialect = Dialect.POSTGRESQL

    def __init__(self, url: str, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.pool_size = pool_size
        self._pool: asyncpg.Pool[Any] | None = None
        self._lock = asyncio.Lock()
        # Queued in the process first: one pooled connection per name waits, not many.
        self._mutexes: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.writes_begun = 0
        # A connection of its own holding this process's session-long locks (hold_alone).
        self._holder: asyncpg.Connection[Any] | None = None

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self.pool_size,
                statement_cache_size=STATEMENT_CACHE,
                timeout=CONNECT_SECONDS,
            )
        except asyncpg.PostgresError as exc:  # no such database, password, too many clients
            raise Unreachable(f"{redacted(self.url)}: {exc}") from None
        await self._migrate()

    async def close(self) -> None:
        if self._holder is not None:  # its locks end with its session
            await self._holder.close()
            self._holder = None
        if self._pool is not None:
            await self._pool.close()
        self._pool = None

    @property
    def pool(self) -> asyncpg.Pool[Any]:
        if self._pool is None:
            raise RuntimeError("database is not open")
        return self._pool

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        async with self._lock, self.pool.acquire() as conn, conn.transaction():
            self.writes_begun += 1
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            yield PostgresConn(conn)

    @asynccontextmanager
    async def write_rows(self) -> AsyncIterator[Conn]:
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                self.writes_begun += 1
                yield PostgresConn(conn)
        except (
            asyncpg.exceptions.DeadlockDetectedError,
            asyncpg.exceptions.SerializationError,
        ) as exc:
            raise Conflict(str(exc)) from exc

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        statement = dollar(sql)
        row: Row | None = await self.pool.fetchrow(statement.sql, *statement.values(params))
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        statement = dollar(sql)
        return list(await self.pool.fetch(statement.sql, *statement.values(params)))

    @asynccontextmanager
    async def mutex(self, name: str) -> AsyncIterator[None]:
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        async with self._mutexes[name], self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", key)
            try:
                yield
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", key)

    async def hold_alone(self, role: int) -> bool:
        if self._holder is None:
            self._holder = await asyncpg.connect(self.url, timeout=CONNECT_SECONDS)
        held = await self._holder.fetchval("SELECT pg_try_advisory_lock($1)", role)
        return bool(held)

    async def schema_version(self) -> int:
        value = await self.pool.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        return int(value or 0)

    async def _migrate(self) -> None:
        """Apply the migrations not yet applied, each with its version in one transaction,
        under a lock that makes workers starting together wait for the first one."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATE_LOCK)
            await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT)")
            current = int(
                await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version") or 0
            )
            for version, script in enumerate(MIGRATIONS, start=1):
                if version <= current:
                    continue
                async with conn.transaction():  # a savepoint: the log says which one failed
                    for statement in statements(text_for(s, self.dialect) for s in script):
                        await conn.execute(statement)
                    await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", version)
                log.info("database migrated to version %d", version)
