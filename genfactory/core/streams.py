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


class _Heartbeat:
    """When a stream owes its client a ping: ``interval`` seconds after it last sent
    anything. One timer per interval wakes the stream (``wakeup.set``) — not a timeout per
    wait, which with many subscribers and many events is a measurable share of the server's
    CPU (``bench/stream.py``)."""

    def __init__(self, interval: float, wakeup: asyncio.Event) -> None:
        self.loop = asyncio.get_running_loop()
        self.interval = interval
        self.wakeup = wakeup
        self.sent_at = self.loop.time()
        self.timer: asyncio.TimerHandle | None = None

    def sent(self) -> None:
        self.sent_at = self.loop.time()

    def due(self) -> bool:
        return self.loop.time() - self.sent_at >= self.interval

    def arm(self) -> None:
        """Make sure the stream is woken when its next ping is due."""
        due = self.sent_at + self.interval
        if self.timer is None or self.timer.cancelled() or self.timer.when() > due:
            if self.timer is not None:
                self.timer.cancel()
            self.timer = self.loop.call_at(due, self._fire)

    def _fire(self) -> None:
        self.timer = None
        self.wakeup.set()

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


async def _backlog(db: Database, job_id: str, after: int, upto: int | None = None) -> list[Event]:
    async with db.read() as conn:
        return await read_after(conn, job_id, after, BATCH, upto)


async def job_events(
    db: Database, bus: EventBus, job_id: str, after: int, *, heartbeat: float = 15.0
) -> AsyncIterator[Event | Ping | Gone]:
    """Every event of ``job_id`` with ``seq > after``, then live ones, until the job is
    deleted (then :data:`GONE`)."""
    sub = bus.subscribe_job(job_id)
    beat = _Heartbeat(heartbeat, sub.wakeup)
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
                if beat.due():
                    yield PING
                    beat.sent()
                # Every offer (and a deletion) sets the wake-up; so does the heartbeat.
                sub.wakeup.clear()
                beat.arm()
                await sub.wakeup.wait()
                continue
            event = sub.queue.get_nowait()
            if event.seq <= last:
                continue
            if event.seq > last + 1:
                for missing in await _backlog(db, job_id, last, upto=event.seq - 1):
                    yield missing
                    last = missing.seq
            yield event
            beat.sent()
            last = event.seq
    finally:
        beat.stop()
        bus.unsubscribe_job(job_id, sub)


async def global_events(
    db: Database, bus: EventBus, after: int, *, heartbeat: float = 15.0
) -> AsyncIterator[Event | Notice | Ping]:
    """The global stream's events of all jobs with ``id > after``, and notices from now."""
    sub = bus.subscribe_global()
    beat = _Heartbeat(heartbeat, sub.wakeup)
    last = after
    try:
        while True:
            sub.wakeup.clear()
            for notice in sub.take_notices():
                yield notice
                beat.sent()
            async with db.read() as conn:
                batch = await read_global_after(conn, last, BATCH)
            for event in batch:
                yield event
                last = event.id
            if batch:
                beat.sent()
            if len(batch) == BATCH:
                continue
            if beat.due():
                yield PING
                beat.sent()
            beat.arm()
            await sub.wakeup.wait()
    finally:
        beat.stop()
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
