"""Tracked operations: progress, cancel, failure, and what a restart leaves behind."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from genfactory.core.management import JobManager
from genfactory.core.operations import ABANDONED_AFTER, OperationRunner, Progress
from genfactory.core.service import JobService, JobSpec
from genfactory.store import operations as op_store
from genfactory.store.operations import OperationStatus
from genfactory.store.search import JobFilter


async def wait_final(runner: OperationRunner, operation_id: str) -> op_store.OperationRecord:
    for _ in range(400):
        record = await runner.get(operation_id)
        if record.status.is_final:
            return record
        await asyncio.sleep(0.01)
    raise AssertionError("operation did not finish")


async def test_progress_result_and_failure(service: JobService, tmp_path: Path) -> None:
    runner = OperationRunner(service.db, JobManager(service), tmp_path / "exports")
    await runner.start()

    async def counts(progress: Progress) -> dict[str, Any]:
        for n in range(1, 6):
            await progress(n, 5)
        return {"counted": 5}

    async def breaks(progress: Progress) -> dict[str, Any]:
        raise ValueError("the disk is full")

    done = await wait_final(runner, (await runner.submit("test", {}, 5, counts)).id)
    assert done.status is OperationStatus.COMPLETED and done.result == {"counted": 5}
    assert done.done == 5 and done.started_at is not None and done.finished_at is not None
    failed = await wait_final(runner, (await runner.submit("test", {}, 1, breaks)).id)
    assert failed.status is OperationStatus.FAILED
    assert failed.error == "ValueError: the disk is full"
    await runner.stop()


async def test_cancel_stops_the_work_at_its_next_report(
    service: JobService, tmp_path: Path
) -> None:
    runner = OperationRunner(service.db, JobManager(service), tmp_path / "exports")
    await runner.start()
    reached: list[int] = []
    release = asyncio.Event()

    async def slow(progress: Progress) -> dict[str, Any]:
        for n in range(1, 1000):
            reached.append(n)
            if n == 3:
                release.set()
            await asyncio.sleep(0.005)
            await progress(n, 1000)
        return {}

    record = await runner.submit("test", {}, 1000, slow)
    await release.wait()
    cancelled = await runner.cancel(record.id)
    assert cancelled.status is OperationStatus.CANCELLED
    await asyncio.sleep(0.1)
    stopped_at = len(reached)
    await asyncio.sleep(0.1)
    assert len(reached) == stopped_at < 1000
    assert (await runner.get(record.id)).status is OperationStatus.CANCELLED
    await runner.stop()


async def test_cancelled_export_leaves_no_file(service: JobService, tmp_path: Path) -> None:
    for n in range(30):
        await service.submit(JobSpec(prompt=f"export me {n}"))
    runner = OperationRunner(service.db, JobManager(service), tmp_path / "exports")
    await runner.start()
    record = await runner.start_export(
        JobFilter(), params={}, filters=[("filter", "all")], include_images=False, total=30
    )
    await runner.cancel(record.id)
    final = await wait_final(runner, record.id)
    assert final.status is OperationStatus.CANCELLED
    await asyncio.sleep(0.2)
    assert not list((tmp_path / "exports").rglob("*.xlsx"))
    await runner.stop()


async def test_a_restart_fails_what_was_left_running(service: JobService, tmp_path: Path) -> None:
    async with service.db.write() as tx:
        left = await op_store.create_operation(tx, "export", {}, 10, "gone:1:abc")
        await op_store.report(tx, left.id, started=True)
    runner = OperationRunner(service.db, JobManager(service), tmp_path / "exports")
    await runner.start()  # SQLite: the only API process, so nothing else can run it
    record = await runner.get(left.id)
    assert record.status is OperationStatus.FAILED and "Interrupted" in (record.error or "")
    await runner.stop()


async def test_silent_operations_of_other_processes_are_failed_when_read(
    service: JobService, tmp_path: Path
) -> None:
    runner = OperationRunner(service.db, JobManager(service), tmp_path / "exports")
    await runner.start()
    async with service.db.write() as tx:
        other = await op_store.create_operation(tx, "rerun", {}, 10, "elsewhere:2:def")
        await op_store.report(tx, other.id, started=True)
    assert (await runner.get(other.id)).status is OperationStatus.RUNNING
    async with service.db.write() as tx:
        await op_store.fail_abandoned(
            tx, silent_for=ABANDONED_AFTER, now=time.time() + ABANDONED_AFTER + 1
        )
    assert (await runner.get(other.id)).status is OperationStatus.FAILED
    await runner.stop()
