"""Streams ping their client only after a heartbeat interval without anything to send —
never between events that keep coming — on the per-job and the global stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from genfactory.core.service import JobService, JobSpec
from genfactory.core.streams import PING, global_events, job_events
from genfactory.domain.events import EventType
from genfactory.store.events import append_event


async def _collect(stream: AsyncIterator[Any], seconds: float) -> list[tuple[float, Any]]:
    started = time.monotonic()
    items: list[tuple[float, Any]] = []

    async def read() -> None:
        async for item in stream:
            items.append((time.monotonic() - started, item))

    task = asyncio.create_task(read())
    await asyncio.sleep(seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return items


async def _log_every(service: JobService, job_id: str, interval: float, count: int) -> None:
    """Events the per-job and the global stream both carry (``label`` is global)."""
    for n in range(count):
        await asyncio.sleep(interval)
        async with service.db.write() as tx:
            await append_event(tx, job_id, EventType.LABEL, {"label": str(n), "previous": None})


async def test_an_idle_job_stream_pings_once_per_interval(service: JobService) -> None:
    job = await service.submit(JobSpec(prompt="idle"))
    items = await _collect(
        job_events(service.db, service.bus, job.id, job.last_seq, heartbeat=0.2), 0.7
    )
    pings = [at for at, item in items if item is PING]
    assert 2 <= len(pings) <= 4, pings
    assert pings[0] >= 0.19


async def test_no_ping_while_events_keep_coming(service: JobService) -> None:
    job = await service.submit(JobSpec(prompt="busy"))
    stream = job_events(service.db, service.bus, job.id, job.last_seq, heartbeat=0.5)
    feeder = asyncio.create_task(_log_every(service, job.id, 0.05, 30))
    items = await _collect(stream, 1.4)
    await feeder
    assert [item for _, item in items if item is PING] == []
    assert len([item for _, item in items if item is not PING]) >= 20


async def test_the_global_stream_pings_when_idle_and_not_while_busy(service: JobService) -> None:
    job = await service.submit(JobSpec(prompt="global"))
    async with service.db.read() as conn:
        from genfactory.store.events import last_global_id

        after = await last_global_id(conn)
    idle = await _collect(global_events(service.db, service.bus, after, heartbeat=0.2), 0.5)
    assert 1 <= len([item for _, item in idle if item is PING]) <= 3
    feeder = asyncio.create_task(_log_every(service, job.id, 0.05, 30))
    busy = await _collect(global_events(service.db, service.bus, after, heartbeat=0.5), 1.4)
    await feeder
    assert [item for _, item in busy if item is PING] == []
