"""Seeding many jobs fast, for the management and export benchmarks.

The schema comes from the real migrations; rows go in the fastest way each database offers:
SQLite through ``executemany`` in one transaction with ``synchronous=OFF`` (the per-row
search and count triggers are replaced by one rebuild at the end), PostgreSQL through binary
``COPY`` (``asyncpg.copy_records_to_table``; the count and ``search_words`` triggers fire
per statement, as they do in production).

PostgreSQL gets ``VACUUM ANALYZE`` once after the load: the state autovacuum brings a table
to after a bulk change (inserts trigger it since PostgreSQL 13), so the planner has
statistics. The search does not depend on the visibility map it also sets (GIN bitmap scans
visit the heap whatever it says); the index-only walks of the sort indexes do, and in
production the newest, not yet vacuumed pages cost them one heap visit per row they keep.

The data look like a year of use: jobs spread over 365 days, 85 % completed with 1–4
images each, a few failed or cancelled, a small live queue in the last hour; 60 % carry a
label from a few campaigns; prompts are 8–20 words drawn from a Zipf-like vocabulary with
known marker words for the searches (``lighthouse`` in ~1 %, ``zeppelin`` in ~0.05 %,
``portrait`` in ~10 % of prompts).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DAY = 86400.0
CONFIGS = [
    f"Config {name}"
    for name in (
        "Product Photos",
        "Marketing Assets",
        "Social Square",
        "Hero Banner",
        "Catalog",
        "Thumbnails",
        "Posters",
        "Avatars",
        "Backgrounds",
        "Icons",
        "Packaging",
        "Lookbook",
        "Editorial",
        "Storyboard",
        "Concept Art",
        "Textures",
        "Mockups",
        "Ads Wide",
        "Ads Tall",
        "Print",
    )
]
CAMPAIGNS = [
    "Summer Sale",
    "Winter Launch",
    "Spring Lookbook",
    "Autumn Catalog",
    "Black Friday",
    "Holiday Cards",
    "Brand Refresh",
    "Product Photos",
    "Marketing Assets",
    "Social Push",
    "Trade Show",
    "Newsletter",
    "Website Hero",
    "App Store",
    "Press Kit",
    "Blog Covers",
    "Recruiting",
    "Investor Deck",
    "Packaging v2",
    "Retail Displays",
]
KINDS = ["hero", "banner", "square", "story", "thumbnail", "poster", "card", "tile", "cover", "ad"]
_WORDS = (
    "a an the of in on at with and under over near by from into across beside "
    "sunset sunrise dusk dawn night morning city forest ocean sea river mountain desert "
    "castle garden street market harbour bridge tower village meadow lake island canyon "
    "cat dog fox owl horse dragon robot astronaut knight wizard dancer sailor chef child "
    "red blue green golden silver purple crimson amber teal ivory neon pastel "
    "watercolor oil sketch photo cinematic isometric minimal vintage retro futuristic "
    "soft dramatic moody bright dark foggy rainy snowy stormy calm glowing misty "
    "light shadow reflection silhouette texture pattern detail closeup wide aerial"
)
_BASE_WORDS = _WORDS.split()


def _vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = list(_BASE_WORDS)
    while len(words) < size:
        length = rng.randint(4, 10)
        words.append("".join(rng.choice(letters) for _ in range(length)))
    return words


@dataclass
class SeedSpec:
    jobs: int
    seed: int = 7
    now: float = 0.0
    images: bool = True

    def __post_init__(self) -> None:
        if not self.now:
            self.now = time.time()


Rows = list[tuple[Any, ...]]


def generate(spec: SeedSpec, chunk: int = 50_000) -> Iterator[tuple[Rows, Rows]]:
    """Job rows and image rows, in creation order, a chunk at a time. Columns follow
    :data:`JOB_COLUMNS` and :data:`IMAGE_COLUMNS`. Vectorised with numpy: a million jobs
    take seconds, not minutes."""
    import numpy as np

    rng = np.random.default_rng(spec.seed)
    vocab = _vocabulary(random.Random(spec.seed))
    cumulative = np.cumsum(1.0 / np.arange(1, len(vocab) + 1) ** 0.9)
    shas = [rng.bytes(32).hex() for _ in range(20_000)]
    live = min(300, max(spec.jobs // 1000, 5))
    old = spec.jobs - live
    times = np.sort(spec.now - 365 * DAY + rng.random(old) * (365 * DAY - 3600))
    times = np.concatenate([times, np.sort(spec.now - 3600 + rng.random(live) * 3500)])
    statuses_old = np.array(["completed", "failed", "cancelled"])
    statuses_live = np.array(["queued", "running", "uploading"])
    sizes = np.array([256, 512, 768, 1024])
    styles = [None, "photo", "pastel", "ink"]
    for begin in range(0, spec.jobs, chunk):
        n = min(chunk, spec.jobs - begin)
        created = times[begin : begin + n]
        is_live = np.arange(begin, begin + n) >= old
        lengths = rng.integers(8, 21, n)
        picks = np.searchsorted(cumulative, rng.random(int(lengths.sum())) * cumulative[-1])
        words = [vocab[i] for i in picks.tolist()]
        marker = rng.random(n)
        portrait = rng.random(n) < 0.10
        labelled = rng.random(n) < 0.6
        campaign = rng.integers(0, len(CAMPAIGNS), n).tolist()
        kind = rng.integers(0, len(KINDS), n).tolist()
        number = rng.integers(1, 1000, n).tolist()
        has_config = rng.random(n) < 0.7
        config = rng.integers(0, len(CONFIGS), n).tolist()
        status_old = statuses_old[
            np.searchsorted(np.array([0.85, 0.94, 1.0]), rng.random(n), side="right").clip(0, 2)
        ]
        status_live = statuses_live[
            np.searchsorted(np.array([0.9, 0.98, 1.0]), rng.random(n), side="right").clip(0, 2)
        ]
        status = np.where(is_live, status_live, status_old).tolist()
        queue_wait = rng.random(n)
        start_delay = rng.random(n) * 60
        durations = np.minimum(rng.lognormal(4.0, 1.2, n), 7200.0)
        never_started = rng.random(n) < 0.3
        counts = rng.integers(1, 5, n)
        size = sizes[rng.integers(0, 4, n)].tolist()
        steps = rng.integers(4, 51, n).tolist()
        style = rng.integers(0, 4, n).tolist()
        seeds = rng.integers(0, 2**31 - 1, n).tolist()
        ids = rng.bytes(16 * n).hex()
        image_ids = rng.bytes(16 * 4 * n).hex()
        image_bytes = rng.integers(20_000, 900_000, 4 * n).tolist()
        image_sha = rng.integers(0, len(shas), 8 * n).tolist()
        created_list = created.tolist()
        job_rows: Rows = []
        image_rows: Rows = []
        offset = 0
        for k in range(n):
            length = int(lengths[k])
            prompt_words = words[offset : offset + length]
            offset += length
            if marker[k] < 0.01:
                prompt_words.insert(length // 2, "lighthouse")
            elif marker[k] > 0.9995:
                prompt_words.insert(length // 3, "zeppelin")
            if portrait[k]:
                prompt_words.append("portrait")
            prompt = " ".join(prompt_words).capitalize()
            label = (
                f"{CAMPAIGNS[campaign[k]]} {KINDS[kind[k]]} {number[k]}" if labelled[k] else None
            )
            config_name = CONFIGS[config[k]] if has_config[k] else None
            state = status[k]
            at = created_list[k]
            started = finished = None
            run_after = at
            if state in ("running", "uploading"):
                started = at + start_delay[k] / 12
            elif state == "queued":
                if queue_wait[k] < 0.2:
                    run_after = spec.now + queue_wait[k] * 1500  # waiting for a back-off
            elif state == "completed" or not never_started[k]:
                started = at + float(start_delay[k])
                finished = started + float(durations[k])
            else:
                finished = at + float(start_delay[k]) / 2
            count = int(counts[k]) if state == "completed" else 0
            job_id = ids[32 * k : 32 * k + 32]
            side = size[k]
            params = (
                f'{{"size": "{side}x{side}", "width": {side}, "height": {side}, '
                f'"steps": {steps[k]}, "count": {max(count, 1)}, '
                f'"style": {json.dumps(styles[style[k]])}, "seed": {seeds[k]}}}'
            )
            changed = finished or started or at
            job_rows.append(
                (
                    job_id, at, changed, state, changed, prompt, label, "procedural", params,
                    None, config_name, 1 if config_name else None, None, 1, 3, run_after,
                    None, None, started, started, finished, 0, state,
                    100.0 if state == "completed" else 0.0, None, None, "", None, count,
                )
            )  # fmt: skip
            if spec.images:
                for index in range(count):
                    j = 4 * k + index
                    image_rows.append(
                        (
                            image_ids[32 * j : 32 * j + 32], job_id, index, seeds[k] + index,
                            side, side, "png", image_bytes[j], shas[image_sha[2 * j]],
                            shas[image_sha[2 * j + 1]], "pending", None, None, finished or at,
                        )
                    )  # fmt: skip
        yield job_rows, image_rows


JOB_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "status",
    "status_changed_at",
    "prompt",
    "label",
    "provider",
    "params",
    "configuration_id",
    "configuration_name",
    "configuration_version",
    "rerun_of",
    "attempt",
    "max_attempts",
    "run_after",
    "lease_owner",
    "lease_expires_at",
    "started_at",
    "attempt_started_at",
    "finished_at",
    "last_seq",
    "stage",
    "percent",
    "step",
    "total_steps",
    "progress_message",
    "error",
    "image_count",
)
IMAGE_COLUMNS = (
    "id",
    "job_id",
    "index",
    "seed",
    "width",
    "height",
    "format",
    "bytes",
    "sha256",
    "thumb_sha256",
    "qc_status",
    "qc_reason",
    "qc_at",
    "created_at",
)


async def migrate(url: str) -> None:
    from genfactory.store.engine import Database
    from genfactory.store.migrate import upgrade

    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


#: Per-row triggers a bulk load replaces by one rebuild at the end (re-created afterwards
#: from their own stored SQL, so the database ends exactly as the migrations left it).
_BULK_TRIGGERS = ("jobs_fts_insert", "jobs_counts_insert", "jobs_totals_insert")


def seed_sqlite(path: Path, spec: SeedSpec) -> float:
    """Create the schema in ``path`` and fill it; return seconds spent loading."""
    asyncio.run(migrate(f"sqlite+aiosqlite:///{path}"))
    conn = sqlite3.connect(path, isolation_level=None)
    started = time.perf_counter()
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-524288")
    triggers = [
        conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
        for name in _BULK_TRIGGERS
    ]
    conn.execute("BEGIN")
    for name in _BULK_TRIGGERS:
        conn.execute(f"DROP TRIGGER {name}")
    columns = ", ".join(JOB_COLUMNS)
    job_sql = f"INSERT INTO jobs ({columns}) VALUES ({', '.join('?' * len(JOB_COLUMNS))})"
    quoted = ", ".join(f'"{c}"' for c in IMAGE_COLUMNS)
    image_sql = f"INSERT INTO images ({quoted}) VALUES ({', '.join('?' * len(IMAGE_COLUMNS))})"
    for job_rows, image_rows in generate(spec):
        conn.executemany(job_sql, job_rows)
        conn.executemany(image_sql, image_rows)
    conn.execute("INSERT INTO jobs_fts(jobs_fts) VALUES ('rebuild')")
    conn.execute("DELETE FROM job_counts")
    conn.execute(
        "INSERT INTO job_counts (day, status, configuration_name, jobs) "
        "SELECT CAST(created_at AS INTEGER) / 86400, status, coalesce(configuration_name, ''), "
        "count(*) FROM jobs GROUP BY 1, 2, 3"
    )
    conn.execute("DELETE FROM job_totals")
    conn.execute(
        "INSERT INTO job_totals (status, configuration_name, jobs) "
        "SELECT status, coalesce(configuration_name, ''), count(*) FROM jobs GROUP BY 1, 2"
    )
    for sql in triggers:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return time.perf_counter() - started


async def seed_postgres(url: str, spec: SeedSpec) -> float:
    """Create the schema in the database at ``url`` (SQLAlchemy URL) and fill it; return
    seconds spent loading. The GIN search index is built once after the load (the way a
    bulk load is done; the count triggers fire per COPY statement as in production)."""
    import asyncpg

    await migrate(url)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    started = time.perf_counter()
    try:
        await conn.execute("SET maintenance_work_mem = '512MB'")
        search_index = await conn.fetchval(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_jobs_search'"
        )
        await conn.execute("DROP INDEX ix_jobs_search")
        for job_rows, image_rows in generate(spec):
            async with conn.transaction():
                await conn.copy_records_to_table("jobs", records=job_rows, columns=JOB_COLUMNS)
                if image_rows:
                    await conn.copy_records_to_table(
                        "images", records=image_rows, columns=IMAGE_COLUMNS
                    )
        await conn.execute(search_index)
        for table in ("jobs", "images", "job_counts", "job_totals", "search_words"):
            await conn.execute(f"VACUUM ANALYZE {table}")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def _pg_admin(admin_url: str, sql: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(admin_url, timeout=5)
    try:
        await conn.execute(sql)
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def pg_database(admin_url: str) -> AsyncIterator[tuple[str | None, str]]:
    """A fresh database ``gf_bench_<random>``, dropped afterwards: ``(url, note)``, or
    ``(None, why)`` when the server does not answer."""
    name = f"gf_bench_{uuid.uuid4().hex[:12]}"
    try:
        version = await _pg_admin(admin_url, f'CREATE DATABASE "{name}"')
    except Exception as exc:  # not reachable: skip and say why
        yield None, f"PostgreSQL skipped: not reachable ({type(exc).__name__}: {exc})"
        return
    base = admin_url.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{base}/{name}", f"PostgreSQL {version}"
    finally:
        with contextlib.suppress(Exception):
            await _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
