"""Changes to jobs besides their status: rename, delete, manual image review.

None of these changes a job's status (that stays :func:`genfactory.store.jobs.transition`'s
job); the ones a live page must see append an event to the job's log (``label``, ``qc``).
A deletion cannot (the job's log goes with it): the caller publishes a notice after the
commit (:mod:`genfactory.core.management`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from genfactory.domain.errors import NotFound
from genfactory.domain.events import EventType
from genfactory.domain.statuses import ACTIVE
from genfactory.store.engine import WriteTx
from genfactory.store.events import append_event
from genfactory.store.images import ImageRecord, get_image, qc_counts
from genfactory.store.jobs import JobRecord, get_job
from genfactory.store.tables import image_reviews, images, jobs

_ACTIVE_VALUES = tuple(s.value for s in ACTIVE)


async def rename_job(tx: WriteTx, job_id: str, label: str) -> JobRecord:
    """Set the label: a ``label`` event (on the global stream too, so every open list
    updates) and a ``log`` line for the timeline. The same label again changes nothing
    and appends nothing."""
    job = await get_job(tx.conn, job_id, for_update=True)
    if job.label == label:
        return job
    await tx.conn.execute(update(jobs).where(jobs.c.id == job_id).values(label=label))
    # The event describes itself in the timeline ("Renamed to …"): no log line as well.
    await append_event(tx, job_id, EventType.LABEL, {"label": label, "previous": job.label})
    return await get_job(tx.conn, job_id)


async def existing_jobs(conn: AsyncConnection, job_ids: Sequence[str]) -> set[str]:
    """Which of these jobs still exist."""
    found: set[str] = set()
    for chunk in _chunks(list(job_ids), 500):
        rows = await conn.execute(select(jobs.c.id).where(jobs.c.id.in_(chunk)))
        found.update(r.id for r in rows)
    return found


@dataclass(frozen=True)
class StoredFile:
    """One file of the blob store: its content hash and format (extension)."""

    sha256: str
    format: str


@dataclass(frozen=True)
class Deletion:
    deleted: list[str]
    held: list[tuple[str, str]]  # (id, status) of jobs a worker holds: not deleted
    missing: list[str]
    files: set[StoredFile]  # files the deleted images used (maybe shared with others)


async def delete_jobs(tx: WriteTx, job_ids: Sequence[str]) -> Deletion:
    """Delete the jobs (their events, images, previews and reviews go with them) in the
    caller's transaction. Jobs a worker holds (running, uploading) are left alone; the
    files their images used are returned so the caller can remove the unreferenced ones
    after the commit."""
    wanted = list(dict.fromkeys(job_ids))
    found: dict[str, str] = {}
    for chunk in _chunks(wanted, 500):
        rows = await tx.conn.execute(
            select(jobs.c.id, jobs.c.status).where(jobs.c.id.in_(chunk)).with_for_update()
        )
        found.update({r.id: r.status for r in rows})
    held = [(i, found[i]) for i in wanted if i in found and found[i] in _ACTIVE_VALUES]
    doomed = [i for i in wanted if i in found and found[i] not in _ACTIVE_VALUES]
    files: set[StoredFile] = set()
    for chunk in _chunks(doomed, 500):
        rows = await tx.conn.execute(
            select(images.c.sha256, images.c.format, images.c.thumb_sha256).where(
                images.c.job_id.in_(chunk)
            )
        )
        for r in rows:
            files.add(StoredFile(r.sha256, r.format))
            files.add(StoredFile(r.thumb_sha256, "webp"))
        await tx.conn.execute(delete(jobs).where(jobs.c.id.in_(chunk)))
    missing = [i for i in wanted if i not in found]
    return Deletion(doomed, held, missing, files)


async def unreferenced(conn: AsyncConnection, files: Iterable[StoredFile]) -> list[StoredFile]:
    """The files no image row refers to any more (as its image or its thumbnail)."""
    candidates = sorted(files, key=lambda f: (f.sha256, f.format))
    still_used: set[StoredFile] = set()
    for chunk in _chunks(candidates, 500):
        hashes = sorted({f.sha256 for f in chunk})
        rows = await conn.execute(
            select(images.c.sha256, images.c.format).where(images.c.sha256.in_(hashes))
        )
        still_used.update(StoredFile(r.sha256, r.format) for r in rows)
        rows = await conn.execute(
            select(images.c.thumb_sha256).where(images.c.thumb_sha256.in_(hashes))
        )
        still_used.update(StoredFile(r.thumb_sha256, "webp") for r in rows)
    return [f for f in candidates if f not in still_used]


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- images -------------------------------------------------------------------------------

ImageSort = Literal["index", "created", "quality"]
_QUALITY_RANK = case(
    (images.c.qc_status == "passed", 0), (images.c.qc_status == "pending", 1), else_=2
)


@dataclass(frozen=True)
class ReviewedImage:
    image: ImageRecord
    source: str | None  # manual, auto, or None while pending


async def job_images(
    conn: AsyncConnection,
    job_id: str,
    *,
    qc_status: str | None = None,
    sort: ImageSort = "index",
) -> list[ReviewedImage]:
    """A job's images, optionally only those with a QC status. ``quality`` puts passed
    images first, then pending, then failed (each by index)."""
    orders: dict[str, list[ColumnElement[Any]]] = {
        "index": [images.c.index],
        "created": [images.c.created_at, images.c.index],
        "quality": [_QUALITY_RANK, images.c.index],
    }
    order = orders[sort]
    query = select(images).where(images.c.job_id == job_id)
    if qc_status is not None:
        query = query.where(images.c.qc_status == qc_status)
    records = [ImageRecord.from_row(r) for r in await conn.execute(query.order_by(*order))]
    manual = await _latest_reviews(conn, [r.id for r in records])
    return [ReviewedImage(r, _source(r, manual.get(r.id))) for r in records]


async def _latest_reviews(conn: AsyncConnection, image_ids: list[str]) -> dict[str, float]:
    if not image_ids:
        return {}
    rows = await conn.execute(
        select(image_reviews.c.image_id, func.max(image_reviews.c.created_at))
        .where(image_reviews.c.image_id.in_(image_ids))
        .group_by(image_reviews.c.image_id)
    )
    return {r[0]: float(r[1]) for r in rows}


def _source(image: ImageRecord, reviewed_at: float | None) -> str | None:
    if image.qc_at is None:
        return None
    if reviewed_at is not None and reviewed_at >= image.qc_at:
        return "manual"
    return "auto"


async def review_image(
    tx: WriteTx, image_id: str, status: str, reason: str | None
) -> ReviewedImage:
    """A person's verdict: set the image's QC status, keep it in the review history, and
    tell the job's log: a ``qc`` event with the job's new counts (on the global stream
    too, so lists update) and a ``log`` line for the timeline."""
    image = await get_image(tx.conn, image_id)
    await get_job(tx.conn, image.job_id, for_update=True)  # counts read below stay true
    now = time.time()
    await tx.conn.execute(
        update(images)
        .where(images.c.id == image_id)
        .values(qc_status=status, qc_reason=reason, qc_at=now)
    )
    await tx.conn.execute(
        insert(image_reviews).values(
            image_id=image_id, job_id=image.job_id, status=status, reason=reason, created_at=now
        )
    )
    counts = await qc_counts(tx.conn, image.job_id)
    await append_event(
        tx,
        image.job_id,
        EventType.QC,
        {
            "image_id": image_id,
            "index": image.index,
            "qc_status": status,
            "previous": image.qc_status,
            "reason": reason,
            "source": "manual",
            "passed": counts["passed"],
            "failed": counts["failed"],
            "pending": counts["pending"],
        },
        now=now,
    )
    updated = await get_image(tx.conn, image_id)
    return ReviewedImage(updated, "manual")


async def require_job(conn: AsyncConnection, job_id: str) -> None:
    exists = (await conn.execute(select(jobs.c.id).where(jobs.c.id == job_id))).first()
    if exists is None:
        raise NotFound(f"No job with id {job_id!r}.")
