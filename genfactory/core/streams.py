"""Exact-resume streams: everything after a cursor, exactly once, in order.

A per-job stream subscribes to the bus *before* reading the backlog from the log, then
serves live events from the bus, skipping anything at or below its cursor and filling
any gap (out-of-order publish, overflow) from the log. The global stream is woken by the
bus and always reads the log in ``id`` order: ids are committed in increasing order
(SQLite writes are serial; PostgreSQL appends take an ordering lock), so reading after
the last id seen never skips an event. Notices (jobs deleted: not in the log) reach a
global stream from the bus before its next read of the log; a per-job stream whose job is
deleted yields :data:`GONE` and ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from genfactory.core.bus import EventBus
from genfactory.domain.events import Event, Notice
from genfactory.store.engine import Database
from genfactory.store.events import read_after, read_global_after

BATCH = 500


@dataclass(frozen=True)
class Ping:
    """Nothing happened for a heartbeat interval."""


PING = Ping()


@dataclass(frozen=True)
class Gone:
    """The job was deleted while the stream followed it: nothing more will come."""


GONE = Gone()


async def _backlog(db: Database, job_id: str, after: int, upto: int | None = None) -> list[Event]:
    async with db.read() as conn:
        return await read_after(conn, job_id, after, BATCH, upto)


async def job_events(
    db: Database, bus: EventBus, job_id: str, after: int, *, heartbeat: float = 15.0
) -> AsyncIterator[Event | Ping | Gone]:
    """Every event of ``job_id`` with ``seq > after``, then live ones, until the job is
    deleted (then :data:`GONE`)."""
    sub = bus.subscribe_job(job_id)
    last = after
    try:
        while True:
            batch = await _backlog(db, job_id, last)
            for event in batch:
                yield event
                last = event.seq
            if len(batch) < BATCH:
                break
        while True:
            if sub.gone:
                yield GONE
                return
            if sub.overflowed:
                sub.overflowed = False
                sub.drain()
                while True:
                    batch = await _backlog(db, job_id, last)
                    for event in batch:
                        yield event
                        last = event.seq
                    if len(batch) < BATCH:
                        break
                continue
            if sub.queue.empty():
                # Arm the heartbeat timer only when idle: with many subscribers a timer
                # per event per subscriber is a measurable share of the server's CPU.
                # Every offer (and a deletion) sets the wake-up.
                sub.wakeup.clear()
                try:
                    async with asyncio.timeout(heartbeat):
                        await sub.wakeup.wait()
                except TimeoutError:
                    yield PING
                continue
            event = sub.queue.get_nowait()
            if event.seq <= last:
                continue
            if event.seq > last + 1:
                for missing in await _backlog(db, job_id, last, upto=event.seq - 1):
                    yield missing
                    last = missing.seq
            yield event
            last = event.seq
    finally:
        bus.unsubscribe_job(job_id, sub)


async def global_events(
    db: Database, bus: EventBus, after: int, *, heartbeat: float = 15.0
) -> AsyncIterator[Event | Notice | Ping]:
    """The global stream's events of all jobs with ``id > after``, and notices from now."""
    sub = bus.subscribe_global()
    last = after
    try:
        while True:
            sub.wakeup.clear()
            for notice in sub.take_notices():
                yield notice
            async with db.read() as conn:
                batch = await read_global_after(conn, last, BATCH)
            for event in batch:
                yield event
                last = event.id
            if len(batch) == BATCH:
                continue
            try:
                async with asyncio.timeout(heartbeat):
                    await sub.wakeup.wait()
            except TimeoutError:
                yield PING
    finally:
        bus.unsubscribe_global(sub)


async def wait_for_job_events(
    db: Database, bus: EventBus, job_id: str, after: int, hold: float, limit: int
) -> list[Event]:
    """Long-poll: the events after ``after``, waiting up to ``timeout`` for the first."""
    sub = bus.subscribe_job(job_id, maxsize=1)
    try:
        async with db.read() as conn:
            events = await read_after(conn, job_id, after, limit)
        if events or hold <= 0:
            return events
        try:
            async with asyncio.timeout(hold):
                await sub.wakeup.wait()
        except TimeoutError:
            return []
        async with db.read() as conn:
            return await read_after(conn, job_id, after, limit)
    finally:
        bus.unsubscribe_job(job_id, sub)


async def wait_for_global_events(
    db: Database, bus: EventBus, after: int, hold: float, limit: int
) -> list[Event]:
    sub = bus.subscribe_global()
    try:
        async with db.read() as conn:
            events = await read_global_after(conn, after, limit)
        if events or hold <= 0:
            return events
        try:
            async with asyncio.timeout(hold):
                await sub.wakeup.wait()
        except TimeoutError:
            return []
        async with db.read() as conn:
            return await read_global_after(conn, after, limit)
    finally:
        bus.unsubscribe_global(sub)
