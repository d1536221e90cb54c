"""Tracked operations (exports, reruns of many jobs): progress, cancel, live stream, and the
export downloads. The operations run as tasks of this API process; see
:mod:`genfactory.core.operations`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from genfactory.api.deps import AppState, StateDep
from genfactory.api.errors import NOT_FOUND, problem
from genfactory.api.filters import IdPath
from genfactory.api.preferences import read_export_preferences
from genfactory.api.schemas import ExportCreate, OperationPublic, Problem
from genfactory.core.management import JobManager
from genfactory.core.operations import OperationRunner
from genfactory.domain.events import iso_time
from genfactory.exports.xlsx import parse_time_zone
from genfactory.store import operations as op_store
from genfactory.store.operations import OperationRecord, OperationStatus
from genfactory.store.search import JobFilter
from genfactory.store.stats import count_jobs

POLL_SECONDS = 1.0
VALIDATION: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input: the field and a readable message"}
}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Runs inside the application's own lifespan (the store is open): start the runner,
    fail what a previous process left running; on shutdown stop the tasks first."""
    state: AppState = app.state.genfactory
    runner = OperationRunner(
        state.db, JobManager(state.service), state.settings.data_dir / "exports"
    )
    await runner.start()
    app.state.genfactory_operations = runner
    try:
        yield
    finally:
        await runner.stop()


router = APIRouter(tags=["operations"], lifespan=lifespan)


def _runner(request: Request) -> OperationRunner:
    runner: OperationRunner = request.app.state.genfactory_operations
    return runner


RunnerDep = Annotated[OperationRunner, Depends(_runner)]


def operation_public(record: OperationRecord) -> OperationPublic:
    base = f"/api/operations/{record.id}"
    links = {"self": base, "cancel": f"{base}/cancel", "events_stream": f"{base}/events/stream"}
    if record.kind == "export":
        links["download"] = f"/api/exports/{record.id}/download"
    return OperationPublic(
        id=record.id,
        kind=record.kind,
        status=record.status.value,
        total=record.total,
        done=record.done,
        percent=_percent(record),
        params=record.params,
        result=record.result,
        error=record.error,
        created_at=iso_time(record.created_at),
        started_at=iso_time(record.started_at) if record.started_at else None,
        finished_at=iso_time(record.finished_at) if record.finished_at else None,
        links=links,
    )


def _percent(record: OperationRecord) -> float:
    if record.total:
        return round(min(100.0, 100.0 * record.done / record.total), 1)
    return 100.0 if record.status is OperationStatus.COMPLETED else 0.0


@router.get(
    "/api/operations",
    response_model=list[OperationPublic],
    responses=VALIDATION,
    summary="Recent operations, newest first",
)
async def list_operations(
    state: StateDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[OperationPublic]:
    async with state.db.read() as conn:
        return [operation_public(r) for r in await op_store.recent_operations(conn, limit)]


@router.get(
    "/api/operations/{operation_id}",
    response_model=OperationPublic,
    responses=NOT_FOUND,
    summary="An operation's progress and outcome (poll it, or follow its event stream)",
)
async def get_operation(operation_id: IdPath, runner: RunnerDep) -> OperationPublic:
    return operation_public(await runner.get(operation_id))


@router.post(
    "/api/operations/{operation_id}/cancel",
    response_model=OperationPublic,
    responses=NOT_FOUND,
    summary="Cancel an operation (a finished one is returned unchanged)",
)
async def cancel_operation(operation_id: IdPath, runner: RunnerDep) -> OperationPublic:
    await runner.get(operation_id)  # 404 first
    return operation_public(await runner.cancel(operation_id))


async def _existing(operation_id: IdPath, runner: RunnerDep) -> OperationRecord:
    return await runner.get(operation_id)  # 404 before the stream starts


@router.get(
    "/api/operations/{operation_id}/events/stream",
    response_class=EventSourceResponse,
    responses=NOT_FOUND,
    summary="Server-Sent Events: the operation's snapshot whenever it changes, until it ends",
)
async def stream_operation(
    first: Annotated[OperationRecord, Depends(_existing)], runner: RunnerDep
) -> AsyncIterator[ServerSentEvent]:
    """Each event is ``event: operation`` with the :class:`OperationPublic` as data; the
    stream ends after the final status. FastAPI's SSE response keeps an idle connection
    alive with a comment every 15 s."""
    yield ServerSentEvent(retry=2000, comment="genfactory operation")
    record = first
    last: tuple[str, int, int] | None = None
    while True:
        key = (record.status.value, record.done, record.total)
        if key != last:
            last = key
            yield ServerSentEvent(
                event="operation", data=operation_public(record).model_dump(mode="json")
            )
        if record.status.is_final:
            return
        await runner.wait_for_change(record.id, POLL_SECONDS)
        record = await runner.get(record.id)


# -- exports ----------------------------------------------------------------------------


def selection_filter(body: ExportCreate) -> tuple[JobFilter, list[tuple[str, Any]]]:
    """The store filter and the human summary (for the Filters sheet) of an export."""
    if body.ids is not None:
        return JobFilter(ids=tuple(dict.fromkeys(body.ids))), [("ids", len(set(body.ids)))]
    assert body.filter is not None
    selection = body.filter.to_filter("body", "filter")
    summary = list(body.filter.summary().items()) or [("filter", "all jobs")]
    return selection, summary


async def _export_options(state: AppState, include_images: bool | None) -> tuple[bool, Path | None]:
    """Whether to include the images (the request's choice, else the export preference)
    and the preferences' folder for a copy of the file (None: download only)."""
    preferences = await read_export_preferences(state.db)
    if include_images is None:
        include_images = preferences.include_images
    return include_images, Path(preferences.folder) if preferences.folder else None


@router.post(
    "/api/exports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OperationPublic,
    responses=VALIDATION,
    summary="Export jobs to Excel (ids or a filter), optionally as a ZIP with the images",
)
async def create_export(body: ExportCreate, state: StateDep, runner: RunnerDep) -> OperationPublic:
    """Without ``include_images`` the export preference decides; when the preferences name a
    folder, the finished file is saved there too (``result.saved_to``)."""
    selection, summary = selection_filter(body)
    include_images, save_to = await _export_options(state, body.include_images)
    async with state.db.read() as conn:
        total = await count_jobs(conn, selection)
    params = body.model_dump(mode="json", by_alias=True, exclude_none=True)
    params["include_images"] = include_images
    record = await runner.start_export(
        selection,
        params=params,
        filters=summary,
        include_images=include_images,
        total=total,
        save_to=save_to,
        time_zone=body.time_zone,
    )
    return operation_public(record)


@router.post(
    "/api/jobs/{job_id}/export",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OperationPublic,
    responses=NOT_FOUND,
    summary="Export one job to Excel (the spec's single-job export)",
)
async def export_one_job(
    job_id: IdPath,
    state: StateDep,
    runner: RunnerDep,
    include_images: Annotated[
        bool | None,
        Query(description="A ZIP with the images too. Not given: the export preference."),
    ] = None,
    time_zone: Annotated[
        str | None,
        Query(
            max_length=64,
            description="The IANA time zone of the workbook's times, e.g. `Europe/Berlin`. "
            "Not given: UTC.",
        ),
    ] = None,
) -> OperationPublic:
    from genfactory.store.job_edits import require_job

    if time_zone is not None:
        try:
            time_zone = parse_time_zone(time_zone).key
        except ValueError as exc:
            raise RequestValidationError(
                [{"loc": ("query", "time_zone"), "msg": str(exc), "type": "value_error"}]
            ) from None
    async with state.db.read() as conn:
        await require_job(conn, job_id)
    included, save_to = await _export_options(state, include_images)
    body = ExportCreate(ids=[job_id], include_images=included, time_zone=time_zone)
    record = await runner.start_export(
        JobFilter(ids=(job_id,)),
        params=body.model_dump(mode="json", exclude_none=True),
        filters=[("job", job_id)],
        include_images=included,
        total=1,
        save_to=save_to,
        time_zone=body.time_zone,
    )
    return operation_public(record)


@router.get(
    "/api/exports/{operation_id}/download",
    response_class=FileResponse,
    responses={
        200: {
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                "application/zip": {},
            },
            "description": "The export file (Content-Disposition: attachment).",
        },
        **NOT_FOUND,
        409: {"model": Problem, "description": "The export has not completed (yet)."},
        410: {"model": Problem, "description": "The file is gone from the server."},
    },
    summary="Download a completed export",
)
async def download_export(operation_id: IdPath, runner: RunnerDep) -> Any:
    record = await runner.get(operation_id)
    if record.kind != "export":
        return problem(404, "not_found", f"Operation {operation_id} is not an export.")
    if record.status is not OperationStatus.COMPLETED or not record.result:
        return problem(
            409,
            "not_ready",
            f"The export is {record.status.value}; download it once it has completed.",
            status=record.status.value,
        )
    path = Path(record.result["path"])
    if not await asyncio.to_thread(path.exists):
        return problem(410, "gone", "The export file is no longer on the server; export again.")
    return FileResponse(
        path,
        media_type=record.result.get("content_type", "application/octet-stream"),
        filename=record.result.get("filename", path.name),
        content_disposition_type="attachment",
    )
