"""Everything that differs between SQLite and PostgreSQL, in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection

#: Key of the PostgreSQL advisory lock that orders event appends globally, so the global
#: stream's ids become visible in increasing order (a reader never skips a late commit).
_EVENT_ORDER_LOCK = 0x6E6661637479


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_engine_setup(
    sync_engine: Engine, *, immediate: bool, busy_timeout_ms: int = 15000
) -> None:
    """Pragmas for every SQLite connection; writers begin IMMEDIATE so a read-then-write
    transaction never fails half-way with SQLITE_BUSY (another process may share the file)."""

    @event.listens_for(sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


async def order_event_appends(conn: AsyncConnection, *, notify: str) -> None:
    """Serialise transactions that append events (PostgreSQL only; SQLite writes are
    serialised already), and have the commit notify channel ``notify`` — one round trip
    for both (``pg_notify`` is delivered at commit wherever in the transaction it is
    called)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(:k), pg_notify(:channel, '')"),
            {"k": _EVENT_ORDER_LOCK, "channel": notify},
        )


#: Key of the PostgreSQL advisory lock that makes claims under a concurrency cap take turns.
_CAPPED_CLAIM_LOCK = 0x6E66_6361_7073


async def serialize_capped_claims(conn: AsyncConnection) -> None:
    """Make claims that count running jobs against a cap take turns until commit, so two
    workers cannot both see "1 of 1 free" and both start a job (PostgreSQL: claims run
    side by side; SQLite write transactions take turns already). Each claim's count then
    runs after the previous claim committed (a statement sees what committed before it
    began, at READ COMMITTED)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CAPPED_CLAIM_LOCK})


def skip_locked(conn: AsyncConnection) -> bool:
    """Whether claiming a queue row can skip rows other workers hold (PostgreSQL)."""
    return conn.dialect.name == "postgresql"
