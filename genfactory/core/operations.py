"""Tracked operations: long bulk work run as asyncio tasks in the API process.

An operation is a row in ``operations`` (see :mod:`genfactory.store.operations`) that its
task updates as it goes: ``queued`` → ``running`` (with ``done``/``total``) → ``completed``
(with a ``result``), ``failed`` (with an ``error``) or ``cancelled``. Anyone can follow it
by polling ``GET /api/operations/{id}`` or over Server-Sent Events, and cancel it.

Operations live as long as the process that runs them: on start-up an API process marks
failed what a previous one left running (with SQLite there is only one API process, so
everything still active is marked at once; with PostgreSQL, operations whose runner has not
reported for :data:`ABANDONED_AFTER` seconds). Start such an operation again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from genfactory.core.management import RERUN_CHUNK, JobManager
from genfactory.exports import ExportCancelled, export_jobs, save_copy, selected_from_rows
from genfactory.store import operations as op_store
from genfactory.store.engine import Database
from genfactory.store.operations import OperationRecord, OperationStatus
from genfactory.store.search import JobFilter

log = logging.getLogger(__name__)

HEARTBEAT = 2.0
ABANDONED_AFTER = 30.0
#: Progress is written at most this often (and always at the end of the work).
REPORT_EVERY = 0.25


class OperationCancelled(Exception):
    """Someone cancelled the operation; the work stops at its next progress report."""


class Progress:
    """Handed to an operation's work: report how far it is; raises
    :class:`OperationCancelled` once the operation was cancelled."""

    def __init__(self, runner: OperationRunner, operation_id: str, total: int) -> None:
        self.runner = runner
        self.operation_id = operation_id
        self.total = total
        self._last = 0.0

    async def __call__(self, done: int, total: int | None = None) -> bool:
        if self.runner.is_cancelled(self.operation_id):
            raise OperationCancelled
        now = time.monotonic()
        if total is not None:
            self.total = total
        if now - self._last < REPORT_EVERY and done < self.total:
            return True
        self._last = now
        async with self.runner.db.write() as tx:
            active = await op_store.report(tx, self.operation_id, done=done, total=self.total)
        self.runner.notify(self.operation_id)
        if not active:
            raise OperationCancelled
        return True


Work = Callable[[Progress], Awaitable[dict[str, Any]]]


@dataclass
class _Running:
    task: asyncio.Task[None]
    cancelled: bool = False


class OperationRunner:
    """Starts, tracks and cancels this process's operations."""

    def __init__(self, db: Database, manager: JobManager, exports_dir: Path) -> None:
        self.db = db
        self.manager = manager
        self.exports_dir = exports_dir
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._running: dict[str, _Running] = {}
        self._changed: dict[str, asyncio.Event] = {}
        self._heartbeat: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        async with self.db.write() as tx:
            if self.db.is_sqlite:
                stale = await op_store.fail_all_active(tx)
            else:
                stale = await op_store.fail_abandoned(tx, silent_for=ABANDONED_AFTER)
        if stale:
            log.warning("marked %d interrupted operation(s) failed", stale)
        self._heartbeat = asyncio.create_task(self._beat(), name="operations-heartbeat")

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        for running in list(self._running.values()):
            running.task.cancel()
        for running in list(self._running.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await running.task
        with contextlib.suppress(Exception):
            async with self.db.write() as tx:
                await op_store.fail_abandoned(tx, silent_for=0, owner=self.owner)

    async def _beat(self) -> None:
        """Renew ``updated_at`` of this process's running operations, so other processes
        can tell them from abandoned ones."""
        while True:
            await asyncio.sleep(HEARTBEAT)
            for operation_id in list(self._running):
                with contextlib.suppress(Exception):
                    async with self.db.write() as tx:
                        await op_store.report(tx, operation_id)

    # -- operations -----------------------------------------------------------------------

    async def submit(
        self, kind: str, params: dict[str, Any], total: int, work: Work
    ) -> OperationRecord:
        async with self.db.write() as tx:
            record = await op_store.create_operation(tx, kind, params, total, self.owner)
        task = asyncio.create_task(self._run(record, work), name=f"operation-{record.id}")
        self._running[record.id] = _Running(task)
        return record

    async def _run(self, record: OperationRecord, work: Work) -> None:
        progress = Progress(self, record.id, record.total)
        status, result, error = OperationStatus.FAILED, None, None
        try:
            async with self.db.write() as tx:
                if not await op_store.report(tx, record.id, started=True):
                    return  # cancelled before it started
            self.notify(record.id)
            result = await work(progress)
            status = OperationStatus.COMPLETED
        except (OperationCancelled, ExportCancelled):
            status = OperationStatus.CANCELLED
        except asyncio.CancelledError:
            error = "Interrupted: the server stopped before the operation finished."
            raise
        except Exception as exc:
            log.exception("operation %s failed", record.id)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self._running.pop(record.id, None)
            finished = False
            with contextlib.suppress(Exception):
                async with self.db.write() as tx:
                    finished = await op_store.finish(
                        tx,
                        record.id,
                        status,
                        result=result,
                        error=error,
                        done=progress.total if status is OperationStatus.COMPLETED else None,
                    )
            if not finished and result and "path" in result:
                # Cancelled (or given up on) while finishing: nobody will download it.
                await asyncio.to_thread(Path(result["path"]).unlink, missing_ok=True)
                if result.get("saved_to"):
                    await asyncio.to_thread(Path(result["saved_to"]).unlink, missing_ok=True)
            self.notify(record.id)

    def is_cancelled(self, operation_id: str) -> bool:
        running = self._running.get(operation_id)
        return running is not None and running.cancelled

    async def cancel(self, operation_id: str) -> OperationRecord:
        """Cancel an operation (a final one stays as it is). The work notices at its next
        progress report; the status is ``cancelled`` right away."""
        async with self.db.write() as tx:
            await op_store.finish(tx, operation_id, OperationStatus.CANCELLED)
        running = self._running.get(operation_id)
        if running is not None:
            running.cancelled = True
        self.notify(operation_id)
        return await self.get(operation_id)

    async def get(self, operation_id: str) -> OperationRecord:
        async with self.db.read() as conn:
            record = await op_store.get_operation(conn, operation_id)
        if (
            not record.status.is_final
            and record.id not in self._running
            and time.time() - record.updated_at > ABANDONED_AFTER
        ):
            async with self.db.write() as tx:
                await op_store.fail_abandoned(tx, silent_for=ABANDONED_AFTER)
            async with self.db.read() as conn:
                record = await op_store.get_operation(conn, operation_id)
        return record

    # -- change notification (for the event stream) ---------------------------------------

    def notify(self, operation_id: str) -> None:
        event = self._changed.pop(operation_id, None)
        if event is not None:
            event.set()

    async def wait_for_change(self, operation_id: str, seconds: float) -> None:
        """Return when this process changed the operation, or after ``seconds`` (another
        process may run it: the caller re-reads the row either way)."""
        event = self._changed.setdefault(operation_id, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    # -- the kinds of work ----------------------------------------------------------------

    async def start_export(
        self,
        selection: JobFilter,
        *,
        params: dict[str, Any],
        filters: list[tuple[str, Any]],
        include_images: bool,
        total: int,
        save_to: Path | None = None,
        time_zone: str | None = None,
    ) -> OperationRecord:
        """Export to a file in this server's exports folder (the download), its times in
        ``time_zone`` (an IANA name; UTC without one); with
        ``save_to`` (the export preferences' folder) a copy goes there too, and the result
        says where (``saved_to``, ``message``). A copy that cannot be written does not fail
        the export: the result says why (``save_error``) and the download still works.
        An export of ids records the filters they were picked under (the request's
        ``selected_from``) on the Filters sheet, after the number of ids."""
        filters = [*filters, *selected_from_rows(params.get("selected_from"))]

        async def work(progress: Progress) -> dict[str, Any]:
            op_id = progress.operation_id
            stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
            suffix = "zip" if include_images else "xlsx"
            filename = f"genfactory-jobs-{stamp}-{op_id[:8]}.{suffix}"
            exported = await export_jobs(
                self.db,
                self.manager.service.blobs,
                selection,
                self.exports_dir / op_id / filename,
                filters=filters,
                include_images=include_images,
                progress=progress,
                time_zone=ZoneInfo(time_zone) if time_zone else None,
            )
            result: dict[str, Any] = {
                "filename": filename,
                "path": str(exported.path),
                "content_type": (
                    "application/zip"
                    if include_images
                    else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                ),
                "bytes": exported.bytes,
                "jobs": exported.jobs,
                "images": exported.images,
                "image_files": exported.image_files,
                "missing_files": exported.missing_files,
                "download_url": f"/api/exports/{op_id}/download",
                "saved_to": None,
            }
            if save_to is not None:
                result.update(await _save_copy(exported.path, save_to))
            return result

        return await self.submit("export", params, total, work)

    async def start_rerun(self, ids: list[str], *, params: dict[str, Any]) -> OperationRecord:
        async def work(progress: Progress) -> dict[str, Any]:
            queued: list[dict[str, Any]] = []
            missing: list[str] = []
            for start in range(0, len(ids), RERUN_CHUNK):
                reruns, lost = await self.manager.rerun(ids[start : start + RERUN_CHUNK])
                missing += lost
                queued += [
                    {
                        "source_id": r.source_id,
                        "job_id": r.job.id,
                        "queue_position": r.queue_position,
                    }
                    for r in reruns
                ]
                await progress(min(start + RERUN_CHUNK, len(ids)), len(ids))
            return {"jobs": queued, "missing": missing}

        return await self.submit("rerun", params, len(ids), work)


async def _save_copy(path: Path, folder: Path) -> dict[str, Any]:
    """The copy of a finished export in the preferences' folder, as result fields."""
    try:
        saved = await asyncio.to_thread(save_copy, path, folder)
    except OSError as exc:
        log.warning("could not save export %s in %s: %s", path.name, folder, exc)
        reason = exc.strerror or str(exc)
        message = f"Not saved to {folder} ({reason}); download it instead."
        return {"saved_to": None, "save_error": message, "message": message}
    return {"saved_to": str(saved), "message": f"Saved to {saved}"}
