"""The trigger-kept structures (migrations 0003, 0004, 0008) stay in step with ``jobs``
through inserts, status changes, renames and deletes (SQLite and PostgreSQL); the searches
they speed up find exactly what the words say, also while jobs are written; and ``tables.py``
describes what the migrations build (nothing for ``alembic revision --autogenerate`` to
find)."""

from __future__ import annotations

import os
import random
import re
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, event, func, select, text

from genfactory.core.bus import EventBus
from genfactory.core.management import JobManager, resolve_selection
from genfactory.core.service import JobService, JobSpec
from genfactory.domain.statuses import JobStatus
from genfactory.exports import export_jobs
from genfactory.providers.procedural import ProceduralProvider
from genfactory.providers.registry import ProviderRegistry
from genfactory.settings import Settings
from genfactory.store import jobs as job_store
from genfactory.store import search
from genfactory.store.blobs import BlobStore
from genfactory.store.engine import Database
from genfactory.store.job_list import list_jobs
from genfactory.store.migrate import upgrade
from genfactory.store.search import (
    JobFilter,
    PageRequest,
    SearchQuery,
    count_search_only,
    parse_search,
)
from genfactory.store.stats import (
    QueueStatus,
    count_by_status,
    count_jobs,
    job_statistics,
    queue_status,
)
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
    await words_match(db)


async def words_match(db: Database) -> None:
    """PostgreSQL: ``search_words`` counts, for every word, the jobs whose search vector has
    it (migration 0008); no count ever goes below zero."""
    if db.is_sqlite:
        return
    async with db.read() as conn:
        truth = {
            r[0]: int(r[1])
            for r in await conn.execute(
                text("SELECT t.lexeme, count(*) FROM jobs, unnest(search_vector) AS t GROUP BY 1")
            )
        }
        kept = {
            r[0]: int(r[1]) for r in await conn.execute(text("SELECT word, jobs FROM search_words"))
        }
    assert {w: n for w, n in kept.items() if n != 0} == truth
    assert min(kept.values(), default=0) >= 0


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
        else:  # a word whose jobs are all gone stays, at zero: the words only ever grow
            gone = await conn.execute(text("SELECT jobs FROM search_words WHERE word = '5'"))
            assert gone.scalar_one() == 0


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


#: Jobs whose words share beginnings, so a prefix stands for several whole words.
TEXTS: list[tuple[str, str | None]] = [
    ("A portrait of a fox", None),
    ("Portraits in oil", "Portraiture week"),
    ("a portal to the sea", None),
    ("port at dawn", "Harbour"),
    ("porter with luggage", "fox"),
    ("the fox and the portrait", None),
    ("x marks the spot", None),
    ("the portrait of a port", None),
]
SEARCHES = [
    "port",
    "portr",
    "portrait",
    "portraits",
    "fox port",
    "fox portrait",
    "portal",
    "po",
    "p",
    "x",
    "zzz",
    "fox zzz",
    "harbour fox",
    "the",
]


def _matches(query: SearchQuery, job: dict[str, Any]) -> bool:
    """What a search means, spelled out: every word whole, the last one a beginning."""
    words = set(re.findall(r"[^\W_]+", f"{job['label'] or ''} {job['prompt']}".lower()))
    last = len(query.words) - 1
    if not all(w in words for w in query.words[:last]):
        return job["id"].startswith(query.id_prefix or "\0")
    found = (
        any(w.startswith(query.words[last]) for w in words)
        if query.is_prefix(last)
        else query.words[last] in words
    )
    return found or job["id"].startswith(query.id_prefix or "\0")


async def _all_jobs(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return [dict(r._mapping) for r in await conn.execute(select(jobs))]


@pytest.mark.parametrize("most_words", [search.MAX_PREFIX_WORDS, 1])
async def test_searches_find_exactly_what_the_words_say(
    core: JobService, monkeypatch: pytest.MonkeyPatch, most_words: int
) -> None:
    """Totals, pages, statistics and filtered counts of a search equal the jobs spelled out
    by hand — through ``search_words`` on PostgreSQL, and as typed when a prefix stands for
    more words than it may (``most_words``)."""
    monkeypatch.setattr(search, "MAX_PREFIX_WORDS", most_words)
    db = core.db
    made = [await core.submit(JobSpec(prompt=p, label=label)) for p, label in TEXTS]
    await move(core, made[1].id, JobStatus.CANCELLED)
    await move(core, made[5].id, JobStatus.CANCELLED)
    await words_match(db)
    rows = await _all_jobs(db)
    searches = [*SEARCHES, made[2].id[:8], made[3].id[:10]]
    async with db.read() as conn:
        for raw in searches:
            query = parse_search(raw)
            assert query is not None
            truth = {j["id"] for j in rows if _matches(query, j)}
            cancelled = {j["id"] for j in rows if j["id"] in truth and j["status"] == "cancelled"}
            f = JobFilter(search=query)
            listed = await list_jobs(conn, f, PageRequest(limit=100))
            assert (listed.total, {j.id for j in listed.jobs}) == (len(truth), truth), raw
            assert await count_jobs(conn, f) == len(truth), raw
            stats = await job_statistics(conn, f)
            assert sum(stats.by_status.values()) == len(truth), raw
            only_cancelled = f.with_statuses([JobStatus.CANCELLED])
            assert await count_jobs(conn, only_cancelled) == len(cancelled), raw
            page = await list_jobs(conn, only_cancelled, PageRequest(limit=1))
            assert page.total == len(cancelled) and {j.id for j in page.jobs} <= cancelled


def _job_row(n: int, prompt: str, created_at: float) -> dict[str, Any]:
    """A queued job as the table holds it, for loading many at once."""
    return {
        "id": f"{n:032x}",
        "created_at": created_at,
        "updated_at": created_at,
        "status": JobStatus.QUEUED.value,
        "status_changed_at": created_at,
        "prompt": prompt,
        "label": None,
        "provider": "procedural",
        "params": {},
        "attempt": 1,
        "max_attempts": 3,
        "run_after": created_at,
        "last_seq": 0,
        "stage": "queued",
        "percent": 0.0,
        "progress_message": "",
        "image_count": 0,
    }


@pytest.mark.parametrize("shuffled", [False, True])
async def test_pages_of_a_common_word_by_date_are_exact(database: Database, shuffled: bool) -> None:
    """A word in every other job, pages of five by date, both ways and deeper: the jobs in
    order, whether rows were numbered in creation order or not (on SQLite the page is
    looked for among the newest jobs first, and must come out the same)."""
    base = 20_000 * 86400.0
    moments = [base + n * 60.0 for n in range(2_000)]
    if shuffled:
        random.Random(4).shuffle(moments)
    loaded = [
        _job_row(n, f"a {'portrait' if n % 2 else 'landscape'} number {n}", moment)
        for n, moment in enumerate(moments)
    ]
    async with database.write() as tx:
        await tx.conn.execute(jobs.insert(), loaded)
    await counts_match(database)
    rows = await _all_jobs(database)
    matching = sorted(
        (j for j in rows if "portrait" in j["prompt"]), key=lambda j: (j["created_at"], j["id"])
    )
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(database.read_engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with database.read() as conn:
            f = JobFilter(search=parse_search("portrait"))
            for descending in (True, False):
                ordered = [j["id"] for j in (reversed(matching) if descending else matching)]
                for offset in (0, 5, 20):
                    page = PageRequest(limit=5, offset=offset, descending=descending)
                    found = await list_jobs(conn, f, page)
                    assert found.total == len(matching)
                    assert [j.id for j in found.jobs] == ordered[offset : offset + 5]
    finally:
        event.remove(database.read_engine.sync_engine, "before_cursor_execute", seen)
    if database.is_sqlite:
        assert any("rowid BETWEEN" in s for s in statements), "the window was not used"


async def test_a_word_added_while_searching_is_not_missed(database: Database) -> None:
    """PostgreSQL: a job committed with a new word under the prefix between reading the
    words and counting is counted (the words are checked again and the count redone)."""
    if database.is_sqlite:
        pytest.skip("SQLite searches prefixes in its full-text index directly")
    async with database.write() as tx:
        await job_store.create_job(
            tx, prompt="portrait one", provider="procedural", params={}, max_attempts=3
        )
    seen: list[tuple[tuple[str, int], ...] | None] = []

    async def count_while_another_writes(f: JobFilter) -> int:
        assert f.search is not None
        seen.append(f.search.last_words)
        if len(seen) == 1:
            async with database.write() as tx:
                await job_store.create_job(
                    tx, prompt="portraiture two", provider="procedural", params={}, max_attempts=3
                )
        return await count_search_only(conn, f.search)

    async with database.read() as conn:
        query = parse_search("portr")
        total = await search.with_whole_words(
            conn, JobFilter(search=query), count_while_another_writes
        )
    assert total == 2
    assert seen == [(("portrait", 1),), (("portrait", 1), ("portraiture", 1))]


async def test_words_postgres_reads_otherwise_run_as_typed(database: Database) -> None:
    """When PostgreSQL's parser makes other words of the text ("x²" is "x" to it), the
    search is not resolved into whole words: it runs as it always did."""
    given: list[JobFilter] = []

    async def keep(f: JobFilter) -> None:
        given.append(f)

    async with database.read() as conn:
        for raw in ("x²", "fox"):
            await search.with_whole_words(conn, JobFilter(search=parse_search(raw)), keep)
    resolved = [f.search is not None and f.search.last_words is not None for f in given]
    assert resolved == [False, not database.is_sqlite]


async def test_queue_status_equals_counting_the_queued_jobs(core: JobService) -> None:
    """Runnable, waiting and the next retry for the queued jobs a filter matches, with and
    without a search (then taken from the statistics' single pass)."""
    db = core.db
    now = 30_000 * 86400.0
    plan = [  # (prompt, configuration, created days ago, seconds until it may run)
        ("fox in snow", "A", 0.2, -5.0),
        ("fox at dusk", "A", 1.5, 120.0),
        ("owl at night", "B", 0.1, 600.0),
        ("owl in snow", None, 3.0, -60.0),
        ("fox and owl", "B", 0.4, 30.0),
    ]
    async with db.write() as tx:
        for prompt, name, days, wait in plan:
            job = await job_store.create_job(
                tx,
                prompt=prompt,
                provider="procedural",
                params={},
                max_attempts=3,
                now=now - days * 86400,
            )
            await tx.conn.execute(
                jobs.update()
                .where(jobs.c.id == job.id)
                .values(configuration_name=name, run_after=now + wait)
            )
    await counts_match(db)
    rows = await _all_jobs(db)
    filters = [
        JobFilter(),
        JobFilter(configurations=("A",)),
        JobFilter(created_from=now - 86400),
        JobFilter(configurations=("B",), created_from=now - 86400, created_to=now),
        JobFilter(search=parse_search("fox")),
        JobFilter(search=parse_search("snow"), created_from=now - 2 * 86400),
    ]
    async with db.read() as conn:
        for f in filters:
            kept = [
                j
                for j in rows
                if (not f.configurations or j["configuration_name"] in f.configurations)
                and (f.created_from is None or j["created_at"] >= f.created_from)
                and (f.created_to is None or j["created_at"] < f.created_to)
                and (f.search is None or _matches(f.search, j))
            ]
            waiting = [j["run_after"] for j in kept if j["run_after"] > now]
            truth = QueueStatus(len(kept) - len(waiting), len(waiting), min(waiting, default=None))
            assert await queue_status(conn, f, now) == truth, f
            assert (await job_statistics(conn, f, now)).queue == truth, f


#: Indexes on a CASE expression: PostgreSQL gives it back reworded (casts, line breaks),
#: which alembic cannot match to tables.py. tests/unit/store/test_sort_plan.py checks that
#: each exists on both databases and that the queries use it.
CASE_INDEXES = {"ix_jobs_status_sort"}


def _compare(connection: Connection) -> list[Any]:
    def include(obj: Any, name: str | None, kind: str, reflected: bool, _other: Any) -> bool:
        dialect_only = (
            (kind == "table" and name in search.DIALECT_ONLY_TABLES)
            or (kind == "index" and name in search.DIALECT_ONLY_INDEXES)
            or (kind == "column" and (obj.table.name, name) in search.DIALECT_ONLY_COLUMNS)
        )
        return not dialect_only and not (kind == "index" and name in CASE_INDEXES)

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


async def test_bulk_selection_and_export_search_whole_words(
    database: Database, tmp_path: Path
) -> None:
    """A bulk action's filter and an export find the jobs a prefix search means, and on
    PostgreSQL ask for the whole words it stands for (never the prefix itself)."""
    async with database.write() as tx:
        for prompt in ("portrait one", "portraiture two", "landscape three"):
            await job_store.create_job(
                tx, prompt=prompt, provider="procedural", params={}, max_attempts=3
            )
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        sent.append(f"{statement} {parameters!r}")

    selection = JobFilter(search=parse_search("portr"))
    event.listen(database.read_engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with database.read() as conn:
            resolved = await resolve_selection(
                conn, ids=None, selection=selection, expected_count=2, require_expected=True
            )
        exported = await export_jobs(
            database, BlobStore(tmp_path / "blobs"), selection, tmp_path / "out.xlsx", filters=[]
        )
    finally:
        event.remove(database.read_engine.sync_engine, "before_cursor_execute", seen)
    assert len(resolved.ids) == 2 and exported.jobs == 2
    if not database.is_sqlite:
        searching = [s for s in sent if "portr" in s and "search_words" not in s]
        assert searching, "no search was sent"
        assert not any("portr':*" in s for s in searching), searching
        assert all("'portrait'" in s and "'portraiture'" in s for s in searching), searching
