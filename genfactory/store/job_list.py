"""One page of the job list and its total, answered by indexes (``search`` builds the
queries, ``stats`` counts).

How a page is found depends on how many jobs match. When many do, the query walks the sort
index and skips the few that do not; when few do, it collects them and sorts them — and
then counts them in the same pass (``count(*) OVER ()``), so the rows are read once.
For a search combined with other filters the choice is made here, from cheap counts: the
filters' from ``job_counts``, the search's from the full-text index's doclists (SQLite) or
``search_words`` (PostgreSQL). SQLite, whose planner has no statistics unless ``ANALYZE``
ran, is also told which index to start from (:class:`~genfactory.store.search.Steering`);
PostgreSQL's planner chooses the indexes itself, and alone decides for the other filters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.store.jobs import JobRecord
from genfactory.store.search import (
    JobFilter,
    PageRequest,
    SearchQuery,
    SortKey,
    Steering,
    count_search_only,
    estimated_job_count,
    filter_conditions,
    jobs_by_id,
    page_query,
    walk_sort_index,
    with_whole_words,
)
from genfactory.store.stats import count_jobs, search_steering
from genfactory.store.tables import jobs


@dataclass(frozen=True)
class JobList:
    jobs: list[JobRecord]
    total: int


async def list_jobs(
    conn: AsyncConnection, f: JobFilter, page: PageRequest, as_of: float | None = None
) -> JobList:
    """The jobs ``f`` matches, sorted, ``page.limit`` of them from ``page.offset``, and how
    many match in all. A page past the end is empty (the total is still exact).

    ``as_of``: only the jobs created at or before that moment — the list as it was when
    first read, so that its pages do not shift while new jobs arrive (they would push every
    row one place down: a row seen again on the next page)."""
    if as_of is not None:
        f = await pinned(conn, f, as_of)
    return await with_whole_words(conn, f, lambda g: _list_jobs(conn, g, page))


async def pinned(conn: AsyncConnection, f: JobFilter, as_of: float) -> JobFilter:
    """``f`` limited to the jobs created at or before ``as_of`` — or ``f`` itself when no job
    was created after it (the usual case for a list read now: one step into the date index),
    so that the list keeps the counts and plans of a filter without a date range."""
    newer = await conn.execute(select(jobs.c.id).where(jobs.c.created_at > as_of).limit(1))
    if newer.first() is None:
        return f
    return f.created_until(as_of)


async def _list_jobs(conn: AsyncConnection, f: JobFilter, page: PageRequest) -> JobList:
    sqlite = conn.dialect.name == "sqlite"
    wanted = page.offset + page.limit
    if f.search is None or f.search_only:
        total = await count_jobs(conn, f)
        if not sqlite:
            return await _page(conn, f, page, total, None)
        all_jobs = await estimated_job_count(conn) if not f.is_empty else total
        walk = walk_sort_index(total, all_jobs, wanted, covered=f.search is not None)
        if walk and f.search is not None and page.sort is SortKey.CREATED:
            found = await _page_in_window(conn, f, page, total, all_jobs)
            if found is not None:
                return found
        return await _page(conn, f, page, total, Steering(walk=walk))
    searched = await _search_size(conn, f.search)
    if searched is None:
        return await _page(conn, f, page, await count_jobs(conn, f), None)
    filtered = await count_jobs(conn, f.without_search())
    all_jobs = max(await estimated_job_count(conn), 1)
    expected = searched * filtered // all_jobs  # as if the two were independent
    steering = await search_steering(conn, f, searched, filtered)
    if walk_sort_index(expected, all_jobs, wanted):
        if steering is None:
            return await _page(conn, f, page, await count_jobs(conn, f), None)
        total = await _count(conn, f, steering)
        return await _page(conn, f, page, total, replace(steering, walk=True))
    # Few match: collect and sort them, and count them in the same pass.
    return await _page_and_count(conn, f, page, steering)


#: How many times the entries a walk is expected to read the window spans (the matches are
#: not evenly spread: a word can be in fashion this week).
WINDOW_MARGIN = 4


async def _page_in_window(
    conn: AsyncConnection, f: JobFilter, page: PageRequest, total: int, all_jobs: int
) -> JobList | None:
    """SQLite, a search alone by date: the page from the newest (oldest) jobs only.

    Walking the date index skips non-matches by looking each rowid up among the full-text
    matches — all of them, gathered first (100,000 for a word in 10 % of a million jobs,
    ~15 ms). The page lies among the jobs created last, so the walk is confined to a window
    of them (:data:`WINDOW_MARGIN` times the entries it is expected to read, found in the
    date index: every job on or after the window's first date) and gathers only the matches
    whose rowids lie in the window's span. The window is a prefix of the order, so if it
    holds the whole page that is the page; if not, None (walk everything). Rowids follow
    creation, so the span is usually the window itself; when they do not, the result is
    the same, only slower. Worth it only for common words: the window's entries are read
    twice (its edge, its span), so it must be under half the matches."""
    size = WINDOW_MARGIN * (page.offset + page.limit) * all_jobs // max(total, 1)
    if 2 * size >= min(total, all_jobs):
        return None  # reading the window twice costs more than gathering every match
    created = jobs.c.created_at
    edge = (
        await conn.execute(
            select(created)
            .order_by(created.desc() if page.descending else created.asc())
            .limit(1)
            .offset(size)
        )
    ).scalar()
    if edge is None:
        return None
    inside = created >= edge if page.descending else created <= edge
    rowid: ColumnElement[int] = literal_column("jobs.rowid")
    low, high = (await conn.execute(select(func.min(rowid), func.max(rowid)).where(inside))).one()
    window = f.with_range(edge, None) if page.descending else f.with_range(None, _after(edge))
    steering = Steering(walk=True, rowids=(int(low), int(high)))
    ids = list((await conn.execute(page_query(conn, window, page, steering))).scalars())
    if len(ids) < page.limit:
        return None
    return JobList(await jobs_by_id(conn, ids), total)


def _after(moment: float) -> float:
    """The next representable time: ``created_at < _after(t)`` means ``created_at <= t``."""
    return math.nextafter(moment, math.inf)


async def _search_size(conn: AsyncConnection, query: SearchQuery) -> int | None:
    """How many jobs the search alone matches, or more (never fewer): exact on SQLite (the
    full-text index's doclists) and for one word on PostgreSQL (``search_words``); for
    several, the jobs having the last one. None when PostgreSQL has no such number cheaply
    (the query runs as typed)."""
    if conn.dialect.name == "sqlite" or (query.last_words is not None and len(query.words) == 1):
        return await count_search_only(conn, query)
    if query.last_words is None:
        return None
    return sum(jobs for _word, jobs in query.last_words)


async def _page(
    conn: AsyncConnection, f: JobFilter, page: PageRequest, total: int, steering: Steering | None
) -> JobList:
    if total == 0 or page.offset >= total:
        return JobList([], total)
    ids = list((await conn.execute(page_query(conn, f, page, steering))).scalars())
    return JobList(await jobs_by_id(conn, ids), total)


async def _page_and_count(
    conn: AsyncConnection, f: JobFilter, page: PageRequest, steering: Steering | None
) -> JobList:
    query = page_query(conn, f, page, steering).add_columns(func.count().over().label("total"))
    rows = (await conn.execute(query)).all()
    if rows:
        return JobList(await jobs_by_id(conn, [r.id for r in rows]), int(rows[0].total))
    total = await _count(conn, f, steering) if page.offset else 0
    return JobList([], total)


async def _count(conn: AsyncConnection, f: JobFilter, steering: Steering | None) -> int:
    """How many jobs ``f`` matches, counted from the rows the way ``steering`` says."""
    query = (
        select(func.count()).select_from(jobs).where(*filter_conditions(conn, f, steering=steering))
    )
    return int((await conn.execute(query)).scalar_one())
