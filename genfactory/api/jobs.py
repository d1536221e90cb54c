"""Job routes: create, list, read, cancel, retry, rerun, images."""

from __future__ import annotations

import math
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError

from genfactory.api.deps import AppState, StateDep
from genfactory.api.errors import CONFLICT, NOT_FOUND
from genfactory.api.filters import (
    AsOfQuery,
    FilterError,
    IdPath,
    JobFilterBody,
    job_filter_params,
    parse_as_of,
)
from genfactory.api.management import image_detail
from genfactory.api.schemas import ImageDetail, JobCreate, JobPage, JobPublic, JobUpdate
from genfactory.core.management import JobManager
from genfactory.core.service import JobSpec
from genfactory.domain.events import iso_time
from genfactory.domain.statuses import JobStatus
from genfactory.store import images as image_store
from genfactory.store import job_edits, job_list
from genfactory.store import jobs as job_store
from genfactory.store.highlights import highlights as highlights_of
from genfactory.store.jobs import JobRecord
from genfactory.store.search import PageRequest, SortKey

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
async def create_job(body: JobCreate, state: StateDep, response: Response) -> JobPublic:
    """201 with the job; ``Location`` is its address (``links.self``)."""
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
    return _created(await job_public(state, job), response)


def _created(job: JobPublic, response: Response) -> JobPublic:
    response.headers["Location"] = job.links.self
    return job


@router.get(
    "",
    response_model=JobPage,
    responses=VALIDATION,
    summary="List jobs: filter, search, sort and page (newest first by default)",
)
async def list_jobs(
    state: StateDep,
    filter_: Annotated[JobFilterBody, Depends(job_filter_params)],
    limit: Annotated[
        int | None, Query(ge=1, le=100, description="Page size (or page_size).")
    ] = None,
    offset: Annotated[int | None, Query(ge=0, le=10_000_000, description="Rows to skip.")] = None,
    page: Annotated[
        int | None, Query(ge=1, le=1_000_000, description="1-based page number (not with offset).")
    ] = None,
    page_size: Annotated[
        int | None, Query(ge=1, le=100, description="Rows per page: the page offers 25, 50, 100.")
    ] = None,
    sort: Annotated[
        SortParam,
        Query(
            description="created (date), label, status (lifecycle order: queued, running, "
            "uploading, completed, failed, cancelled), duration or images."
        ),
    ] = "created",
    order: Annotated[Literal["asc", "desc"], Query(description="Sort direction.")] = "desc",
    as_of: AsOfQuery = None,
) -> JobPage:
    """Filters combine (AND): ``status`` (several), ``from``/``to`` (created), ``configuration``
    (several) and ``q`` (full-text over label and prompt, or a job-id prefix). Ties sort by
    creation time, then id. A page past the end is empty, with the right ``total``.

    Only jobs created at or before ``as_of`` are listed — now, when it is not given; the
    answer's ``as_of`` says which moment it used. Send it back with the next pages to read
    the list as it was then: jobs created meanwhile do not push rows onto the next page."""
    selection = filter_.to_filter("query")
    try:
        pinned = parse_as_of(as_of)
    except FilterError as exc:
        raise exc.as_validation_error("query") from None
    if pinned is None:
        # Now, to the microsecond the answer names, rounded up so that it keeps every job
        # this query can see.
        pinned = math.ceil(time.time() * 1e6) / 1e6
    size, start = _paging(limit, offset, page, page_size)
    request = PageRequest(
        sort=SortKey(_SORT_ALIASES.get(sort, sort)),
        descending=order == "desc",
        limit=size,
        offset=start,
    )
    async with state.db.read() as conn:
        found = await job_list.list_jobs(conn, selection, request, as_of=pinned)
        qc = await image_store.qc_counts_for(conn, [j.id for j in found.jobs if j.image_count])
    now = time.time()
    highlights = None
    if selection.search is not None:
        highlights = {
            j.id: marks
            for j in found.jobs
            if (marks := highlights_of(j, selection.search).as_dict())
        }
    return JobPage(
        items=[JobPublic.build(j, qc=qc.get(j.id), now=now) for j in found.jobs],
        total=found.total,
        limit=size,
        offset=start,
        page=start // size + 1,
        page_size=size,
        pages=-(-found.total // size),
        highlights=highlights,
        as_of=iso_time(pinned),
    )


SortParam = Literal["created", "date", "label", "status", "duration", "images", "image_count"]
_SORT_ALIASES = {"date": "created", "image_count": "images"}


def _paging(
    limit: int | None, offset: int | None, page: int | None, page_size: int | None
) -> tuple[int, int]:
    """(page size, offset) from either style: limit/offset or page/page_size."""
    if page is not None and offset is not None:
        raise _query_error("page", "Give either page or offset, not both.", page)
    if limit is not None and page_size is not None and limit != page_size:
        raise _query_error("page_size", "limit and page_size disagree; give one.", page_size)
    size = page_size or limit or 25
    start = (page - 1) * size if page is not None else offset or 0
    if start > 10_000_000:
        raise _query_error(
            "page", "That page is too far: at most 10,000,000 rows are skipped.", page
        )
    return size, start


def _query_error(field: str, message: str, value: object) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("query", field), "msg": message, "type": "value_error", "input": value}]
    )


@router.get("/{job_id}", response_model=JobPublic, responses=NOT_FOUND, summary="A job snapshot")
async def get_job(job_id: IdPath, state: StateDep) -> JobPublic:
    async with state.db.read() as conn:
        job = await job_store.get_job(conn, job_id)
    return await job_public(state, job)


@router.patch(
    "/{job_id}",
    response_model=JobPublic,
    responses={**NOT_FOUND, **VALIDATION},
    summary="Rename a job (label: 1–200 characters after trimming)",
)
async def update_job(job_id: IdPath, body: JobUpdate, state: StateDep) -> JobPublic:
    """Changes the label only; the status is untouched. A ``label`` event tells live
    views (the job's own stream and the global one)."""
    job = await JobManager(state.service).rename(job_id, body.label)
    return await job_public(state, job)


@router.post(
    "/{job_id}/cancel",
    response_model=JobPublic,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Cancel a queued or running job",
)
async def cancel_job(job_id: IdPath, state: StateDep) -> JobPublic:
    return await job_public(state, await state.service.cancel(job_id))


@router.post(
    "/{job_id}/retry",
    response_model=JobPublic,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Start a new attempt of a failed or cancelled job",
)
async def retry_job(job_id: IdPath, state: StateDep) -> JobPublic:
    return await job_public(state, await state.service.retry(job_id))


@router.post(
    "/{job_id}/rerun",
    status_code=status.HTTP_201_CREATED,
    response_model=JobPublic,
    responses={**NOT_FOUND, **VALIDATION},
    summary="A new job from this job's settings (lineage in rerun_of)",
)
async def rerun_job(
    job_id: IdPath, state: StateDep, request: Request, response: Response
) -> JobPublic:
    """The new job copies the old one's settings as they were: the request has no body (a
    body would be ignored, so one that says something is refused)."""
    raw = (await request.body()).strip()
    if raw not in (b"", b"{}", b"null"):
        raise RequestValidationError(
            [
                {
                    "loc": ("body",),
                    "msg": "A rerun takes no settings: it repeats the job as it was. To change "
                    "them, submit a new job (POST /api/jobs).",
                    "type": "value_error",
                }
            ]
        )
    return _created(await job_public(state, await state.service.rerun(job_id)), response)


@router.get(
    "/{job_id}/images",
    response_model=list[ImageDetail],
    responses={**NOT_FOUND, **VALIDATION},
    summary="The job's stored images (optionally by QC status; sorted)",
)
async def list_images(
    job_id: IdPath,
    state: StateDep,
    qc_status: Annotated[
        Literal["passed", "failed", "pending"] | None, Query(description="Only these.")
    ] = None,
    sort: Annotated[
        Literal["index", "created", "quality"],
        Query(description="quality: passed first, then pending, then failed."),
    ] = "index",
) -> list[ImageDetail]:
    async with state.db.read() as conn:
        await job_store.get_job(conn, job_id)
        images = await job_edits.job_images(conn, job_id, qc_status=qc_status, sort=sort)
    return [image_detail(i) for i in images]
