"""Group commit of new jobs: submissions that arrive together share one transaction.

A burst of submits (a batch from the Start page, a script, many API clients at once) would
otherwise be one write transaction each, queued one behind the other on the write path
and, on SQLite, each paying a commit. Here the first submit starts a flush on the next
loop turn; every submit made meanwhile, and while that transaction waits for the write
lock or runs, joins the next one. A single submit waits for nothing: it is flushed on the
next turn of the loop. Each caller gets its own job back, or the error that stopped the
transaction (nothing of that batch was stored then).
"""

from __future__ import annotations

import asyncio
import logging

from genfactory.store import jobs as job_store
from genfactory.store.engine import Database
from genfactory.store.jobs import JobRecord, NewJob

#: At most this many jobs per transaction (one multi-row INSERT each for jobs and events).
MAX_BATCH = 500

log = logging.getLogger(__name__)


class SubmitQueue:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: list[tuple[NewJob, asyncio.Future[JobRecord]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, new: NewJob) -> JobRecord:
        future: asyncio.Future[JobRecord] = asyncio.get_running_loop().create_future()
        self._waiting.append((new, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name="submit-group-commit")
        # Shielded: once queued, the job is stored even if this caller goes away (a
        # client that disconnects after sending its request), like any committed request.
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            future.add_done_callback(_report_unclaimed)
            raise

    async def _flush(self) -> None:
        batch: list[tuple[NewJob, asyncio.Future[JobRecord]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                try:
                    async with self.db.write() as tx:
                        jobs = await job_store.create_jobs(tx, [new for new, _ in batch])
                except Exception as exc:  # every caller of this batch gets the error
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                else:
                    for (_, future), job in zip(batch, jobs, strict=True):
                        if not future.done():
                            future.set_result(job)
        finally:
            # Only when this task itself is cancelled (shutdown) is anyone still waiting.
            self._flusher = None
            for _, future in batch + self._waiting:
                if not future.done():
                    future.cancel()
            self._waiting = []


def _report_unclaimed(future: asyncio.Future[JobRecord]) -> None:
    """The outcome of a submit whose caller went away: nobody else hears that it failed."""
    if not future.cancelled() and (exc := future.exception()) is not None:
        log.error("A job whose submitter had gone away was not stored: %s", exc, exc_info=exc)
