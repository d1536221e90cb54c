"""Event streams: per job and global, over polling, Server-Sent Events and WebSocket.
The wire contract is ``docs/streams.md``.

Besides events, the push transports carry what the log cannot: a per-job stream whose
job is deleted ends with a ``not_found`` reset, and the global stream carries notices
(``jobs_deleted``) — a WebSocket ``{"control": "notice", …}`` frame, an SSE ``notice``
event without an ``id`` (so ``Last-Event-ID`` stays a log position). Polling has neither:
a polling client reloads what it shows from time to time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from genfactory.api.deps import AppState, StateDep, WsStateDep
from genfactory.api.errors import NOT_FOUND
from genfactory.api.filters import IdPath
from genfactory.api.schemas import EventPage, GlobalEventPage, Problem
from genfactory.core.streams import (
    GONE,
    PING,
    global_events,
    job_events,
    wait_for_global_events,
    wait_for_job_events,
)
from genfactory.domain.errors import NotFound
from genfactory.domain.events import Event, EventEnvelope, Notice, iso_time
from genfactory.domain.statuses import JobStatus
from genfactory.store import jobs as job_store
from genfactory.store.events import highest_event_id_ever, last_global_id

router = APIRouter(tags=["events"])

HEARTBEAT_SECONDS = 15.0
SSE_RETRY_MS = 2000
MAX_CURSOR = 2**53
Cursor = Annotated[int, Query(ge=0, le=MAX_CURSOR, description="Deliver events after this cursor")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Wait = Annotated[float, Query(ge=0, le=30, description="Long-poll: hold up to this many seconds")]


GONE_MESSAGE = "This job was deleted."


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    last_seq: int

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "last_seq": self.last_seq}


def parse_cursor(text: str) -> int | None:
    """A cursor from text that no schema checked (the ``Last-Event-ID`` header, a WebSocket
    query): ASCII digits up to ``MAX_CURSOR``, else None. ``str.isdigit`` with ``int`` is
    not enough: ``"²"`` is a digit that ``int`` refuses, and 5,000 nines exceed what
    ``int`` parses and every database column."""
    text = text.strip()
    if not (0 < len(text) <= 16 and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_CURSOR else None


def _last_event_id(header: str | None) -> int | None:
    """The SSE reconnect cursor a client sent, or None; a malformed one is a 422 like a
    malformed ``after``, not silently ignored (the stream would start elsewhere). An empty
    one is no cursor: in the SSE standard an empty id resets the last event ID."""
    if header is None or not header.strip():
        return None
    cursor = parse_cursor(header)
    if cursor is None:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("header", "last-event-id"),
                    "msg": f"Last-Event-ID must be a number from 0 to {MAX_CURSOR}",
                    "input": header,
                }
            ]
        )
    return cursor


async def check_cursor(state: AppState, job_id: str, after: int) -> tuple[str, int, Refusal | None]:
    """Return the job's status and last seq, and a refusal if ``after`` cannot be served."""
    async with state.db.read() as conn:
        job = await job_store.get_job(conn, job_id)
    if after > job.last_seq:
        return (
            job.status.value,
            job.last_seq,
            Refusal(
                "cursor_ahead",
                f"Cursor {after} is ahead of this job's log (last seq {job.last_seq}); "
                "reload the job snapshot.",
                job.last_seq,
            ),
        )
    return job.status.value, job.last_seq, None


def _envelopes(events: list[Event]) -> list[dict[str, Any]]:
    return [e.envelope() for e in events]


# -- per job ------------------------------------------------------------------------------


@router.get(
    "/api/jobs/{job_id}/events",
    response_model=EventPage,
    responses={**NOT_FOUND, 409: {"model": Problem, "description": "cursor_ahead"}},
    summary="Events after a seq (polling, optionally long-poll)",
)
async def poll_job_events(
    job_id: IdPath,
    state: StateDep,
    after: Cursor = 0,
    limit: Limit = 500,
    wait: Wait = 0,
) -> Any:
    """A finished job that has nothing after ``after`` answers at once, whatever ``wait``:
    nothing more will come."""
    status, last_seq, refusal = await check_cursor(state, job_id, after)
    if refusal is not None:
        from genfactory.api.errors import problem

        return problem(409, refusal.code, refusal.message, last_seq=refusal.last_seq)
    if after >= last_seq and JobStatus(status).is_terminal:
        wait = 0
    events = await wait_for_job_events(state.db, state.bus, job_id, after, wait, limit)
    if events and events[-1].seq > last_seq:
        async with state.db.read() as conn:
            job = await job_store.get_job(conn, job_id)
        status, last_seq = job.status.value, job.last_seq
    return {"job_id": job_id, "events": _envelopes(events), "last_seq": last_seq, "status": status}


@dataclass(frozen=True)
class StreamStart:
    job_id: str
    after: int
    refusal: Refusal | None


async def _sse_start(
    job_id: IdPath,
    state: StateDep,
    after: Cursor = 0,
    last_event_id: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StreamStart:
    resume = _last_event_id(last_event_id)
    after = after if resume is None else resume
    _status, _last, refusal = await check_cursor(state, job_id, after)  # 404 before streaming
    return StreamStart(job_id, after, refusal)


@router.get(
    "/api/jobs/{job_id}/events/stream",
    response_class=EventSourceResponse,
    responses=NOT_FOUND,
    summary="Server-Sent Events of one job (id = seq; honours Last-Event-ID)",
)
async def stream_job_events(
    start: Annotated[StreamStart, Depends(_sse_start)], state: StateDep
) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(retry=SSE_RETRY_MS, comment="genfactory events")
    if start.refusal is not None:
        yield ServerSentEvent(event="reset", data=start.refusal.body())
        return
    async for item in job_events(
        state.db, state.bus, start.job_id, start.after, heartbeat=HEARTBEAT_SECONDS
    ):
        if item is PING:
            continue  # FastAPI's SSE response sends its own keep-alive comment when idle
        if item is GONE:
            yield ServerSentEvent(event="reset", data=_gone_body())
            return
        else:
            assert isinstance(item, Event)
            yield item.memo("sse_job", _job_sse)


def _job_sse(event: Event) -> ServerSentEvent:
    """One job stream's SSE message for ``event``: built once, sent to every subscriber.

    The envelope goes to FastAPI as its pydantic model, which FastAPI encodes with
    ``model_dump_json`` (pydantic-core); a dict would take ``jsonable_encoder``'s walk for
    every subscriber, the most of a busy stream's CPU (docs/benchmarks.md, Streaming).
    """
    return ServerSentEvent(data=event.memo("envelope", _envelope), id=str(event.seq))


def _global_sse(event: Event) -> ServerSentEvent:
    """The same for the global stream, whose cursor is the event's global id."""
    return ServerSentEvent(data=event.memo("envelope", _envelope), id=str(event.id))


def _envelope(event: Event) -> EventEnvelope:
    """The envelope model, validated once per event for both streams that send it."""
    return EventEnvelope.model_validate(event.envelope())


def _gone_body() -> dict[str, Any]:
    return {"code": "not_found", "message": GONE_MESSAGE, "last_seq": None}


async def _pump(websocket: WebSocket, frames: AsyncIterator[Event | object]) -> None:
    """Send frames until the client goes away (or, per job, the job is deleted: a
    ``not_found`` reset, then close code 4404). A reader task notices the close at once,
    even while no frame is due (the next one may be a heartbeat 15 s away)."""

    async def reader() -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while True:
                await websocket.receive_text()

    async def writer() -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            async for item in frames:
                if isinstance(item, Event):
                    await websocket.send_text(item.to_json())
                elif isinstance(item, Notice):
                    await websocket.send_json({"control": "notice", **item.body()})
                elif item is GONE:
                    await websocket.send_json({"control": "reset", **_gone_body()})
                    await websocket.close(code=4404)
                    return
                else:
                    await websocket.send_json({"control": "ping", "time": iso_time(time.time())})

    tasks = [asyncio.create_task(reader()), asyncio.create_task(writer())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@router.websocket("/api/jobs/{job_id}/events/ws")
async def ws_job_events(websocket: WebSocket, job_id: str, state: WsStateDep) -> None:
    await websocket.accept()
    after = parse_cursor(websocket.query_params.get("after", "0"))
    if after is None:
        await websocket.send_json(
            {
                "control": "reset",
                "code": "bad_cursor",
                "message": f"after must be a number from 0 to {MAX_CURSOR}",
            }
        )
        await websocket.close(code=4400)
        return
    try:
        _status, last_seq, refusal = await check_cursor(state, job_id, after)
    except NotFound as exc:
        await websocket.send_json(
            {"control": "reset", "code": "not_found", "message": str(exc), "last_seq": None}
        )
        await websocket.close(code=4404)
        return
    if refusal is not None:
        await websocket.send_json({"control": "reset", **refusal.body()})
        await websocket.close(code=4409)
        return
    await websocket.send_json(
        {"control": "hello", "job_id": job_id, "after": after, "last_seq": last_seq}
    )
    stream = job_events(state.db, state.bus, job_id, after, heartbeat=HEARTBEAT_SECONDS)
    try:
        await _pump(websocket, stream)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    with contextlib.suppress(Exception):
        await websocket.close()


# -- all jobs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GlobalStart:
    cursor: int
    #: Set when ``after`` is past the newest event: a cursor from another database (ids are
    #: never reused, so the log cannot have reached it). Served, it would skip every event
    #: up to it without a word.
    ahead: dict[str, Any] | None = None


async def _global_after(state: AppState, after: int | None) -> GlobalStart:
    async with state.db.read() as conn:
        if after is None:
            return GlobalStart(await last_global_id(conn))
        ever = await highest_event_id_ever(conn)
        if after <= ever:
            return GlobalStart(after)
        head = await last_global_id(conn)
    message = (
        f"Cursor {after} is past every event id this log has handed out ({ever}); "
        "reload what you show and follow from there."
    )
    return GlobalStart(after, {"code": "cursor_ahead", "message": message, "last_id": head})


@router.get(
    "/api/events",
    response_model=GlobalEventPage,
    summary="Status, progress, image, error, label and QC events of all jobs (polling)",
    responses={
        409: {"model": Problem, "description": "cursor_ahead"},
        422: {"description": "Invalid cursor"},
    },
)
async def poll_global_events(
    state: StateDep,
    after: Annotated[int | None, Query(ge=0, le=MAX_CURSOR)] = None,
    limit: Limit = 500,
    wait: Wait = 0,
) -> Any:
    start = await _global_after(state, after)
    if start.ahead is not None:
        return JSONResponse({"detail": start.ahead}, status_code=409)
    cursor = start.cursor
    events = await wait_for_global_events(state.db, state.bus, cursor, wait, limit)
    return {"events": _envelopes(events), "last_id": events[-1].id if events else cursor}


async def _global_sse_start(
    state: StateDep,
    after: Annotated[int | None, Query(ge=0, le=MAX_CURSOR)] = None,
    last_event_id: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> GlobalStart:
    resume = _last_event_id(last_event_id)  # checked before the stream starts: a 422
    return await _global_after(state, after if resume is None else resume)


@router.get(
    "/api/events/stream",
    response_class=EventSourceResponse,
    summary="Server-Sent Events of all jobs (id = global id)",
)
async def stream_global_events(
    state: StateDep, start: Annotated[GlobalStart, Depends(_global_sse_start)]
) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(retry=SSE_RETRY_MS, comment="genfactory events")
    if start.ahead is not None:
        yield ServerSentEvent(event="reset", data=start.ahead)
        return
    stream = global_events(state.db, state.bus, start.cursor, heartbeat=HEARTBEAT_SECONDS)
    async for item in stream:
        if item is PING:
            continue  # FastAPI's SSE response sends its own keep-alive comment when idle
        if isinstance(item, Notice):
            yield ServerSentEvent(event="notice", data=item.body())
        else:
            assert isinstance(item, Event)
            yield item.memo("sse_global", _global_sse)


@router.websocket("/api/events/ws")
async def ws_global_events(websocket: WebSocket, state: WsStateDep) -> None:
    await websocket.accept()
    raw = websocket.query_params.get("after")
    after = None if raw is None else parse_cursor(raw)
    if raw is not None and after is None:
        await websocket.send_json(
            {
                "control": "reset",
                "code": "bad_cursor",
                "message": f"after must be a number from 0 to {MAX_CURSOR}",
            }
        )
        await websocket.close(code=4400)
        return
    start = await _global_after(state, after)
    if start.ahead is not None:
        await websocket.send_json({"control": "reset", **start.ahead})
        await websocket.close(code=4409)
        return
    cursor = start.cursor
    await websocket.send_json({"control": "hello", "after": cursor, "last_id": cursor})
    stream = global_events(state.db, state.bus, cursor, heartbeat=HEARTBEAT_SECONDS)
    try:
        await _pump(websocket, stream)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    with contextlib.suppress(Exception):
        await websocket.close()
