"""The FastAPI application: wires store, bus, service and worker pool together."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from genfactory import __version__
from genfactory.api import configurations, errors, events, files, jobs, system
from genfactory.api.deps import AppState
from genfactory.core.runtime import Runtime
from genfactory.providers.registry import ProviderRegistry
from genfactory.settings import Settings

DESCRIPTION = """Submit image-generation jobs, follow them live (WebSocket, Server-Sent
Events or polling, all with exact resume by sequence number) and manage their results.
See `docs/streams.md` for the event-stream contract."""


def create_app(
    settings: Settings | None = None, *, providers: ProviderRegistry | None = None
) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings, providers)
        await runtime.start()
        app.state.genfactory = AppState(
            settings,
            runtime.db,
            runtime.bus,
            runtime.service,
            runtime.pool,
            runtime.schema_revision,
        )
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Gen Image Factory",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    errors.install(app)
    for module in (jobs, configurations, events, files, system):
        app.include_router(module.router)
    _install_token_check(app, settings)
    _install_web(app)
    return app


def _install_token_check(app: FastAPI, settings: Settings) -> None:
    if settings.api_token:
        app.add_middleware(TokenGuard, token=settings.api_token)


class TokenGuard:
    """With an API token configured, every ``/api/`` request and WebSocket must carry it:
    ``Authorization: Bearer …``, the ``genfactory_token`` cookie (browsers: EventSource and
    WebSocket cannot send headers) or ``?token=``. ``/api/health`` stays open for load
    balancers."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] in ("http", "websocket")
            and path.startswith("/api/")
            and path != "/api/health"
            and not self._authorized(scope)
        ):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4401})
                return
            response = JSONResponse(
                {"detail": {"code": "unauthorized", "message": "A valid API token is required."}},
                status_code=401,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        conn = HTTPConnection(scope)
        candidates = [
            conn.headers.get("authorization", "").removeprefix("Bearer ").strip(),
            conn.cookies.get("genfactory_token", ""),
            conn.query_params.get("token", ""),
        ]
        return any(c and hmac.compare_digest(c.encode(), self.token) for c in candidates)


def _install_web(app: FastAPI) -> None:
    try:
        from genfactory.web import routes
    except ImportError:  # pragma: no cover - the web UI is part of the package
        return
    routes.install(app)
