"""The database handle: a read path and a serialised write path that publishes the
events a transaction appended only after it committed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from genfactory.domain.events import Event
from genfactory.store import inline_sqlite
from genfactory.store.dialect import is_sqlite, order_event_appends, sqlite_engine_setup
from genfactory.store.tables import job_events

#: PostgreSQL channel notified by every transaction that appends events (see core.fanout).
NOTIFY_CHANNEL = "genfactory_events"

Publisher = Callable[[list[Event]], Awaitable[None]]


@dataclass(frozen=True)
class PendingEvent:
    """An event whose seq is reserved (on its job's row) but which is not inserted yet."""

    job_id: str
    seq: int
    type: str
    created_at: float
    data: dict[str, Any]


#: Not ``sort_by_parameter_order``: SQLAlchemy can only honour that on SQLite by sending one
#: INSERT per row. The rows come back keyed by (job, seq) instead; ids are still assigned
#: in the order of the VALUES list (our events' order), which the global stream relies on.
_INSERT_EVENTS = insert(job_events).returning(
    job_events.c.id, job_events.c.job_id, job_events.c.seq
)


@dataclass
class WriteTx:
    """An open write transaction. Events appended to it are inserted together just before
    the commit (see :meth:`Database.write`) and published after it."""

    conn: AsyncConnection
    pending: list[PendingEvent] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    async def flush_events(self) -> None:
        """Insert the pending events in one statement; their global ids follow."""
        if not self.pending:
            return
        rows = await self.conn.execute(
            _INSERT_EVENTS,
            [
                {
                    "job_id": p.job_id,
                    "seq": p.seq,
                    "type": p.type,
                    "created_at": p.created_at,
                    "data": p.data,
                }
                for p in self.pending
            ],
        )
        ids = {(row.job_id, row.seq): row.id for row in rows}
        self.events.extend(
            Event(p.job_id, p.seq, ids[p.job_id, p.seq], p.type, p.created_at, p.data)
            for p in self.pending
        )
        self.pending.clear()


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = is_sqlite(url)
        self._publisher: Publisher | None = None
        self._write_lock = asyncio.Lock()
        self._inline: AsyncConnection | None = None
        if self.is_sqlite:
            path = url.split(":///", 1)[1] if ":///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Writes run inline on the event loop's thread (see store.inline_sqlite), except
            # those that may take long, which go through aiosqlite's thread (``offload``).
            self.write_engine: AsyncEngine = create_async_engine(
                url, module=inline_sqlite.dbapi(), pool_size=1, max_overflow=0
            )
            self.offload_engine: AsyncEngine = create_async_engine(
                url, pool_size=1, max_overflow=0, connect_args={"timeout": 15}
            )
            self.read_engine: AsyncEngine = create_async_engine(
                url, pool_size=8, max_overflow=8, connect_args={"timeout": 15}
            )
            sqlite_engine_setup(self.write_engine.sync_engine, immediate=True, busy_timeout_ms=0)
            sqlite_engine_setup(self.offload_engine.sync_engine, immediate=True)
            sqlite_engine_setup(self.read_engine.sync_engine, immediate=False)
        else:
            self.write_engine = create_async_engine(
                url, pool_size=10, max_overflow=20, pool_pre_ping=True
            )
            self.offload_engine = self.read_engine = self.write_engine

    def set_publisher(self, publisher: Publisher | None) -> None:
        self._publisher = publisher

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.read_engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self, *, offload: bool = False) -> AsyncIterator[WriteTx]:
        """A write transaction, committed when the block ends without error.

        On SQLite writes are serialised in-process (concurrent requests queue here instead
        of failing with "database is locked") and begin IMMEDIATE; they run on the event
        loop's thread unless ``offload`` (for transactions that may take long: they run on
        a driver thread, so the server keeps answering meanwhile). On PostgreSQL the
        event-order lock is taken before the commit. Appended events are published after
        the commit.
        """
        engine = self.offload_engine if offload else self.write_engine
        async with AsyncExitStack() as stack:
            if self.is_sqlite:
                await stack.enter_async_context(self._write_lock)
            if self.is_sqlite and not offload:
                conn = await self._inline_connection()
            else:
                conn = await stack.enter_async_context(engine.connect())
            await stack.enter_async_context(conn.begin())
            tx = WriteTx(conn)
            yield tx
            if tx.pending:
                if not self.is_sqlite:
                    # Held only from here to the commit: ids are assigned and committed
                    # in the same order, and row locks were all taken before it.
                    # The commit also notifies other nodes (core.fanout) of new events.
                    await order_event_appends(conn, notify=NOTIFY_CHANNEL)
                await tx.flush_events()
        await self.publish(tx.events)

    async def _inline_connection(self) -> AsyncConnection:
        """The one connection of SQLite's inline write path, kept open across
        transactions (they are serialised by the write lock anyway): checking a connection
        out of the pool and returning it cost as much as the transaction's statements."""
        conn = self._inline
        if conn is not None and not (conn.closed or conn.invalidated):
            raw = (await conn.get_raw_connection()).driver_connection
            if not conn.in_transaction() and raw is not None and not raw.in_transaction:
                return conn
            # A transaction left open (its rollback failed): start over on a new one.
            await conn.invalidate()
        if conn is not None:
            await conn.close()
        conn = self._inline = await self.write_engine.connect()
        return conn

    async def publish(self, events: list[Event]) -> None:
        if events and self._publisher is not None:
            await self._publisher(events)

    async def ping(self) -> bool:
        try:
            async with self.read() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        if self._inline is not None:
            await self._inline.close()
            self._inline = None
        for engine in {self.write_engine, self.offload_engine, self.read_engine}:
            await engine.dispose()
