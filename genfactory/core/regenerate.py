"""Regenerate a failed image: the job goes back to the queue for one new image.

The rules:

* Only an image whose QC status is ``failed`` (by the checks or by a reviewer) can be
  regenerated, and only while its job is ``completed``: a queued or running job is busy
  (perhaps already regenerating), and a failed or cancelled job is retried instead.
  Once a regeneration has made an image in its place, it is the new image that can be
  regenerated (if it failed too), not the replaced one again.
* The request records a *regeneration* (``store.regenerations``) and moves the job
  ``completed → queued`` with a new attempt and a fresh budget of automatic retries, so
  the normal worker path runs it: concurrency caps, leases, cancel, progress, previews and
  the live pages all work as for any job.
* The worker makes exactly one image with the job's snapshot and the new seed, stores it
  as a new image of the job (the next free index; the failed image stays), checks it
  (near-duplicates against the job's other images too) and completes the job again with
  ``image_count`` + 1.
* A regeneration never turns a completed job into a failed or cancelled one — its other
  images are fine. When the provider gives up (a non-retryable error, or the attempts run
  out) or someone cancels, the job returns to ``completed``; the error or the cancel is in
  the timeline and on the regeneration.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from genfactory.domain.errors import Conflict
from genfactory.domain.statuses import JobStatus
from genfactory.store import images as image_store
from genfactory.store import jobs as job_store
from genfactory.store import regenerations as regen_store
from genfactory.store.engine import WriteTx
from genfactory.store.jobs import JobRecord
from genfactory.store.regenerations import RegenerationRecord, RegenerationStatus

if TYPE_CHECKING:  # the service calls back into this module (cancel, attempt outcomes)
    from genfactory.core.service import JobService


async def request_regeneration(
    service: JobService, image_id: str, seed: int | None = None
) -> tuple[RegenerationRecord, JobRecord]:
    """Queue the image's job to make one new image in its place (with ``seed``, or a
    random one). Raises ``NotFound`` for an unknown image and ``Conflict`` when the rules
    above refuse."""
    async with service.db.write() as tx:
        image = await image_store.get_image(tx.conn, image_id)
        job = await job_store.get_job(tx.conn, image.job_id, for_update=True)
        n = image.index + 1
        if job.status is not JobStatus.COMPLETED:
            raise Conflict(_busy_message(job.status, n))
        if image.qc_status != "failed":
            raise Conflict(
                f"Image {n} has QC status {image.qc_status}; only a failed image can be "
                "regenerated (reject it first to replace it)."
            )
        replaced = await regen_store.replacement_of(tx.conn, image.id)
        if replaced is not None and replaced.image_index is not None:
            m = replaced.image_index + 1
            raise Conflict(
                f"Image {n} was already replaced by image {m}; regenerate image {m} if it "
                "failed too."
            )
        _check_provider(service, job)
        chosen = seed if seed is not None else random.randint(0, _max_seed())
        regeneration = await regen_store.create_regeneration(
            tx, job_id=job.id, source_image_id=image.id, source_index=image.index, seed=chosen
        )
        job = await job_store.queue_new_attempt(
            tx,
            job,
            budget=service.settings.max_attempts,
            reason=f"Regenerating image {n} with seed {chosen}",
            keep_finish=True,
        )
    return regeneration, job


def _max_seed() -> int:
    from genfactory.core.service import MAX_SEED  # not at the top: service imports us

    return MAX_SEED


def _busy_message(status: JobStatus, n: int) -> str:
    if status in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.UPLOADING):
        return f"The job is {status.value}; image {n} can be regenerated once it has completed."
    return (
        f"The job is {status.value}; only images of a completed job can be regenerated "
        "(retry or rerun the job instead)."
    )


def _check_provider(service: JobService, job: JobRecord) -> None:
    if job.provider not in service.providers:
        raise Conflict(f"The job's provider {job.provider!r} is not configured on this server.")
    info = service.providers.get(job.provider).info
    if not info.available:
        raise Conflict(
            f"The job's provider {job.provider!r} is unavailable: {info.unavailable_reason}"
        )


async def end_unsuccessfully(
    tx: WriteTx,
    job: JobRecord,
    regeneration: RegenerationRecord,
    *,
    reason: str,
    error: dict[str, Any] | None = None,
    owner: str | None = None,
) -> JobRecord:
    """The regeneration gave up (``error``) or was cancelled (no error): the job returns to
    ``completed`` with the images it had. The error is appended to the timeline (an
    ``error`` event and the status event's ``error``) and kept on the regeneration; the
    job itself carries no error, since it did complete."""
    status = RegenerationStatus.FAILED if error is not None else RegenerationStatus.CANCELLED
    await regen_store.finish_regeneration(tx, regeneration.id, status, error=error)
    return await job_store.transition(
        tx,
        job.id,
        JobStatus.COMPLETED,
        owner=owner,
        reason=reason,
        error=error,
        values={"error": None},
    )


async def cancel_regeneration(
    tx: WriteTx, job: JobRecord, regeneration: RegenerationRecord
) -> JobRecord:
    """Cancel by request while the job is queued or running for a regeneration."""
    kept = job.image_count
    return await end_unsuccessfully(
        tx,
        job,
        regeneration,
        reason=f"Regeneration of image {regeneration.source_index + 1} cancelled by request; "
        f"the job keeps its {kept} image{'s' if kept != 1 else ''}",
    )


def gave_up_reason(regeneration: RegenerationRecord, message: str, kept: int) -> str:
    return (
        f"Regenerating image {regeneration.source_index + 1} failed: {message}; "
        f"the job keeps its {kept} image{'s' if kept != 1 else ''}"
    )
