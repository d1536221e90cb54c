"""Job management at scale: the list, its filters, search, statistics and rename over HTTP,
on a million jobs, against the predecessor's way (load every job, filter in Python).

    .venv/bin/python -m bench.management [--jobs 1000000] [--runs 40] [--baseline-runs 2]
                                         [--no-sqlite] [--no-postgres] [--write-docs]
                                         [--pg-admin-url postgresql://postgres@127.0.0.1/test]

For each database the benchmark seeds ``--jobs`` jobs (``bench/_seed.py``: a year of
history, 1–4 image rows per completed job; SQLite in a temporary folder, PostgreSQL in a
fresh ``gf_bench_<random>`` database dropped at the end), starts the real application
in-process (``create_app``, no workers) and sends each request ``--runs`` times through
``httpx.ASGITransport`` — routing, validation, the queries, JSON: everything but the
socket. It reports p50 and p95 per request (goal: p95 ≤ 50 ms).

The baseline, measured ``--baseline-runs`` times on the same data: read every job row,
filter, search (substring), sort and page in Python, and count — what the predecessor's
``job-execution:get-all`` + client-side filtering does.

Prints Markdown tables; ``--write-docs`` also replaces the "Job management" section of
``docs/benchmarks.md``. Always exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import fmt, machine, markdown_table, percentile, verdict
from bench._seed import CONFIGS, SeedSpec, pg_database, seed_postgres, seed_sqlite

DEFAULT_PG_ADMIN = "postgresql://postgres@127.0.0.1/test"
GOAL_MS = 50.0
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def _day(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).date().isoformat()


#: (name, group, query parameters) of the GET requests measured.
LIST_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("first page (25, newest first)", "page", {"page": 1, "page_size": 25}),
    ("page 2, 100 per page", "page", {"page": 2, "page_size": 100}),
    ("status = completed", "filter", {"status": "completed"}),
    ("status = failed, stopped", "filter", {"status": "failed,stopped"}),
    ("status = pending (queued)", "filter", {"status": "pending"}),
    ("status = running, uploading", "filter", {"status": "running,uploading"}),
    ("date range: last 7 days", "filter", {"from": _day(7)}),
    ("date range: a month, a year ago", "filter", {"from": _day(340), "to": _day(310)}),
    ("configuration", "filter", {"configuration": CONFIGS[3]}),
    ("sort: label A→Z", "sort", {"sort": "label", "order": "asc"}),
    ("sort: longest duration", "sort", {"sort": "duration"}),
    ("sort: most images", "sort", {"sort": "images"}),
    ("sort: status", "sort", {"sort": "status", "order": "asc"}),
    ("search: rare word (~0.05 %)", "search", {"q": "zeppelin"}),
    ("search: label words (~0.3 %)", "search", {"q": "summer hero"}),
    ("search: word prefix (~1 %)", "search", {"q": "lighth"}),
    ("search: common word (~10 %)", "search", {"q": "portrait"}),
    ("search: job-id prefix", "search", {"q": "<id8>"}),
    (
        "combined: status + 90 days + 2 configs + search, by label",
        "combined",
        {
            "status": "completed",
            "from": _day(90),
            "configuration": [CONFIGS[3], CONFIGS[5]],
            "q": "lighthouse",
            "sort": "label",
            "order": "asc",
        },
    ),
    (
        "combined: failed + last 30 days + search, longest first",
        "combined",
        {"status": "failed", "from": _day(30), "q": "portrait", "sort": "duration"},
    ),
]
STATS_CASES: list[tuple[str, dict[str, Any]]] = [
    ("statistics: all jobs", {}),
    ("statistics: status = completed, failed", {"status": "completed,failed"}),
    ("statistics: last 30 days", {"from": _day(30)}),
    ("statistics: configuration + a quarter", {"configuration": CONFIGS[3], "from": _day(90)}),
    ("statistics: search (~1 %)", {"q": "lighthouse"}),
]


@dataclass
class Row:
    backend: str
    group: str
    name: str
    samples: list[float] = field(default_factory=list)
    total: int | None = None

    @property
    def p50(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)


@dataclass
class Baseline:
    backend: str
    seconds: list[float]
    rss_mb: float
    matched: int


@dataclass
class Outcome:
    backend: str
    jobs: int
    seed_seconds: float
    rows: list[Row]
    baseline: Baseline | None
    note: str = ""


@contextlib.asynccontextmanager
async def running_app(data_dir: Path, database_url: str | None) -> AsyncIterator[Any]:
    import httpx

    from genfactory.api.app import create_app
    from genfactory.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=database_url, workers=0, mode="test")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client


async def measure(client: Any, rows: list[Row], backend: str, runs: int) -> None:
    first = (await client.get("/api/jobs", params={"page_size": 1})).json()["items"][0]["id"]
    cases = [
        (name, group, {k: (first[:8] if v == "<id8>" else v) for k, v in params.items()})
        for name, group, params in LIST_CASES
    ]
    ids = [
        j["id"]
        for j in (await client.get("/api/jobs", params={"page": 3, "page_size": 100})).json()[
            "items"
        ]
    ]
    for name, group, params in cases:
        row = Row(backend, group, name)
        for n in range(runs + 1):
            started = time.perf_counter()
            response = await client.get("/api/jobs", params=params)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            if n:  # the first run warms the caches
                row.samples.append(elapsed * 1000)
            row.total = response.json()["total"]
        rows.append(row)
    for name, params in STATS_CASES:
        row = Row(backend, "statistics", name)
        for n in range(runs + 1):
            started = time.perf_counter()
            response = await client.get("/api/jobs/stats", params=params)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            if n:
                row.samples.append(elapsed * 1000)
            row.total = response.json()["total"]["count"]
        rows.append(row)
    row = Row(backend, "rename", "rename (PATCH label)")
    for n in range(runs + 1):
        job_id = ids[n % len(ids)]
        started = time.perf_counter()
        response = await client.patch(f"/api/jobs/{job_id}", json={"label": f"Renamed {n}"})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
        if n:
            row.samples.append(elapsed * 1000)
    rows.append(row)


async def baseline(database_url: str, runs: int) -> Baseline:
    """The predecessor's way: every row into Python, then filter, search, sort, page."""
    import psutil
    from sqlalchemy import select

    from genfactory.store.engine import Database
    from genfactory.store.jobs import JobRecord
    from genfactory.store.tables import jobs

    db = Database(database_url)
    process = psutil.Process()
    seconds: list[float] = []
    peak = 0.0
    matched = 0
    cutoff = time.time() - 90 * 86400
    try:
        for _ in range(runs):
            gc.collect()
            before = process.memory_info().rss
            started = time.perf_counter()
            async with db.read() as conn:
                records = [JobRecord.from_row(r) for r in await conn.execute(select(jobs))]
            wanted = {CONFIGS[3], CONFIGS[5]}
            found = [
                j
                for j in records
                if j.status.value == "completed"
                and j.created_at >= cutoff
                and j.configuration_name in wanted
                and "lighthouse" in f"{j.label or ''} {j.prompt} {j.id}".lower()
            ]
            found.sort(key=lambda j: ((j.label or "").lower(), j.created_at, j.id))
            page = found[:25]
            matched = len(found)
            seconds.append(time.perf_counter() - started)
            peak = max(peak, (process.memory_info().rss - before) / 2**20)
            del records, found, page
    finally:
        await db.dispose()
    return Baseline("", seconds, peak, matched)


async def run_sqlite(jobs: int, runs: int, baseline_runs: int) -> Outcome:
    tmp = Path(tempfile.mkdtemp(prefix="gf-bench-mgmt-"))
    try:
        path = tmp / "genfactory.db"
        seed_seconds = await asyncio.to_thread(seed_sqlite, path, SeedSpec(jobs))
        rows: list[Row] = []
        url = f"sqlite+aiosqlite:///{path}"
        async with running_app(tmp, url) as client:
            await measure(client, rows, "SQLite", runs)
        base = await baseline(url, baseline_runs) if baseline_runs else None
        if base:
            base.backend = "SQLite"
        return Outcome("SQLite", jobs, seed_seconds, rows, base)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def run_postgres(admin_url: str, jobs: int, runs: int, baseline_runs: int) -> Outcome:
    async with pg_database(admin_url) as (url, note):
        if url is None:
            return Outcome("PostgreSQL", jobs, 0.0, [], None, note)
        tmp = Path(tempfile.mkdtemp(prefix="gf-bench-mgmt-"))
        try:
            seed_seconds = await seed_postgres(url, SeedSpec(jobs))
            rows: list[Row] = []
            async with running_app(tmp, url) as client:
                await measure(client, rows, "PostgreSQL", runs)
            base = await baseline(url, baseline_runs) if baseline_runs else None
            if base:
                base.backend = "PostgreSQL"
            return Outcome("PostgreSQL", jobs, seed_seconds, rows, base, note)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


NOTES = """Reading the numbers: everything but search is answered from indexes and the
trigger-kept counts (`job_totals`, `job_counts`) whatever the size of the result. A search
alone is counted without reading its matches: SQLite inside the FTS index (doclists),
PostgreSQL from `search_words` (each word with the number of jobs having it, kept by
triggers; migration 0008) — a word in 10 % of a million jobs is one row, and a prefix is
first turned into the whole words it begins, so the GIN index looks up words instead of
gathering a partial match. What still reads each match once: statistics with a search
(status and date of every match; SQLite ~2–3 µs a row here, PostgreSQL a heap visit),
several words together on PostgreSQL (the jobs having all of them), and a search combined
with filters (counted with the page, in one pass, when few match). The p95 column moves
most with the machine's load."""


def report(outcomes: list[Outcome], args: argparse.Namespace, load: tuple[float, ...]) -> str:
    done = [o for o in outcomes if o.rows]
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; load average at the start "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (other work shared the machine).",
        f"`python -m bench.management --jobs {args.jobs} --runs {args.runs} "
        f"--baseline-runs {args.baseline_runs}`: {args.runs} requests per row after one "
        "warm-up, in-process over ASGI (everything but the socket).",
        "",
    ]
    for o in outcomes:
        if not o.rows:
            lines.append(f"- {o.backend}: {o.note}")
    if any(not o.rows for o in outcomes):
        lines.append("")
    seeds = ", ".join(f"{o.backend} {o.seed_seconds:.0f} s" for o in done)
    if done:
        lines += [f"Seeding {done[0].jobs:,} jobs (with images): {seeds}.", ""]
    names = [(r.group, r.name) for r in done[0].rows] if done else []
    headers = ["request", "matches"]
    for o in done:
        headers += [f"{o.backend} p50 ms", f"{o.backend} p95 ms"]
    table_rows = []
    for _group, name in names:
        cells: list[Any] = [name]
        totals = {r.total for o in done for r in o.rows if r.name == name and r.total is not None}
        cells.append(fmt(next(iter(totals))) if len(totals) == 1 else "/".join(map(fmt, totals)))
        for o in done:
            row = next(r for r in o.rows if r.name == name)
            cells += [fmt(row.p50), fmt(row.p95)]
        table_rows.append(cells)
    lines.append(markdown_table(headers, table_rows))
    lines.append("")
    for o in done:
        worst = max(o.rows, key=lambda r: r.p95)
        within = sum(1 for r in o.rows if r.p95 <= GOAL_MS)
        lines.append(
            f"- {o.backend}: {within}/{len(o.rows)} requests within p95 ≤ {GOAL_MS:.0f} ms "
            f"({verdict(within == len(o.rows))}); slowest p95: {worst.name} "
            f"({worst.p95:.1f} ms)."
        )
    lines += ["", NOTES]
    bases = [o.baseline for o in done if o.baseline]
    if bases:
        lines += [
            "",
            "Baseline — every job loaded and filtered in Python (the combined request above):",
            "",
            markdown_table(
                ["database", "runs", "seconds (each)", "extra memory MB", "matches"],
                [
                    [
                        b.backend,
                        len(b.seconds),
                        ", ".join(f"{s:.1f}" for s in b.seconds),
                        fmt(b.rss_mb, 0),
                        fmt(b.matched),
                    ]
                    for b in bases
                ],
            ),
            "",
        ]
        for o in done:
            if o.baseline:
                ours = next(r for r in o.rows if r.group == "combined")
                factor = statistics.median(o.baseline.seconds) * 1000 / max(ours.p50, 1e-9)
                lines.append(
                    f"- {o.backend}: the indexed request is {factor:,.0f}× faster than the "
                    "baseline (median against p50)."
                )
    return "\n".join(lines)


def write_section(title: str, body: str) -> None:
    """Replace (or add) ``## title`` in docs/benchmarks.md, leaving other sections alone."""
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    marker = f"## {title}\n"
    section = f"{marker}\n{body.rstrip()}\n"
    if marker in text:
        start = text.index(marker)
        rest = text[start + len(marker) :]
        following = rest.find("\n## ")
        end = start + len(marker) + (following + 1 if following >= 0 else len(rest))
        text = text[:start] + section + ("\n" + text[end:] if following >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + section
    DOCS.write_text(text if text.endswith("\n") else text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--baseline-runs", type=int, default=2)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    random.seed(1)
    load = os.getloadavg()
    outcomes: list[Outcome] = []
    if not args.no_sqlite:
        outcomes.append(asyncio.run(run_sqlite(args.jobs, args.runs, args.baseline_runs)))
        print(f"SQLite done ({outcomes[-1].seed_seconds:.0f} s seeding)", flush=True)
    if not args.no_postgres:
        outcomes.append(
            asyncio.run(run_postgres(args.pg_admin_url, args.jobs, args.runs, args.baseline_runs))
        )
        print("PostgreSQL done", flush=True)
    text = report(outcomes, args, load)
    print(text)
    if args.write_docs:
        write_section("Job management", text)


if __name__ == "__main__":
    main()
