"""Counting jobs for a filter: totals of the list, statistics, trends, queue status.

Without a search, counts come from tables kept in step with ``jobs`` by triggers:
``job_totals`` (per status and configuration) when there is no date range, else
``job_counts`` (per UTC day, status and configuration): whole days are summed from it, and
only the part of a date range that cuts through a day is counted from ``jobs`` through an
index. A search alone is counted in the full-text index (SQLite) or, for one word, from
``search_words`` (PostgreSQL; see ``search.count_search_only``). A search with other
filters, or a list of ids, is counted from the matching rows — and the statistics take
everything they need (statuses, both trend periods, the queue) from one pass over them.
Every public function resolves a PostgreSQL search into whole words first
(``search.with_whole_words``); the private ones expect that done.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.domain.statuses import JobStatus
from genfactory.store.search import (
    JobFilter,
    Steering,
    count_search_only,
    filter_conditions,
    search_first,
    with_whole_words,
)
from genfactory.store.tables import job_counts, job_totals, jobs

DAY = 86400
ALL_STATUSES = tuple(JobStatus)


@dataclass(frozen=True)
class DaySplit:
    """A ``[start, end)`` range cut into whole UTC days (``first_day <= day < end_day``;
    None = unbounded) and the partial ranges at either end."""

    first_day: int | None
    end_day: int | None
    edges: tuple[tuple[float, float], ...]

    @property
    def has_whole_days(self) -> bool:
        return self.first_day is None or self.end_day is None or self.first_day < self.end_day


def split_days(start: float | None, end: float | None) -> DaySplit:
    if start is not None and end is not None and start >= end:
        return DaySplit(0, 0, ())
    first_day = None if start is None else int(start // DAY)
    if start is not None and first_day is not None and start != first_day * DAY:
        first_day += 1
    end_day = None if end is None else int(end // DAY)
    if first_day is not None and end_day is not None and first_day >= end_day:
        assert start is not None and end is not None
        return DaySplit(0, 0, ((start, end),))  # within two days: count it directly
    edges: list[tuple[float, float]] = []
    if start is not None and first_day is not None and start != first_day * DAY:
        edges.append((start, float(first_day * DAY)))
    if end is not None and end_day is not None and end != end_day * DAY:
        edges.append((float(end_day * DAY), end))
    return DaySplit(first_day, end_day, tuple(edges))


async def count_by_status(conn: AsyncConnection, f: JobFilter) -> Counter[str]:
    """How many jobs ``f`` matches, per status (statuses with none are absent)."""
    return await with_whole_words(conn, f, lambda g: _count_by_status(conn, g))


async def _count_by_status(conn: AsyncConnection, f: JobFilter) -> Counter[str]:
    if f.search is not None or f.ids:
        steering = await search_steering(conn, f)
        rows = await conn.execute(
            select(jobs.c.status, func.count())
            .where(*filter_conditions(conn, f, steering=steering))
            .group_by(jobs.c.status)
        )
        return Counter({r[0]: int(r[1]) for r in rows})
    if f.created_from is None and f.created_to is None:
        return +(await _all_time(conn, f))
    split = split_days(f.created_from, f.created_to)
    counts: Counter[str] = Counter()
    if split.has_whole_days:
        counts.update(await _whole_days(conn, f, split))
    for start, end in split.edges:
        counts.update(await _partial_day(conn, f, start, end))
    return +counts


async def count_jobs(conn: AsyncConnection, f: JobFilter) -> int:
    """How many jobs ``f`` matches (the list's total)."""
    return await with_whole_words(conn, f, lambda g: _count_jobs(conn, g))


async def _count_jobs(conn: AsyncConnection, f: JobFilter) -> int:
    if f.search is not None and f.search_only:
        return await count_search_only(conn, f.search)
    return sum((await _count_by_status(conn, f)).values())


async def search_steering(
    conn: AsyncConnection,
    f: JobFilter,
    searched: int | None = None,
    filtered: int | None = None,
) -> Steering | None:
    """For SQLite, a search combined with other filters: which side to start from, given
    how many jobs each keeps (counted here unless given; both counts are cheap there: the
    full-text index's doclists, ``job_counts``). Starting from the filters, the full-text
    matches gathered are bounded by the rowids of the jobs the filters keep."""
    if conn.dialect.name != "sqlite" or f.search is None or f.search_only:
        return None
    if searched is None:
        searched = await count_search_only(conn, f.search)
    if filtered is None:
        filtered = await _count_jobs(conn, f.without_search())
    if search_first(searched, filtered):
        return Steering(by_search=True)
    return Steering(by_search=False, rowids=await _rowid_span(conn, f, searched))


async def _rowid_span(conn: AsyncConnection, f: JobFilter, searched: int) -> tuple[int, int] | None:
    """SQLite: the lowest and highest rowid of the jobs the filters keep, read from one
    index alone — statuses or configurations with the date range, whichever keeps fewer;
    ``ix_jobs_status_created`` and ``ix_jobs_config_created`` hold both and the rowid — when
    that reads fewer entries than the search has matches. Jobs are numbered as they are
    created, so with a recent date range the span holds a small part of the full-text
    matches: "portrait" (100,000) and the last 30 days' failures gather 8,000, not all.
    None when no such part is small."""
    dates = JobFilter(created_from=f.created_from, created_to=f.created_to)
    parts: list[JobFilter] = []
    if f.statuses:
        parts.append(replace(dates, statuses=f.statuses))
    if f.configurations:
        parts.append(replace(dates, configurations=f.configurations))
    best: tuple[int, JobFilter] | None = None
    for part in parts:
        kept = await _count_jobs(conn, part)
        if kept <= searched and (best is None or kept < best[0]):
            best = (kept, part)
    if best is None:
        return None
    rowid: ColumnElement[int] = literal_column("jobs.rowid")
    row = (
        await conn.execute(
            select(func.min(rowid), func.max(rowid))
            .select_from(jobs)
            .where(*filter_conditions(conn, best[1]))
        )
    ).one()
    if row[0] is None:
        return (1, 0)  # the filters keep no job: an empty span
    return int(row[0]), int(row[1])


async def _all_time(conn: AsyncConnection, f: JobFilter) -> Counter[str]:
    conditions: list[ColumnElement[bool]] = []
    if f.statuses:
        conditions.append(job_totals.c.status.in_(sorted({s.value for s in f.statuses})))
    if f.configurations:
        conditions.append(job_totals.c.configuration_name.in_(sorted(set(f.configurations))))
    rows = await conn.execute(
        select(job_totals.c.status, func.sum(job_totals.c.jobs))
        .where(*conditions)
        .group_by(job_totals.c.status)
    )
    return Counter({r[0]: int(r[1] or 0) for r in rows})


async def _whole_days(conn: AsyncConnection, f: JobFilter, split: DaySplit) -> Counter[str]:
    conditions: list[ColumnElement[bool]] = []
    if split.first_day is not None:
        conditions.append(job_counts.c.day >= split.first_day)
    if split.end_day is not None:
        conditions.append(job_counts.c.day < split.end_day)
    if f.statuses:
        conditions.append(job_counts.c.status.in_(sorted({s.value for s in f.statuses})))
    if f.configurations:
        conditions.append(job_counts.c.configuration_name.in_(sorted(set(f.configurations))))
    rows = await conn.execute(
        select(job_counts.c.status, func.sum(job_counts.c.jobs))
        .where(*conditions)
        .group_by(job_counts.c.status)
    )
    return Counter({r[0]: int(r[1] or 0) for r in rows})


async def _partial_day(
    conn: AsyncConnection, f: JobFilter, start: float, end: float
) -> Counter[str]:
    # Naming every status lets SQLite count inside ix_jobs_status_created (status,
    # created_at) alone, one short range per status, without reading the rows.
    part = f.with_range(start, end)
    if not part.statuses:
        part = part.with_statuses(ALL_STATUSES)
    conditions = filter_conditions(conn, part)
    rows = await conn.execute(
        select(jobs.c.status, func.count()).where(*conditions).group_by(jobs.c.status)
    )
    return Counter({r[0]: int(r[1]) for r in rows})


@dataclass(frozen=True)
class QueueStatus:
    """Queued jobs that a worker could take now, and those waiting for a retry back-off."""

    runnable: int
    waiting: int
    next_run_at: float | None


#: SQLite: find the queued jobs through the status index and check every other term on
#: them. Queued jobs are a live queue (a few hundred); without this SQLite may start from a
#: configuration's or a date range's index and read tens of thousands of rows.
_QUEUED_FIRST = Steering(by_status=True)


async def queue_status(
    conn: AsyncConnection, f: JobFilter, now: float | None = None
) -> QueueStatus:
    """The queued jobs ``f`` matches: runnable now, or waiting for a retry back-off (and
    the earliest end of one), in one pass over them."""
    now = time.time() if now is None else now
    queued = f.with_statuses([JobStatus.QUEUED])
    return await with_whole_words(conn, queued, lambda g: _queue_status(conn, g, now))


async def _queue_status(conn: AsyncConnection, queued: JobFilter, now: float) -> QueueStatus:
    conditions = filter_conditions(conn, queued, steering=_QUEUED_FIRST)
    row = (await conn.execute(select(*_queue_columns(now)).where(*conditions))).one()
    return _queue(row[0], row[1], row[2])


def _queue_columns(
    now: float, *, only: ColumnElement[bool] | None = None
) -> list[ColumnElement[Any]]:
    """Runnable, waiting and the next end of a back-off, over the rows where ``only``."""
    runnable = jobs.c.run_after <= now
    waiting = jobs.c.run_after > now
    if only is not None:
        runnable, waiting = and_(only, runnable), and_(only, waiting)
    return [
        func.sum(case((runnable, 1), else_=0)),
        func.sum(case((waiting, 1), else_=0)),
        func.min(case((waiting, jobs.c.run_after))),
    ]


def _queue(runnable: Any, waiting: Any, next_run_at: Any) -> QueueStatus:
    return QueueStatus(
        runnable=int(runnable or 0),
        waiting=int(waiting or 0),
        next_run_at=None if next_run_at is None else float(next_run_at),
    )


WEEK = 7 * DAY


@dataclass(frozen=True)
class Trend:
    """Jobs in the current period against the period of equal length before it: the
    filter's date range when it has one, else the last seven days."""

    basis: str
    current: int
    previous: int
    current_range: tuple[float, float]
    previous_range: tuple[float, float]


@dataclass(frozen=True)
class JobStatistics:
    by_status: Counter[str]
    trend: Trend
    queue: QueueStatus


def _periods(f: JobFilter, now: float) -> tuple[str, tuple[float, float], tuple[float, float]]:
    """The trend's basis, current period and previous period for ``f``."""
    if f.created_from is None and f.created_to is None:
        return "last_7_days", (now - WEEK, now), (now - 2 * WEEK, now - WEEK)
    end = f.created_to if f.created_to is not None else max(now, (f.created_from or now) + 1)
    start = f.created_from if f.created_from is not None else end - WEEK
    length = end - start
    return "range", (start, end), (start - length, start)


async def job_statistics(
    conn: AsyncConnection, f: JobFilter, now: float | None = None
) -> JobStatistics:
    now = time.time() if now is None else now
    return await with_whole_words(conn, f, lambda g: _job_statistics(conn, g, now))


async def _job_statistics(conn: AsyncConnection, f: JobFilter, now: float) -> JobStatistics:
    basis, current_range, previous_range = _periods(f, now)
    if f.search is not None or f.ids:
        by_status, current, previous, queue = await _one_pass(
            conn, f, current_range, previous_range, now
        )
    else:
        by_status = await _count_by_status(conn, f)
        if basis == "range" and f.created_from is not None:
            current = sum(by_status.values())
        else:
            current = await _count_jobs(conn, f.with_range(*current_range))
        previous = await _count_jobs(conn, f.with_range(*previous_range))
        queue = QueueStatus(0, 0, None)
        if by_status.get(JobStatus.QUEUED.value):
            queue = await _queue_status(conn, f.with_statuses([JobStatus.QUEUED]), now)
    trend = Trend(basis, current, previous, current_range, previous_range)
    return JobStatistics(by_status, trend, queue)


async def _one_pass(
    conn: AsyncConnection,
    f: JobFilter,
    current: tuple[float, float],
    previous: tuple[float, float],
    now: float,
) -> tuple[Counter[str], int, int, QueueStatus]:
    """With a search (rows must be read anyway): the counts per status, both trend periods
    and the queue status from one pass over the matching rows."""

    def within(start: float | None, end: float | None) -> ColumnElement[bool] | None:
        conditions = []
        if start is not None:
            conditions.append(jobs.c.created_at >= start)
        if end is not None:
            conditions.append(jobs.c.created_at < end)
        return and_(*conditions) if conditions else None

    def flag(condition: ColumnElement[bool] | None) -> ColumnElement[int]:
        one: ColumnElement[int] = literal_column("1")
        zero: ColumnElement[int] = literal_column("0")
        return one if condition is None else case((condition, one), else_=zero)

    # Rows of the filter and of both periods: from the previous period's start (if the
    # filter is bounded below) to the filter's end.
    span = f.with_range(
        None if f.created_from is None else min(previous[0], f.created_from), f.created_to
    )
    in_filter = within(f.created_from, f.created_to)
    queued = jobs.c.status == JobStatus.QUEUED.value
    steering = await search_steering(conn, span)
    rows = await conn.execute(
        select(
            jobs.c.status,
            func.sum(flag(in_filter)),
            func.sum(flag(within(*current))),
            func.sum(flag(within(*previous))),
            *_queue_columns(now, only=queued if in_filter is None else and_(queued, in_filter)),
        )
        .where(*filter_conditions(conn, span, steering=steering))
        .group_by(jobs.c.status)
    )
    by_status: Counter[str] = Counter()
    now_total = before_total = 0
    queue = QueueStatus(0, 0, None)
    for status, in_f, in_current, in_previous, runnable, waiting, next_run_at in rows:
        if in_f:
            by_status[status] = int(in_f)
        now_total += int(in_current or 0)
        before_total += int(in_previous or 0)
        if status == JobStatus.QUEUED.value:
            queue = _queue(runnable, waiting, next_run_at)
    return by_status, now_total, before_total, queue
