"""Commands and attempt policies on a real SQLite file (no server)."""

from __future__ import annotations

import asyncio

import pytest

from genfactory.core.service import InvalidRequest, JobService, JobSpec, wait_text
from genfactory.core.streams import PING, job_events
from genfactory.domain.errors import ErrorCode, LeaseLost, ProviderError, TransitionError
from genfactory.domain.events import Event
from genfactory.store import jobs as job_store
from genfactory.store.events import read_after


async def test_retry_delay_doubles_respects_retry_after_and_is_capped(service: JobService) -> None:
    assert service.retry_delay(1, None) == 2
    assert service.retry_delay(2, None) == 4
    assert service.retry_delay(3, None) == 8
    assert service.retry_delay(1, 30) == 30
    assert service.retry_delay(20, None) == 60
    # The provider knows when it will take requests again: its word beats our cap.
    assert service.retry_delay(1, 1000) == 1000


def test_waits_read_as_people_say_them() -> None:
    assert [wait_text(s) for s in (2, 59.6, 60, 1000, 3600, 7500)] == [
        "2 s",
        "1 min",
        "1 min",
        "16 min 40 s",
        "1 h",
        "2 h 5 min",
    ]


async def test_submit_validates_against_the_provider(service: JobService) -> None:
    with pytest.raises(InvalidRequest) as bad:
        await service.submit(JobSpec(prompt="x", size="3x3"))
    assert bad.value.field == "size"
    job = await service.submit(JobSpec(prompt="x", size="256x256", steps=5, seed=9))
    assert job.params == {
        "size": "256x256",
        "width": 256,
        "height": 256,
        "steps": 5,
        "count": 1,
        "style": None,
        "seed": 9,
    }


async def test_failed_attempts_requeue_with_backoff_then_fail(service: JobService) -> None:
    job = await service.submit(JobSpec(prompt="x", size="256x256", steps=1))
    error = ProviderError(ErrorCode.TIMEOUT, "too slow")
    for attempt in (1, 2):
        async with service.db.write() as tx:
            claimed = await job_store.claim_next_job(tx, "w1", 30, now=job.created_at + 10_000)
        assert claimed is not None and claimed.attempt == attempt
        requeued = await service.attempt_failed(job.id, "w1", error)
        assert requeued.status.value == "queued"
        assert requeued.attempt == attempt + 1
        assert requeued.run_after > requeued.updated_at + 1  # back-off applied
    async with service.db.write() as tx:
        claimed = await job_store.claim_next_job(tx, "w1", 30, now=job.created_at + 10_000)
    assert claimed is not None
    failed = await service.attempt_failed(job.id, "w1", error)
    assert failed.status.value == "failed"
    assert failed.error is not None and failed.error["code"] == "timeout"
    with pytest.raises(LeaseLost):
        await service.attempt_failed(job.id, "w1", error)


async def test_a_manual_retry_starts_the_back_off_over(service: JobService) -> None:
    """Attempt 4 of 6 is the first of the retry's run: it waits the base delay (2 s) after a
    failure, as attempt 1 did, not the 16 s an attempt number of 4 would give."""
    job = await service.submit(JobSpec(prompt="x", size="256x256", steps=1))
    error = ProviderError(ErrorCode.RATE_LIMITED, "slow down")
    waits = []
    for _ in range(3):
        async with service.db.write() as tx:
            claimed = await job_store.claim_next_job(tx, "w1", 30, now=job.created_at + 10_000)
        assert claimed is not None
        failed = await service.attempt_failed(job.id, "w1", error)
        if failed.status.value == "queued":
            waits.append(failed.run_after - failed.updated_at)
    assert failed.status.value == "failed" and failed.attempt == 3
    retried = await service.retry(job.id)
    assert (retried.attempt, retried.max_attempts) == (4, 6)
    assert service.attempt_of_run(retried) == 1
    async with service.db.write() as tx:
        claimed = await job_store.claim_next_job(tx, "w1", 30, now=job.created_at + 10_000)
    assert claimed is not None and claimed.attempt == 4
    requeued = await service.attempt_failed(job.id, "w1", error)
    assert requeued.attempt == 5
    waits.append(requeued.run_after - requeued.updated_at)
    assert [round(w) for w in waits] == [2, 4, 2]


async def test_claim_is_oldest_first_and_exclusive(service: JobService) -> None:
    first = await service.submit(JobSpec(prompt="first", size="256x256", steps=1))
    second = await service.submit(JobSpec(prompt="second", size="256x256", steps=1))
    later = first.created_at + 10_000
    async with service.db.write() as tx:
        a = await job_store.claim_next_job(tx, "w1", 30, now=later)
    async with service.db.write() as tx:
        b = await job_store.claim_next_job(tx, "w2", 30, now=later)
    async with service.db.write() as tx:
        c = await job_store.claim_next_job(tx, "w3", 30, now=later)
    assert a is not None and b is not None
    assert (a.id, b.id) == (first.id, second.id)
    assert c is None
    assert a.lease_owner == "w1" and b.lease_owner == "w2"


async def test_progress_from_a_worker_that_lost_its_lease_is_refused(service: JobService) -> None:
    job = await service.submit(JobSpec(prompt="x", size="256x256", steps=1))
    async with service.db.write() as tx:
        await job_store.claim_next_job(tx, "w1", 30, now=job.created_at + 10_000)
    await service.cancel(job.id)
    with pytest.raises(LeaseLost):
        async with service.db.write() as tx:
            await job_store.record_progress(tx, job.id, "w1", {"stage": "running", "percent": 5})
    with pytest.raises(TransitionError):
        await service.cancel(job.id)


async def test_expired_leases_are_recovered_with_a_new_attempt(service: JobService) -> None:
    job = await service.submit(JobSpec(prompt="x", size="256x256", steps=1))
    async with service.db.write() as tx:
        await job_store.claim_next_job(tx, "dead-worker", 0.01)
    await asyncio.sleep(0.05)
    assert await service.recover_expired_leases() == [job.id]
    async with service.db.read() as conn:
        recovered = await job_store.get_job(conn, job.id)
        events = await read_after(conn, job.id, 0)
    assert recovered.status.value == "queued" and recovered.attempt == 2
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[-2].type == "error" and "stopped responding" in events[-2].data["message"]


async def test_a_job_of_a_known_dead_process_says_so_even_after_its_lease_ran_out(
    service: JobService,
) -> None:
    """A restart slower than the lease: the worker is still known to be gone (its process
    died), which says more than "stopped responding"."""
    job = await service.submit(JobSpec(prompt="x", size="256x256", steps=1))
    async with service.db.write() as tx:
        await job_store.claim_next_job(tx, "dead-worker", 0.01)
    await asyncio.sleep(0.05)
    assert await service.recover_expired_leases({"dead-worker"}) == [job.id]
    async with service.db.read() as conn:
        events = await read_after(conn, job.id, 0)
    assert events[-2].type == "error"
    assert events[-2].data["message"] == "The server process running this job stopped."


async def test_event_stream_resumes_exactly_from_a_cursor(service: JobService) -> None:
    job = await service.submit(JobSpec(prompt="x", size="256x256", steps=1))
    async with service.db.write() as tx:
        await job_store.claim_next_job(tx, "w1", 30, now=job.created_at + 10_000)
    for n in range(5):
        async with service.db.write() as tx:
            await job_store.record_progress(
                tx, job.id, "w1", {"stage": "running", "percent": n * 10.0, "message": str(n)}
            )
    stream = job_events(service.db, service.bus, job.id, after=3, heartbeat=0.2)
    seen: list[int] = []
    async for item in stream:
        assert isinstance(item, Event)
        seen.append(item.seq)
        if item.seq == 7:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    assert seen == [4, 5, 6, 7]
    # Live: subscribe, then append; the bus delivers, in order, once.
    stream = job_events(service.db, service.bus, job.id, after=7, heartbeat=0.2)

    async def append_later() -> None:
        await asyncio.sleep(0.05)
        await service.cancel(job.id)

    task = asyncio.create_task(append_later())
    live = []
    async for item in stream:
        if item is PING:
            continue
        assert isinstance(item, Event)
        live.append(item)
        if item.type == "status":
            break
    await stream.aclose()  # type: ignore[attr-defined]
    await task
    assert [e.seq for e in live] == [8]
    assert live[0].data["status"] == "cancelled"
    assert service.bus.subscriber_count(job.id) == 0
