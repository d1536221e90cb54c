"""Test databases: a SQLite file per server, a fresh PostgreSQL database per test run."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg

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
