"""The SQLite backend: one writer connection, one reader connection, WAL.

- **One writer.** Every write holds an ``asyncio.Lock`` and a ``BEGIN IMMEDIATE``
  transaction on the writer connection, so two coroutines can never interleave their
  statements into one transaction (aiosqlite runs each connection on one thread, see
  shared/TELEGRAM.md), and there is never a second writer to wait for: no "database is
  locked".
- **Read-your-writes.** Reads run on a separate reader connection in autocommit mode, each
  as ONE call to its thread that executes, fetches every row and finishes the statement
  (``execute_fetchall``). So no cursor is ever left open on the reader between calls, no
  read transaction outlives its statement, and each read starts a fresh WAL snapshot. (The
  earlier execute / fetch / close in three steps let one coroutine's half-read cursor pin
  the connection to an old snapshot while others read through it: rows just committed by
  the writer were "not there" under load.)
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import aiosqlite

from storage.database import Conn, Dialect, Params, Row, Unreachable, statements
from storage.migrations import MIGRATIONS, text_for

log = logging.getLogger(__name__)


class SqliteConn:
    """A write transaction's connection."""

    dialect = Dialect.SQLITE

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        for row in await self._conn.execute_fetchall(sql, params):
            return row
        return None


class SqliteBackend:
    dialect = Dialect.SQLITE

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._mutexes: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.writes_begun = 0

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = await self._connect()
        except sqlite3.OperationalError as exc:  # not a file it may create or open
            raise Unreachable(f"{self.path}: {exc}") from None
        await self._writer.execute("PRAGMA journal_mode=WAL")
        await self._migrate()
        self._reader = await self._connect()

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA foreign_keys=ON")
        return conn

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @property
    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("database is not open")
        return self._writer

    @property
    def _r(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("database is not open")
        return self._reader

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        async with self._lock:
            conn = self._w
            self.writes_begun += 1
            try:
                await _begin(conn)
                yield SqliteConn(conn)
            except BaseException:
                if conn.in_transaction:
                    await asyncio.shield(conn.rollback())
                raise
            else:
                await conn.commit()

    def write_rows(self) -> AbstractAsyncContextManager[Conn]:
        return self.write()  # one writer connection: there is no other way to write

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row, read as one call (see the module docstring); ask for one row."""
        for row in await self._r.execute_fetchall(sql, params):
            return row
        return None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._r.execute_fetchall(sql, params))

    async def hold_alone(self, role: int) -> bool:
        return True

    @asynccontextmanager
    async def mutex(self, name: str) -> AsyncIterator[None]:
        async with self._mutexes[name]:  # one process per file: its own locks suffice
            yield

    async def schema_version(self) -> int:
        async with self._w.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        """Apply the migrations not yet applied, each with its version bump in one transaction."""
        current = await self.schema_version()
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            async with self.write() as conn:
                for statement in statements(text_for(s, self.dialect) for s in script):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version={version}")
            log.info("database migrated to version %d", version)


async def _begin(conn: aiosqlite.Connection) -> None:
    """BEGIN IMMEDIATE, first ending a transaction that a cancelled caller left open (its
    BEGIN or COMMIT still ran on the connection's thread after the caller was gone)."""
    if conn.in_transaction:
        await conn.rollback()
    try:
        await conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "within a transaction" not in str(exc):
            raise
        await conn.rollback()
        await conn.execute("BEGIN IMMEDIATE")
