"""One page of the job list and its total, answered by indexes (``search`` builds the
queries, ``stats`` counts).

How a page is found depends on how many jobs match. When many do, the query walks the sort
index and skips the few that do not; when few do, it collects them and sorts them — and
then counts them in the same pass (``count(*) OVER ()``), so the rows are read once.
PostgreSQL's planner makes the first choice itself from its statistics; SQLite, which
has none unless ``ANALYZE`` ran, is steered (:class:`~genfactory.store.search.Steering`)
by the counts below, which are cheap there: ``job_counts`` for the plain filters, the FTS
doclists for the search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.store.jobs import JobRecord
from genfactory.store.search import (
    JobFilter,
    PageRequest,
    Steering,
    count_search_only,
    estimated_job_count,
    jobs_by_id,
    page_query,
    walk_sort_index,
)
from genfactory.store.stats import count_jobs


@dataclass(frozen=True)
class JobList:
    jobs: list[JobRecord]
    total: int


async def list_jobs(conn: AsyncConnection, f: JobFilter, page: PageRequest) -> JobList:
    """The jobs ``f`` matches, sorted, ``page.limit`` of them from ``page.offset``, and how
    many match in all. A page past the end is empty (the total is still exact)."""
    if conn.dialect.name != "sqlite":
        total = await count_jobs(conn, f)
        return await _page(conn, f, page, total, None)
    wanted = page.offset + page.limit
    if f.search is None or f.search_only:
        total = await count_jobs(conn, f)
        all_jobs = await estimated_job_count(conn) if not f.is_empty else total
        walk = walk_sort_index(total, all_jobs, wanted)
        return await _page(conn, f, page, total, Steering(walk=walk))
    searched = await count_search_only(conn, f.search)
    filtered = await count_jobs(conn, f.without_search())
    all_jobs = max(await estimated_job_count(conn), 1)
    expected = searched * filtered // all_jobs  # as if the two were independent
    by_search = searched <= filtered
    if walk_sort_index(expected, all_jobs, wanted):
        steering = Steering(walk=False, by_search=by_search)
        total = sum(await _count_steered(conn, f, steering))
        return await _page(conn, f, page, total, Steering(walk=True, by_search=by_search))
    return await _page_and_count(conn, f, page, Steering(walk=False, by_search=by_search))


async def _page(
    conn: AsyncConnection, f: JobFilter, page: PageRequest, total: int, steering: Steering | None
) -> JobList:
    if total == 0 or page.offset >= total:
        return JobList([], total)
    ids = list((await conn.execute(page_query(conn, f, page, steering))).scalars())
    return JobList(await jobs_by_id(conn, ids), total)


async def _page_and_count(
    conn: AsyncConnection, f: JobFilter, page: PageRequest, steering: Steering
) -> JobList:
    query = page_query(conn, f, page, steering).add_columns(func.count().over().label("total"))
    rows = (await conn.execute(query)).all()
    if rows:
        return JobList(await jobs_by_id(conn, [r.id for r in rows]), int(rows[0].total))
    total = sum(await _count_steered(conn, f, steering)) if page.offset else 0
    return JobList([], total)


async def _count_steered(conn: AsyncConnection, f: JobFilter, steering: Steering) -> list[int]:
    from sqlalchemy import select

    from genfactory.store.search import filter_conditions
    from genfactory.store.tables import jobs

    query: Any = (
        select(func.count()).select_from(jobs).where(*filter_conditions(conn, f, steering=steering))
    )
    return [int((await conn.execute(query)).scalar_one())]
