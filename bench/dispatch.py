"""Dispatch throughput: our job engine against Huey, with a provider that does no work.

    .venv/bin/python -m bench.dispatch [--jobs 5000] [--chunk 50] [--budget 110]
                                       [--no-postgres] [--pg-admin-url URL]
                                       [--profile] [--profile-jobs 500]

Each system gets ``--jobs`` jobs submitted as fast as it accepts them while two workers
already run, and is timed from the first submit until every job is complete:

* **ours** — :class:`~genfactory.core.service.JobService` + :class:`WorkerPool` (2 slots)
  in this process, on SQLite (a temporary data folder) and, when the server answers, on a
  fresh PostgreSQL database (``gf_bench_<random>`` created through ``--pg-admin-url``,
  default ``postgresql://postgres@127.0.0.1/test``, dropped afterwards). The provider
  returns one pre-encoded 8×8 PNG after one progress call, so the time is the engine's
  own: queue claim, leases, status transitions, the event log (every event of every
  job), image storage (content-addressed, so the same file is written once) and
  thumbnail. Submissions go ``--chunk`` at a time through ``asyncio.gather``. Afterwards
  every job's log must be gap-free (``count(events) = max(seq) = last_seq``, min seq 1).
* **our SQL only** — every statement (with its parameters) and commit that ours sent to
  SQLite in its run, replayed in the same order through plain ``sqlite3`` on a fresh
  database with our schema and pragmas: what the event log's SQL costs by itself, so the
  table shows how much of ours is SQL and how much is the engine around it.
* **huey** (the baseline) — ``SqliteHuey`` in its own temporary folder, a task that
  returns the same PNG, a consumer with 2 worker threads started in-process; timed until
  every result is stored (counted with ``SIGNAL_COMPLETE``), then every result is read
  back.

A run that is not done after ``--budget`` seconds is cut off there and rated on the jobs
it completed (the table says so), which keeps the whole benchmark within ~5 minutes.

Prints a Markdown table and whether the goal (at least Huey's jobs/s while also keeping
the event log) holds. ``--profile`` then runs ours once more per backend under cProfile
(CPU clock of the event-loop thread) and prints SQL statements, commits and aiosqlite
thread hand-offs per job and where the CPU goes. Always exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    cpu_by_area,
    fmt,
    machine,
    markdown_table,
    tiny_png,
    top_functions,
    verdict,
)

PNG = tiny_png()
DEFAULT_PG_ADMIN = "postgresql://postgres@127.0.0.1/test"


@dataclass
class Result:
    system: str
    backend: str
    jobs: int
    seconds: float
    completed: int
    events: int | None = None
    bad_logs: int = 0
    cpu_seconds: float = 0.0
    note: str = ""

    @property
    def jobs_per_s(self) -> float:
        return self.completed / self.seconds if self.seconds > 0 else 0.0

    @property
    def events_per_s(self) -> float | None:
        if self.events is None or self.seconds <= 0:
            return None
        return self.events / self.seconds

    @property
    def ok(self) -> bool:
        return self.completed == self.jobs and self.bad_logs == 0


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


# -- our engine ---------------------------------------------------------------------------


def _zero_provider() -> Any:
    from genfactory.providers.base import (
        CancelToken,
        GeneratedImage,
        GenerationRequest,
        ProviderInfo,
        Reporter,
    )

    class ZeroProvider:
        """Returns one tiny pre-encoded PNG at once, after one progress report."""

        info = ProviderInfo(
            name="zero",
            title="Zero work (benchmark)",
            description="Returns a pre-encoded 8x8 PNG immediately.",
            sizes=("8x8",),
            styles=(),
            min_steps=1,
            max_steps=1,
            default_steps=1,
            streams_previews=False,
        )

        async def generate(
            self, request: GenerationRequest, reporter: Reporter, cancel: CancelToken
        ) -> list[GeneratedImage]:
            await reporter.progress(1, 1)
            return [GeneratedImage(0, request.seed, 8, 8, PNG)]

    return ZeroProvider()


def _completion_bus(total: int) -> Any:
    from genfactory.core.bus import EventBus

    class CompletionBus(EventBus):
        """The real bus, also counting terminal status events (no polling needed)."""

        def __init__(self) -> None:
            super().__init__()
            self.terminal = 0
            self.completed = 0
            self.events = 0
            self.done = asyncio.Event()

        async def publish(self, events: list[Any]) -> None:
            await super().publish(events)
            self.events += len(events)
            for event in events:
                if event.type == "status" and event.data.get("status") in (
                    "completed",
                    "failed",
                    "cancelled",
                ):
                    self.terminal += 1
                    self.completed += event.data["status"] == "completed"
            if self.terminal >= total:
                self.done.set()

    return CompletionBus()


def _listen(recorder: SqlCounter | SqlRecorder, *engines: Any) -> None:
    from sqlalchemy import event

    for engine in {id(e): e for e in engines}.values():
        event.listen(engine.sync_engine, "before_cursor_execute", recorder._statement)
        event.listen(engine.sync_engine, "commit", recorder._commit)


class SqlCounter:
    """Counts statements (normalised) and commits on SQLAlchemy engines."""

    def __init__(self) -> None:
        self.statements: Counter[str] = Counter()
        self.commits = 0

    def attach(self, db: Any) -> None:
        _listen(self, db.write_engine, db.offload_engine, db.read_engine)

    def _statement(self, _conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        text = re.sub(r"\s+", " ", statement).strip()
        text = re.sub(r"\(\$?\d*\??(, \$?\d*\??)*\)", "(…)", text)
        self.statements[text[:110]] += 1

    def _commit(self, _conn: Any) -> None:
        self.commits += 1


COMMIT = "COMMIT"


class SqlRecorder:
    """Records every statement (with its parameters) and commit on the write engines, in
    the order SQLite saw them, for :func:`replay_sql`."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any, bool]] = []

    def attach(self, db: Any) -> None:
        """The write engines only: the benchmark's own checks afterwards are reads."""
        _listen(self, db.write_engine, db.offload_engine)

    def _statement(
        self, _conn: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool
    ) -> None:
        self.log.append((statement, params, many))

    def _commit(self, _conn: Any) -> None:
        self.log.append((COMMIT, None, False))


def replay_sql(log: list[tuple[str, Any, bool]], jobs: int) -> Result:
    """Send the recorded statements through plain ``sqlite3`` to a fresh database with our
    schema and the same pragmas, one after the other: what our SQL costs with no engine,
    no SQLAlchemy, no event loop (the floor of any Python job engine writing this log)."""
    import sqlite3

    from genfactory.store.engine import Database
    from genfactory.store.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="gf-bench-replay-"))
    try:
        path = tmp / "replay.db"

        async def schema() -> None:
            db = Database(f"sqlite+aiosqlite:///{path}")
            try:
                await upgrade(db)
            finally:
                await db.dispose()

        asyncio.run(schema())
        conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        cursor = conn.cursor()
        cpu0, t0 = _cpu(), time.perf_counter()
        for statement, params, many in log:
            if statement is COMMIT:
                conn.execute("COMMIT")
            elif many and params and isinstance(params[0], (tuple, list, dict)):
                cursor.executemany(statement, params)
            else:
                cursor.execute(statement, params)
                cursor.fetchall()
        seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
        events = conn.execute("SELECT count(*) FROM job_events").fetchone()[0]
        done = conn.execute("SELECT count(*) FROM jobs WHERE status = 'completed'").fetchone()[0]
        conn.close()
        return Result("our SQL only", "SQLite", jobs, seconds, int(done), int(events), 0, cpu,
                      "replayed through sqlite3")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def run_engine(
    backend: str,
    url: str | None,
    jobs: int,
    chunk: int,
    budget: float,
    counter: SqlCounter | SqlRecorder | None = None,
) -> Result:
    from sqlalchemy import text

    from genfactory.core.service import JobService, JobSpec
    from genfactory.providers.registry import ProviderRegistry
    from genfactory.settings import Settings
    from genfactory.store.blobs import BlobStore
    from genfactory.store.engine import Database
    from genfactory.store.migrate import upgrade
    from genfactory.workers.pool import WorkerPool

    tmp = Path(tempfile.mkdtemp(prefix="gf-bench-dispatch-"))
    try:
        settings = Settings(
            data_dir=tmp, database_url=url, workers=2, mode="test", poll_interval=0.05
        )
        db = Database(settings.resolved_database_url)
        try:
            await upgrade(db)
            if counter is not None:
                counter.attach(db)
            bus = _completion_bus(jobs)
            service = JobService(
                db, bus, settings, ProviderRegistry([_zero_provider()]), BlobStore(tmp / "blobs")
            )
            pool = WorkerPool(service, 2)
            await pool.start()
            spec = JobSpec(prompt="benchmark", size="8x8", steps=1, provider="zero")
            submitted = 0
            timed_out = False
            cpu0, t0 = _cpu(), time.perf_counter()
            try:
                async with asyncio.timeout(budget):
                    for start in range(0, jobs, chunk):
                        n = min(chunk, jobs - start)
                        await asyncio.gather(*(service.submit(spec) for _ in range(n)))
                        submitted += n
                    await bus.done.wait()
            except TimeoutError:
                timed_out = True
            finally:
                seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
                completed, events = bus.completed, bus.events
                await pool.stop()
            async with db.read() as conn:
                done_rows = (
                    await conn.execute(text("SELECT count(*) FROM jobs WHERE status = 'completed'"))
                ).scalar_one()
                bad = (
                    await conn.execute(
                        text(
                            "SELECT count(*) FROM jobs j LEFT JOIN ("
                            " SELECT job_id, count(*) AS n, min(seq) AS lo, max(seq) AS hi"
                            " FROM job_events GROUP BY job_id) e ON e.job_id = j.id"
                            " WHERE e.n IS NULL OR e.n <> j.last_seq"
                            " OR e.lo <> 1 OR e.hi <> j.last_seq"
                        )
                    )
                ).scalar_one()
            note = f"cut off after {budget:.0f} s, {submitted:,} submitted" if timed_out else ""
            if int(done_rows) < completed:
                note += f"; only {done_rows} completed rows"
                bad += completed - int(done_rows)
            return Result("ours", backend, jobs, seconds, completed, events, int(bad), cpu, note)
        finally:
            await db.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- PostgreSQL scratch database ---------------------------------------------------------


async def _pg_admin(admin_url: str, sql: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(admin_url, timeout=3)
    try:
        await conn.execute(sql)
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def pg_database(admin_url: str) -> AsyncIterator[tuple[str | None, str]]:
    """A fresh database ``gf_bench_<random>`` (dropped afterwards): ``(url, note)``, or
    ``(None, why)`` when the server does not answer."""
    name = f"gf_bench_{uuid.uuid4().hex[:12]}"
    try:
        version = await _pg_admin(admin_url, f'CREATE DATABASE "{name}"')
    except Exception as exc:  # not reachable: skip, say why
        yield None, f"PostgreSQL skipped: not reachable ({type(exc).__name__}: {exc})"
        return
    base = admin_url.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{base}/{name}", f"PostgreSQL {version}"
    finally:
        with contextlib.suppress(Exception):
            await _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run_engine_postgres(
    admin_url: str, jobs: int, chunk: int, budget: float
) -> tuple[Result | None, str]:
    async with pg_database(admin_url) as (url, note):
        if url is None:
            return None, note
        return await run_engine("PostgreSQL", url, jobs, chunk, budget), note


# -- Huey ---------------------------------------------------------------------------------


def run_huey(jobs: int, budget: float, poll: float) -> Result:
    from huey import SqliteHuey
    from huey.constants import WORKER_THREAD
    from huey.signals import SIGNAL_COMPLETE

    tmp = Path(tempfile.mkdtemp(prefix="gf-bench-huey-"))
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        huey = SqliteHuey("bench", filename=str(tmp / "huey.db"))
        lock = threading.Lock()
        state = {"done": 0}
        all_done = threading.Event()

        @huey.task()
        def zero(_n: int) -> bytes:
            return PNG

        @huey.signal(SIGNAL_COMPLETE)
        def _complete(_signal: str, _task: Any, *_exc: Any) -> None:
            with lock:
                state["done"] += 1
                if state["done"] >= jobs:
                    all_done.set()

        consumer = huey.create_consumer(
            workers=2,
            worker_type=WORKER_THREAD,
            initial_delay=poll,
            periodic=False,
            check_worker_health=False,
        )
        consumer.start()
        try:
            cpu0, t0 = _cpu(), time.perf_counter()
            deadline = time.monotonic() + budget
            results = []
            for n in range(jobs):
                results.append(zero(n))
                if n % 500 == 0 and time.monotonic() > deadline:
                    break
            timed_out = not all_done.wait(max(0.0, deadline - time.monotonic()))
            seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
            with lock:
                completed = state["done"]
        finally:
            consumer.stop(graceful=True)
        stored = sum(1 for r in results if r.get() == PNG)
        huey.storage.close()
        note = f"cut off after {budget:.0f} s" if timed_out else ""
        bad = max(0, completed - stored)
        return Result("huey", "SQLite", jobs, seconds, completed, None, bad, cpu, note)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        shutil.rmtree(tmp, ignore_errors=True)


# -- profile ------------------------------------------------------------------------------


@contextlib.contextmanager
def _count_aiosqlite_calls() -> Iterator[list[int]]:
    """Count calls into aiosqlite's worker thread (profile runs only; restored after)."""
    counter = [0]
    try:
        from aiosqlite.core import Connection
    except ImportError:  # pragma: no cover - aiosqlite is how we reach SQLite
        yield counter
        return
    original = Connection._execute

    async def counting(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counter[0] += 1
        return await original(self, fn, *args, **kwargs)

    Connection._execute = counting  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        Connection._execute = original  # type: ignore[method-assign]


async def profile_engine(
    backend: str, url: str | None, jobs: int, chunk: int, budget: float
) -> str:
    """Run ours under cProfile, timing CPU of the event-loop thread, and count SQL."""
    counter = SqlCounter()
    profiler = cProfile.Profile(time.thread_time)
    with _count_aiosqlite_calls() as handoffs:
        profiler.enable()
        try:
            result = await run_engine(backend, url, jobs, chunk, budget, counter)
        finally:
            profiler.disable()
    done = max(1, result.completed)
    out = io.StringIO()
    out.write(
        f"\n### Profile: ours on {backend}, {result.completed} jobs in {result.seconds:.2f} s "
        f"under cProfile (process CPU {result.cpu_seconds:.1f} s)\n\n"
    )
    total = sum(counter.statements.values())
    out.write(
        f"SQL statements: {total / done:.1f} per job; commits: {counter.commits / done:.1f} "
        "per job"
        + (
            f"; aiosqlite thread hand-offs (each one event-loop round trip): "
            f"{handoffs[0] / done:.0f} per job"
            if handoffs[0]
            else ""
        )
        + "\n\n"
    )
    rows = [
        [f"{n / done:.2f}", f"`{stmt.replace('|', '/')}`"]
        for stmt, n in counter.statements.most_common(18)
    ]
    out.write(markdown_table(["per job", "statement (first 110 chars)"], rows) + "\n\n")
    out.write(
        "CPU of the event-loop thread by area (cProfile own time, thread CPU clock):\n\n"
        + cpu_by_area(profiler, done, "ms per job (profiled)")
        + "\n\n"
    )
    out.write(f"Top 20 functions by own CPU:\n\n```\n{top_functions(profiler)}\n```\n")
    return out.getvalue()


# -- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=5000, help="jobs per system (5000)")
    parser.add_argument("--chunk", type=int, default=50, help="concurrent submits (50)")
    parser.add_argument(
        "--budget",
        type=float,
        default=110.0,
        help="seconds per run before it is cut off and rated on the jobs it completed (110)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN)
    parser.add_argument(
        "--profile", action="store_true", help="then profile ours (cProfile + SQL counts)"
    )
    parser.add_argument("--profile-jobs", type=int, default=500)
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    jobs = max(1, args.jobs)

    print(f"## Dispatch: {jobs:,} zero-work jobs, 2 workers\n")
    print(f"Machine: {machine()}\n", flush=True)
    results: list[Result] = []
    notes: list[str] = []

    def progress(r: Result) -> None:
        print(f"  {r.system}/{r.backend}: {r.seconds:.2f} s", file=sys.stderr, flush=True)

    results.append(run_huey(jobs, args.budget, poll=0.05))
    progress(results[-1])
    recorder = SqlRecorder()
    results.append(asyncio.run(run_engine("SQLite", None, jobs, args.chunk, args.budget, recorder)))
    progress(results[-1])
    if results[-1].ok:
        results.append(replay_sql(recorder.log, results[-1].completed))
        progress(results[-1])
    if not args.no_postgres:
        pg, note = asyncio.run(
            run_engine_postgres(args.pg_admin_url, jobs, args.chunk, args.budget)
        )
        notes.append(note)
        if pg is not None:
            results.append(pg)
            progress(pg)

    headers = ["system", "backend", "jobs", "seconds", "jobs/s", "events written", "events/s",
               "CPU s", "check"]  # fmt: skip
    rows = []
    for r in results:
        if r.system == "ours":
            check = (
                "all completed, logs gap-free"
                if r.ok
                else (f"{r.completed:,}/{r.jobs:,} completed, {r.bad_logs} bad logs")
            )
        elif r.system == "huey":
            check = "all results stored" if r.ok else f"{r.completed:,}/{r.jobs:,} completed"
        else:
            check = "same rows as ours" if r.ok else f"only {r.completed:,} completed rows"
        if r.note:
            check += f" ({r.note})"
        rows.append(
            [
                r.system,
                r.backend,
                fmt(r.completed) if r.completed == r.jobs else f"{r.completed:,}/{r.jobs:,}",
                fmt(r.seconds, 2),
                fmt(r.jobs_per_s, 0),
                fmt(r.events) if r.events is not None else "— (no event log)",
                fmt(r.events_per_s, 0),
                fmt(r.cpu_seconds, 1),
                check,
            ]
        )
    print(markdown_table(headers, rows))
    print(
        "\n`jobs/s` = jobs completed ÷ wall time from the first submit to the last completion "
        "(or to the cut-off);\n`CPU s` = CPU time of the whole benchmark process (all threads) "
        "in that interval;\n`our SQL only` = every statement and commit ours sent to SQLite "
        "in its run, replayed in order through plain `sqlite3` on a fresh database with our "
        "schema (no engine, no SQLAlchemy, no event loop): the floor for this event log."
    )
    for note in notes:
        print(f"{note}.")

    huey = results[0]
    print()
    for r in results[1:]:
        if r.system != "ours":
            continue
        holds = r.ok and r.jobs_per_s >= huey.jobs_per_s
        ratio = r.jobs_per_s / huey.jobs_per_s if huey.jobs_per_s else float("nan")
        print(
            f"Goal — ours on {r.backend} at least Huey's {huey.jobs_per_s:,.0f} jobs/s while "
            f"keeping the event log: **{verdict(holds)}** ({r.jobs_per_s:,.0f} jobs/s = "
            f"{ratio:.2f}× Huey)"
        )
    if args.profile:
        n = max(1, args.profile_jobs)
        print(asyncio.run(profile_engine("SQLite", None, n, args.chunk, args.budget)))
        if not args.no_postgres:
            print(asyncio.run(_profile_postgres(args.pg_admin_url, n, args.chunk, args.budget)))
    return 0


async def _profile_postgres(admin_url: str, jobs: int, chunk: int, budget: float) -> str:
    async with pg_database(admin_url) as (url, note):
        if url is None:
            return note
        return await profile_engine("PostgreSQL", url, jobs, chunk, budget)


if __name__ == "__main__":
    sys.exit(main())
