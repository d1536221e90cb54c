"""Run one claimed job: generate, then store the images (the ``uploading`` stage).

A job queued to regenerate a failed image (``core.regenerate``) takes the same path but
makes one image with the regeneration's seed and adds it to the job's images.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any, TypeVar

from genfactory.core.service import JobService
from genfactory.domain.errors import ErrorCode, JobCancelled, LeaseLost, ProviderError
from genfactory.domain.events import EventType
from genfactory.domain.statuses import JobStatus
from genfactory.providers.base import CancelToken, GeneratedImage, GenerationRequest, Provider
from genfactory.qc import QCStatus
from genfactory.qc.pipeline import quality_check
from genfactory.qc.results import ImageQC
from genfactory.store import images as image_store
from genfactory.store import jobs as job_store
from genfactory.store import regenerations as regen_store
from genfactory.store.blobs import make_thumbnail
from genfactory.store.engine import WriteTx
from genfactory.store.images import ImageRecord
from genfactory.store.jobs import JobRecord
from genfactory.store.regenerations import RegenerationRecord, RegenerationStatus
from genfactory.workers.reporter import RUNNING_SHARE, JobReporter

log = logging.getLogger(__name__)

#: Storing and checking a job's images that takes longer than this shows ``uploading``
#: while it runs; quicker work writes ``uploading`` together with ``completed``.
UPLOADING_NOTICE_SECONDS = 0.25

_T = TypeVar("_T")


def _provider_for(service: JobService, job: JobRecord) -> Provider:
    provider = service.providers.get(job.provider)
    if "faults" in job.params and service.settings.faults_allowed:
        # Test/dev mode only: the API refuses fault plans in production.
        from genfactory.providers.faults import FaultInjectingProvider, fault_plan_from_options

        plan = fault_plan_from_options(job.params)
        if plan is not None:
            return FaultInjectingProvider(provider, plan)
    return provider


#: Snapshot keys that are fields of the request itself (or read by the worker, like ``qc``);
#: every other setting of the snapshot (``model``, ``output_format``, ``negative_prompt``,
#: ``quality``, ``faults``, …) reaches the provider in ``GenerationRequest.options``.
REQUEST_FIELDS = frozenset({"size", "width", "height", "steps", "count", "style", "seed", "qc"})


def _request(job: JobRecord, regeneration: RegenerationRecord | None = None) -> GenerationRequest:
    p = job.params
    return GenerationRequest(
        job_id=job.id,
        prompt=job.prompt,
        width=int(p["width"]),
        height=int(p["height"]),
        steps=int(p["steps"]),
        count=1 if regeneration else int(p.get("count", 1)),
        seed=regeneration.seed if regeneration else int(p["seed"]),
        attempt=job.attempt,
        style=p.get("style"),
        options={k: v for k, v in p.items() if k not in REQUEST_FIELDS and v is not None},
    )


async def run_job(service: JobService, job: JobRecord, owner: str, token: CancelToken) -> None:
    """Drive ``job`` (already ``running`` under ``owner``'s lease) to its next status."""
    storing = False  # which part an unexpected exception came from
    try:
        regeneration = None
        if job.image_count:
            # Only a completed job (it has images) can be queued again to regenerate one;
            # a new job's first attempts skip the look-up.
            async with service.db.read() as conn:
                regeneration = await regen_store.pending_for_job(conn, job.id)
        count = 1 if regeneration else int(job.params.get("count", 1))
        reporter = JobReporter(service, job.id, owner, count)
        provider = _provider_for(service, job)
        images = await provider.generate(_request(job, regeneration), reporter, token)
        token.raise_if_cancelled()
        storing = True
        if regeneration is None:
            await _upload(service, job, owner, images, token)
        else:
            await _upload_regenerated(service, job, owner, regeneration, images, token)
    except (JobCancelled, LeaseLost):
        return  # the job was cancelled or taken over: its status is already recorded
    except ProviderError as error:
        await _fail(service, job, owner, error)
    except Exception as exc:
        log.exception("job %s crashed", job.id)
        await _fail(
            service,
            job,
            owner,
            ProviderError(ErrorCode.INTERNAL, _crash_message(job, exc, storing)),
        )


def _crash_message(job: JobRecord, exc: Exception, storing: bool) -> str:
    """What a user reads when the provider, or storing its images, raised something
    untyped: which part failed, with what, and where the traceback is."""
    detail = str(exc).strip()
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    if len(what) > 300:
        what = what[:299] + "…"
    part = "Storing or checking the images" if storing else f"The {job.provider} provider"
    return f"{part} failed unexpectedly ({what}). The server log has the details."


async def _fail(service: JobService, job: JobRecord, owner: str, error: ProviderError) -> None:
    with contextlib.suppress(LeaseLost):
        await service.attempt_failed(job.id, owner, error)


class _Uploading:
    """The ``uploading`` status of one job's storing and checking, written only if that
    work is still going after :data:`UPLOADING_NOTICE_SECONDS`.

    Storing is usually local and quick: then ``uploading`` is written in the same
    transaction as ``completed`` (both status events stay in the log, in order), which
    saves a transaction per job. Slower work (many images, a remote vision check) shows
    ``uploading`` while it runs, with a progress event per stored image from then on.
    """

    def __init__(self, service: JobService, job: JobRecord, owner: str, reason: str) -> None:
        self.service, self.job, self.owner, self.reason = service, job, owner, reason
        self.written = False

    async def run(self, work: Coroutine[Any, Any, _T]) -> _T:
        """Await ``work``, writing ``uploading`` once it outlasts the notice time."""
        task = asyncio.ensure_future(work)
        try:
            done, _pending = await asyncio.wait({task}, timeout=UPLOADING_NOTICE_SECONDS)
            if not done:
                async with self.service.db.write() as tx:
                    await self._transition(tx)
                self.written = True
            return await task
        finally:
            # When the write failed (lease lost, cancelled), stop the work and collect its
            # outcome quietly: the write's error is the one that counts.
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def locked_in(self, tx: WriteTx) -> JobRecord | None:
        """In the completing transaction: write ``uploading`` if it was not written yet,
        and return the job as that left it (locked), else None."""
        return None if self.written else await self._transition(tx)

    async def _transition(self, tx: WriteTx) -> JobRecord:
        return await job_store.transition(
            tx, self.job.id, JobStatus.UPLOADING, owner=self.owner, reason=self.reason
        )


async def _store(
    service: JobService,
    uploading: _Uploading,
    generated: list[GeneratedImage],
    token: CancelToken,
) -> list[ImageRecord]:
    """Write the image files; return their (unchecked) records."""
    job, owner = uploading.job, uploading.owner
    records: list[ImageRecord] = []
    total = len(generated)
    for n, image in enumerate(generated, start=1):
        token.raise_if_cancelled()
        sha, thumb_sha = await asyncio.to_thread(_store_files, service, image)
        records.append(
            ImageRecord(
                id=uuid.uuid4().hex,
                job_id=job.id,
                index=image.index,
                seed=image.seed,
                width=image.width,
                height=image.height,
                format=image.format,
                bytes=len(image.data),
                sha256=sha,
                thumb_sha256=thumb_sha,
                qc_status="pending",
                qc_reason=None,
                qc_at=None,
                created_at=time.time(),
            )
        )
        # Progress once the job shows ``uploading``; the last image is followed at once
        # by the checks and completion.
        if uploading.written and n < total:
            async with service.db.write() as tx:
                await job_store.record_progress(
                    tx,
                    job.id,
                    owner,
                    {
                        "stage": "uploading",
                        "percent": round(
                            RUNNING_SHARE + (100 - RUNNING_SHARE) * n / (total + 1), 2
                        ),
                        "step": n,
                        "total": total,
                        "message": f"Stored image {n}/{total}",
                    },
                )
    token.raise_if_cancelled()
    return records


def _with_verdicts(records: list[ImageRecord], verdicts: list[ImageQC]) -> list[ImageRecord]:
    checked_at = time.time()
    return [
        replace(
            record,
            qc_status=verdict.status.value,
            qc_reason="; ".join(verdict.reasons) or None,
            qc_at=checked_at,
        )
        for record, verdict in zip(records, verdicts, strict=True)
    ]


def _qc_notes(records: list[ImageRecord], verdicts: list[ImageQC]) -> list[str]:
    """What the checks could not judge (e.g. the vision check unreachable), per image."""
    return [
        f"image {record.index + 1}: {note}"
        for record, verdict in zip(records, verdicts, strict=True)
        for note in verdict.notes
    ]


async def _complete(
    tx: WriteTx,
    uploading: _Uploading,
    records: list[ImageRecord],
    notes: list[str],
    *,
    reason: str,
    image_count: int,
) -> None:
    """Complete the job with its image rows, in the caller's transaction (entering
    ``uploading`` first if that was not written yet): the quality-check log lines and each
    image's ``image`` event come just before the ``completed`` status event (one seq
    reservation, one event insert)."""
    locked = await uploading.locked_in(tx)
    events: list[tuple[EventType, dict[str, Any]]] = []
    if notes:
        events.append((EventType.LOG, {"level": "warning", "message": "; ".join(notes)}))
    failed = sum(r.qc_status == QCStatus.FAILED.value for r in records)
    events.append(
        (
            EventType.LOG,
            {
                "level": "warning" if failed else "info",
                "message": f"Quality checks: {len(records) - failed} passed, {failed} failed"
                + "".join(f"; image {r.index + 1}: {r.qc_reason}" for r in records if r.qc_reason),
            },
        )
    )
    events.extend((EventType.IMAGE, _image_event(record)) for record in records)
    # The status change locks the row and checks the lease first: a crash or a lost lease
    # before the commit leaves no image rows (the next attempt stores the same
    # content-addressed files again).
    await job_store.transition(
        tx,
        uploading.job.id,
        JobStatus.COMPLETED,
        owner=uploading.owner,
        reason=reason,
        values={"image_count": image_count},
        locked=locked,
        before=events,
    )
    await image_store.insert_images(tx, records)


def _image_event(record: ImageRecord) -> dict[str, Any]:
    return {
        "image_id": record.id,
        "index": record.index,
        "url": f"/api/images/{record.id}/file",
        "thumbnail_url": f"/api/images/{record.id}/thumbnail",
        "width": record.width,
        "height": record.height,
        "bytes": record.bytes,
        "seed": record.seed,
        "qc_status": record.qc_status,
        "qc_reason": record.qc_reason,
    }


async def _upload(
    service: JobService,
    job: JobRecord,
    owner: str,
    generated: list[GeneratedImage],
    token: CancelToken,
) -> None:
    uploading = _Uploading(service, job, owner, "storing images")

    async def store_and_check() -> tuple[list[ImageRecord], list[str]]:
        records = await _store(service, uploading, generated, token)
        verdicts = await quality_check(
            job.params, [(image.index, image.data) for image in generated], prompt=job.prompt
        )
        return _with_verdicts(records, verdicts), _qc_notes(records, verdicts)

    records, notes = await uploading.run(store_and_check())
    async with service.db.write() as tx:
        await _complete(
            tx,
            uploading,
            records,
            notes,
            reason=f"{len(records)} image{'s' if len(records) != 1 else ''} ready",
            image_count=len(records),
        )


async def _upload_regenerated(
    service: JobService,
    job: JobRecord,
    owner: str,
    regeneration: RegenerationRecord,
    generated: list[GeneratedImage],
    token: CancelToken,
) -> None:
    """Store the one new image as the job's next image, check it against the job's other
    images too (near-duplicates) and complete the job again."""
    if not generated:
        raise ProviderError(ErrorCode.INTERNAL, "The provider returned no image.")
    async with service.db.read() as conn:
        existing = await image_store.job_images(conn, job.id)
    # The job is ours (leased), so nothing else adds images to it before we commit.
    index = max((image.index for image in existing), default=-1) + 1
    image = replace(generated[0], index=index, seed=regeneration.seed)
    source, number = regeneration.source_index + 1, index + 1
    uploading = _Uploading(
        service, job, owner, f"storing image {number} (regenerated image {source})"
    )

    async def store_and_check() -> tuple[ImageRecord, list[str]]:
        records = await _store(service, uploading, [image], token)
        earlier = await asyncio.to_thread(_read_images, service, existing)
        verdicts = await quality_check(
            job.params, [(index, image.data)], prompt=job.prompt, earlier=earlier
        )
        [record] = _with_verdicts(records, verdicts)
        return record, _qc_notes(records, verdicts)

    record, notes = await uploading.run(store_and_check())
    async with service.db.write() as tx:
        await _complete(
            tx,
            uploading,
            [record],
            notes,
            reason=f"Image {source} regenerated as image {number} "
            f"(seed {regeneration.seed}): {record.qc_status}",
            image_count=len(existing) + 1,
        )
        await regen_store.finish_regeneration(
            tx,
            regeneration.id,
            RegenerationStatus.COMPLETED,
            image_id=record.id,
            image_index=record.index,
            qc_status=record.qc_status,
        )


def _read_images(service: JobService, images: list[ImageRecord]) -> list[tuple[int, bytes]]:
    """The job's stored images as ``(index, data)`` (a missing file is left out)."""
    pairs = []
    for image in images:
        try:
            pairs.append((image.index, service.blobs.path(image.sha256, image.format).read_bytes()))
        except FileNotFoundError:
            log.warning("image file of %s (job %s) is missing", image.id, image.job_id)
    return pairs


def _store_files(service: JobService, image: GeneratedImage) -> tuple[str, str]:
    sha = service.blobs.put(image.data, image.format)
    thumb_sha = service.blobs.put(make_thumbnail(image.data), "webp")
    return sha, thumb_sha
