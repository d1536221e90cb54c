"""The trigger-kept structures of migration 0003 stay in step with ``jobs`` through inserts,
status changes, renames and deletes (SQLite and PostgreSQL), and ``tables.py`` describes
what the migrations build (nothing for ``alembic revision --autogenerate`` to find)."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, func, select, text

from genfactory.core.bus import EventBus
from genfactory.core.management import JobManager
from genfactory.core.service import JobService, JobSpec
from genfactory.domain.statuses import JobStatus
from genfactory.providers.procedural import ProceduralProvider
from genfactory.providers.registry import ProviderRegistry
from genfactory.settings import Settings
from genfactory.store import jobs as job_store
from genfactory.store import search
from genfactory.store.blobs import BlobStore
from genfactory.store.engine import Database
from genfactory.store.job_list import list_jobs
from genfactory.store.migrate import upgrade
from genfactory.store.search import JobFilter, PageRequest, parse_search
from genfactory.store.stats import count_by_status
from genfactory.store.tables import job_counts, job_totals, jobs, metadata
from tests.support.databases import PG_ADMIN_DSN, PG_HOST


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'steps.db'}")
        await upgrade(db)
        yield db
        await db.dispose()
        return
    name = f"gf_test_{uuid.uuid4().hex[:12]}"
    try:
        await _admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # unreachable: a failure under CI, a skip elsewhere
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    db = Database(f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}")
    try:
        await upgrade(db)
        yield db
    finally:
        await db.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def core(database: Database, tmp_path: Path) -> JobService:
    return JobService(
        database,
        EventBus(),
        Settings(data_dir=tmp_path, mode="test"),
        ProviderRegistry([ProceduralProvider(step_delay=0)]),
        BlobStore(tmp_path / "blobs"),
    )


async def counts_match(db: Database) -> None:
    async with db.read() as conn:
        day = (
            text("CAST(created_at AS INTEGER) / 86400")
            if db.is_sqlite
            else text("(floor(created_at)::bigint / 86400)::integer")
        )
        truth = {
            (int(r[0]), r[1], r[2] or ""): int(r[3])
            for r in await conn.execute(
                select(day, jobs.c.status, jobs.c.configuration_name, func.count()).group_by(
                    text("1"), jobs.c.status, jobs.c.configuration_name
                )
            )
        }
        kept = {
            (r.day, r.status, r.configuration_name): r.jobs
            for r in await conn.execute(select(job_counts).where(job_counts.c.jobs != 0))
        }
        totals = {
            (r.status, r.configuration_name): r.jobs
            for r in await conn.execute(select(job_totals).where(job_totals.c.jobs != 0))
        }
    assert kept == truth
    summed: dict[tuple[str, str], int] = {}
    for (_day, status, name), n in truth.items():
        summed[(status, name)] = summed.get((status, name), 0) + n
    assert totals == summed


async def move(core: JobService, job_id: str, *targets: JobStatus) -> None:
    for target in targets:
        async with core.db.write() as tx:
            await job_store.transition(tx, job_id, target)


async def test_counts_and_search_follow_every_change(core: JobService) -> None:
    db = core.db
    made = [
        await core.submit(JobSpec(prompt=f"harbour lights {n}", label=f"Dock {n}"))
        for n in range(6)
    ]
    await counts_match(db)
    await move(core, made[0].id, JobStatus.RUNNING, JobStatus.UPLOADING, JobStatus.COMPLETED)
    await move(core, made[1].id, JobStatus.RUNNING, JobStatus.FAILED, JobStatus.QUEUED)
    await move(core, made[2].id, JobStatus.CANCELLED)
    await counts_match(db)
    manager = JobManager(core)
    await manager.rename(made[3].id, "Lantern festival")
    outcome = await manager.delete([made[4].id, made[5].id])
    assert sorted(outcome.deleted) == sorted([made[4].id, made[5].id])
    await counts_match(db)

    async with db.read() as conn:
        by_status = await count_by_status(conn, JobFilter())
        assert dict(by_status) == {"completed": 1, "queued": 2, "cancelled": 1}
        lantern = await list_jobs(conn, JobFilter(search=parse_search("lantern")), PageRequest())
        assert [j.id for j in lantern.jobs] == [made[3].id] and lantern.total == 1
        dock = await list_jobs(conn, JobFilter(search=parse_search("dock")), PageRequest())
        assert sorted(j.id for j in dock.jobs) == sorted(m.id for m in made[:3])
        assert (
            await list_jobs(conn, JobFilter(search=parse_search("harb")), PageRequest())
        ).total == 4
        if db.is_sqlite:  # FTS5 compares its index with the content table
            await conn.execute(
                text("INSERT INTO jobs_fts(jobs_fts, rank) VALUES ('integrity-check', 1)")
            )


async def test_counts_with_date_edges_equal_counting_the_rows(core: JobService) -> None:
    db = core.db
    base = 20_000 * 86400.0
    async with db.write() as tx:
        for n in range(40):
            await job_store.create_job(
                tx,
                prompt=f"dated {n}",
                provider="procedural",
                params={},
                max_attempts=3,
                now=base + n * 7_000.0,
            )
    ranges: list[tuple[float | None, float | None]] = [
        (None, None),
        (base, base + 86400),
        (base + 3600.5, base + 3 * 86400 - 1),
        (base + 86400 * 0.5, base + 86400 * 0.75),
        (None, base + 100_000),
        (base + 100_000, None),
    ]
    async with db.read() as conn:
        for start, end in ranges:
            f = JobFilter(created_from=start, created_to=end)
            conditions: list[Any] = search.filter_conditions(conn, f)
            truth = (
                await conn.execute(select(func.count()).select_from(jobs).where(*conditions))
            ).scalar_one()
            assert sum((await count_by_status(conn, f)).values()) == truth, (start, end)


def _compare(connection: Connection) -> list[Any]:
    def include(obj: Any, name: str | None, kind: str, reflected: bool, _other: Any) -> bool:
        dialect_only = (
            (kind == "table" and name in search.DIALECT_ONLY_TABLES)
            or (kind == "index" and name in search.DIALECT_ONLY_INDEXES)
            or (kind == "column" and (obj.table.name, name) in search.DIALECT_ONLY_COLUMNS)
        )
        return not dialect_only

    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include}
    )
    with warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; alembic says so and skips them.
        warnings.simplefilter("ignore")
        return list(compare_metadata(context, metadata))


async def test_tables_py_matches_the_migrations(database: Database) -> None:
    async with database.read() as conn:
        differences = await conn.run_sync(_compare)
    assert differences == []
