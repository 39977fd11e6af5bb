"""The SQLite connection pair, the one-writer discipline and migrations.

What every caller may rely on:

- **One writer.** Every write goes through :meth:`Database.write`, which holds an
  ``asyncio.Lock`` and a ``BEGIN IMMEDIATE`` transaction on the writer connection, so two
  coroutines can never interleave their statements into one transaction (aiosqlite runs
  each connection on one thread, see shared/TELEGRAM.md), and there is never a second
  writer to wait for: no "database is locked".
- **Read-your-writes.** A read (:meth:`fetchone`, :meth:`fetchall`) sees every write
  committed before the read began. Reads run on a separate reader connection in autocommit
  mode, each as ONE call to its thread that executes, fetches every row and finishes the
  statement (``execute_fetchall``). So no cursor is ever left open on the reader between
  calls, no read transaction outlives its statement, and each read starts a fresh WAL
  snapshot. (The earlier execute / fetch / close in three steps let one coroutine's
  half-read cursor pin the connection to an old snapshot while others read through it:
  rows just committed by the writer were "not there" under load.)
- **A row written is read back in the same transaction.** Repositories that return what
  they just wrote read it on the writer inside :meth:`write` (:func:`one`), so they never
  depend on another connection at all.
- Reads never see uncommitted rows: the reader is a different connection from the writer.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrations import MIGRATIONS

# Positional (?) or named (:name) parameters, as sqlite3 takes them.
Params = Sequence[Any] | Mapping[str, Any]

log = logging.getLogger(__name__)

Row = aiosqlite.Row
Connection = aiosqlite.Connection


class Database:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self.writes_begun = 0  # write transactions begun since open (tests, benchmarks)

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        await self._writer.execute("PRAGMA journal_mode=WAL")
        await self.migrate()
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

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

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
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; commits on exit, rolls back on an exception."""
        async with self._lock:
            conn = self._w
            self.writes_begun += 1
            try:
                await _begin(conn)
                yield conn
            except BaseException:
                if conn.in_transaction:
                    await asyncio.shield(conn.rollback())
                raise
            else:
                await conn.commit()

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row, read as one call (see the module docstring); ask for one row."""
        rows = await self._r.execute_fetchall(sql, params)
        for row in rows:
            return row
        return None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._r.execute_fetchall(sql, params))

    async def user_version(self) -> int:
        async with self._w.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        """Apply the migrations not yet applied, each with its version bump in one transaction."""
        current = await self.user_version()
        for version, statements in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            async with self.write() as conn:
                for statement in _statements(statements):
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


async def one(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> Row:
    """A row that must exist, read inside the caller's write transaction."""
    rows = list(await conn.execute_fetchall(sql, params))
    if not rows:
        raise LookupError(f"no row for {sql!r} {tuple(params)!r}")
    row: Row = rows[0]
    return row


def _statements(script: Iterable[str]) -> Iterable[str]:
    for statement in script:
        statement = statement.strip()
        if statement:
            yield statement
