"""Shared dependencies (``Annotated`` aliases keep route signatures short)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, WebSocket

from genfactory.core.bus import EventBus
from genfactory.core.service import JobService
from genfactory.settings import Settings
from genfactory.store.engine import Database
from genfactory.workers.pool import WorkerPool


@dataclass
class AppState:
    settings: Settings
    db: Database
    bus: EventBus
    service: JobService
    pool: WorkerPool | None
    schema_revision: str | None = None


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.genfactory
    return state


def _ws_state(websocket: WebSocket) -> AppState:
    state: AppState = websocket.app.state.genfactory
    return state


StateDep = Annotated[AppState, Depends(_state)]
WsStateDep = Annotated[AppState, Depends(_ws_state)]
