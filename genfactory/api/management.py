"""Job-management routes: statistics for a filter, bulk delete and rerun, manual image
review and saved filter presets. (The list and rename live with the other job routes in
``jobs.py``; exports and operations in ``operations.py``.)"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from genfactory.api.deps import AppState, StateDep
from genfactory.api.errors import CONFLICT, NOT_FOUND
from genfactory.api.filters import IdPath, JobFilterBody, job_filter_params
from genfactory.api.operations import RunnerDep, operation_public
from genfactory.api.schemas import (
    BulkDeleteResult,
    BulkRerunResult,
    ImageDetail,
    ImagePublic,
    ImageQCUpdate,
    JobStats,
    PendingCard,
    PresetCreate,
    PresetPublic,
    RerunQueued,
    Selection,
    SkippedJob,
    StatCard,
    TotalCard,
    TrendPublic,
)
from genfactory.core.management import RERUN_CHUNK, JobManager, resolve_selection
from genfactory.domain.events import iso_time
from genfactory.domain.statuses import JobStatus
from genfactory.store import operations as op_store
from genfactory.store import presets as preset_store
from genfactory.store.job_edits import ReviewedImage
from genfactory.store.presets import PresetRecord
from genfactory.store.stats import job_statistics

router = APIRouter(tags=["management"])

VALIDATION: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input: the field and a readable message"}
}
BULK_ERRORS: dict[int | str, dict[str, Any]] = {
    **VALIDATION,
    409: {
        "description": "With a filter: it no longer matches expected_count jobs "
        "(nothing was done; look again and confirm)."
    },
}
FilterDep = Annotated[JobFilterBody, Depends(job_filter_params)]


# -- statistics -------------------------------------------------------------------------


def _rate(part: int, finished: int) -> float | None:
    return round(part / finished, 4) if finished else None


@router.get(
    "/api/jobs/stats",
    response_model=JobStats,
    responses=VALIDATION,
    summary="Statistics for the jobs a filter matches (the five cards)",
)
async def job_stats(state: StateDep, filter_: FilterDep) -> JobStats:
    """Takes the list's filter parameters (``status``, ``from``, ``to``,
    ``configuration``, ``q``). Rates are shares of the finished jobs."""
    selection = filter_.to_filter("query")
    now = time.time()
    async with state.db.read() as conn:
        stats = await job_statistics(conn, selection, now)
    counts = stats.by_status
    completed = counts.get("completed", 0)
    failed = counts.get("failed", 0)
    cancelled = counts.get("cancelled", 0)
    finished = completed + failed + cancelled
    trend = stats.trend
    change = trend.current - trend.previous
    return JobStats(
        total=TotalCard(
            count=sum(counts.values()),
            statuses=[],
            trend=TrendPublic(
                basis=trend.basis,
                current=trend.current,
                previous=trend.previous,
                change=change,
                change_percent=round(100.0 * change / trend.previous, 1)
                if trend.previous
                else None,
                current_from=iso_time(trend.current_range[0]),
                current_to=iso_time(trend.current_range[1]),
                previous_from=iso_time(trend.previous_range[0]),
                previous_to=iso_time(trend.previous_range[1]),
            ),
        ),
        completed=StatCard(
            count=completed, rate=_rate(completed, finished), statuses=["completed"]
        ),
        failed=StatCard(count=failed, rate=_rate(failed, finished), statuses=["failed"]),
        running=StatCard(
            count=counts.get("running", 0) + counts.get("uploading", 0),
            statuses=["running", "uploading"],
        ),
        pending=PendingCard(
            count=counts.get("queued", 0),
            statuses=["queued"],
            runnable=stats.queue.runnable,
            waiting=stats.queue.waiting,
            next_run_at=iso_time(stats.queue.next_run_at) if stats.queue.next_run_at else None,
        ),
        cancelled=StatCard(
            count=cancelled, rate=_rate(cancelled, finished), statuses=["cancelled"]
        ),
        by_status={s.value: counts.get(s.value, 0) for s in JobStatus},
        generated_at=iso_time(now),
    )


# -- bulk operations ----------------------------------------------------------------------


async def _resolve(state: AppState, body: Selection) -> list[str]:
    selection = body.filter.to_filter("body", "filter") if body.filter is not None else None
    async with state.db.read() as conn:
        resolved = await resolve_selection(
            conn,
            ids=body.ids,
            selection=selection,
            expected_count=body.expected_count,
            require_expected=True,
        )
    return resolved.ids


@router.post(
    "/api/jobs/bulk/delete",
    response_model=BulkDeleteResult,
    responses=BULK_ERRORS,
    summary="Delete jobs (ids or a filter) in one transaction, and their unused image files",
)
async def bulk_delete(body: Selection, state: StateDep) -> BulkDeleteResult:
    """Deletes the jobs with their events, images and previews in one transaction; then
    removes the image files no remaining image refers to (files are shared by identical
    images, e.g. a rerun's). Jobs a worker holds (running, uploading) are skipped — cancel
    them first. Unknown ids are skipped too. Nothing else is touched."""
    ids = await _resolve(state, body)
    outcome = await JobManager(state.service).delete(ids)
    skipped = [
        SkippedJob(id=i, status=s, reason=f"The job is {s}; cancel it first.")
        for i, s in outcome.held
    ] + [SkippedJob(id=i, status=None, reason="No job with this id.") for i in outcome.missing]
    return BulkDeleteResult(
        deleted=len(outcome.deleted),
        deleted_ids=outcome.deleted,
        skipped=skipped,
        files_removed=outcome.files_removed,
    )


@router.post(
    "/api/jobs/bulk/rerun",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BulkRerunResult,
    responses=BULK_ERRORS,
    summary="Queue a new job from each job's settings, to start in the given order",
)
async def bulk_rerun(body: Selection, state: StateDep, runner: RunnerDep) -> BulkRerunResult:
    """Each rerun copies its job's snapshot (prompt, settings, seed, configuration) and
    links back by ``rerun_of``. They are queued in the selection's order (ids as given; a
    filter oldest first) and workers claim the oldest queued job first, so they run in that
    order. Up to 100 are created before the response, with their queue positions; more run
    as a tracked operation (follow ``operation.links``)."""
    ids = await _resolve(state, body)
    params = body.model_dump(mode="json", by_alias=True, exclude_none=True)
    if len(ids) > RERUN_CHUNK:
        record = await runner.start_rerun(ids, params=params)
        return BulkRerunResult(operation=operation_public(record), jobs=None, skipped=[])
    reruns, missing = await JobManager(state.service).rerun(ids)
    jobs = [
        RerunQueued(source_id=r.source_id, job_id=r.job.id, queue_position=r.queue_position)
        for r in reruns
    ]
    async with state.db.write() as tx:
        record = await op_store.create_operation(tx, "rerun", params, len(ids), runner.owner)
        await op_store.finish(
            tx,
            record.id,
            op_store.OperationStatus.COMPLETED,
            result={"jobs": [j.model_dump() for j in jobs], "missing": missing},
            done=len(ids),
        )
    async with state.db.read() as conn:
        done = await op_store.get_operation(conn, record.id)
    return BulkRerunResult(
        operation=operation_public(done),
        jobs=jobs,
        skipped=[SkippedJob(id=i, status=None, reason="No job with this id.") for i in missing],
    )


# -- images -----------------------------------------------------------------------------


def image_detail(reviewed: ReviewedImage) -> ImageDetail:
    image = reviewed.image
    return ImageDetail(
        **ImagePublic.build(image).model_dump(),
        qc_at=iso_time(image.qc_at) if image.qc_at else None,
        qc_source=reviewed.source,
    )


@router.post(
    "/api/images/{image_id}/qc",
    response_model=ImageDetail,
    responses={**NOT_FOUND, **VALIDATION},
    summary="Approve (passed) or reject (failed) an image by hand",
)
async def review_image(image_id: IdPath, body: ImageQCUpdate, state: StateDep) -> ImageDetail:
    """Records the verdict with its time (``qc_at``) and ``qc_source`` = manual, keeps it in
    the review history and logs it on the job (a ``log`` event)."""
    reviewed = await JobManager(state.service).review_image(image_id, body.status, body.reason)
    return image_detail(reviewed)


# -- presets ----------------------------------------------------------------------------


def preset_public(record: PresetRecord) -> PresetPublic:
    return PresetPublic(
        id=record.id,
        name=record.name,
        filter=record.filter,
        created_at=iso_time(record.created_at),
        updated_at=iso_time(record.updated_at),
    )


@router.get("/api/presets", response_model=list[PresetPublic], summary="Saved filters, by name")
async def list_presets(state: StateDep) -> list[PresetPublic]:
    async with state.db.read() as conn:
        return [preset_public(p) for p in await preset_store.list_presets(conn)]


@router.post(
    "/api/presets",
    status_code=status.HTTP_201_CREATED,
    response_model=PresetPublic,
    responses={**VALIDATION, **CONFLICT},
    summary="Save a filter under a name (409 if the name is taken)",
)
async def create_preset(body: PresetCreate, state: StateDep) -> PresetPublic:
    body.filter.to_filter("body", "filter")  # the same checks as the list's parameters
    async with state.db.write() as tx:
        record = await preset_store.create_preset(tx, body.name, body.filter.summary())
    return preset_public(record)


@router.delete(
    "/api/presets/{preset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
    summary="Delete a saved filter",
)
async def delete_preset(preset_id: IdPath, state: StateDep) -> Response:
    async with state.db.write() as tx:
        await preset_store.delete_preset(tx, preset_id)
    return Response(status_code=204)
