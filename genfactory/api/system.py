"""Health and provider listing."""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import select

from genfactory import __version__
from genfactory.api.deps import StateDep
from genfactory.api.schemas import Health, ProviderPublic
from genfactory.store.tables import workers

router = APIRouter(tags=["system"])


@router.get(
    "/api/health",
    response_model=Health,
    responses={
        503: {
            "model": Health,
            "description": "This node cannot serve: its database is unreachable or its own "
            "workers stopped. (No live worker anywhere is status `degraded` with a 200.)",
        }
    },
    summary="Liveness for load balancers and the UI's status indicator",
)
async def health(state: StateDep) -> JSONResponse:
    database_ok = await state.db.ping()
    now = time.time()
    stale_after = max(10.0, state.settings.heartbeat_seconds * 5)
    live_nodes = 0
    live_slots = 0
    if database_ok:
        async with state.db.read() as conn:
            for row in await conn.execute(select(workers.c.heartbeat_at, workers.c.slots)):
                if now - row.heartbeat_at < stale_after:
                    live_nodes += 1
                    live_slots += row.slots
    pool = state.pool
    local = {
        "enabled": pool is not None,
        "alive": bool(pool and pool.alive),
        "slots": pool.slots if pool else 0,
        "busy": pool.busy if pool else 0,
    }
    workers_ok = live_slots > 0 and (pool is None or pool.alive)
    ok = database_ok and workers_ok
    # 503 only when this node itself cannot serve (for load balancers): its database is
    # gone, or its own workers died. An API node (--workers 0) whose worker machines are
    # down still serves the pages, the job list and cancels: "degraded", but 200.
    serving = database_ok and (pool is None or pool.alive)
    body = Health(
        status="ok" if ok else "degraded",
        version=__version__,
        database=database_ok,
        database_backend="sqlite" if state.db.is_sqlite else "postgresql",
        schema_revision=state.schema_revision,
        workers={"local": local, "live_nodes": live_nodes, "live_slots": live_slots},
        mode=state.settings.mode.value,
    )
    return JSONResponse(body.model_dump(), status_code=200 if serving else 503)


@router.get("/api/providers", response_model=list[ProviderPublic], summary="Available providers")
async def providers(state: StateDep) -> list[ProviderPublic]:
    return [
        ProviderPublic(
            name=i.name,
            title=i.title,
            description=i.description,
            available=i.available,
            unavailable_reason=i.unavailable_reason,
            sizes=list(i.sizes),
            styles=list(i.styles),
            min_steps=i.min_steps,
            max_steps=i.max_steps,
            default_steps=i.default_steps,
            streams_previews=i.streams_previews,
            supports_seed=i.supports_seed,
            supports_cancel=i.supports_cancel,
        )
        for i in state.service.providers.infos()
    ]
