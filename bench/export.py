"""Export to Excel: our streaming export against pandas ``to_excel``, rows per second and
peak memory, at growing sizes.

    .venv/bin/python -m bench.export [--sizes 25000 50000 100000] [--pandas-sizes 25000 100000]
                                     [--write-docs]

One SQLite database (a temporary folder) is seeded with the largest size
(``bench/_seed.py``: 1–4 image rows per completed job). Each export then runs in a fresh
subprocess, exporting the oldest N jobs (``to`` = the N-th job's creation time), while a
thread samples the process's RSS every 10 ms; the peak above the RSS just before the export
started is reported.

* **ours** — :func:`genfactory.exports.export_jobs`: keyset-paginated reads of 1,000 jobs,
  XlsxWriter in ``constant_memory`` mode with the rows of each chunk rendered at once
  (``genfactory/exports/_worksheet.py``), sheets Jobs / Images / Filters.
* **pandas** (the baseline) — the same rows read with ``pandas.read_sql_query`` (jobs with
  their settings expanded into columns, images with their job's prompt), written with
  ``DataFrame.to_excel`` through ``pandas.ExcelWriter`` with its default engine (openpyxl)
  and, as a second baseline, with the XlsxWriter engine.

Prints a Markdown table; ``--write-docs`` replaces the "Export" section of
``docs/benchmarks.md``. Always exits 0. (``--role worker`` is internal.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, fmt, machine, markdown_table, verdict
from bench._seed import SeedSpec, seed_sqlite

TIME_COLUMNS = (
    "created_at",
    "updated_at",
    "status_changed_at",
    "run_after",
    "lease_expires_at",
    "started_at",
    "attempt_started_at",
    "finished_at",
)


class RssSampler:
    """Peak resident memory of this process above a starting point, sampled in a thread."""

    def __init__(self, interval: float = 0.01) -> None:
        import psutil

        self.process = psutil.Process()
        self.interval = interval
        self.start_rss = self.process.memory_info().rss
        self.peak = self.start_rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def extra_mb(self) -> float:
        return (self.peak - self.start_rss) / 2**20


def export_ours(db_path: Path, cutoff: float, out: Path) -> dict[str, Any]:
    from genfactory.exports import export_jobs
    from genfactory.store.blobs import BlobStore
    from genfactory.store.engine import Database
    from genfactory.store.search import JobFilter

    async def run() -> dict[str, Any]:
        db = Database(f"sqlite+aiosqlite:///{db_path}")
        try:
            result = await export_jobs(
                db,
                BlobStore(db_path.parent / "blobs"),
                JobFilter(created_to=cutoff),
                out / "ours.xlsx",
                filters=[("to", cutoff)],
            )
        finally:
            await db.dispose()
        return {"jobs": result.jobs, "images": result.images, "bytes": result.bytes}

    return asyncio.run(run())


def export_pandas(db_path: Path, cutoff: float, out: Path, engine: str) -> dict[str, Any]:
    import pandas as pd

    conn = sqlite3.connect(db_path)
    try:
        jobs = pd.read_sql_query(
            "SELECT * FROM jobs WHERE created_at < ? ORDER BY created_at, id",
            conn,
            params=(cutoff,),
        )
        images = pd.read_sql_query(
            "SELECT images.*, jobs.prompt FROM images JOIN jobs ON jobs.id = images.job_id "
            'WHERE jobs.created_at < ? ORDER BY jobs.created_at, jobs.id, images."index"',
            conn,
            params=(cutoff,),
        )
    finally:
        conn.close()
    settings = pd.json_normalize(jobs["params"].map(json.loads).tolist()).add_prefix("param: ")
    jobs = pd.concat([jobs.drop(columns=["params"]), settings], axis=1)
    for column in TIME_COLUMNS:
        jobs[column] = pd.to_datetime(jobs[column], unit="s")
    for column in ("qc_at", "created_at"):
        images[column] = pd.to_datetime(images[column], unit="s")
    target = out / f"pandas-{engine}.xlsx"
    with pd.ExcelWriter(target, engine=engine) as writer:
        jobs.to_excel(writer, sheet_name="Jobs", index=False)
        images.to_excel(writer, sheet_name="Images", index=False)
        pd.DataFrame({"filter": ["to"], "value": [cutoff]}).to_excel(
            writer, sheet_name="Filters", index=False
        )
    return {"jobs": len(jobs), "images": len(images), "bytes": target.stat().st_size}


def worker(args: argparse.Namespace) -> None:
    db_path = Path(args.db)
    out = Path(tempfile.mkdtemp(prefix="gf-bench-export-out-"))
    try:
        if args.variant != "ours":
            import pandas  # noqa: F401  (imported before measuring, like ours)
        else:
            import genfactory.exports  # noqa: F401
        with RssSampler() as sampler:
            started, cpu = time.perf_counter(), time.process_time()
            if args.variant == "ours":
                result = export_ours(db_path, args.cutoff, out)
            else:
                result = export_pandas(db_path, args.cutoff, out, args.variant.split("-", 1)[1])
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(json.dumps({**result, "seconds": seconds, "cpu": cpu, "extra_mb": sampler.extra_mb}))
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run_variant(variant: str, db: Path, cutoff: float) -> dict[str, Any] | None:
    command = [
        sys.executable,
        "-m",
        "bench.export",
        "--role",
        "worker",
        "--variant",
        variant,
        "--db",
        str(db),
        "--cutoff",
        repr(cutoff),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"{variant} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    parser.add_argument("--pandas-sizes", type=int, nargs="*", default=[25_000, 100_000])
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of each export; the fastest is reported"
    )
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--role", default="main", help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--cutoff", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "worker":
        worker(args)
        return
    load = os.getloadavg()
    largest = max(args.sizes + (args.pandas_sizes if not args.no_pandas else []))
    tmp = Path(tempfile.mkdtemp(prefix="gf-bench-export-"))
    try:
        db = tmp / "genfactory.db"
        seed_seconds = seed_sqlite(db, SeedSpec(largest))
        conn = sqlite3.connect(db)
        times = [r[0] for r in conn.execute("SELECT created_at FROM jobs ORDER BY created_at, id")]
        conn.close()

        def cutoff(size: int) -> float:
            return times[size] if size < len(times) else times[-1] + 1

        plan = [("ours", n) for n in args.sizes]
        if not args.no_pandas:
            for engine in ("openpyxl", "xlsxwriter"):
                plan += [(f"pandas-{engine}", n) for n in args.pandas_sizes]
        runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for attempt in range(max(args.repeat, 1)):
            # Rounds, not back-to-back repeats: a busy minute on the machine then hits every
            # variant instead of one.
            for variant, size in plan:
                print(f"{variant} × {size:,} (run {attempt + 1}) …", file=sys.stderr, flush=True)
                result = run_variant(variant, db, cutoff(size))
                if result is not None:
                    runs.setdefault((variant, size), []).append(result)
        results = [
            (variant, size, min(found, key=lambda r: r["seconds"]))
            for (variant, size), found in runs.items()
        ]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = report(results, args, load, seed_seconds, largest)
    print(text)
    if args.write_docs:
        from bench.management import write_section

        write_section("Export", text)


def report(
    results: list[tuple[str, int, dict[str, Any]]],
    args: argparse.Namespace,
    load: tuple[float, ...],
    seed_seconds: float,
    largest: int,
) -> str:
    names = {
        "ours": "ours (XlsxWriter constant_memory, streamed)",
        "pandas-openpyxl": "pandas to_excel (openpyxl, pandas' default)",
        "pandas-xlsxwriter": "pandas to_excel (xlsxwriter engine)",
    }
    rows = []
    for variant, _size, r in results:
        rows.append(
            [
                names[variant],
                fmt(r["jobs"]),
                fmt(r["images"]),
                fmt(r["seconds"], 1),
                fmt(r["cpu"], 1),
                fmt(r["jobs"] / r["seconds"], 0),
                fmt(r["extra_mb"], 0),
                fmt(r["bytes"] / 2**20, 1),
            ]
        )
    baseline = (
        "--no-pandas"
        if args.no_pandas
        else f"--pandas-sizes {' '.join(map(str, args.pandas_sizes))}"
    )
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; load average at the start "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (other work shared the machine).",
        f"`python -m bench.export --sizes {' '.join(map(str, args.sizes))} {baseline} "
        f"--repeat {args.repeat}`: "
        "one SQLite database seeded with "
        f"{largest:,} jobs ({seed_seconds:.0f} s), each export in a fresh process; "
        f"the fastest of {args.repeat} runs (in rounds) is shown; “CPU s” is the process's "
        "CPU time (all threads), less sensitive to other load than the wall clock; “extra MB” "
        "is the peak RSS above the RSS just before the export.",
        "",
        markdown_table(
            ["export", "jobs", "image rows", "seconds", "CPU s", "jobs/s", "extra MB", "file MB"],
            rows,
        ),
        "",
    ]
    ours = {s: r for v, s, r in results if v == "ours"}
    base = {s: r for v, s, r in results if v == "pandas-openpyxl"}
    common = sorted(set(ours) & set(base))
    if common:
        size = common[-1]
        speed = (ours[size]["jobs"] / ours[size]["seconds"]) / (
            base[size]["jobs"] / base[size]["seconds"]
        )
        by_cpu = base[size]["cpu"] / ours[size]["cpu"]
        lines.append(
            f"- At {size:,} jobs ours exports {speed:.1f}× as many jobs per second as pandas "
            f"with its default engine (wall clock; {by_cpu:.1f}× by CPU time) — goal ≥ 3×: "
            f"{verdict(speed >= 3)}."
        )
    if len(ours) >= 2:
        small, big = min(ours), max(ours)
        growth = ours[big]["extra_mb"] - ours[small]["extra_mb"]
        flat = growth <= max(25.0, 0.25 * ours[small]["extra_mb"])
        lines.append(
            f"- Our peak extra memory: {ours[small]['extra_mb']:.0f} MB at {small:,} jobs, "
            f"{ours[big]['extra_mb']:.0f} MB at {big:,} — flat: {verdict(flat)}."
        )
    if len(base) >= 2:
        small, big = min(base), max(base)
        lines.append(
            f"- pandas (openpyxl): {base[small]['extra_mb']:.0f} MB at {small:,} jobs, "
            f"{base[big]['extra_mb']:.0f} MB at {big:,} (it holds every row, then the sheet)."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
