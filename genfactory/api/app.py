"""The FastAPI application: wires store, bus, service and worker pool together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

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
from genfactory.api.auth import OPEN_PATHS, TokenGuard
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
    _document_token(app)
    _install_web(app)
    return app


def _document_token(app: FastAPI) -> None:
    """The OpenAPI schema says how to send the API token (a bearer scheme, which gives the
    API reference page its Authorize button) and that every API route but the health check
    answers 401 without it, when the server has one."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {}).setdefault("securitySchemes", {})["apiToken"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "The server's GENFACTORY_API_TOKEN, when it has one: "
            "`Authorization: Bearer <token>`, the cookie the sign-in page sets, or `?token=`.",
        }
        for path, methods in schema.get("paths", {}).items():
            if path.startswith(OPEN_PATHS):
                continue
            for operation in methods.values():
                operation["security"] = [{"apiToken": []}, {}]  # {}: a server with no token
                operation.setdefault("responses", {})["401"] = {
                    "description": "The server has an API token and the request did not "
                    "carry it (or carried a wrong one).",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                    },
                }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _install_token_check(app: FastAPI, settings: Settings) -> None:
    if settings.api_token:
        app.add_middleware(TokenGuard, token=settings.api_token)


def _install_web(app: FastAPI) -> None:
    try:
        from genfactory.web import routes
    except ImportError:  # pragma: no cover - the web UI is part of the package
        return
    routes.install(app)
