"""Job routes: create, list, read, cancel, retry, rerun, images."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from genfactory.api.deps import AppState, StateDep
from genfactory.api.errors import CONFLICT, NOT_FOUND
from genfactory.api.schemas import ImagePublic, JobCreate, JobPage, JobPublic
from genfactory.core.service import JobSpec
from genfactory.domain.statuses import JobStatus
from genfactory.store import images as image_store
from genfactory.store import jobs as job_store
from genfactory.store.jobs import JobRecord

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

VALIDATION: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input: the field and a readable message"}
}


async def job_public(state: AppState, job: JobRecord) -> JobPublic:
    async with state.db.read() as conn:
        position = (
            await job_store.queue_position(conn, job) if job.status is JobStatus.QUEUED else None
        )
        preview = await image_store.get_preview(conn, job.id)
        qc = await image_store.qc_counts(conn, job.id) if job.image_count else None
    return JobPublic.build(
        job,
        queue_position=position,
        preview_version=preview.version if preview else None,
        qc=qc,
        now=time.time(),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=JobPublic,
    responses=VALIDATION,
    summary="Submit a job",
)
async def create_job(body: JobCreate, state: StateDep) -> JobPublic:
    job = await state.service.submit(
        JobSpec(
            prompt=body.prompt,
            size=body.size,
            steps=body.steps,
            count=body.count,
            style=body.style,
            seed=body.seed,
            label=body.label,
            provider=body.provider,
            faults=body.faults,
            configuration=body.configuration,
            count_given="count" in body.model_fields_set,
        )
    )
    return await job_public(state, job)


@router.get("", response_model=JobPage, responses=VALIDATION, summary="List jobs, newest first")
async def list_jobs(
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> JobPage:
    async with state.db.read() as conn:
        items, total = await job_store.list_jobs(conn, limit=limit, offset=offset)
    now = time.time()
    return JobPage(
        items=[JobPublic.build(j, now=now) for j in items], total=total, limit=limit, offset=offset
    )


@router.get("/{job_id}", response_model=JobPublic, responses=NOT_FOUND, summary="A job snapshot")
async def get_job(job_id: str, state: StateDep) -> JobPublic:
    async with state.db.read() as conn:
        job = await job_store.get_job(conn, job_id)
    return await job_public(state, job)


@router.post(
    "/{job_id}/cancel",
    response_model=JobPublic,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Cancel a queued or running job",
)
async def cancel_job(job_id: str, state: StateDep) -> JobPublic:
    return await job_public(state, await state.service.cancel(job_id))


@router.post(
    "/{job_id}/retry",
    response_model=JobPublic,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Start a new attempt of a failed or cancelled job",
)
async def retry_job(job_id: str, state: StateDep) -> JobPublic:
    return await job_public(state, await state.service.retry(job_id))


@router.post(
    "/{job_id}/rerun",
    status_code=status.HTTP_201_CREATED,
    response_model=JobPublic,
    responses=NOT_FOUND,
    summary="A new job from this job's settings (lineage in rerun_of)",
)
async def rerun_job(job_id: str, state: StateDep) -> JobPublic:
    return await job_public(state, await state.service.rerun(job_id))


@router.get(
    "/{job_id}/images",
    response_model=list[ImagePublic],
    responses=NOT_FOUND,
    summary="The job's stored images",
)
async def list_images(job_id: str, state: StateDep) -> list[ImagePublic]:
    async with state.db.read() as conn:
        await job_store.get_job(conn, job_id)
        images = await image_store.job_images(conn, job_id)
    return [ImagePublic.build(i) for i in images]
