"""Exports of jobs to Excel (and optionally a ZIP with their images).

:func:`export_jobs` reads the selected jobs in chunks (a short read transaction each):
a list of ids in the order given, a filter oldest first (keyset-paginated on ``created_at,
id``), hands every chunk to the workbook writer in a worker
thread (the event loop stays free), and reports progress after each chunk. Memory stays flat:
one chunk of rows at a time, and XlsxWriter's ``constant_memory`` mode on disk.

:func:`save_copy` puts a finished export into the folder of the export preferences too.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.exports.xlsx import ExcelClock, ExportWorkbook
from genfactory.store.blobs import BlobStore
from genfactory.store.engine import Database
from genfactory.store.search import (
    JobFilter,
    Steering,
    estimated_job_count,
    filter_conditions,
    resolve_whole_words,
    walk_sort_index,
)
from genfactory.store.stats import count_jobs
from genfactory.store.tables import configurations, images, jobs

CHUNK = 1000
#: Called after each chunk with (rows done, rows in all); False means stop (cancelled).
Progress = Callable[[int, int], Awaitable[bool]]


class ExportCancelled(Exception):
    """The operation was cancelled while the export ran."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    jobs: int
    images: int
    image_files: int
    missing_files: int
    bytes: int
    seconds: float


async def export_jobs(
    db: Database,
    blobs: BlobStore,
    selection: JobFilter,
    target: Path,
    *,
    filters: Sequence[tuple[str, Any]],
    include_images: bool = False,
    progress: Progress | None = None,
    time_zone: ZoneInfo | None = None,
) -> ExportResult:
    """Write the jobs ``selection`` matches to ``target`` (``.xlsx``, or ``.zip`` holding
    ``jobs.xlsx`` and ``images/<job>/<n>.<ext>``), times on the wall clock of
    ``time_zone`` (UTC without one). Partial files are removed on failure."""
    clock = ExcelClock(time_zone)
    started = time.perf_counter()
    await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
    xlsx_path = (
        target.with_suffix(".xlsx") if not include_images else target.with_suffix(".part.xlsx")
    )
    async with db.read() as conn:
        # PostgreSQL: the search's last word as the whole words it stands for (as the job
        # list does), resolved once for every chunk of this export.
        selection = await resolve_whole_words(conn, selection)
        total = await count_jobs(conn, selection)
        steering = await _steering(conn, selection, total)
    book = await asyncio.to_thread(
        ExportWorkbook,
        xlsx_path,
        blobs=blobs,
        filters=[*filters, ("jobs", total), (f"exported at ({clock.name})", clock.now())],
        zip_path=target if include_images else None,
        clock=clock,
    )
    done = 0
    image_rows = 0
    configs: dict[str, dict[str, Any]] = {}
    cursor: _Cursor = 0 if selection.ids else None
    writing: asyncio.Future[None] | None = None
    try:
        while True:
            # Read the next chunk while the previous one is being written.
            async with db.read() as conn:
                chunk, cursor = await _next_chunk(conn, selection, steering, cursor)
                chunk_images = await _images_of(conn, [j.id for j in chunk]) if chunk else {}
                await _load_configurations(conn, chunk, configs)
            if writing is not None:
                await writing
                if progress is not None and not await progress(done, max(total, done)):
                    raise ExportCancelled
            if cursor == _DONE:
                break
            used = {
                j.configuration_id: configs[j.configuration_id]
                for j in chunk
                if j.configuration_id in configs
            }
            writing = asyncio.ensure_future(asyncio.to_thread(book.add, chunk, chunk_images, used))
            done += len(chunk)
            image_rows += sum(len(v) for v in chunk_images.values())
        await asyncio.to_thread(book.close)
    except BaseException:
        if writing is not None and not writing.done():
            await asyncio.gather(writing, return_exceptions=True)
        await asyncio.to_thread(_discard, book, xlsx_path, target)
        raise
    if include_images:
        await asyncio.to_thread(xlsx_path.unlink, missing_ok=True)
    size = (await asyncio.to_thread(target.stat)).st_size
    return ExportResult(
        path=target,
        jobs=done,
        images=image_rows,
        image_files=book.image_files,
        missing_files=book.missing_files,
        bytes=size,
        seconds=time.perf_counter() - started,
    )


#: The Filters sheet's prefix for the filters a selection of ids was picked under.
SELECTED_FROM = "selected from"


def selected_from_rows(summary: Any) -> list[tuple[str, Any]]:
    """The Filters sheet's rows for an export of ids picked under a filter (the request's
    ``selected_from``, as the JSON filter): ``("selected from: status", [...])``, … — one
    per field given; none without a filter. The ids alone choose the jobs."""
    if not isinstance(summary, dict):
        return []
    return [
        (f"{SELECTED_FROM}: {key}", value)
        for key, value in summary.items()
        if value not in (None, "", [])
    ]


def save_copy(source: Path, folder: Path) -> Path:
    """Copy a finished export into ``folder`` (created when missing) under its own name.
    The copy appears whole or not at all: it is written beside the target, then renamed.
    Blocking: run it in a worker thread."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    partial = folder / f".{source.name}.part"
    try:
        shutil.copyfile(source, partial)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def _discard(book: ExportWorkbook, *paths: Path) -> None:
    book.abort()
    for path in paths:
        path.unlink(missing_ok=True)


async def _steering(conn: AsyncConnection, f: JobFilter, total: int) -> Steering | None:
    """Walk ``created_at``'s index when many jobs match, else let the filter's indexes
    find them (SQLite; PostgreSQL plans for itself)."""
    if conn.dialect.name != "sqlite":
        return None
    walk = f.is_empty or walk_sort_index(total, await estimated_job_count(conn), CHUNK)
    return Steering(walk=walk, by_search=True)


#: Where the next chunk starts: ids — the position in the list given; a filter — after the
#: last job read (``created_at, id``), None at the start; :data:`_DONE` after the last chunk.
_Cursor = int | tuple[float, str] | str | None
_DONE = "done"


async def _next_chunk(
    conn: AsyncConnection, f: JobFilter, steering: Steering | None, cursor: _Cursor
) -> tuple[list[Any], _Cursor]:
    """The next chunk of jobs and the cursor after it (:data:`_DONE` with an empty chunk
    when none is left). Ids keep the order given (unknown ones are left out)."""
    if cursor == _DONE:
        return [], _DONE
    if isinstance(cursor, int):
        while cursor < len(f.ids):
            wanted = f.ids[cursor : cursor + CHUNK]
            cursor += len(wanted)
            # The other terms (if any) hold too; the ids of this chunk find the rows.
            query = select(jobs).where(*filter_conditions(conn, replace(f, ids=wanted)))
            found = {row.id: row for row in await conn.execute(query)}
            if found:
                return [found[i] for i in wanted if i in found], cursor
        return [], _DONE
    query = select(jobs).where(*filter_conditions(conn, f, steering=steering))
    if isinstance(cursor, tuple):
        query = query.where(tuple_(jobs.c.created_at, jobs.c.id) > tuple_(*cursor))
    rows = list(
        (await conn.execute(query.order_by(jobs.c.created_at, jobs.c.id).limit(CHUNK))).all()
    )
    if not rows:
        return [], _DONE
    return rows, (rows[-1].created_at, rows[-1].id)


async def _images_of(conn: AsyncConnection, job_ids: list[str]) -> dict[str, list[Any]]:
    rows = await conn.execute(
        select(*(images.c[name] for name in ExportWorkbook.IMAGE_FIELDS))
        .where(images.c.job_id.in_(job_ids))
        .order_by(images.c.job_id, images.c.index)
    )
    found: dict[str, list[Any]] = {}
    for row in rows.all():
        found.setdefault(row.job_id, []).append(row)
    return found


async def _load_configurations(
    conn: AsyncConnection, chunk: list[Any], known: dict[str, dict[str, Any]]
) -> None:
    wanted = {j.configuration_id for j in chunk if j.configuration_id} - known.keys()
    if not wanted:
        return
    rows = await conn.execute(
        select(configurations.c.id, configurations.c.settings).where(
            configurations.c.id.in_(sorted(wanted))
        )
    )
    for row in rows:
        known[row.id] = dict(row.settings or {})
