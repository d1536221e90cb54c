"""Regeneration rows: a request to remake one failed image of a job, and how it ended.

The job's status is still changed only by :func:`genfactory.store.jobs.transition`; these
rows say *why* a completed job is back in the queue and what came of it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.domain.errors import NotFound
from genfactory.store.engine import WriteTx
from genfactory.store.tables import image_regenerations


class RegenerationStatus(StrEnum):
    """Where a regeneration is. The values are the strings stored in the database."""

    PENDING = "pending"  # the job is queued or running for it
    COMPLETED = "completed"  # the new image is stored (whatever its QC verdict)
    FAILED = "failed"  # the provider gave up; the job kept its images
    CANCELLED = "cancelled"  # cancelled by request; the job kept its images


@dataclass(frozen=True)
class RegenerationRecord:
    """A regeneration row as the rest of the code sees it."""

    id: str
    job_id: str
    source_image_id: str
    source_index: int
    seed: int
    status: RegenerationStatus
    image_id: str | None
    image_index: int | None
    qc_status: str | None
    error: dict[str, Any] | None
    created_at: float
    finished_at: float | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> RegenerationRecord:
        m = dict(row._mapping)
        m["status"] = RegenerationStatus(m["status"])
        return cls(**m)


async def create_regeneration(
    tx: WriteTx, *, job_id: str, source_image_id: str, source_index: int, seed: int
) -> RegenerationRecord:
    values: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "job_id": job_id,
        "source_image_id": source_image_id,
        "source_index": source_index,
        "seed": seed,
        "status": RegenerationStatus.PENDING.value,
        "image_id": None,
        "image_index": None,
        "qc_status": None,
        "error": None,
        "created_at": time.time(),
        "finished_at": None,
    }
    await tx.conn.execute(insert(image_regenerations).values(**values))
    return RegenerationRecord(**{**values, "status": RegenerationStatus.PENDING})


async def _newest(conn: AsyncConnection, *where: Any) -> RegenerationRecord | None:
    row = (
        await conn.execute(
            select(image_regenerations)
            .where(*where)
            .order_by(image_regenerations.c.created_at.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else RegenerationRecord.from_row(row)


async def pending_for_job(conn: AsyncConnection, job_id: str) -> RegenerationRecord | None:
    """The regeneration the job is queued or running for, if any."""
    return await _newest(
        conn,
        image_regenerations.c.job_id == job_id,
        image_regenerations.c.status == RegenerationStatus.PENDING.value,
    )


async def replacement_of(conn: AsyncConnection, image_id: str) -> RegenerationRecord | None:
    """The completed regeneration that made a new image in place of ``image_id``, if any."""
    return await _newest(
        conn,
        image_regenerations.c.source_image_id == image_id,
        image_regenerations.c.status == RegenerationStatus.COMPLETED.value,
    )


async def get_regeneration(conn: AsyncConnection, regeneration_id: str) -> RegenerationRecord:
    row = (
        await conn.execute(
            select(image_regenerations).where(image_regenerations.c.id == regeneration_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"No regeneration with id {regeneration_id!r}.")
    return RegenerationRecord.from_row(row)


async def job_regenerations(conn: AsyncConnection, job_id: str) -> list[RegenerationRecord]:
    """Every regeneration of the job, oldest first."""
    rows = await conn.execute(
        select(image_regenerations)
        .where(image_regenerations.c.job_id == job_id)
        .order_by(image_regenerations.c.created_at, image_regenerations.c.id)
    )
    return [RegenerationRecord.from_row(r) for r in rows]


async def finish_regeneration(
    tx: WriteTx,
    regeneration_id: str,
    status: RegenerationStatus,
    *,
    image_id: str | None = None,
    image_index: int | None = None,
    qc_status: str | None = None,
    error: dict[str, Any] | None = None,
    now: float | None = None,
) -> None:
    """Record how a pending regeneration ended (a no-op if it already had)."""
    await tx.conn.execute(
        update(image_regenerations)
        .where(
            image_regenerations.c.id == regeneration_id,
            image_regenerations.c.status == RegenerationStatus.PENDING.value,
        )
        .values(
            status=status.value,
            image_id=image_id,
            image_index=image_index,
            qc_status=qc_status,
            error=error,
            finished_at=time.time() if now is None else now,
        )
    )


async def sources_of(conn: AsyncConnection, image_ids: list[str]) -> dict[str, str]:
    """For the images among ``image_ids`` that a regeneration made: the image each replaced."""
    found: dict[str, str] = {}
    for start in range(0, len(image_ids), 500):
        rows = await conn.execute(
            select(image_regenerations.c.image_id, image_regenerations.c.source_image_id).where(
                image_regenerations.c.image_id.in_(image_ids[start : start + 500])
            )
        )
        found.update({r.image_id: r.source_image_id for r in rows})
    return found
