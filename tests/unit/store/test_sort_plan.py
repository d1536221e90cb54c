"""Sorting by status follows the lifecycle and walks its own index on both databases
(no sort of every job), like the other sort keys."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text

from genfactory.store.engine import Database
from genfactory.store.job_list import list_jobs
from genfactory.store.migrate import upgrade
from genfactory.store.search import JobFilter, PageRequest, SortKey, page_query
from genfactory.store.tables import jobs
from tests.support.databases import own_database
from tests.unit.store.records import job_record

LIFECYCLE = ["queued", "running", "uploading", "completed", "failed", "cancelled"]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with own_database(request.param) as own:
        yield own or f"sqlite+aiosqlite:///{tmp_path / 'sort.db'}"


@pytest.fixture
async def db(url: str) -> AsyncIterator[Database]:
    database = Database(url)
    await upgrade(database)
    rows: list[dict[str, Any]] = []
    # Alphabetical order would be the reverse of the lifecycle for most of these.
    for n, status in enumerate(reversed(LIFECYCLE * 2)):
        record = job_record(id=f"{n:032x}", created_at=time.time() - 1000 + n, prompt=f"p {n}")
        rows.append({**record.__dict__, "status": status})
    async with database.write() as tx:
        await tx.conn.execute(insert(jobs), rows)
    yield database
    await database.dispose()


async def test_status_sorts_in_lifecycle_order(db: Database) -> None:
    async with db.read() as conn:
        for descending in (False, True):
            page = await list_jobs(
                conn, JobFilter(), PageRequest(sort=SortKey.STATUS, descending=descending)
            )
            statuses = [j.status.value for j in page.jobs]
            want = [s for s in LIFECYCLE for _ in range(2)]
            assert statuses == (want[::-1] if descending else want)
            # Ties: by creation time, the same direction.
            created = [j.created_at for j in page.jobs[:2]]
            assert created == sorted(created, reverse=descending)


async def test_the_status_sort_walks_its_index(db: Database) -> None:
    async with db.read() as conn:
        query = page_query(conn, JobFilter(), PageRequest(sort=SortKey.STATUS, descending=True))
        compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        if conn.dialect.name == "sqlite":
            rows = await conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            plan = " / ".join(str(row[3]) for row in rows)
            assert "TEMP B-TREE" not in plan, plan
        else:
            # A dozen rows: make the planner say whether the index *can* give the order.
            await conn.execute(text("SET LOCAL enable_seqscan = off"))
            await conn.execute(text("SET LOCAL enable_sort = off"))
            rows = await conn.execute(text(f"EXPLAIN {compiled}"))
            plan = " / ".join(str(row[0]) for row in rows)
            assert "Sort" not in plan.replace("Sort Key", ""), plan
        assert "ix_jobs_status_sort" in plan, plan
