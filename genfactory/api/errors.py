"""Domain errors → HTTP problems (one shape for all of them)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from genfactory.api.schemas import Problem
from genfactory.core.service import InvalidRequest
from genfactory.domain.errors import Conflict, NotFound, TransitionError


def problem(http_status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"detail": {"code": code, "message": message, **extra}}, status_code=http_status
    )


#: For route declarations: every error response documented in OpenAPI.
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "Unknown id"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "Refused by the job's current state"}
}


def install(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "not_found", str(exc))

    @app.exception_handler(TransitionError)
    async def _transition(_request: Request, exc: TransitionError) -> JSONResponse:
        return problem(
            409,
            "illegal_transition",
            f"Cannot {_verb(exc.target)} this job: {exc.reason}.",
            status=exc.current,
        )

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return problem(409, "conflict", str(exc))

    @app.exception_handler(InvalidRequest)
    async def _invalid(_request: Request, exc: InvalidRequest) -> JSONResponse:
        return JSONResponse(
            {"detail": [{"loc": ["body", exc.field], "msg": exc.message, "type": "value_error"}]},
            status_code=422,
        )


def _verb(target: str) -> str:
    return {"cancelled": "cancel", "queued": "retry"}.get(target, f"move to {target}")
