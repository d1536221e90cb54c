"""The ``uploading`` status: written with ``completed`` when storing is quick, on its own
(with a progress event per stored image) when storing outlasts the notice time."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event as sa_event

from genfactory.core.service import JobService
from genfactory.domain.events import Event, EventType
from genfactory.domain.statuses import JobStatus
from genfactory.providers.base import CancelToken
from genfactory.store import events as event_store
from genfactory.store import images as image_store
from genfactory.store import jobs as job_store
from genfactory.store.jobs import JobRecord
from genfactory.workers import runner
from genfactory.workers.runner import run_job

PARAMS: dict[str, Any] = {
    "size": "64x64",
    "width": 64,
    "height": 64,
    "steps": 1,
    "style": None,
    "seed": 7,
    "qc": {"min_detail": 0, "max_hash_distance": 0},
}


async def claimed_job(service: JobService, count: int) -> JobRecord:
    async with service.db.write() as tx:
        await job_store.create_job(
            tx,
            prompt="a red kite over hills",
            provider="procedural",
            params={**PARAMS, "count": count},
            max_attempts=1,
        )
        job = await job_store.claim_next_job(tx, "w1", 30, now=time.time() + 10)
    assert job is not None
    return job


async def log_of(service: JobService, job_id: str) -> list[Event]:
    async with service.db.read() as conn:
        return await event_store.read_after(conn, job_id, 0)


def after_running(log: list[Event]) -> list[str]:
    """The log from the ``uploading`` status on, as ``type:status-or-message`` strings."""
    start = next(n for n, e in enumerate(log) if e.data.get("status") == "uploading")
    return [
        f"{e.type}:{e.data.get('status') or e.data.get('message', '')[:14]}" for e in log[start:]
    ]


@contextlib.contextmanager
def counting_commits(service: JobService) -> Iterator[list[int]]:
    commits = [0]

    def on_commit(_conn: Any) -> None:
        commits[0] += 1

    engine = service.db.write_engine.sync_engine
    sa_event.listen(engine, "commit", on_commit)
    try:
        yield commits
    finally:
        sa_event.remove(engine, "commit", on_commit)


async def run_one(
    service: JobService, monkeypatch: pytest.MonkeyPatch, *, notice: float, count: int
) -> tuple[JobRecord, list[Event], int]:
    """Run a new job of ``count`` images with ``notice`` as the uploading notice time: the
    job, its (gap-free) log and how many write transactions running it committed."""
    monkeypatch.setattr(runner, "UPLOADING_NOTICE_SECONDS", notice)
    job = await claimed_job(service, count)
    with counting_commits(service) as commits:
        await run_job(service, job, "w1", CancelToken())
    log = await log_of(service, job.id)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    return job, log, commits[0]


async def test_quick_storing_writes_uploading_with_completed(
    service: JobService, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick, quick_log, quick_commits = await run_one(service, monkeypatch, notice=30.0, count=1)
    slow, slow_log, slow_commits = await run_one(service, monkeypatch, notice=0.0, count=1)
    assert quick_commits == slow_commits - 1  # uploading + completed in one transaction
    expected = ["status:uploading", "log:Quality checks", "image:", "status:completed"]
    assert after_running(quick_log) == after_running(slow_log) == expected
    async with service.db.read() as conn:
        for job in (quick, slow):
            assert (await job_store.get_job(conn, job.id)).status is JobStatus.COMPLETED
            assert len(await image_store.job_images(conn, job.id)) == 1


async def test_slow_storing_shows_uploading_and_each_stored_image(
    service: JobService, monkeypatch: pytest.MonkeyPatch
) -> None:
    _job, log, _commits = await run_one(service, monkeypatch, notice=0.0, count=3)
    assert after_running(log) == [
        "status:uploading",
        "progress:Stored image 1",
        "progress:Stored image 2",
        "log:Quality checks",
        "image:",
        "image:",
        "image:",
        "status:completed",
    ]
    stored = [e for e in log if e.type == EventType.PROGRESS and e.data["stage"] == "uploading"]
    assert [(e.data["step"], e.data["total"]) for e in stored] == [(1, 3), (2, 3)]


async def test_quick_storing_of_many_images_skips_their_progress(
    service: JobService, monkeypatch: pytest.MonkeyPatch
) -> None:
    _job, log, _commits = await run_one(service, monkeypatch, notice=30.0, count=3)
    assert after_running(log) == [
        "status:uploading",
        "log:Quality checks",
        "image:",
        "image:",
        "image:",
        "status:completed",
    ]


async def test_a_job_cancelled_before_uploading_is_written_stores_no_image(
    service: JobService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "UPLOADING_NOTICE_SECONDS", 0.0)
    job = await claimed_job(service, 2)
    await service.cancel(job.id)  # the worker has not noticed: its token is not set
    await run_job(service, job, "w1", CancelToken())
    log = await log_of(service, job.id)
    statuses = [e.data["status"] for e in log if e.type == EventType.STATUS]
    assert statuses == ["queued", "running", "cancelled"]
    async with service.db.read() as conn:
        assert (await job_store.get_job(conn, job.id)).status is JobStatus.CANCELLED
        assert await image_store.job_images(conn, job.id) == []


async def test_an_unexpected_error_while_storing_names_storing_not_the_provider(
    service: JobService, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(_data: bytes, _format: str) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(service.blobs, "put", disk_full)
    job = await claimed_job(service, 1)
    await run_job(service, job, "w1", CancelToken())
    log = await log_of(service, job.id)
    error = next(e for e in log if e.type == EventType.ERROR)
    assert error.data["code"] == "internal"
    assert error.data["message"] == (
        "Storing or checking the images failed unexpectedly"
        " (OSError: [Errno 28] No space left on device). The server log has the details."
    )
