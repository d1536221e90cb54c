"""A job list pinned to a moment (``as_of``): its pages do not shift while jobs arrive, on
both databases, with every kind of filter and sort — and a pin no job is newer than leaves
the filter (and so its counts and plans) as it is."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from genfactory.domain.statuses import JobStatus
from genfactory.store.engine import Database
from genfactory.store.job_list import list_jobs, pinned
from genfactory.store.migrate import upgrade
from genfactory.store.search import JobFilter, PageRequest, SortKey, parse_search
from genfactory.store.tables import jobs
from tests.support.databases import own_database
from tests.unit.store.records import job_record

T0 = time.time() - 3 * 86400  # three days ago: whole days and partial ones in the counts


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with own_database(request.param) as own:
        yield own or f"sqlite+aiosqlite:///{tmp_path / 'pinned.db'}"


@pytest.fixture
async def db(url: str) -> AsyncIterator[Database]:
    database = Database(url)
    await upgrade(database)
    yield database
    await database.dispose()


async def add_jobs(db: Database, start: int, count: int, at: float | None = None) -> list[str]:
    """Jobs ``start``… created an hour apart from T0 (from ``at``, a millisecond apart);
    failed every third, labelled every other."""
    rows: list[dict[str, Any]] = []
    for n in range(start, start + count):
        status = JobStatus.FAILED if n % 3 == 0 else JobStatus.COMPLETED
        created = T0 + n * 3600.0 if at is None else at + (n - start) * 1e-3
        record = job_record(
            id=f"{n:032x}",
            created_at=created,
            prompt=f"pinned tile {n}",
            status=status,
            label=f"L{n % 5}" if n % 2 else None,
        )
        rows.append(record.__dict__)
    async with db.write() as tx:
        await tx.conn.execute(insert(jobs), rows)
    return [r["id"] for r in rows]


async def walk(db: Database, f: JobFilter, sort: SortKey, as_of: float, size: int) -> list[str]:
    """Every page in turn, as a person clicking Next would read them."""
    seen: list[str] = []
    offset = 0
    while True:
        async with db.read() as conn:
            page = await list_jobs(
                conn, f, PageRequest(sort=sort, limit=size, offset=offset), as_of=as_of
            )
        if not page.jobs:
            return seen
        seen += [j.id for j in page.jobs]
        offset += size
        # Jobs arrive between the pages: newer than the pin, sorting anywhere.
        await add_jobs(db, 1000 + offset, 2, at=time.time())


@pytest.mark.parametrize(
    "f",
    [
        JobFilter(),
        JobFilter(statuses=(JobStatus.COMPLETED,)),
        JobFilter(search=parse_search("pinned")),
        JobFilter(search=parse_search("tile"), statuses=(JobStatus.FAILED, JobStatus.COMPLETED)),
    ],
    ids=["all", "status", "search", "search+status"],
)
@pytest.mark.parametrize("sort", [SortKey.CREATED, SortKey.STATUS, SortKey.LABEL])
async def test_pages_read_as_of_a_moment_neither_repeat_nor_miss_a_job(
    db: Database, f: JobFilter, sort: SortKey
) -> None:
    before = await add_jobs(db, 0, 40)
    as_of = T0 + 39 * 3600.0  # the newest job's own moment: "at or before" keeps it
    async with db.read() as conn:
        expected = await list_jobs(conn, f, PageRequest(sort=sort, limit=100), as_of=as_of)
    assert expected.total == len(expected.jobs) > 0
    seen = await walk(db, f, sort, as_of, size=7)
    assert len(seen) == len(set(seen)), "no job twice"
    assert seen == [j.id for j in expected.jobs]
    assert set(seen) <= set(before)
    async with db.read() as conn:
        unpinned = await list_jobs(conn, f, PageRequest(sort=sort, limit=100))
    assert unpinned.total > expected.total, "the jobs that arrived are there without the pin"


async def test_the_pin_and_a_date_range_both_hold(db: Database) -> None:
    await add_jobs(db, 0, 10)
    as_of = T0 + 5 * 3600.0
    async with db.read() as conn:
        for f, want in [
            (JobFilter(created_to=T0 + 3 * 3600.0), [2, 1, 0]),  # "to" is earlier: it wins
            (JobFilter(created_to=T0 + 8 * 3600.0), [5, 4, 3, 2, 1, 0]),
            (JobFilter(created_from=T0 + 4 * 3600.0), [5, 4]),
            (JobFilter(created_from=T0 + 6 * 3600.0), []),  # before the range: nothing
        ]:
            page = await list_jobs(conn, f, PageRequest(limit=50), as_of=as_of)
            assert [j.id for j in page.jobs] == [f"{n:032x}" for n in want], f
            assert page.total == len(want)


async def test_a_pin_no_job_is_newer_than_changes_nothing(db: Database) -> None:
    await add_jobs(db, 0, 5)
    f = JobFilter(search=parse_search("tile"))
    async with db.read() as conn:
        assert await pinned(conn, f, T0 + 4 * 3600.0) is f  # the newest job's moment
        assert await pinned(conn, f, time.time()) is f
        narrowed = await pinned(conn, f, T0 + 3 * 3600.0)
    assert narrowed.search == f.search and narrowed.created_to is not None
    assert T0 + 3 * 3600.0 < narrowed.created_to < T0 + 3 * 3600.0 + 1e-3
