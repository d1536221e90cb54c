"""Event ids are the global stream's cursor: they only ever grow, also after the jobs that
held the newest events were deleted (SQLite reused them before migration 0007)."""

from __future__ import annotations

from sqlalchemy import func, select

from genfactory.core.management import JobManager
from genfactory.core.service import JobService, JobSpec
from genfactory.store.events import read_global_after
from genfactory.store.tables import job_events


async def _max_event_id(service: JobService) -> int:
    async with service.db.read() as conn:
        return int((await conn.execute(select(func.max(job_events.c.id)))).scalar_one() or 0)


async def test_ids_are_not_reused_after_the_newest_events_are_deleted(
    service: JobService,
) -> None:
    await service.submit(JobSpec(prompt="kept"))
    newest = await service.submit(JobSpec(prompt="deleted"))
    high_water = await _max_event_id(service)
    outcome = await JobManager(service).delete([newest.id])
    assert outcome.deleted == [newest.id]
    assert await _max_event_id(service) < high_water  # its events went with it

    later = await service.submit(JobSpec(prompt="submitted after the delete"))
    async with service.db.read() as conn:
        seen = await read_global_after(conn, high_water)
    # A client that had read up to high_water sees the new job's first event.
    assert [(e.job_id, e.seq) for e in seen] == [(later.id, 1)]
    assert seen[0].id > high_water
