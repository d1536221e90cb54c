"""Test databases: a SQLite file per server, a fresh PostgreSQL database per test run."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import pytest

PG_HOST = os.environ.get("GENFACTORY_TEST_PG_HOST", "127.0.0.1")
PG_ADMIN_DSN = os.environ.get(
    "GENFACTORY_TEST_PG_DSN", f"postgresql://postgres@{PG_HOST}:5432/test"
)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_available() -> str | None:
    """None if the server answers, else why not."""
    try:
        asyncio.run(_admin("SELECT 1"))
        return None
    except Exception as exc:  # any connection failure
        return f"{type(exc).__name__}: {exc}"


def create_database() -> tuple[str, str]:
    """A new empty database; returns (name, SQLAlchemy URL)."""
    name = f"gf_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return name, f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}"


def drop_database(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def own_database(backend: str) -> Iterator[str | None]:
    """A database for one server of its own: None for SQLite (the server's data folder
    holds its file), a fresh PostgreSQL database (dropped afterwards) for ``postgres``.
    Unreachable PostgreSQL fails the test under ``CI=true`` and skips it elsewhere."""
    if backend != "postgres":
        yield None
        return
    why = postgres_available()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {why}")
        pytest.skip(f"PostgreSQL unreachable: {why}")
    name, url = create_database()
    try:
        yield url
    finally:
        drop_database(name)
