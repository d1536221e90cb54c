"""Commands of the job-management page: rename, bulk delete, bulk rerun, image review.

Like :class:`~genfactory.core.service.JobService` (whose rules these follow): every write
goes through ``db.write()`` so the events it appends are published after the commit, and
no command here changes a job's status.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.core.fanout import send_notice
from genfactory.core.service import InvalidRequest, JobService
from genfactory.domain.errors import Conflict
from genfactory.domain.events import Notice
from genfactory.domain.statuses import JobStatus
from genfactory.store import jobs as job_store
from genfactory.store.job_edits import (
    ReviewedImage,
    StoredFile,
    delete_jobs,
    rename_job,
    review_image,
    unreferenced,
)
from genfactory.store.jobs import JobRecord
from genfactory.store.search import (
    JobFilter,
    filter_conditions,
    jobs_by_id,
    resolve_whole_words,
)
from genfactory.store.stats import count_jobs
from genfactory.store.tables import jobs

log = logging.getLogger(__name__)

#: The most jobs one bulk delete or rerun may take (the page offers "select all N matching";
#: beyond this, narrow the filter). Exports have no limit.
MAX_BULK = 10_000
#: Reruns created in one write transaction (a tracked rerun reports progress between them).
RERUN_CHUNK = 100


@dataclass(frozen=True)
class Resolved:
    """The jobs a selection names, in the order they will be acted on."""

    ids: list[str]


async def resolve_selection(
    conn: AsyncConnection,
    *,
    ids: Sequence[str] | None,
    selection: JobFilter | None,
    expected_count: int | None,
    require_expected: bool,
) -> Resolved:
    """The ids of a bulk request: the given ones (in the given order), or every job the
    filter matches (oldest first). With a filter, ``expected_count`` guards against acting
    on more (or other) jobs than the person saw."""
    if ids is not None:
        return Resolved(list(dict.fromkeys(ids)))
    assert selection is not None
    # One resolution of the search for the count and the ids (PostgreSQL: whole words).
    selection = await resolve_whole_words(conn, selection)
    matched = await count_jobs(conn, selection)
    if require_expected and expected_count is None:
        raise InvalidRequest(
            "expected_count",
            f"With a filter, say how many jobs you expect it to match (it matches {matched}).",
        )
    if expected_count is not None and expected_count != matched:
        raise Conflict(
            f"The filter now matches {matched} job{'s' if matched != 1 else ''}, not "
            f"{expected_count}; look again and confirm."
        )
    if matched > MAX_BULK:
        raise InvalidRequest(
            "filter",
            f"The filter matches {matched} jobs; at most {MAX_BULK} can be acted on at once. "
            "Narrow the filter.",
        )
    rows = await conn.execute(
        select(jobs.c.id)
        .where(*filter_conditions(conn, selection))
        .order_by(jobs.c.created_at, jobs.c.id)
        .limit(MAX_BULK)
    )
    return Resolved([r.id for r in rows])


@dataclass(frozen=True)
class DeleteOutcome:
    deleted: list[str]
    held: list[tuple[str, str]]
    missing: list[str]
    files_removed: int


@dataclass(frozen=True)
class Rerun:
    source_id: str
    job: JobRecord
    queue_position: int | None


class JobManager:
    """The management commands, on top of the core's :class:`JobService`."""

    def __init__(self, service: JobService) -> None:
        self.service = service
        self.db = service.db

    async def rename(self, job_id: str, label: str) -> JobRecord:
        async with self.db.write() as tx:
            return await rename_job(tx, job_id, label)

    async def review_image(self, image_id: str, status: str, reason: str | None) -> ReviewedImage:
        async with self.db.write() as tx:
            return await review_image(tx, image_id, status, reason)

    async def delete(self, job_ids: Sequence[str]) -> DeleteOutcome:
        """Delete the jobs in one transaction, then the image files nothing else uses.

        Jobs a worker holds (running, uploading) are not deleted — deleting them under a
        worker would leave it writing into a job that no longer exists; cancel them first.
        Files are content-addressed and shared (a rerun with the same seed produces the
        same bytes), so a file goes only when no remaining image row names it.

        Live views learn of it from a ``jobs_deleted`` notice (global streams) and the end
        of the deleted jobs' own streams, here and, on PostgreSQL, in every other process.
        """
        # Many jobs at once may take a while: off the event loop's thread (SQLite).
        async with self.db.write(offload=True) as tx:
            deletion = await delete_jobs(tx, job_ids)
            notice = Notice.jobs_deleted(deletion.deleted, now=time.time())
            if deletion.deleted:
                await send_notice(tx, self.db, notice)  # other processes, at the commit
        if deletion.deleted:
            # The deleted jobs' events went with them: a notice tells every live view here.
            self.service.bus.publish_notice(notice)
        removed = 0
        if deletion.files:
            async with self.db.read() as conn:
                orphans = await unreferenced(conn, deletion.files)
            removed = await asyncio.to_thread(self._remove_files, orphans)
        return DeleteOutcome(deletion.deleted, deletion.held, deletion.missing, removed)

    def _remove_files(self, files: list[StoredFile]) -> int:
        removed = 0
        for stored in files:
            path = self.service.blobs.path(stored.sha256, stored.format)
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
            except OSError as exc:  # keep going: an orphan file is harmless
                log.warning("could not remove %s: %s", path, exc)
        return removed

    async def rerun(self, job_ids: Sequence[str]) -> tuple[list[Rerun], list[str]]:
        """New jobs from these jobs' snapshots (as :meth:`JobService.rerun`), created in the
        given order with increasing ``created_at`` — workers claim the oldest queued job
        first, so they run in this order. One transaction for all of them (callers pass
        at most :data:`RERUN_CHUNK`). Returns the reruns and the ids not found."""
        async with self.db.read() as conn:
            sources = await jobs_by_id(conn, job_ids)
        found = {s.id for s in sources}
        missing = [i for i in job_ids if i not in found]
        if not sources:
            return [], missing
        created: list[tuple[str, JobRecord]] = []
        settings = self.service.settings
        async with self.db.write(offload=True) as tx:
            moment = time.time()
            for source in sources:
                params = dict(source.params)
                if "faults" in params and not settings.faults_allowed:
                    params.pop("faults")
                job = await job_store.create_job(
                    tx,
                    prompt=source.prompt,
                    provider=source.provider,
                    params=params,
                    label=source.label,
                    max_attempts=settings.max_attempts,
                    configuration=(
                        (
                            source.configuration_id,
                            source.configuration_name or "",
                            source.configuration_version or 1,
                        )
                        if source.configuration_id
                        else None
                    ),
                    rerun_of=source.id,
                    reason=f"rerun of job {source.id[:8]}",
                    now=moment,
                )
                created.append((source.id, job))
                moment = max(time.time(), moment + 1e-6)
        async with self.db.read() as conn:
            positions = await _queue_positions(conn, [job for _, job in created])
        reruns = [Rerun(source_id, job, positions.get(job.id)) for source_id, job in created]
        return reruns, missing


async def _queue_positions(conn: AsyncConnection, created: list[JobRecord]) -> dict[str, int]:
    """Where each new job stands in the queue now (jobs already claimed are left out):
    the queued jobs older than the first, plus the new ones still queued before it."""
    first = created[0]
    ahead = (
        await conn.execute(
            select(func.count())
            .select_from(jobs)
            .where(
                jobs.c.status == JobStatus.QUEUED.value,
                tuple_(jobs.c.created_at, jobs.c.id) < tuple_(first.created_at, first.id),
            )
        )
    ).scalar_one()
    queued: set[str] = set()
    ids = [j.id for j in created]
    for start in range(0, len(ids), 500):
        rows = await conn.execute(
            select(jobs.c.id).where(
                jobs.c.id.in_(ids[start : start + 500]), jobs.c.status == JobStatus.QUEUED.value
            )
        )
        queued.update(r.id for r in rows)
    positions: dict[str, int] = {}
    place = int(ahead)
    for job in created:
        if job.id in queued:
            place += 1
            positions[job.id] = place
    return positions
