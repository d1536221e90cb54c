"""A local stand-in for OpenAI's Images API, faithful to its wire protocol.

What it speaks (as documented in OpenAI's API reference and its SDKs' types):

- ``POST /v1/images/generations`` with a JSON body (``model``, ``prompt``, ``n``, ``size``,
  ``quality``, ``output_format``, ``background``, ``moderation``, ``stream``,
  ``partial_images``); ``Authorization: Bearer <key>``.
  - without ``stream``: ``200 {"created", "data": [{"b64_json"}], "background",
    "output_format", "quality", "size", "usage"}``;
  - with ``"stream": true``: ``text/event-stream`` with, per image, ``partial_images``
    events ``image_generation.partial_image`` (``b64_json``, ``partial_image_index``,
    ``size``, ``quality``, ``background``, ``output_format``, ``created_at``) and one
    ``image_generation.completed`` (the same fields without the index, plus ``usage``);
  - errors: the HTTP status and ``{"error": {"message", "type", "param", "code"}}``; during a
    stream, an ``error`` event whose data carries the same ``error`` object.
- ``GET /v1/models`` and ``GET /v1/models/{id}``.
- Every answer carries ``x-request-id`` and ``openai-*`` headers; 429s carry
  ``x-ratelimit-*`` headers and, when asked, ``retry-after``.

Images are real encoded pictures (Pillow): a gradient and a disc whose colours and place
follow the prompt and the image index; partial images are blurred versions of the final one.

Tests script failures with :meth:`FakeOpenAI.fail_next` (or ``POST /_fake/faults`` when
the server runs as a separate process): each request consumes the next fault.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import io
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from PIL import Image, ImageDraw, ImageFilter, ImageOps

DEFAULT_KEY: Final = "sk-test-fake0000000000000000000000000000SECRET"
IMAGE_MODELS: Final = ("gpt-image-1",)
OTHER_MODELS: Final = ("gpt-4o", "dall-e-3")
SIZES: Final = ("1024x1024", "1024x1536", "1536x1024", "auto")
QUALITIES: Final = ("auto", "low", "medium", "high")
FORMATS: Final = ("png", "jpeg", "webp")
BACKGROUNDS: Final = ("auto", "transparent", "opaque")
#: Prompts containing this word are refused by the "safety system".
BLOCKED_WORD: Final = "forbidden"

FAULT_KINDS: Final = (
    "rate_limit",  # 429 rate_limit_exceeded (+ Retry-After when retry_after is set)
    "quota",  # 429 insufficient_quota
    "moderation",  # 400 moderation_blocked
    "unauthorized",  # 401 invalid_api_key
    "forbidden",  # 403 (organization not verified for the model)
    "bad_request",  # 400 invalid_request_error
    "server_error",  # 500 server_error
    "overloaded",  # 503
    "timeout",  # 408
    "hang",  # answer nothing until the client gives up
    "stream_error",  # stream: after `after_partials` partials, an `error` event (moderation)
)


@dataclass
class Fault:
    """One scripted failure for the next request."""

    kind: str
    retry_after: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    after_partials: int = 1
    message: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; known: {', '.join(FAULT_KINDS)}")


@dataclass
class Recorded:
    """What the server saw of one request (never the key itself)."""

    path: str
    body: dict[str, Any]
    authorized: bool
    headers: dict[str, str]


class FakeOpenAI:
    """The fake's state and its ASGI :attr:`app`."""

    def __init__(
        self,
        api_key: str = DEFAULT_KEY,
        *,
        partial_delay: float = 0.01,
        image_delay: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.reset(partial_delay=partial_delay, image_delay=image_delay)
        self.app = self._build()

    def reset(self, *, partial_delay: float = 0.01, image_delay: float = 0.0) -> None:
        """Forget every fault and record (one server can serve many tests)."""
        self.partial_delay = partial_delay
        self.image_delay = image_delay
        self.faults: list[Fault] = []
        self.requests: list[Recorded] = []
        #: Streams the client closed before the last event (cancellation).
        self.disconnects = 0
        self.streams_started = 0
        self.streams_completed = 0

    def fail_next(self, kind: str, **kwargs: Any) -> Fault:
        fault = Fault(kind, **kwargs)
        self.faults.append(fault)
        return fault

    # -- app -------------------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI(title="Fake OpenAI Images API", openapi_url=None)

        @app.post("/v1/images/generations")
        async def generations(request: Request) -> Response:
            return await self._generations(request)

        @app.get("/v1/models")
        async def models(request: Request) -> Response:
            if (denied := self._auth(request, "/v1/models", {})) is not None:
                return denied
            return self._json(
                200, {"object": "list", "data": [_model(m) for m in IMAGE_MODELS + OTHER_MODELS]}
            )

        @app.get("/v1/models/{model_id}")
        async def model(model_id: str, request: Request) -> Response:
            if (denied := self._auth(request, f"/v1/models/{model_id}", {})) is not None:
                return denied
            if model_id not in IMAGE_MODELS + OTHER_MODELS:
                return self._error(
                    404,
                    f"The model '{model_id}' does not exist or you do not have access to it.",
                    code="model_not_found",
                )
            return self._json(200, _model(model_id))

        @app.post("/_fake/faults")
        async def add_faults(request: Request) -> Response:
            for item in await request.json():
                self.faults.append(Fault(**item))
            return self._json(200, {"faults": [asdict(f) for f in self.faults]})

        @app.get("/_fake/state")
        async def state() -> Response:
            return self._json(
                200,
                {
                    "requests": [asdict(r) for r in self.requests],
                    "disconnects": self.disconnects,
                    "streams_started": self.streams_started,
                    "streams_completed": self.streams_completed,
                },
            )

        return app

    # -- responses -------------------------------------------------------------------------

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            "x-request-id": f"req_{secrets.token_hex(16)}",
            "openai-organization": "org-fake",
            "openai-processing-ms": "12",
            "openai-version": "2020-10-01",
            **(extra or {}),
        }

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse(body, status_code=status, headers=self._headers(headers))

    def _error(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
        return self._json(status, body, headers)

    def _auth(self, request: Request, path: str, body: dict[str, Any]) -> Response | None:
        header = request.headers.get("authorization", "")
        ok = header == f"Bearer {self.api_key}"
        seen = {
            k: v for k, v in request.headers.items() if k.lower() not in ("authorization", "cookie")
        }
        self.requests.append(Recorded(path, body, ok, seen))
        if not header.startswith("Bearer ") or not header[7:].strip():
            return self._error(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        if not ok:
            given = header[7:].strip()
            masked = given[:5] + "*" * max(4, len(given) - 9) + given[-4:]
            return self._error(
                401,
                f"Incorrect API key provided: {masked}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        return None

    async def _generations(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except json.JSONDecodeError:
            self._auth(request, "/v1/images/generations", {})
            return self._error(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly.)",
            )
        if not isinstance(body, dict):
            body = {}
        if (denied := self._auth(request, "/v1/images/generations", body)) is not None:
            return denied
        fault = self.faults.pop(0) if self.faults else None
        if fault is not None and fault.kind != "stream_error":
            return await self._fault(fault, request)
        if (invalid := self._validate(body)) is not None:
            return invalid
        prompt = body["prompt"]
        if BLOCKED_WORD in prompt.lower():
            return self._moderation()
        size = body.get("size") or "auto"
        if size == "auto":
            size = "1024x1024"
        params = {
            "size": size,
            "quality": "medium" if body.get("quality", "auto") == "auto" else body["quality"],
            "background": "opaque"
            if body.get("background", "auto") == "auto"
            else body["background"],
            "output_format": body.get("output_format") or "png",
        }
        n = int(body.get("n") or 1)
        # Like the real model, two requests with the same prompt give different pictures.
        first = 100 * len(self.requests)
        if body.get("stream"):
            partials = int(body.get("partial_images") or 0)
            stream = self._stream(prompt, first, n, partials, params, fault)
            return StreamingResponse(
                stream,
                media_type="text/event-stream",
                headers=self._headers({"cache-control": "no-cache"}),
            )
        if self.image_delay:
            await asyncio.sleep(self.image_delay)
        data = [{"b64_json": _b64(render(prompt, first + i, params, stage=1.0))} for i in range(n)]
        return self._json(
            200,
            {"created": int(time.time()), "data": data, **params, "usage": _usage(prompt, n)},
        )

    def _validate(self, body: dict[str, Any]) -> Response | None:
        model = body.get("model", "dall-e-2")
        if model not in IMAGE_MODELS:
            return self._error(
                404,
                f"The model '{model}' does not exist or you do not have access to it.",
                code="model_not_found",
            )
        if not isinstance(body.get("prompt"), str) or not body["prompt"]:
            return self._error(
                400,
                "Missing required parameter: 'prompt'.",
                code="missing_required_parameter",
                param="prompt",
            )
        if "response_format" in body:
            return self._error(
                400,
                "Unknown parameter: 'response_format'.",
                code="unknown_parameter",
                param="response_format",
            )
        for name, choices in (
            ("size", SIZES),
            ("quality", QUALITIES),
            ("output_format", FORMATS),
            ("background", BACKGROUNDS),
        ):
            value = body.get(name)
            if value is not None and value not in choices:
                listed = ", ".join(f"'{c}'" for c in choices[:-1]) + f", and '{choices[-1]}'"
                return self._error(
                    400,
                    f"Invalid value: '{value}'. Supported values are: {listed}.",
                    code="invalid_value",
                    param=name,
                )
        for name, low, high in (("n", 1, 10), ("partial_images", 0, 3)):
            value = body.get(name)
            if value is None:
                continue
            if not isinstance(value, int) or value < low or value > high:
                return self._error(
                    400,
                    f"Invalid '{name}': expected an integer between {low} and {high}, "
                    f"but got {value!r} instead.",
                    code="invalid_value",
                    param=name,
                )
        if body.get("partial_images") and not body.get("stream"):
            return self._error(
                400,
                "partial_images is only supported when stream is true.",
                param="partial_images",
            )
        if body.get("background") == "transparent" and body.get("output_format") == "jpeg":
            return self._error(
                400,
                "Transparent background is not supported for jpeg output format.",
                param="background",
            )
        return None

    def _moderation(self, message: str | None = None) -> Response:
        return self._error(
            400,
            message
            or "Your request was rejected by the safety system. If you believe this is an "
            "error, contact us at help.openai.com and include the request ID "
            f"req_{secrets.token_hex(8)}.",
            type_="image_generation_user_error",
            code="moderation_blocked",
        )

    async def _fault(self, fault: Fault, request: Request) -> Response:
        extra = dict(fault.headers)
        if fault.kind == "rate_limit":
            extra = {
                "x-ratelimit-limit-requests": "5",
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": "12s",
                "x-ratelimit-limit-tokens": "100000",
                "x-ratelimit-remaining-tokens": "99000",
                "x-ratelimit-reset-tokens": "600ms",
                **extra,
            }
            if fault.retry_after is not None:
                extra["retry-after"] = fault.retry_after
            return self._error(
                429,
                fault.message
                or "Rate limit reached for gpt-image-1 in organization org-fake on images per "
                "minute (IPM): Limit 5, Used 5, Requested 1. Please try again in 12s. Visit "
                "https://platform.openai.com/account/rate-limits to learn more.",
                type_="requests",
                code="rate_limit_exceeded",
                headers=extra,
            )
        if fault.kind == "quota":
            return self._error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                type_="insufficient_quota",
                code="insufficient_quota",
                headers=extra,
            )
        if fault.kind == "moderation":
            return self._moderation(fault.message)
        if fault.kind == "unauthorized":
            return self._error(
                401,
                fault.message or "Incorrect API key provided: sk-pr*****************1234.",
                code="invalid_api_key",
                headers=extra,
            )
        if fault.kind == "forbidden":
            return self._error(
                403,
                fault.message
                or "Your organization must be verified to use the model `gpt-image-1`.",
                headers=extra,
            )
        if fault.kind == "bad_request":
            return self._error(
                400, fault.message or "Invalid request.", param="prompt", headers=extra
            )
        if fault.kind == "server_error":
            return self._error(
                500,
                fault.message
                or "The server had an error while processing your request. Sorry about that!",
                type_="server_error",
                headers=extra,
            )
        if fault.kind == "overloaded":
            if fault.retry_after is not None:
                extra["retry-after"] = fault.retry_after
            return self._error(
                503,
                "The engine is currently overloaded, please try again later.",
                type_="server_error",
                headers=extra,
            )
        if fault.kind == "timeout":
            return self._error(408, "Request timed out.", type_="timeout", headers=extra)
        # "hang": say nothing until the client goes away (checked often, so a stopped test
        # server does not wait for it).
        while not await request.is_disconnected():  # noqa: ASYNC110 - polling is the point
            await asyncio.sleep(0.05)
        return Response(status_code=499)

    async def _stream(
        self,
        prompt: str,
        first: int,
        n: int,
        partials: int,
        params: dict[str, str],
        fault: Fault | None,
    ) -> AsyncIterator[bytes]:
        self.streams_started += 1
        finished = False
        try:
            for i in range(n):
                for k in range(partials):
                    await asyncio.sleep(self.partial_delay)
                    if fault is not None and k >= fault.after_partials:
                        yield _sse("error", {"type": "error", "error": _moderation_error()})
                        finished = True
                        return
                    image = render(prompt, first + i, params, stage=(k + 1) / (partials + 1))
                    yield _sse(
                        "image_generation.partial_image",
                        {
                            "type": "image_generation.partial_image",
                            "b64_json": _b64(image),
                            "partial_image_index": k,
                            "created_at": int(time.time()),
                            **params,
                        },
                    )
                if fault is not None:
                    yield _sse("error", {"type": "error", "error": _moderation_error()})
                    finished = True
                    return
                await asyncio.sleep(self.partial_delay)
                yield _sse(
                    "image_generation.completed",
                    {
                        "type": "image_generation.completed",
                        "b64_json": _b64(render(prompt, first + i, params, stage=1.0)),
                        "created_at": int(time.time()),
                        **params,
                        "usage": _usage(prompt, 1),
                    },
                )
            finished = True
            self.streams_completed += 1
        finally:
            if not finished:
                self.disconnects += 1


# -- images -------------------------------------------------------------------------------------


def render(prompt: str, index: int, params: dict[str, str], *, stage: float) -> bytes:
    """A real encoded picture for ``prompt`` / ``index``: a two-colour gradient and a disc,
    blurred for early partial images (``stage`` < 1)."""
    width, height = (int(v) for v in params["size"].split("x"))
    digest = hashlib.sha256(f"{prompt}\x00{index}".encode()).digest()
    small = Image.linear_gradient("L").resize((width // 8, height // 8))
    picture = ImageOps.colorize(
        small, black=(digest[0], digest[1], digest[2]), white=(digest[3], digest[4], digest[5])
    )
    draw = ImageDraw.Draw(picture)
    cx, cy = digest[6] % picture.width, digest[7] % picture.height
    r = 6 + digest[8] % max(8, picture.width // 4)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(digest[9], digest[10], digest[11]))
    if stage < 1:
        picture = picture.filter(ImageFilter.GaussianBlur(radius=12 * (1 - stage)))
    picture = picture.resize((width, height), Image.Resampling.BILINEAR)
    fmt = params.get("output_format", "png")
    if params.get("background") == "transparent" and fmt != "jpeg":
        picture = picture.convert("RGBA")
        picture.putalpha(Image.linear_gradient("L").resize((width, height)))
    out = io.BytesIO()
    if fmt == "png":
        picture.save(out, "PNG", compress_level=1)
    else:
        picture.save(out, {"jpeg": "JPEG", "webp": "WEBP"}[fmt], quality=80)
    return out.getvalue()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _usage(prompt: str, n: int) -> dict[str, Any]:
    text = max(1, len(prompt) // 4)
    return {
        "input_tokens": text,
        "input_tokens_details": {"image_tokens": 0, "text_tokens": text},
        "output_tokens": 272 * n,
        "total_tokens": text + 272 * n,
    }


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 1745020800, "owned_by": "system"}


def _moderation_error() -> dict[str, Any]:
    return {
        "message": "Your request was rejected by the safety system. If you believe this is an "
        "error, contact us at help.openai.com.",
        "type": "image_generation_user_error",
        "param": None,
        "code": "moderation_blocked",
    }


def main() -> None:  # pragma: no cover - manual use
    import uvicorn

    parser = argparse.ArgumentParser(description="Run the fake OpenAI Images API.")
    parser.add_argument("--port", type=int, default=8801)
    parser.add_argument("--key", default=DEFAULT_KEY)
    parser.add_argument("--partial-delay", type=float, default=1.0)
    args = parser.parse_args()
    fake = FakeOpenAI(args.key, partial_delay=args.partial_delay)
    uvicorn.run(fake.app, host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":  # pragma: no cover
    main()
