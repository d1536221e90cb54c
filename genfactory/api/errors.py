"""Domain errors → HTTP problems (one shape for all of them)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import StatementError

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


#: Longest echo of a rejected value in a 422 (``input``): enough to recognise it, never the
#: megabytes a client may have sent.
ECHO_LIMIT = 200


def _echo(value: Any) -> Any:
    if isinstance(value, str) and len(value) > ECHO_LIMIT:
        return value[:ECHO_LIMIT] + "…"
    if isinstance(value, (dict, list)) and len(json.dumps(value, default=str)) > ECHO_LIMIT:
        return f"<{type(value).__name__} of {len(value)} items, not repeated>"
    return value


def _unencodable(exc: BaseException) -> bool:
    """Text the database cannot store: a lone UTF-16 surrogate (JSON allows ``\\ud800``),
    raised by the driver wherever a field's own check did not catch it first."""
    while exc is not None:
        if "surrogates not allowed" in str(exc):
            return True
        exc = exc.__cause__ or getattr(exc, "orig", None)  # type: ignore[assignment]
    return False


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own handler repeats each rejected value whole (a 3 MB prompt came back
        # as a 3 MB error) and fails on text UTF-8 cannot encode; here values are cut
        # short and the body is ASCII JSON.
        errors = [{**e, "input": _echo(e["input"])} if "input" in e else e for e in exc.errors()]
        body = json.dumps({"detail": jsonable_encoder(errors)}, ensure_ascii=True)
        return Response(body, status_code=422, media_type="application/json")

    @app.exception_handler(StatementError)
    async def _database(_request: Request, exc: StatementError) -> Response:
        if _unencodable(exc):
            return _bad_text()
        raise exc

    @app.exception_handler(UnicodeEncodeError)
    async def _encoding(_request: Request, exc: UnicodeEncodeError) -> Response:
        if _unencodable(exc):
            return _bad_text()
        raise exc  # another encoding failure is ours: a 500, logged

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


def _bad_text() -> JSONResponse:
    return JSONResponse(
        {
            "detail": [
                {
                    "loc": ["body"],
                    "msg": "Text must be valid Unicode: a lone surrogate (\\ud800–\\udfff) "
                    "cannot be stored.",
                    "type": "value_error",
                }
            ]
        },
        status_code=422,
    )


def _verb(target: str) -> str:
    return {"cancelled": "cancel", "queued": "retry"}.get(target, f"move to {target}")
