"""The FastAPI application: wires store, bus, service and worker pool together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from genfactory import __version__
from genfactory.api import (
    configurations,
    errors,
    events,
    files,
    images,
    jobs,
    management,
    operations,
    preferences,
    settings_routes,
    system,
)
from genfactory.api.auth import TokenGuard
from genfactory.api.deps import AppState
from genfactory.core.runtime import Runtime, tune_gc
from genfactory.providers.registry import ProviderRegistry
from genfactory.settings import Settings

DESCRIPTION = """Submit image-generation jobs, follow them live (WebSocket, Server-Sent
Events or polling, all with exact resume by sequence number) and manage their results.
See `docs/streams.md` for the event-stream contract."""


def create_app(
    settings: Settings | None = None,
    *,
    providers: ProviderRegistry | None = None,
    tune: bool = False,
) -> FastAPI:
    """The ASGI app. ``tune``: the process is a long-running server of this app alone
    (``genfactory serve``): tune the garbage collector once started (:func:`tune_gc`)."""
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
        if tune:
            tune_gc()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        docs_url=None,  # served by the web UI from vendored Swagger UI (no CDN)
        redoc_url=None,
        title="Gen Image Factory",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    errors.install(app)
    for module in (
        images,
        management,
        operations,
        jobs,
        configurations,
        events,
        files,
        system,
        settings_routes,
        preferences,
    ):
        app.include_router(
            module.router, responses=errors.TOO_LARGE, max_body_size=errors.MAX_REQUEST_BYTES
        )
    _install_token_check(app, settings)
    _install_web(app)
    return app


def _install_token_check(app: FastAPI, settings: Settings) -> None:
    if settings.api_token:
        app.add_middleware(TokenGuard, token=settings.api_token)


def _install_web(app: FastAPI) -> None:
    try:
        from genfactory.web import routes
    except ImportError:  # pragma: no cover - the web UI is part of the package
        return
    routes.install(app)
