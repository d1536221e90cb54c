"""The in-process worker pool: ``slots`` loops that claim jobs, one heart-beat task that
renews their leases (and notices cancels made on other nodes), one recovery task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid

from sqlalchemy import delete, insert, select, update

from genfactory.core.service import JobService
from genfactory.domain.statuses import JobStatus
from genfactory.providers.base import CancelToken
from genfactory.store import jobs as job_store
from genfactory.store.tables import workers as workers_table
from genfactory.workers.limits import ProviderLimits
from genfactory.workers.runner import run_job

log = logging.getLogger(__name__)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or we cannot tell: assume it is alive
    return True


class WorkerPool:
    def __init__(self, service: JobService, slots: int, *, role: str = "server") -> None:
        self.service = service
        self.slots = slots
        #: "server" or "worker": which process this pool runs in, as a requeue reason says.
        self.role = role
        self.owner = f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._tasks: list[asyncio.Task[None]] = []
        self._running: dict[str, CancelToken] = {}
        self._stopping = False
        self.last_beat = 0.0
        self.limits = ProviderLimits(service.settings, service.providers)

    @property
    def alive(self) -> bool:
        return bool(self._tasks) and not any(t.done() for t in self._tasks)

    @property
    def busy(self) -> int:
        return len(self._running)

    async def start(self) -> None:
        now = time.time()
        dead = await self._dead_local_workers()
        async with self.service.db.write() as tx:
            if dead:
                await tx.conn.execute(delete(workers_table).where(workers_table.c.id.in_(dead)))
            await tx.conn.execute(
                insert(workers_table).values(
                    id=self.owner,
                    hostname=socket.gethostname()[:255],
                    pid=os.getpid(),
                    slots=self.slots,
                    started_at=now,
                    heartbeat_at=now,
                )
            )
        recovered = await self.service.recover_expired_leases(dead)
        if dead:
            log.info(
                "worker processes %s on this host are gone; %d of their jobs queued again",
                ", ".join(sorted(dead)),
                len(recovered),
            )
        self.last_beat = now
        self._tasks = [
            asyncio.create_task(self._claim_loop(), name=f"worker-{i}") for i in range(self.slots)
        ]
        self._tasks.append(asyncio.create_task(self._heartbeat_loop(), name="worker-heartbeat"))
        self._tasks.append(asyncio.create_task(self._recovery_loop(), name="worker-recovery"))

    async def _dead_local_workers(self) -> set[str]:
        """Workers registered from this host whose process is gone (a ``kill -9``, a crash,
        a power cut): their jobs need not wait for their leases to run out.

        Only for SQLite, where every process is on this machine. On PostgreSQL other nodes
        may share this host name (scaled containers) in another process-id namespace, where
        our "no such process" says nothing: their jobs wait for the lease. A worker whose
        process id is ours is left alone too (a restarted container is often pid 1 again);
        POSIX only (``os.kill(pid, 0)`` checks, elsewhere it would signal)."""
        if not self.service.db.is_sqlite or os.name != "posix":
            return set()
        async with self.service.db.read() as conn:
            rows = await conn.execute(
                select(workers_table.c.id, workers_table.c.pid).where(
                    workers_table.c.hostname == socket.gethostname()[:255],
                    workers_table.c.pid != os.getpid(),
                )
            )
            registered = [(r.id, r.pid) for r in rows]
        return {worker_id for worker_id, pid in registered if not _process_exists(pid)}

    async def stop(self) -> None:
        """Stop claiming; hand running jobs back to the queue for another worker."""
        self._stopping = True
        interrupted = list(self._running)
        for token in self._running.values():
            token.cancel("server shutting down")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        for job_id in interrupted:
            with contextlib.suppress(Exception):
                async with self.service.db.write() as tx:
                    await job_store.transition(
                        tx,
                        job_id,
                        JobStatus.QUEUED,
                        owner=self.owner,
                        reason=f"{self.role} shut down; this attempt starts again from the "
                        "beginning",
                        values={"run_after": time.time()},
                    )
        self._running.clear()
        with contextlib.suppress(Exception):
            async with self.service.db.write() as tx:
                await tx.conn.execute(delete(workers_table).where(workers_table.c.id == self.owner))

    async def _claim_loop(self) -> None:
        service = self.service
        while not self._stopping:
            try:
                async with service.db.write() as tx:
                    job = await job_store.claim_next_job(
                        tx,
                        self.owner,
                        service.settings.lease_seconds,
                        concurrency_caps=self.limits.concurrency_capped,
                        paused_providers=self.limits.rate_limited_now(),
                    )
                if job is not None:
                    self.limits.started(job.provider)
            except Exception:
                log.exception("claiming a job failed")
                await asyncio.sleep(1.0)
                continue
            if job is None:
                service.work_available.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(service.settings.poll_interval):
                        await service.work_available.wait()
                continue
            token = CancelToken()
            self._running[job.id] = token
            service.register_token(job.id, token)
            try:
                await run_job(service, job, self.owner, token)
            finally:
                service.unregister_token(job.id)
                self._running.pop(job.id, None)

    async def _heartbeat_loop(self) -> None:
        settings = self.service.settings
        while True:
            await asyncio.sleep(settings.heartbeat_seconds)
            try:
                now = time.time()
                ids = list(self._running)
                async with self.service.db.write() as tx:
                    held = await job_store.renew_leases(
                        tx, self.owner, ids, now + settings.lease_seconds
                    )
                    await tx.conn.execute(
                        update(workers_table)
                        .where(workers_table.c.id == self.owner)
                        .values(heartbeat_at=now)
                    )
                self.last_beat = now
                for job_id in ids:
                    if job_id not in held and job_id in self._running:
                        # Cancelled (perhaps through another node) or taken over.
                        self._running[job_id].cancel("the job is no longer ours")
            except Exception:
                log.exception("heartbeat failed")

    async def _recovery_loop(self) -> None:
        while True:
            await asyncio.sleep(self.service.settings.recovery_interval)
            try:
                recovered = await self.service.recover_expired_leases()
                if recovered:
                    log.warning("recovered %d job(s) with expired leases", len(recovered))
            except Exception:
                log.exception("lease recovery failed")
