"""Group commit of submissions, on a real SQLite file."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import StatementError

from genfactory.core.service import JobService, JobSpec
from genfactory.core.submits import SubmitQueue
from genfactory.store.engine import Database
from genfactory.store.jobs import NewJob


def _count_commits(db: Database) -> list[int]:
    commits = [0]

    def on_commit(_conn: Any) -> None:
        commits[0] += 1

    event.listen(db.write_engine.sync_engine, "commit", on_commit)
    return commits


async def test_concurrent_submits_share_one_transaction_and_keep_their_order(
    service: JobService, sqlite_db: Database
) -> None:
    commits = _count_commits(sqlite_db)
    jobs = await asyncio.gather(
        *(service.submit(JobSpec(prompt=f"job {n}", size="256x256")) for n in range(30))
    )
    assert commits[0] == 1
    assert [j.prompt for j in jobs] == [f"job {n}" for n in range(30)]
    assert len({j.id for j in jobs}) == 30
    async with sqlite_db.read() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT j.prompt, e.seq, e.type, e.id FROM jobs j JOIN job_events e"
                    " ON e.job_id = j.id ORDER BY j.created_at, j.id"
                )
            )
        ).all()
    # Each job has exactly its first event; submission order is the claim order.
    assert [r.prompt for r in rows] == [f"job {n}" for n in range(30)]
    assert {(r.seq, r.type) for r in rows} == {(1, "status")}
    assert [r.id for r in rows] == sorted(r.id for r in rows)


async def test_a_lone_submit_is_committed_on_its_own(
    service: JobService, sqlite_db: Database
) -> None:
    commits = _count_commits(sqlite_db)
    first = await service.submit(JobSpec(prompt="one", size="256x256"))
    second = await service.submit(JobSpec(prompt="two", size="256x256"))
    assert commits[0] == 2
    assert first.created_at <= second.created_at


async def test_a_failed_batch_fails_every_caller_and_stores_nothing(
    sqlite_db: Database,
) -> None:
    queue = SubmitQueue(sqlite_db)
    good = NewJob(prompt="fine", provider="procedural", params={"seed": 1}, max_attempts=3)
    # A snapshot that cannot be stored as JSON makes the whole transaction fail.
    bad = NewJob(prompt="bad", provider="procedural", params={"seed": object()}, max_attempts=3)
    results = await asyncio.gather(
        queue.submit(good), queue.submit(bad), queue.submit(good), return_exceptions=True
    )
    assert all(isinstance(r, StatementError) for r in results), results
    assert all("not JSON serializable" in str(r) for r in results)
    async with sqlite_db.read() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM jobs"))).scalar_one() == 0
    # The queue keeps working afterwards.
    job = await queue.submit(good)
    assert job.prompt == "fine"


async def submit_and_go_away(queue: SubmitQueue, new: NewJob) -> None:
    """Submit ``new``, then cancel the caller before its batch is committed."""
    caller = asyncio.create_task(queue.submit(new))
    await asyncio.sleep(0)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller


async def test_a_caller_that_goes_away_still_gets_its_job_stored(sqlite_db: Database) -> None:
    queue = SubmitQueue(sqlite_db)
    new = NewJob(prompt="kept", provider="procedural", params={"seed": 1}, max_attempts=3)
    await submit_and_go_away(queue, new)
    for _ in range(50):
        async with sqlite_db.read() as conn:
            if (await conn.execute(text("SELECT count(*) FROM jobs"))).scalar_one() == 1:
                return
        await asyncio.sleep(0.01)
    pytest.fail("the job of a cancelled caller was not stored")


async def test_a_gone_callers_failed_job_is_logged_not_left_unretrieved(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    queue = SubmitQueue(sqlite_db)
    bad = NewJob(prompt="bad", provider="procedural", params={"seed": object()}, max_attempts=3)
    await submit_and_go_away(queue, bad)
    for _ in range(50):
        if queue._flusher is None:
            break
        await asyncio.sleep(0.01)
    gc.collect()  # an unretrieved future exception is reported when the future is freed
    await asyncio.sleep(0)
    assert unhandled == []
    [record] = [r for r in caplog.records if r.name == "genfactory.core.submits"]
    assert "submitter had gone away was not stored" in record.getMessage()
    assert "not JSON serializable" in record.getMessage()
