"""Tracked operations: long bulk work (exports, reruns of many jobs) with progress.

A row is written when the operation is accepted; the API process running it renews
``updated_at`` with every progress report (at least every few seconds). An operation whose
runner stopped (the process restarted or died) is marked failed by the next reader that
notices its silence (:func:`fail_abandoned`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.domain.errors import NotFound
from genfactory.store.engine import WriteTx
from genfactory.store.jobs import new_id
from genfactory.store.tables import operations


class OperationStatus(StrEnum):
    """Where an operation is. The values are the stored strings."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (
            OperationStatus.COMPLETED,
            OperationStatus.FAILED,
            OperationStatus.CANCELLED,
        )


ACTIVE_VALUES = (OperationStatus.QUEUED.value, OperationStatus.RUNNING.value)


@dataclass(frozen=True)
class OperationRecord:
    id: str
    kind: str
    status: OperationStatus
    total: int
    done: int
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    owner: str | None
    created_at: float
    started_at: float | None
    updated_at: float
    finished_at: float | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> OperationRecord:
        m = dict(row._mapping)
        m["status"] = OperationStatus(m["status"])
        return cls(**m)


async def create_operation(
    tx: WriteTx, kind: str, params: dict[str, Any], total: int, owner: str
) -> OperationRecord:
    now = time.time()
    record = OperationRecord(
        id=new_id(),
        kind=kind,
        status=OperationStatus.QUEUED,
        total=total,
        done=0,
        params=params,
        result=None,
        error=None,
        owner=owner,
        created_at=now,
        started_at=None,
        updated_at=now,
        finished_at=None,
    )
    await tx.conn.execute(
        insert(operations).values(**{**record.__dict__, "status": record.status.value})
    )
    return record


async def get_operation(conn: AsyncConnection, operation_id: str) -> OperationRecord:
    row = (await conn.execute(select(operations).where(operations.c.id == operation_id))).first()
    if row is None:
        raise NotFound(f"No operation with id {operation_id!r}.")
    return OperationRecord.from_row(row)


async def recent_operations(conn: AsyncConnection, limit: int) -> list[OperationRecord]:
    rows = await conn.execute(
        select(operations).order_by(operations.c.created_at.desc()).limit(limit)
    )
    return [OperationRecord.from_row(r) for r in rows]


async def report(
    tx: WriteTx,
    operation_id: str,
    *,
    done: int | None = None,
    total: int | None = None,
    started: bool = False,
) -> bool:
    """Record progress of a queued or running operation (and mark it running). False when
    it is no longer active — cancelled by someone, or failed as abandoned: stop working."""
    now = time.time()
    values: dict[str, Any] = {"updated_at": now, "status": OperationStatus.RUNNING.value}
    if done is not None:
        values["done"] = done
    if total is not None:
        values["total"] = total
    if started:
        values["started_at"] = now
    result = await tx.conn.execute(
        update(operations)
        .where(operations.c.id == operation_id, operations.c.status.in_(ACTIVE_VALUES))
        .values(**values)
    )
    return bool(result.rowcount)


async def finish(
    tx: WriteTx,
    operation_id: str,
    status: OperationStatus,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    done: int | None = None,
) -> bool:
    """Move an active operation to a final status (False if it was final already). One
    that completes without a progress report first (a small one, done in its request) ran
    just now: it gets a start time too."""
    now = time.time()
    values: dict[str, Any] = {
        "status": status.value,
        "updated_at": now,
        "finished_at": now,
        "result": result,
        "error": error,
    }
    if status is OperationStatus.COMPLETED:
        values["started_at"] = func.coalesce(operations.c.started_at, now)
    if done is not None:
        values["done"] = done
    outcome = await tx.conn.execute(
        update(operations)
        .where(operations.c.id == operation_id, operations.c.status.in_(ACTIVE_VALUES))
        .values(**values)
    )
    return bool(outcome.rowcount)


async def fail_abandoned(
    tx: WriteTx, *, silent_for: float, owner: str | None = None, now: float | None = None
) -> int:
    """Mark failed the active operations whose runner has been silent for ``silent_for``
    seconds, or (``owner``) every active one of a runner known to be gone."""
    now = time.time() if now is None else now
    whose = (
        operations.c.owner == owner
        if owner is not None
        else operations.c.updated_at < now - silent_for
    )
    result = await tx.conn.execute(
        update(operations)
        .where(operations.c.status.in_(ACTIVE_VALUES), whose)
        .values(
            status=OperationStatus.FAILED.value,
            error="Interrupted: the server running this operation stopped before it "
            "finished. Start it again.",
            finished_at=now,
            updated_at=now,
        )
    )
    return int(result.rowcount or 0)


async def fail_all_active(tx: WriteTx) -> int:
    """On start-up of the only API process (SQLite): nothing can still be running."""
    return await fail_abandoned(tx, silent_for=-1e12)
