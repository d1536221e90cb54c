"""Image rows and the single newest preview of each job."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.domain.errors import NotFound
from genfactory.store.engine import WriteTx
from genfactory.store.jobs import prefix_range
from genfactory.store.tables import images, previews


@dataclass(frozen=True)
class ImageRecord:
    id: str
    job_id: str
    index: int
    seed: int
    width: int
    height: int
    format: str
    bytes: int
    sha256: str
    thumb_sha256: str
    qc_status: str
    qc_reason: str | None
    qc_at: float | None
    created_at: float

    @classmethod
    def from_row(cls, row: Row[Any]) -> ImageRecord:
        return cls(**dict(row._mapping))


_INSERT = insert(images)


async def insert_images(tx: WriteTx, records: list[ImageRecord]) -> None:
    if records:
        await tx.conn.execute(_INSERT, [record.__dict__ for record in records])


async def job_images(conn: AsyncConnection, job_id: str) -> list[ImageRecord]:
    rows = await conn.execute(
        select(images).where(images.c.job_id == job_id).order_by(images.c.index)
    )
    return [ImageRecord.from_row(r) for r in rows]


async def qc_counts(conn: AsyncConnection, job_id: str) -> dict[str, int]:
    """How many of the job's images passed, failed or await the quality checks."""
    rows = await conn.execute(
        select(images.c.qc_status, func.count())
        .where(images.c.job_id == job_id)
        .group_by(images.c.qc_status)
    )
    counts = {"passed": 0, "failed": 0, "pending": 0}
    counts.update({status: int(n) for status, n in rows})
    return counts


async def qc_counts_for(conn: AsyncConnection, job_ids: list[str]) -> dict[str, dict[str, int]]:
    """:func:`qc_counts` for a page of jobs, in one grouped query."""
    if not job_ids:
        return {}
    rows = await conn.execute(
        select(images.c.job_id, images.c.qc_status, func.count())
        .where(images.c.job_id.in_(job_ids))
        .group_by(images.c.job_id, images.c.qc_status)
    )
    counts: dict[str, dict[str, int]] = {
        job_id: {"passed": 0, "failed": 0, "pending": 0} for job_id in job_ids
    }
    for job_id, status, n in rows:
        counts[job_id][status] = int(n)
    return counts


async def get_image(conn: AsyncConnection, image_id: str) -> ImageRecord:
    row = (await conn.execute(select(images).where(images.c.id == image_id))).first()
    if row is None:
        raise NotFound(f"No image with id {image_id!r}.")
    return ImageRecord.from_row(row)


@dataclass(frozen=True)
class Preview:
    job_id: str
    version: int
    content_type: str
    width: int
    height: int
    data: bytes


async def put_preview(
    tx: WriteTx, job_id: str, data: bytes, content_type: str, width: int, height: int
) -> int:
    """Replace the job's preview; return its new version."""
    now = time.time()
    version = (
        await tx.conn.execute(
            update(previews)
            .where(previews.c.job_id == job_id)
            .values(
                version=previews.c.version + 1,
                data=data,
                content_type=content_type,
                width=width,
                height=height,
                created_at=now,
            )
            .returning(previews.c.version)
        )
    ).scalar_one_or_none()
    if version is not None:
        return int(version)
    await tx.conn.execute(
        insert(previews).values(
            job_id=job_id,
            version=1,
            data=data,
            content_type=content_type,
            width=width,
            height=height,
            created_at=now,
        )
    )
    return 1


async def get_preview(conn: AsyncConnection, job_id: str) -> Preview | None:
    row = (await conn.execute(select(previews).where(previews.c.job_id == job_id))).first()
    if row is None:
        return None
    return Preview(row.job_id, row.version, row.content_type, row.width, row.height, row.data)


async def images_by_id(conn: AsyncConnection, image_ids: Sequence[str]) -> dict[str, ImageRecord]:
    """The images among ``image_ids`` that exist, by id (looked up 500 at a time)."""
    found: dict[str, ImageRecord] = {}
    for start in range(0, len(image_ids), 500):
        chunk = list(image_ids[start : start + 500])
        rows = await conn.execute(select(images).where(images.c.id.in_(chunk)))
        found.update({r.id: ImageRecord.from_row(r) for r in rows})
    return found


async def image_refs_starting(
    conn: AsyncConnection, prefix: str, limit: int
) -> list[tuple[str, str, int]]:
    """``(id, job_id, index)`` of up to ``limit`` images whose id begins with ``prefix``, by
    id (walks the primary key, as :func:`genfactory.store.jobs.ids_starting` does)."""
    if not prefix:
        return []
    low, high = prefix_range(prefix)
    rows = await conn.execute(
        select(images.c.id, images.c.job_id, images.c.index)
        .where(images.c.id >= low, images.c.id < high)
        .order_by(images.c.id)
        .limit(limit)
    )
    return [(str(id_), str(job_id), int(index)) for id_, job_id, index in rows]
