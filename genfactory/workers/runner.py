"""Run one claimed job: generate, then store the images (the ``uploading`` stage)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import replace

from genfactory.core.service import JobService
from genfactory.domain.errors import ErrorCode, JobCancelled, LeaseLost, ProviderError
from genfactory.domain.events import EventType
from genfactory.domain.statuses import JobStatus
from genfactory.providers.base import CancelToken, GeneratedImage, GenerationRequest, Provider
from genfactory.qc import QCStatus
from genfactory.qc.pipeline import quality_check
from genfactory.store import images as image_store
from genfactory.store import jobs as job_store
from genfactory.store.blobs import make_thumbnail
from genfactory.store.events import append_event
from genfactory.store.images import ImageRecord
from genfactory.store.jobs import JobRecord
from genfactory.workers.reporter import RUNNING_SHARE, JobReporter

log = logging.getLogger(__name__)


def _provider_for(service: JobService, job: JobRecord) -> Provider:
    provider = service.providers.get(job.provider)
    if "faults" in job.params and service.settings.faults_allowed:
        # Test/dev mode only: the API refuses fault plans in production.
        from genfactory.providers.faults import FaultInjectingProvider, fault_plan_from_options

        plan = fault_plan_from_options(job.params)
        if plan is not None:
            return FaultInjectingProvider(provider, plan)
    return provider


def _request(job: JobRecord) -> GenerationRequest:
    p = job.params
    return GenerationRequest(
        job_id=job.id,
        prompt=job.prompt,
        width=int(p["width"]),
        height=int(p["height"]),
        steps=int(p["steps"]),
        count=int(p.get("count", 1)),
        seed=int(p["seed"]),
        attempt=job.attempt,
        style=p.get("style"),
        options={k: v for k, v in p.items() if k == "faults"},
    )


async def run_job(service: JobService, job: JobRecord, owner: str, token: CancelToken) -> None:
    """Drive ``job`` (already ``running`` under ``owner``'s lease) to its next status."""
    reporter = JobReporter(service, job.id, owner, int(job.params.get("count", 1)))
    try:
        provider = _provider_for(service, job)
        images = await provider.generate(_request(job), reporter, token)
        token.raise_if_cancelled()
        await _upload(service, job, owner, images, token)
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
            ProviderError(ErrorCode.INTERNAL, f"Internal error: {type(exc).__name__}: {exc}"),
        )


async def _fail(service: JobService, job: JobRecord, owner: str, error: ProviderError) -> None:
    with contextlib.suppress(LeaseLost):
        await service.attempt_failed(job.id, owner, error)


async def _upload(
    service: JobService,
    job: JobRecord,
    owner: str,
    generated: list[GeneratedImage],
    token: CancelToken,
) -> None:
    async with service.db.write() as tx:
        await job_store.transition(
            tx, job.id, JobStatus.UPLOADING, owner=owner, reason="storing images"
        )
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
        async with service.db.write() as tx:
            await job_store.record_progress(
                tx,
                job.id,
                owner,
                {
                    "stage": "uploading",
                    "percent": round(RUNNING_SHARE + (100 - RUNNING_SHARE) * n / (total + 1), 2),
                    "step": n,
                    "total": total,
                    "message": f"Stored image {n}/{total}",
                },
            )
    token.raise_if_cancelled()
    verdicts = await quality_check(
        job.params, [(image.index, image.data) for image in generated], prompt=job.prompt
    )
    checked_at = time.time()
    records = [
        replace(
            record,
            qc_status=verdict.status.value,
            qc_reason="; ".join(verdict.reasons) or None,
            qc_at=checked_at,
        )
        for record, verdict in zip(records, verdicts, strict=True)
    ]
    failed = sum(v.status is QCStatus.FAILED for v in verdicts)
    # Rows, image events and completion in one transaction: a crash before this point
    # leaves no image rows (the next attempt stores the same content-addressed files).
    async with service.db.write() as tx:
        await job_store.assert_owner(tx.conn, job.id, owner)
        await append_event(
            tx,
            job.id,
            EventType.LOG,
            {
                "level": "warning" if failed else "info",
                "message": f"Quality checks: {len(records) - failed} passed, {failed} failed"
                + "".join(f"; image {r.index + 1}: {r.qc_reason}" for r in records if r.qc_reason),
            },
        )
        for record in records:
            await image_store.insert_image(tx, record)
            await append_event(
                tx,
                job.id,
                EventType.IMAGE,
                {
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
                },
            )
        await job_store.transition(
            tx,
            job.id,
            JobStatus.COMPLETED,
            owner=owner,
            reason=f"{len(records)} image{'s' if len(records) != 1 else ''} ready",
            values={"image_count": len(records)},
        )


def _store_files(service: JobService, image: GeneratedImage) -> tuple[str, str]:
    sha = service.blobs.put(image.data, image.format)
    thumb_sha = service.blobs.put(make_thumbnail(image.data), "webp")
    return sha, thumb_sha
