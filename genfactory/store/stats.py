"""Counting jobs for a filter: totals of the list, statistics, trends, queue status.

Without a search, counts come from tables kept in step with ``jobs`` by triggers:
``job_totals`` (per status and configuration) when there is no date range, else
``job_counts`` (per UTC day, status and configuration): whole days are summed from it, and
only the part of a date range that cuts through a day is counted from ``jobs`` through an
index. With a
search (or a list of ids) the matching jobs are counted directly — the search index makes
that as cheap as the number of matches.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.domain.statuses import JobStatus
from genfactory.store.search import JobFilter, Steering, count_search_only, filter_conditions
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
    if f.search is not None and f.search_only:
        return await count_search_only(conn, f.search)
    return sum((await count_by_status(conn, f)).values())


async def search_steering(conn: AsyncConnection, f: JobFilter) -> Steering | None:
    """For SQLite, a search combined with other filters: which side to start from. Both
    counts are cheap there (the full-text index's doclists; ``job_counts``)."""
    if conn.dialect.name != "sqlite" or f.search is None or f.search_only:
        return None
    searched = await count_search_only(conn, f.search)
    filtered = await count_jobs(conn, f.without_search())
    return Steering(walk=False, by_search=searched <= filtered)


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


async def queue_status(
    conn: AsyncConnection, f: JobFilter, now: float | None = None
) -> QueueStatus:
    now = time.time() if now is None else now
    queued = f.with_statuses([JobStatus.QUEUED])
    conditions = filter_conditions(conn, queued)
    runnable = (
        await conn.execute(
            select(func.count()).select_from(jobs).where(*conditions, jobs.c.run_after <= now)
        )
    ).scalar_one()
    waiting_row = (
        await conn.execute(
            select(func.count(), func.min(jobs.c.run_after)).where(
                *conditions, jobs.c.run_after > now
            )
        )
    ).one()
    return QueueStatus(
        runnable=int(runnable),
        waiting=int(waiting_row[0]),
        next_run_at=None if waiting_row[1] is None else float(waiting_row[1]),
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
    basis, current_range, previous_range = _periods(f, now)
    if f.search is not None or f.ids:
        by_status, current, previous = await _one_pass(conn, f, current_range, previous_range)
    else:
        by_status = await count_by_status(conn, f)
        if basis == "range" and f.created_from is not None:
            current = sum(by_status.values())
        else:
            current = await count_jobs(conn, f.with_range(*current_range))
        previous = await count_jobs(conn, f.with_range(*previous_range))
    trend = Trend(basis, current, previous, current_range, previous_range)
    queue = QueueStatus(0, 0, None)
    if by_status.get(JobStatus.QUEUED.value):
        queue = await queue_status(conn, f, now)
    return JobStatistics(by_status, trend, queue)


async def _one_pass(
    conn: AsyncConnection,
    f: JobFilter,
    current: tuple[float, float],
    previous: tuple[float, float],
) -> tuple[Counter[str], int, int]:
    """With a search (rows must be read anyway): the counts per status and both trend
    periods from one pass over the matching rows."""

    def within(start: float | None, end: float | None) -> Any:
        conditions = []
        if start is not None:
            conditions.append(jobs.c.created_at >= start)
        if end is not None:
            conditions.append(jobs.c.created_at < end)
        one: ColumnElement[int] = literal_column("1")
        zero: ColumnElement[int] = literal_column("0")
        if not conditions:
            return one
        return case((and_(*conditions), one), else_=zero)

    # Rows of the filter and of both periods: from the previous period's start (if the
    # filter is bounded below) to the filter's end.
    span = f.with_range(
        None if f.created_from is None else min(previous[0], f.created_from), f.created_to
    )
    steering = await search_steering(conn, span)
    rows = await conn.execute(
        select(
            jobs.c.status,
            func.sum(within(f.created_from, f.created_to)),
            func.sum(within(*current)),
            func.sum(within(*previous)),
        )
        .where(*filter_conditions(conn, span, steering=steering))
        .group_by(jobs.c.status)
    )
    by_status: Counter[str] = Counter()
    now_total = before_total = 0
    for status, in_filter, in_current, in_previous in rows:
        if in_filter:
            by_status[status] = int(in_filter)
        now_total += int(in_current or 0)
        before_total += int(in_previous or 0)
    return by_status, now_total, before_total
