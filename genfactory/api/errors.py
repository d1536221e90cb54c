"""Domain errors → HTTP problems (one shape for all of them)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import StatementError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

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

#: The largest request body the server reads: ample for any request it accepts (the
#: biggest, a bulk selection of 10,000 ids, is under 700 KB), and a cap on what a client
#: can make it buffer and parse. FastAPI answers a larger one with 413 before parsing it.
MAX_REQUEST_BYTES = 1024 * 1024
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": Problem, "description": "Request body larger than the server accepts (1 MiB)"}
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


def _readable(error: dict[str, Any]) -> dict[str, Any]:
    """One validation error as a client shows it: the rejected value cut short, and our own
    checks' messages without pydantic's "Value error, " in front ("Prompt must not be
    empty.", as the pages and the CLI print it)."""
    error = dict(error)
    if "input" in error:
        error["input"] = _echo(error["input"])
    message = error.get("msg")
    if error.get("type") == "value_error" and isinstance(message, str):
        error["msg"] = message.removeprefix("Value error, ")
    return error


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own handler repeats each rejected value whole (a 3 MB prompt came back
        # as a 3 MB error) and fails on text UTF-8 cannot encode; here values are cut
        # short and the body is ASCII JSON.
        errors = [_readable(e) for e in exc.errors()]
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

    @app.exception_handler(413)
    async def _too_large(_request: Request, _exc: Exception) -> JSONResponse:
        # Raised by FastAPI's body limit (``max_body_size``) as soon as more bytes arrive
        # than it allows, before anything is parsed.
        return too_large()

    app.add_middleware(DeclaredBodyLimit)

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


def too_large() -> JSONResponse:
    return problem(
        413,
        "too_large",
        f"The request body is larger than {MAX_REQUEST_BYTES // 1024 // 1024} MiB, "
        "the most this server accepts.",
    )


class DeclaredBodyLimit:
    """Refuses a request whose ``Content-Length`` is over the limit before reading any of
    it. FastAPI's own limit counts the bytes of a body without a length as they arrive, but
    answers a declared one in plain text; this keeps the API's one error shape."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = Headers(scope=scope).get("content-length", "")
            digits = declared.isascii() and declared.isdigit()  # "²" is a digit to isdigit
            if digits and (len(declared) > 12 or int(declared) > MAX_REQUEST_BYTES):
                await too_large()(scope, receive, send)
                return
        await self.app(scope, receive, send)


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
