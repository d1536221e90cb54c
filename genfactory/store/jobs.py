"""Job rows: create, read, claim, lease, progress and the one status-change function."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import (
    Select,
    Update,
    and_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.domain.errors import LeaseLost, NotFound
from genfactory.domain.events import EventType, iso_time
from genfactory.domain.statuses import ACTIVE, JobStatus, check_transition
from genfactory.store.dialect import serialize_capped_claims, skip_locked
from genfactory.store.engine import WriteTx
from genfactory.store.events import insert_events
from genfactory.store.tables import jobs

_ACTIVE_VALUES = tuple(s.value for s in ACTIVE)

# The statements every job runs several times are built once: building a statement and its
# cache key costs about three times what executing it does on SQLite (bench/dispatch.py).
_INSERT = insert(jobs)
_GET = select(jobs).where(jobs.c.id == bindparam("job_id"))
_GET_LOCKED = _GET.with_for_update()
_HELD = and_(
    jobs.c.id == bindparam("job_id"),
    jobs.c.lease_owner == bindparam("owner"),
    jobs.c.status.in_(_ACTIVE_VALUES),
)
_OWNER = select(jobs.c.id).where(_HELD).with_for_update()
_PROGRESS = (
    update(jobs)
    .where(_HELD)
    .values(
        percent=bindparam("percent"),
        step=bindparam("step"),
        total_steps=bindparam("total"),
        progress_message=bindparam("message"),
        last_seq=jobs.c.last_seq + 1,
        updated_at=bindparam("now"),
    )
    .returning(jobs.c.last_seq)
)


def _claimable(skip_locked: bool) -> Select[Any]:
    """The oldest runnable queued job, its row locked (skipping rows other workers hold).

    ``run_after + 0`` keeps the planner off ``ix_jobs_claim``'s run_after range: that
    index would make SQLite sort every queued job on each claim (0.7 ms at 5,000 queued,
    growing with the queue); walking ``ix_jobs_status_created`` in order finds the first
    runnable one at once (delayed retries are few).
    """
    return (
        select(jobs)
        .where(
            jobs.c.status == JobStatus.QUEUED.value,
            (jobs.c.run_after + literal(0.0)) <= bindparam("now"),
        )
        .order_by(jobs.c.created_at, jobs.c.id)
        .limit(1)
        .with_for_update(skip_locked=skip_locked)
    )


_CLAIM = {flag: _claimable(flag) for flag in (False, True)}


@functools.lru_cache(maxsize=64)
def _update(columns: tuple[str, ...]) -> Update:
    """``UPDATE jobs SET <columns> WHERE id = :job_id``, values bound as ``v_<column>``."""
    return (
        update(jobs)
        .where(jobs.c.id == bindparam("job_id"))
        .values({c: bindparam(f"v_{c}", type_=jobs.c[c].type) for c in columns})
    )


@dataclass(frozen=True)
class JobRecord:
    """A job row as the rest of the code sees it."""

    id: str
    created_at: float
    updated_at: float
    status: JobStatus
    status_changed_at: float
    prompt: str
    label: str | None
    provider: str
    params: dict[str, Any]
    configuration_id: str | None
    configuration_name: str | None
    configuration_version: int | None
    rerun_of: str | None
    attempt: int
    max_attempts: int
    run_after: float
    lease_owner: str | None
    lease_expires_at: float | None
    started_at: float | None
    attempt_started_at: float | None
    finished_at: float | None
    last_seq: int
    stage: str
    percent: float
    step: int | None
    total_steps: int | None
    progress_message: str
    error: dict[str, Any] | None
    image_count: int

    @classmethod
    def from_row(cls, row: Row[Any]) -> JobRecord:
        m = dict(row._mapping)
        m["status"] = JobStatus(m["status"])
        return cls(**m)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class NewJob:
    """What a new queued job is made of (the rest of its row is the queue's defaults)."""

    prompt: str
    provider: str
    params: dict[str, Any]
    max_attempts: int
    label: str | None = None
    configuration: tuple[str, str, int] | None = None
    rerun_of: str | None = None
    reason: str = "job submitted"
    created_at: float = field(default_factory=time.time)


async def create_job(
    tx: WriteTx,
    *,
    prompt: str,
    provider: str,
    params: dict[str, Any],
    max_attempts: int,
    label: str | None = None,
    configuration: tuple[str, str, int] | None = None,
    rerun_of: str | None = None,
    reason: str = "job submitted",
    now: float | None = None,
) -> JobRecord:
    """Insert a queued job and its first event."""
    new = NewJob(prompt, provider, params, max_attempts, label, configuration, rerun_of, reason)
    if now is not None:
        new = replace(new, created_at=now)
    [job] = await create_jobs(tx, [new])
    return job


async def create_jobs(tx: WriteTx, new_jobs: list[NewJob]) -> list[JobRecord]:
    """Insert queued jobs (one statement however many) and each one's first event."""
    rows = [_queued_row(new) for new in new_jobs]
    if not rows:
        return []
    await tx.conn.execute(_INSERT, rows)
    for new, row in zip(new_jobs, rows, strict=True):
        status = {
            "status": "queued",
            "previous": None,
            "attempt": 1,
            "max_attempts": new.max_attempts,
            "reason": new.reason,
            "run_after": None,
            "error": None,
        }
        await insert_events(tx, row["id"], 1, [(EventType.STATUS, status)], now=new.created_at)
    return [JobRecord(**{**row, "status": JobStatus.QUEUED}) for row in rows]


def _queued_row(new: NewJob) -> dict[str, Any]:
    now = new.created_at
    config_id, config_name, config_version = new.configuration or (None, None, None)
    return {
        "id": new_id(),
        "created_at": now,
        "updated_at": now,
        "status": JobStatus.QUEUED.value,
        "status_changed_at": now,
        "prompt": new.prompt,
        "label": new.label,
        "provider": new.provider,
        "params": new.params,
        "configuration_id": config_id,
        "configuration_name": config_name,
        "configuration_version": config_version,
        "rerun_of": new.rerun_of,
        "attempt": 1,
        "max_attempts": new.max_attempts,
        "run_after": now,
        "lease_owner": None,
        "lease_expires_at": None,
        "started_at": None,
        "attempt_started_at": None,
        "finished_at": None,
        "last_seq": 1,
        "stage": "queued",
        "percent": 0.0,
        "step": None,
        "total_steps": None,
        "progress_message": "",
        "error": None,
        "image_count": 0,
    }


async def get_job(conn: AsyncConnection, job_id: str, *, for_update: bool = False) -> JobRecord:
    row = (await conn.execute(_GET_LOCKED if for_update else _GET, {"job_id": job_id})).first()
    if row is None:
        raise NotFound(f"No job with id {job_id!r}.")
    return JobRecord.from_row(row)


def prefix_range(prefix: str) -> tuple[str, str]:
    """``[low, high)``: the ids that start with ``prefix`` (not empty) sort between them."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


async def ids_starting(conn: AsyncConnection, prefix: str, limit: int = 2) -> list[str]:
    """Ids of up to ``limit`` jobs whose id begins with ``prefix`` (walks the primary key)."""
    if not prefix:
        return []
    low, high = prefix_range(prefix)
    rows = await conn.execute(
        select(jobs.c.id).where(jobs.c.id >= low, jobs.c.id < high).order_by(jobs.c.id).limit(limit)
    )
    return [row.id for row in rows]


async def list_jobs(
    conn: AsyncConnection, *, limit: int, offset: int
) -> tuple[list[JobRecord], int]:
    rows = await conn.execute(
        select(jobs)
        .order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = (await conn.execute(select(func.count()).select_from(jobs))).scalar_one()
    return [JobRecord.from_row(r) for r in rows], int(total)


async def transition(
    tx: WriteTx,
    job_id: str,
    target: JobStatus,
    *,
    reason: str = "",
    owner: str | None = None,
    values: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    now: float | None = None,
    locked: JobRecord | None = None,
    before: list[tuple[EventType, dict[str, Any]]] | None = None,
) -> JobRecord:
    """The one place a job's status changes.

    Locks the row, checks the move (:func:`check_transition`, which raises
    ``TransitionError``), writes the new state and appends the ``error`` (if any) and
    ``status`` events, all in the caller's transaction. ``owner``, when given, must still
    hold the job's lease (else :class:`LeaseLost`).

    ``locked`` is the job as the caller already read it *locked in this transaction*
    (it is not read again); ``before`` are events that belong before the status event
    (a completion's image events), given their seqs in the same write.
    """
    now = time.time() if now is None else now
    job = locked if locked is not None else await get_job(tx.conn, job_id, for_update=True)
    if owner is not None and (job.lease_owner != owner or not job.status.is_active):
        raise LeaseLost(f"worker {owner} no longer holds job {job_id}")
    why = check_transition(job.status, target)
    changes: dict[str, Any] = {
        "status": target.value,
        "status_changed_at": now,
        "updated_at": now,
        "stage": target.value,
    }
    if not target.is_active:
        changes["lease_owner"] = None
        changes["lease_expires_at"] = None
    if target.is_terminal:
        # A regeneration keeps the job's first finish (see queue_new_attempt), so its
        # duration stays the time the job took, not the wait before the regeneration.
        kept = job.finished_at if target is JobStatus.COMPLETED else None
        changes["finished_at"] = kept if kept is not None else now
    if target is JobStatus.COMPLETED:
        changes["percent"] = 100.0
        # An earlier attempt's error stays in the event log; a job that succeeded has none.
        changes["error"] = None
    if target is JobStatus.QUEUED:
        changes.update(percent=0.0, step=None, total_steps=None, progress_message="")
        changes["finished_at"] = None
        changes["error"] = None if error is None else error
    if error is not None:
        changes["error"] = error
    changes.update(values or {})
    attempt = int(changes.get("attempt", job.attempt))
    max_attempts = int(changes.get("max_attempts", job.max_attempts))
    run_after = changes.get("run_after") if target is JobStatus.QUEUED else None
    events: list[tuple[EventType, dict[str, Any]]] = list(before or ())
    if error is not None:
        events.append((EventType.ERROR, {**error, "attempt": job.attempt}))
    events.append(
        (
            EventType.STATUS,
            {
                "status": target.value,
                "previous": job.status.value,
                "attempt": attempt,
                "max_attempts": max_attempts,
                "reason": reason or why,
                "run_after": iso_time(run_after) if run_after and run_after > now else None,
                "error": error,
            },
        )
    )
    # The row is locked: the events' seqs follow its last_seq, written in the same UPDATE.
    changes["last_seq"] = job.last_seq + len(events)
    columns = tuple(sorted(changes))
    await tx.conn.execute(
        _update(columns), {"job_id": job_id, **{f"v_{c}": changes[c] for c in columns}}
    )
    await insert_events(tx, job_id, job.last_seq + 1, events, now=now)
    return replace(job, **{**changes, "status": target})


async def queue_new_attempt(
    tx: WriteTx, job: JobRecord, *, budget: int, reason: str, keep_finish: bool = False
) -> JobRecord:
    """Queue ``job`` again as its next attempt, with ``budget`` attempts from that one on
    (a manual retry, a regeneration): runnable now, its last error cleared. With
    ``keep_finish`` (a regeneration of a completed job) the job keeps its finish time."""
    attempt = job.attempt + 1
    values: dict[str, Any] = {
        "attempt": attempt,
        "max_attempts": attempt + budget - 1,
        "run_after": time.time(),
        "error": None,
    }
    if keep_finish:
        values["finished_at"] = job.finished_at
    return await transition(tx, job.id, JobStatus.QUEUED, reason=reason, values=values)


async def claim_next_job(
    tx: WriteTx,
    owner: str,
    lease_seconds: float,
    *,
    now: float | None = None,
    concurrency_caps: dict[str, int] | None = None,
    paused_providers: set[str] | None = None,
) -> JobRecord | None:
    """Take the oldest runnable queued job, or return None. Atomic: on PostgreSQL the
    candidate row is locked with SKIP LOCKED; SQLite write transactions are exclusive.

    Jobs of providers in ``paused_providers``, or already running ``concurrency_caps[p]``
    jobs, are left in the queue."""
    now = time.time() if now is None else now
    skip = set(paused_providers or ())
    if concurrency_caps:
        await serialize_capped_claims(tx.conn)
        running = await tx.conn.execute(
            select(jobs.c.provider, func.count())
            .where(jobs.c.status.in_(_ACTIVE_VALUES), jobs.c.provider.in_(concurrency_caps))
            .group_by(jobs.c.provider)
        )
        skip |= {p for p, n in running if n >= concurrency_caps[p]}
    query = _CLAIM[skip_locked(tx.conn)]
    if skip:
        query = query.where(jobs.c.provider.not_in(skip))
    row = (await tx.conn.execute(query, {"now": now})).first()
    if row is None:
        return None
    candidate = JobRecord.from_row(row)
    return await transition(
        tx,
        candidate.id,
        JobStatus.RUNNING,
        reason=f"started attempt {candidate.attempt}/{candidate.max_attempts}",
        values={
            "lease_owner": owner,
            "lease_expires_at": now + lease_seconds,
            "started_at": candidate.started_at or now,
            "attempt_started_at": now,
            "stage": "running",
        },
        now=now,
        locked=candidate,
    )


async def record_progress(
    tx: WriteTx,
    job_id: str,
    owner: str,
    data: dict[str, Any],
    *,
    now: float | None = None,
) -> None:
    """Store the job's current progress and append a ``progress`` event, if ``owner``
    still holds the job."""
    now = time.time() if now is None else now
    seq = (
        await tx.conn.execute(
            _PROGRESS,
            {
                "job_id": job_id,
                "owner": owner,
                "percent": data["percent"],
                "step": data.get("step"),
                "total": data.get("total"),
                "message": data.get("message", ""),
                "now": now,
            },
        )
    ).scalar_one_or_none()
    if seq is None:
        raise LeaseLost(f"worker {owner} no longer holds job {job_id}")
    await insert_events(tx, job_id, seq, [(EventType.PROGRESS, data)], now=now)


async def assert_owner(conn: AsyncConnection, job_id: str, owner: str) -> None:
    """Raise :class:`LeaseLost` unless ``owner`` holds the job. The row stays locked to the
    end of the transaction, so a cancel cannot slip in between this check and the events
    the caller appends (PostgreSQL; SQLite write transactions are exclusive anyway)."""
    row = (await conn.execute(_OWNER, {"job_id": job_id, "owner": owner})).first()
    if row is None:
        raise LeaseLost(f"worker {owner} no longer holds job {job_id}")


async def renew_leases(tx: WriteTx, owner: str, job_ids: list[str], until: float) -> set[str]:
    """Extend the leases ``owner`` still holds; return the ids it still holds."""
    if not job_ids:
        return set()
    rows = await tx.conn.execute(
        update(jobs)
        .where(
            jobs.c.id.in_(job_ids),
            jobs.c.lease_owner == owner,
            jobs.c.status.in_(_ACTIVE_VALUES),
        )
        .values(lease_expires_at=until)
        .returning(jobs.c.id)
    )
    return {r.id for r in rows}


async def expired_lease_ids(
    conn: AsyncConnection, now: float, dead_owners: Collection[str] = ()
) -> list[str]:
    """Active jobs whose lease ran out, or whose lease holder is known to be gone."""
    lapsed = or_(jobs.c.lease_expires_at.is_(None), jobs.c.lease_expires_at < now)
    if dead_owners:
        lapsed = or_(lapsed, jobs.c.lease_owner.in_(list(dead_owners)))
    rows = await conn.execute(select(jobs.c.id).where(jobs.c.status.in_(_ACTIVE_VALUES), lapsed))
    return [r.id for r in rows]


async def queue_position(conn: AsyncConnection, job: JobRecord, now: float | None = None) -> int:
    """1 for the next job to be claimed: the queued jobs ahead of it (older) that could run
    now. One waiting out a retry pause is not ahead: workers pass it by until its time."""
    now = time.time() if now is None else now
    ahead = (
        await conn.execute(
            select(func.count())
            .select_from(jobs)
            .where(
                jobs.c.status == JobStatus.QUEUED.value,
                jobs.c.run_after <= now,
                or_(
                    jobs.c.created_at < job.created_at,
                    and_(jobs.c.created_at == job.created_at, jobs.c.id < job.id),
                ),
            )
        )
    ).scalar_one()
    return int(ahead) + 1


async def next_run_after(conn: AsyncConnection) -> float | None:
    """When the earliest queued job becomes runnable (for the workers' idle wait)."""
    value = (
        await conn.execute(
            select(func.min(jobs.c.run_after)).where(jobs.c.status == JobStatus.QUEUED.value)
        )
    ).scalar_one()
    return None if value is None else float(value)
