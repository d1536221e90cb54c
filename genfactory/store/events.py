"""The append-only event log: append inside a write transaction, read after a cursor."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.domain.errors import NotFound
from genfactory.domain.events import GLOBAL_TYPES, Event, EventType
from genfactory.store.engine import PendingEvent, WriteTx
from genfactory.store.tables import job_events, jobs

_COLUMNS = (
    job_events.c.job_id,
    job_events.c.seq,
    job_events.c.id,
    job_events.c.type,
    job_events.c.created_at,
    job_events.c.data,
)
_GLOBAL_TYPE_VALUES = tuple(sorted(t.value for t in GLOBAL_TYPES))


_NEXT_SEQ = (
    update(jobs)
    .where(jobs.c.id == bindparam("job_id"))
    .values(last_seq=jobs.c.last_seq + 1, updated_at=bindparam("now"))
    .returning(jobs.c.last_seq)
)


def _event(row: Row[Any, Any, Any, Any, Any, Any]) -> Event:
    return Event(row.job_id, row.seq, row.id, row.type, row.created_at, row.data)


async def append_event(
    tx: WriteTx, job_id: str, type_: EventType, data: dict[str, Any], *, now: float | None = None
) -> int:
    """Give the event the job's next seq (returned); it is stored at the end of the
    transaction and published after the commit."""
    now = time.time() if now is None else now
    seq = (await tx.conn.execute(_NEXT_SEQ, {"job_id": job_id, "now": now})).scalar_one_or_none()
    if seq is None:
        raise NotFound(f"job {job_id} does not exist")
    await insert_events(tx, job_id, seq, [(type_, data)], now=now)
    return int(seq)


async def insert_events(
    tx: WriteTx,
    job_id: str,
    first_seq: int,
    events: list[tuple[EventType, dict[str, Any]]],
    *,
    now: float,
) -> None:
    """Queue events whose seqs the caller already reserved (it holds the job row and wrote
    ``last_seq`` itself); :meth:`WriteTx.flush_events` stores them before the commit."""
    tx.pending.extend(
        PendingEvent(job_id, first_seq + offset, type_.value, now, data)
        for offset, (type_, data) in enumerate(events)
    )


async def read_after(
    conn: AsyncConnection, job_id: str, after: int, limit: int = 1000, upto: int | None = None
) -> list[Event]:
    """The job's events with ``after < seq [<= upto]``, in order."""
    query = select(*_COLUMNS).where(job_events.c.job_id == job_id, job_events.c.seq > after)
    if upto is not None:
        query = query.where(job_events.c.seq <= upto)
    rows = await conn.execute(query.order_by(job_events.c.seq).limit(limit))
    return [_event(r) for r in rows]


async def read_global_after(conn: AsyncConnection, after: int, limit: int = 1000) -> list[Event]:
    """The global stream's events (:data:`GLOBAL_TYPES`) of all jobs with ``id > after``."""
    rows = await conn.execute(
        select(*_COLUMNS)
        .where(job_events.c.id > after, job_events.c.type.in_(_GLOBAL_TYPE_VALUES))
        .order_by(job_events.c.id)
        .limit(limit)
    )
    return [_event(r) for r in rows]


async def read_all_after(conn: AsyncConnection, after: int, limit: int = 1000) -> list[Event]:
    """Every event of every job with ``id > after`` (for tailing the log across processes)."""
    rows = await conn.execute(
        select(*_COLUMNS).where(job_events.c.id > after).order_by(job_events.c.id).limit(limit)
    )
    return [_event(r) for r in rows]


async def highest_event_id_ever(conn: AsyncConnection) -> int:
    """The largest event id ever handed out, deleted events included: no client can hold a
    larger cursor from this database (ids are never reused: SQLite's ``sqlite_sequence``,
    PostgreSQL's sequence). ``max(id)`` is smaller once the newest jobs were deleted."""
    if conn.dialect.name == "postgresql":
        query = text(
            "SELECT coalesce(pg_sequence_last_value("
            "pg_get_serial_sequence('job_events', 'id')::regclass), 0)"
        )
    else:
        query = text("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'job_events'")
    ever = int((await conn.execute(query)).scalar_one())
    return max(ever, await last_global_id(conn))


async def last_global_id(conn: AsyncConnection) -> int:
    """The newest event id: a cursor meaning "from now" on the global stream (any id is a
    valid cursor; reading max(id) uses the primary key)."""
    return int(
        (await conn.execute(select(func.coalesce(func.max(job_events.c.id), 0)))).scalar_one()
    )
