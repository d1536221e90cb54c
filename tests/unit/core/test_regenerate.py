"""Regeneration rules and outcomes in the core, on a real SQLite file with the real runner
and the procedural provider (no server): every way a regeneration ends leaves the job
``completed`` with the images it should have."""

from __future__ import annotations

import asyncio
import time

import pytest

from genfactory.core.regenerate import request_regeneration
from genfactory.core.service import JobService, JobSpec
from genfactory.domain.errors import Conflict, ErrorCode, NotFound, ProviderError
from genfactory.domain.statuses import JobStatus
from genfactory.providers.base import CancelToken
from genfactory.store import images as image_store
from genfactory.store import jobs as job_store
from genfactory.store import regenerations as regen_store
from genfactory.store.events import read_after
from genfactory.store.job_edits import review_image
from genfactory.store.jobs import JobRecord
from genfactory.workers.runner import run_job


async def _claim(service: JobService, owner: str = "w1", lease: float = 30) -> JobRecord:
    async with service.db.write() as tx:
        job = await job_store.claim_next_job(tx, owner, lease, now=time.time() + 10_000)
    assert job is not None
    return job


async def _completed_with_failed_image(service: JobService, count: int = 1) -> JobRecord:
    job = await service.submit(JobSpec(prompt="a red kite", size="256x256", steps=1, count=count))
    await run_job(service, await _claim(service), "w1", CancelToken())
    async with service.db.write() as tx:
        first = (await image_store.job_images(tx.conn, job.id))[0]
        await review_image(tx, first.id, "failed", "too dark")
    async with service.db.read() as conn:
        done = await job_store.get_job(conn, job.id)
    assert done.status is JobStatus.COMPLETED
    return done


async def _first_image_id(service: JobService, job_id: str) -> str:
    async with service.db.read() as conn:
        return (await image_store.job_images(conn, job_id))[0].id


async def test_a_regeneration_runs_through_the_worker_and_adds_an_image(
    service: JobService,
) -> None:
    job = await _completed_with_failed_image(service, count=2)
    image_id = await _first_image_id(service, job.id)
    regeneration, queued = await request_regeneration(service, image_id, seed=4242)
    assert queued.status is JobStatus.QUEUED and queued.attempt == 2
    assert queued.max_attempts == 2 + service.settings.max_attempts - 1
    claimed = await _claim(service)
    await run_job(service, claimed, "w1", CancelToken())
    async with service.db.read() as conn:
        done = await job_store.get_job(conn, job.id)
        images = await image_store.job_images(conn, job.id)
        ended = await regen_store.get_regeneration(conn, regeneration.id)
    assert done.status is JobStatus.COMPLETED and done.image_count == 3
    assert [(i.index, i.qc_status) for i in images] == [(0, "failed"), (1, "passed"), (2, "passed")]
    assert images[2].seed == 4242
    assert ended.status is regen_store.RegenerationStatus.COMPLETED
    assert (ended.image_id, ended.image_index) == (images[2].id, 2)
    # The job's own run times stay: a regeneration later on does not stretch its duration.
    assert (done.started_at, done.finished_at) == (job.started_at, job.finished_at)
    assert queued.finished_at == job.finished_at


async def test_refusals(service: JobService) -> None:
    with pytest.raises(NotFound):
        await request_regeneration(service, "nope")
    job = await _completed_with_failed_image(service, count=2)
    async with service.db.read() as conn:
        passed = (await image_store.job_images(conn, job.id))[1]
    with pytest.raises(Conflict, match="has QC status passed"):
        await request_regeneration(service, passed.id)
    failed_id = await _first_image_id(service, job.id)
    await request_regeneration(service, failed_id)
    with pytest.raises(Conflict, match="The job is queued"):
        await request_regeneration(service, failed_id)


async def test_cancel_while_queued_returns_to_completed(service: JobService) -> None:
    job = await _completed_with_failed_image(service)
    regeneration, _ = await request_regeneration(service, await _first_image_id(service, job.id))
    cancelled = await service.cancel(job.id)
    assert cancelled.status is JobStatus.COMPLETED and cancelled.image_count == 1
    assert cancelled.finished_at == job.finished_at and cancelled.percent == 100
    async with service.db.read() as conn:
        ended = await regen_store.get_regeneration(conn, regeneration.id)
        assert await regen_store.pending_for_job(conn, job.id) is None
        events = await read_after(conn, job.id, cancelled.last_seq - 1)
    assert ended.status is regen_store.RegenerationStatus.CANCELLED
    assert events[-1].data["previous"] == "queued"
    assert "cancelled by request" in events[-1].data["reason"]


async def test_giving_up_keeps_the_job_completed_without_an_error(service: JobService) -> None:
    job = await _completed_with_failed_image(service)
    regeneration, _ = await request_regeneration(service, await _first_image_id(service, job.id))
    await _claim(service)
    ended = await service.attempt_failed(
        job.id, "w1", ProviderError(ErrorCode.AUTH, "The key was refused")
    )
    assert ended.status is JobStatus.COMPLETED and ended.error is None
    async with service.db.read() as conn:
        record = await regen_store.get_regeneration(conn, regeneration.id)
        events = await read_after(conn, job.id, ended.last_seq - 2)
    assert record.status is regen_store.RegenerationStatus.FAILED
    assert record.error is not None and record.error["code"] == "auth"
    assert [e.type for e in events] == ["error", "status"]
    assert events[-1].data["reason"] == (
        "Regenerating image 1 failed: The key was refused; the job keeps its 1 image"
    )


async def test_a_lost_worker_with_no_attempts_left_returns_to_completed(
    service: JobService,
) -> None:
    job = await _completed_with_failed_image(service)
    await request_regeneration(service, await _first_image_id(service, job.id))
    for _ in range(service.settings.max_attempts):
        async with service.db.write() as tx:
            claimed = await job_store.claim_next_job(tx, "dead", 0.001)
        assert claimed is not None
        await asyncio.sleep(0.01)
        assert await service.recover_expired_leases() == [job.id]
    async with service.db.read() as conn:
        done = await job_store.get_job(conn, job.id)
        last = (await read_after(conn, job.id, done.last_seq - 1))[-1]
    assert done.status is JobStatus.COMPLETED and done.image_count == 1
    assert (last.data["previous"], last.data["status"]) == ("running", "completed")
    assert "worker lost; no attempts left" in last.data["reason"]


async def test_a_job_without_a_regeneration_still_fails_and_cancels(service: JobService) -> None:
    job = await service.submit(JobSpec(prompt="plain", size="256x256", steps=1))
    assert (await service.cancel(job.id)).status is JobStatus.CANCELLED
    other = await service.submit(JobSpec(prompt="plain", size="256x256", steps=1))
    await _claim(service)
    failed = await service.attempt_failed(other.id, "w1", ProviderError(ErrorCode.AUTH, "no"))
    assert failed.status is JobStatus.FAILED
