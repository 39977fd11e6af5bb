"""Throwaway PostgreSQL databases for the tests: one per test, copied from a migrated
template (a copy takes a fraction of what migrating does), dropped afterwards."""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Iterator
from typing import Any

from storage.database import Database
from tests.harness import forget_connections, on_outside_loop

# One per test process: runs beside each other (a benchmark, another suite) on one server
# each migrate and copy their own.
TEMPLATE = f"realface_template_{os.getpid()}"
_made: set[str] = set()


def url_for(server: str, name: str) -> str:
    """``server``'s URL with another database name."""
    base, _, _ = server.rpartition("/")
    return f"{base}/{name}"


async def _admin(server: str) -> Any:
    import asyncpg

    return await asyncpg.connect(url_for(server, "postgres"))


async def _template(server: str) -> None:
    """The template, migrated by this run's code (a template left by an earlier run may be
    of other migrations)."""
    conn = await _admin(server)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await conn.close()
    async with Database(url_for(server, TEMPLATE)):
        pass


async def _create(server: str, name: str) -> None:
    conn = await _admin(server)
    try:
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    finally:
        await conn.close()


async def _drop(server: str, name: str) -> None:
    conn = await _admin(server)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


def fresh_database(server: str) -> Iterator[str]:
    if server not in _made:
        on_outside_loop(_template(server))
        _made.add(server)
        atexit.register(lambda: on_outside_loop(_drop(server, TEMPLATE)))
    name = f"t_{uuid.uuid4().hex[:16]}"
    on_outside_loop(_create(server, name))
    url = url_for(server, name)
    try:
        yield url
    finally:
        forget_connections(url)
        on_outside_loop(_drop(server, name))
