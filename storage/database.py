"""The store, on SQLite (the default) or PostgreSQL, behind one interface.

``Database(target)`` takes a file path (SQLite) or a ``postgresql://`` URL; anything else
with a scheme is refused with :class:`UnknownDatabase`, naming what is accepted. The
repositories write their SQL once, with sqlite3's parameters (``?``, ``?N``, ``:name``);
the PostgreSQL backend rewrites it (storage/placeholders.py).

What every caller may rely on, on both backends:

- **One writer.** Every write goes through :meth:`Database.write`: one transaction, never
  interleaved with another write, committed on exit and rolled back on an exception. On
  SQLite that is an ``asyncio.Lock`` and ``BEGIN IMMEDIATE`` on the one writer connection
  (storage/sqlite.py); on PostgreSQL it is a pooled connection in a transaction that first
  takes a transaction-scoped advisory lock, so the guarantee holds across processes too
  (storage/postgres.py). Several repositories check and then insert inside one write, and
  rely on no other write coming between.
- **Read-your-writes.** A read (:meth:`fetchone`, :meth:`fetchall`) sees every write
  committed before the read began, and never an uncommitted one.
- **A row written is read back in the same transaction** with :func:`one` on the write's
  connection.
- Rows are read by column name or by position on both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

# Positional (?) or named (:name) parameters, as sqlite3 takes them.
Params = Sequence[Any] | Mapping[str, Any]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class Row(Protocol):
    """A result row: ``aiosqlite.Row`` or ``asyncpg.Record``, by name or by position."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...


class Conn(Protocol):
    """The connection a write transaction hands out."""

    @property
    def dialect(self) -> Dialect: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...


# Kept for the repositories that name the type of a write's connection.
Connection = Conn


class Backend(Protocol):
    dialect: Dialect
    writes_begun: int

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    def write(self) -> AbstractAsyncContextManager[Conn]: ...

    def write_rows(self) -> AbstractAsyncContextManager[Conn]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def schema_version(self) -> int: ...

    async def hold_alone(self, role: int) -> bool: ...

    def mutex(self, name: str) -> AbstractAsyncContextManager[None]: ...


class Unreachable(Exception):
    """The store cannot be opened (no server, wrong password, no such database, a file
    that cannot be created); the message says which, without the password."""


class Conflict(Exception):
    """A transaction the database aborted to break a deadlock or a serialization conflict
    with another worker's (PostgreSQL); running it again is safe and expected to pass."""


class UnknownDatabase(ValueError):
    """REALFACE_DATABASE names something that is neither a file path nor PostgreSQL."""


def describe(target: str | Path) -> Dialect:
    """Which backend ``target`` selects, or :class:`UnknownDatabase` saying what is taken."""
    text = str(target).strip()
    if text.startswith(POSTGRES_SCHEMES):
        return Dialect.POSTGRESQL
    scheme, sep, _ = text.partition("://")
    if sep and scheme:
        raise UnknownDatabase(
            f"REALFACE_DATABASE={redacted(text)!r}: {scheme!r} is not a database this bot "
            "supports. Give a SQLite file path (data/realface.sqlite3) or a PostgreSQL URL "
            "(postgresql://user:password@host:5432/realface)."
        )
    if text.startswith("sqlite:"):
        raise UnknownDatabase(
            f"REALFACE_DATABASE={text!r}: give the SQLite file as a plain path "
            "(data/realface.sqlite3), not a sqlite: URL."
        )
    return Dialect.SQLITE


def redacted(url: str) -> str:
    """A URL without its password, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


class Database:
    """The store ``target`` names: a SQLite file path (the default) or a PostgreSQL URL."""

    def __init__(self, target: str | Path) -> None:
        self.target = str(target)
        self.dialect = describe(target)
        self._backend: Backend
        if self.dialect is Dialect.POSTGRESQL:
            from storage.postgres import PostgresBackend  # only PostgreSQL needs asyncpg

            self._backend = PostgresBackend(self.target)
        else:
            from storage.sqlite import SqliteBackend

            self._backend = SqliteBackend(Path(target))

    @property
    def writes_begun(self) -> int:
        """Write transactions begun since open (tests, benchmarks)."""
        return self._backend.writes_begun

    @property
    def shown(self) -> str:
        """The target as logs may show it (no password)."""
        return redacted(self.target)

    async def open(self) -> None:
        """Open (and migrate); :class:`Unreachable` when it cannot be."""
        try:
            await self._backend.open()
        except Unreachable:
            raise
        except (OSError, TimeoutError) as exc:
            raise Unreachable(f"{self.shown}: {exc.strerror or exc}") from exc

    async def close(self) -> None:
        await self._backend.close()

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def write(self) -> AbstractAsyncContextManager[Conn]:
        """One write transaction; commits on exit, rolls back on an exception."""
        return self._backend.write()

    def write_rows(self) -> AbstractAsyncContextManager[Conn]:
        """A write transaction that relies on row locks alone, not the one-writer rule:
        for statements each atomic by itself (an upsert, an update of one's own rows), so
        that they never queue behind other writes. On PostgreSQL other such transactions
        and :meth:`write` ones run beside it; on SQLite it is :meth:`write`."""
        return self._backend.write_rows()

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._backend.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._backend.fetchall(sql, params)

    async def schema_version(self) -> int:
        """How many migrations have been applied."""
        return await self._backend.schema_version()

    def mutex(self, name: str) -> AbstractAsyncContextManager[None]:
        """``async with db.mutex(name):`` one holder at a time among every process sharing
        the store (SQLite: this process), for a step that spans several reads, writes and
        calls (a serial provider's check, then its start's intent)."""
        return self._backend.mutex(name)

    async def hold_alone(self, role: int) -> bool:
        """Take ``role`` (a number) for as long as this store is open, unless another
        process sharing the store has it; whether it is this one's now. SQLite's file is
        one process's: always."""
        return await self._backend.hold_alone(role)

    async def user_version(self) -> int:
        return await self.schema_version()


async def one(conn: Conn, sql: str, params: Params = ()) -> Row:
    """A row that must exist, read inside the caller's write transaction."""
    row = await conn.fetchone(sql, params)
    if row is None:
        raise LookupError(f"no row for {sql!r} {params!r}")
    return row


def statements(script: Iterable[str]) -> Iterable[str]:
    for statement in script:
        statement = statement.strip()
        if statement:
            yield statement
