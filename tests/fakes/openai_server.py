"""A local stand-in for OpenAI's Images API (and the Chat Completions endpoint the vision
quality check uses), faithful to its wire protocol.

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
- ``POST /v1/chat/completions`` (the vision QC check): ``model``, ``messages`` (``system``
  / ``developer`` / ``user`` / ``assistant``; content a string or parts ``text`` and
  ``image_url`` with a ``data:`` URL and ``detail``), ``response_format`` (``text``,
  ``json_object``, or ``json_schema`` with ``name``, ``schema``, ``strict``; a strict schema
  must have ``additionalProperties: false`` and every property required, as the real API
  insists), ``max_completion_tokens``, ``store``, …; an unknown parameter is refused. The
  answer is the documented ``chat.completion`` object: ``choices[0].message`` with
  ``content`` (JSON that fills the requested schema) or ``refusal``, ``finish_reason`` and
  ``usage``. By default the "model" judges the image it was sent: a nearly flat image is
  rejected (``passed: false``, a low score and a reason), anything else accepted; tests
  script other answers with :meth:`FakeOpenAI.reply_next` (a given verdict, a refusal,
  malformed JSON, a cut-short answer, …).
- ``GET /v1/models`` and ``GET /v1/models/{id}``.
- Every answer carries ``x-request-id`` and ``openai-*`` headers; 429s carry
  ``x-ratelimit-*`` headers and, when asked, ``retry-after``.

Images are real encoded pictures (Pillow): a gradient and a disc whose colours and place
follow the prompt and the image index; partial images are blurred versions of the final one.

Tests script failures with :meth:`FakeOpenAI.fail_next` (or ``POST /_fake/faults`` when
the server runs as a separate process): each request consumes the next fault, on either
endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import hashlib
import io
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from PIL import Image, ImageDraw, ImageFilter, ImageOps, ImageStat

DEFAULT_KEY: Final = "sk-test-fake0000000000000000000000000000SECRET"
IMAGE_MODELS: Final = ("gpt-image-1", "gpt-image-1-mini")
#: Chat models that see images and speak Structured Outputs.
CHAT_MODELS: Final = ("gpt-4.1-mini", "gpt-4.1", "gpt-4o", "gpt-4o-mini", "gpt-5-mini")
#: Chat models that take ``max_completion_tokens`` but not the older ``max_tokens``.
REASONING_MODELS: Final = ("gpt-5-mini",)
OTHER_MODELS: Final = ("dall-e-3",)
ALL_MODELS: Final = IMAGE_MODELS + CHAT_MODELS + OTHER_MODELS
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


REPLY_KINDS: Final = (
    "verdict",  # `content` is json.dumps(verdict) as given (it may break the schema)
    "refusal",  # message.refusal set, content null
    "malformed",  # content that is not JSON
    "length",  # finish_reason "length", the JSON cut off half-way
    "content_filter",  # finish_reason "content_filter", content null
    "empty",  # content ""
)
#: Parameters of ``POST /v1/chat/completions`` (anything else is refused, as OpenAI does).
CHAT_PARAMETERS: Final = frozenset(
    {
        "model",
        "messages",
        "response_format",
        "max_completion_tokens",
        "max_tokens",
        "temperature",
        "top_p",
        "n",
        "store",
        "stream",
        "stream_options",
        "seed",
        "user",
        "metadata",
        "stop",
        "logprobs",
        "top_logprobs",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning_effort",
        "service_tier",
        "modalities",
        "prediction",
        "audio",
        "verbosity",
        "safety_identifier",
        "prompt_cache_key",
        "web_search_options",
    }
)
ROLES: Final = ("system", "developer", "user", "assistant", "tool")
IMAGE_FORMATS: Final = ("png", "jpeg", "gif", "webp")
SCHEMA_NAME: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: Below this colour spread (std-dev of the most varied channel, 0–255) the image is "blank".
BLANK_SPREAD: Final = 4.0


@dataclass
class VisionReply:
    """One scripted answer of the chat endpoint (instead of judging the image)."""

    kind: str
    verdict: dict[str, Any] | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in REPLY_KINDS:
            raise ValueError(f"unknown reply {self.kind!r}; known: {', '.join(REPLY_KINDS)}")


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
        self.replies: list[VisionReply] = []
        #: The "model": a verdict from the request's images and text (tests may swap it
        #: for one that tells their images apart; concurrent requests make the order of
        #: scripted replies arbitrary).
        self.judge: Callable[[list[Image.Image], str], dict[str, Any]] = judge
        self.requests: list[Recorded] = []
        #: Streams the client closed before the last event (cancellation).
        self.disconnects = 0
        self.streams_started = 0
        self.streams_completed = 0

    def fail_next(self, kind: str, **kwargs: Any) -> Fault:
        fault = Fault(kind, **kwargs)
        self.faults.append(fault)
        return fault

    def reply_next(self, kind: str, **kwargs: Any) -> VisionReply:
        """Script the next chat completion's answer (one per request, in order)."""
        reply = VisionReply(kind, **kwargs)
        self.replies.append(reply)
        return reply

    def chat_requests(self) -> list[Recorded]:
        """The ``/v1/chat/completions`` requests seen (valid or not)."""
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    # -- app -------------------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI(title="Fake OpenAI Images API", openapi_url=None)

        @app.post("/v1/images/generations")
        async def generations(request: Request) -> Response:
            return await self._generations(request)

        @app.post("/v1/chat/completions")
        async def chat_completions(request: Request) -> Response:
            return await self._chat(request)

        @app.get("/v1/models")
        async def models(request: Request) -> Response:
            if (denied := self._auth(request, "/v1/models", {})) is not None:
                return denied
            return self._json(200, {"object": "list", "data": [_model(m) for m in ALL_MODELS]})

        @app.get("/v1/models/{model_id}")
        async def model(model_id: str, request: Request) -> Response:
            if (denied := self._auth(request, f"/v1/models/{model_id}", {})) is not None:
                return denied
            if model_id not in ALL_MODELS:
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

        @app.post("/_fake/replies")
        async def add_replies(request: Request) -> Response:
            for item in await request.json():
                self.replies.append(VisionReply(**item))
            return self._json(200, {"replies": [asdict(r) for r in self.replies]})

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

    # -- chat completions (the vision quality check) ----------------------------------------

    async def _chat(self, request: Request) -> Response:
        path = "/v1/chat/completions"
        try:
            body = json.loads(await request.body())
        except json.JSONDecodeError:
            self._auth(request, path, {})
            return self._error(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly.)",
            )
        if not isinstance(body, dict):
            body = {}
        if (denied := self._auth(request, path, body)) is not None:
            return denied
        fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            return await self._fault(fault, request)
        checked = self._validate_chat(body)
        if isinstance(checked, Response):
            return checked
        images, text = checked
        reply = self.replies.pop(0) if self.replies else None
        n = int(body.get("n") or 1)
        answers = [self._answer(body, images, text, reply) for _ in range(n)]
        choices = [
            {"index": i, "message": message, "logprobs": None, "finish_reason": finish}
            for i, (message, finish) in enumerate(answers)
        ]
        completion_text = "".join(str(message.get("content") or "") for message, _ in answers)
        detail_tokens = sum(85 if detail == "low" else 765 for _, detail in images)
        prompt_tokens = max(1, len(text) // 4) + detail_tokens
        completion_tokens = max(1, len(completion_text) // 4)
        return self._json(
            200,
            {
                "id": f"chatcmpl-{secrets.token_hex(12)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": f"{body['model']}-2025-04-14",
                "choices": choices,
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                    "completion_tokens_details": {
                        "reasoning_tokens": 0,
                        "audio_tokens": 0,
                        "accepted_prediction_tokens": 0,
                        "rejected_prediction_tokens": 0,
                    },
                },
                "service_tier": "default",
                "system_fingerprint": "fp_fake0000",
            },
        )

    def _validate_chat(
        self, body: dict[str, Any]
    ) -> Response | tuple[list[tuple[Image.Image, str]], str]:
        """The request's images (decoded, with their ``detail``) and text, or the 4xx the
        real API answers for the first problem found."""
        for name in body:
            if name not in CHAT_PARAMETERS:
                return self._error(400, f"Unrecognized request argument supplied: {name}")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return self._error(
                400,
                "you must provide a model parameter",
                code="missing_required_parameter",
                param="model",
            )
        if model in IMAGE_MODELS + OTHER_MODELS:
            return self._error(
                404,
                "This is not a chat model and thus not supported in the v1/chat/completions "
                "endpoint. Did you mean to use v1/completions?",
                code="model_not_found",
                param="model",
            )
        if model not in CHAT_MODELS:
            return self._error(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
                param="model",
            )
        if "max_tokens" in body and model in REASONING_MODELS:
            return self._error(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                "'max_completion_tokens' instead.",
                code="unsupported_parameter",
                param="max_tokens",
            )
        for name, low, high in (
            ("max_completion_tokens", 1, 128000),
            ("max_tokens", 1, 128000),
            ("n", 1, 128),
        ):
            value = body.get(name)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high
            ):
                return self._error(
                    400,
                    f"Invalid '{name}': integer below minimum value. Expected a value >= "
                    f"{low}, but got {value!r} instead.",
                    code="integer_below_min_value" if value is not None else "invalid_type",
                    param=name,
                )
        temperature = body.get("temperature")
        if temperature is not None and (
            not isinstance(temperature, int | float) or not 0 <= temperature <= 2
        ):
            return self._error(
                400,
                f"Invalid 'temperature': decimal above maximum value. Expected a value <= 2, "
                f"but got {temperature!r} instead.",
                code="decimal_above_max_value",
                param="temperature",
            )
        if body.get("stream"):
            return self._error(
                400, "The fake answers only non-streamed chat completions.", param="stream"
            )
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return self._error(
                400,
                "Missing required parameter: 'messages'."
                if messages is None
                else "Invalid 'messages': empty array. Expected an array with minimum length "
                "1, but got an empty array instead.",
                code="missing_required_parameter" if messages is None else "empty_array",
                param="messages",
            )
        images: list[tuple[Image.Image, str]] = []
        texts: list[str] = []
        for i, message in enumerate(messages):
            where = f"messages[{i}]"
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                role = message.get("role") if isinstance(message, dict) else None
                return self._error(
                    400,
                    f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', "
                    "'user', 'function', 'tool', and 'developer'.",
                    code="invalid_value",
                    param=f"{where}.role",
                )
            content = message.get("content")
            if isinstance(content, str):
                texts.append(content)
                continue
            if not isinstance(content, list) or not content:
                return self._error(
                    400,
                    f"Invalid type for '{where}.content': expected one of a string or array "
                    "of objects, but got an empty or other value instead.",
                    code="invalid_type",
                    param=f"{where}.content",
                )
            for k, part in enumerate(content):
                at = f"{where}.content[{k}]"
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "text" and isinstance(part.get("text"), str):
                    texts.append(part["text"])
                elif kind == "image_url":
                    if message["role"] != "user":
                        return self._error(
                            400,
                            f"Invalid '{where}'. Image URLs are only allowed for messages with "
                            f"role 'user', but this message with role '{message['role']}' "
                            "contains an image URL.",
                            code="invalid_value",
                            param=where,
                        )
                    image = self._image_part(part.get("image_url"), at)
                    if isinstance(image, Response):
                        return image
                    images.append(image)
                else:
                    return self._error(
                        400,
                        f"Invalid value: '{kind}'. Supported values are: 'text', 'image_url', "
                        "'input_audio', 'refusal', 'audio', and 'file'.",
                        code="invalid_value",
                        param=f"{at}.type",
                    )
        text = "\n".join(texts)
        invalid = self._validate_response_format(body.get("response_format"), text)
        return invalid if invalid is not None else (images, text)

    def _image_part(self, spec: Any, at: str) -> Response | tuple[Image.Image, str]:
        if not isinstance(spec, dict) or not isinstance(spec.get("url"), str):
            return self._error(
                400,
                f"Missing required parameter: '{at}.image_url.url'.",
                code="missing_required_parameter",
                param=f"{at}.image_url.url",
            )
        detail = spec.get("detail", "auto")
        if detail not in ("low", "high", "auto"):
            return self._error(
                400,
                f"Invalid value: '{detail}'. Supported values are: 'auto', 'low', and 'high'.",
                code="invalid_value",
                param=f"{at}.image_url.detail",
            )
        match = re.fullmatch(r"data:image/([a-z]+);base64,(.+)", spec["url"], re.DOTALL)
        if match is None:
            return self._error(
                400,
                "Invalid image URL: the fake accepts only base64 data URLs "
                "(data:image/<format>;base64,…).",
                code="invalid_image_url",
                param=f"{at}.image_url.url",
            )
        try:
            raw = base64.b64decode(match.group(2), validate=True)
            image = Image.open(io.BytesIO(raw))
            image.load()
        except (binascii.Error, ValueError, OSError):
            return self._error(
                400,
                "You uploaded an unsupported image. Please make sure your image is below 20 MB "
                "in size and is of one the following formats: ['png', 'jpeg', 'gif', 'webp'].",
                code="invalid_image_format",
                param=f"{at}.image_url.url",
            )
        mime = match.group(1)
        if mime not in IMAGE_FORMATS or (image.format or "").lower() != mime:
            return self._error(
                400,
                f"Invalid MIME type image/{mime} for the image data (it is "
                f"{(image.format or 'unknown').lower()}). Supported: "
                + ", ".join(f"image/{f}" for f in IMAGE_FORMATS)
                + ".",
                code="invalid_image_format",
                param=f"{at}.image_url.url",
            )
        return image, str(detail)

    def _validate_response_format(self, spec: Any, text: str) -> Response | None:
        if spec is None:
            return None
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in ("text", "json_object", "json_schema"):
            return self._error(
                400,
                f"Invalid value: '{kind}'. Supported values are: 'json_object', "
                "'json_schema', and 'text'.",
                code="invalid_value",
                param="response_format.type",
            )
        if kind == "json_object" and "json" not in text.lower():
            return self._error(
                400,
                "'messages' must contain the word 'json' in some form, to use "
                "'response_format' of type 'json_object'.",
                param="messages",
            )
        if kind != "json_schema":
            return None
        schema_spec = spec.get("json_schema")
        if not isinstance(schema_spec, dict):
            return self._error(
                400,
                "Missing required parameter: 'response_format.json_schema'.",
                code="missing_required_parameter",
                param="response_format.json_schema",
            )
        name = schema_spec.get("name")
        if not isinstance(name, str) or not SCHEMA_NAME.match(name):
            return self._error(
                400,
                f"Invalid 'response_format.json_schema.name': string does not match pattern. "
                f"Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$', got {name!r}.",
                code="invalid_value",
                param="response_format.json_schema.name",
            )
        schema = schema_spec.get("schema")
        if not isinstance(schema, dict):
            return self._error(
                400,
                f"Invalid schema for response_format '{name}': schema must be a JSON Schema "
                "of 'type: \"object\"'.",
                param="response_format",
            )
        if schema_spec.get("strict"):
            problem = _strict_schema_problem(schema, ())
            if schema.get("type") != "object":
                problem = "In context=(), schema must be a JSON Schema of 'type: \"object\"'."
            if problem:
                return self._error(
                    400,
                    f"Invalid schema for response_format '{name}': {problem}",
                    code="invalid_json_schema",
                    param="response_format",
                )
        return None

    def _answer(
        self,
        body: dict[str, Any],
        images: list[tuple[Image.Image, str]],
        text: str,
        reply: VisionReply | None,
    ) -> tuple[dict[str, Any], str]:
        """``(message, finish_reason)`` of one choice."""
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "annotations": [],
        }
        if reply is not None and reply.kind == "refusal":
            message["refusal"] = reply.message or "I'm sorry, I can't help with that request."
            return message, "stop"
        if reply is not None and reply.kind == "content_filter":
            return message, "content_filter"
        if reply is not None and reply.kind == "empty":
            return {**message, "content": ""}, "stop"
        if reply is not None and reply.kind == "malformed":
            text = reply.message or "The image looks fine to me: passed, score 0.9."
            return {**message, "content": text}, "stop"
        verdict = reply.verdict if reply is not None and reply.verdict is not None else None
        if verdict is None:
            verdict = self.judge([image for image, _ in images], text)
        spec = body.get("response_format") or {"type": "text"}
        if reply is not None and reply.kind == "verdict":
            content = json.dumps(verdict)  # as scripted, even when it breaks the schema
        elif spec["type"] == "json_schema":
            content = json.dumps(_fill(spec["json_schema"]["schema"], verdict))
        elif spec["type"] == "json_object":
            content = json.dumps(verdict)
        else:
            said = " ".join(str(r) for r in verdict.get("reasons", []))
            content = ("Yes, the image is usable. " if verdict.get("passed") else "No. ") + said
        if reply is not None and reply.kind == "length":
            return {**message, "content": content[: max(1, len(content) // 2)]}, "length"
        return {**message, "content": content}, "stop"


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


def judge(images: list[Image.Image], text: str = "") -> dict[str, Any]:
    """The fake model's verdict on the images of a request: rejected when one is nearly a
    flat colour (or there is none to see), accepted otherwise."""
    if not images:
        return {"passed": False, "score": 0.0, "reasons": ["There is no image to judge."]}
    spreads = []
    for image in images:
        small = image.convert("RGB")
        small.thumbnail((128, 128))
        spreads.append(max(ImageStat.Stat(small).stddev))
    if min(spreads) < BLANK_SPREAD:
        return {
            "passed": False,
            "score": 0.05,
            "reasons": ["The image is blank: a single flat colour with no subject."],
        }
    return {
        "passed": True,
        "score": 0.9,
        "reasons": ["A clear picture with a visible subject and no obvious artifacts."],
    }


def _strict_schema_problem(schema: Any, context: tuple[str, ...]) -> str | None:
    """What OpenAI's strict mode refuses in ``schema`` (every object needs
    ``additionalProperties: false`` and all of its properties in ``required``)."""
    if not isinstance(schema, dict):
        return None
    where = f"In context={context!r}, "
    types = schema.get("type")
    is_object = types == "object" or (isinstance(types, list) and "object" in types)
    if is_object:
        if schema.get("additionalProperties") is not False:
            return f"{where}'additionalProperties' is required to be supplied and to be false."
        properties = schema.get("properties") or {}
        required = schema.get("required") or []
        missing = [k for k in properties if k not in required]
        if missing:
            return (
                f"{where}'required' is required to be supplied and to be an array including "
                f"every key in properties. Missing '{missing[0]}'."
            )
        for key, sub in properties.items():
            if (problem := _strict_schema_problem(sub, (*context, "properties", key))) is not None:
                return problem
    if "items" in schema:
        return _strict_schema_problem(schema["items"], (*context, "items"))
    for keyword in ("anyOf", "allOf"):
        for n, sub in enumerate(schema.get(keyword) or []):
            if (problem := _strict_schema_problem(sub, (*context, keyword, str(n)))) is not None:
                return problem
    return None


def _fill(schema: Any, verdict: dict[str, Any]) -> Any:
    """An instance of ``schema`` (what a model under Structured Outputs produces): the
    verdict's values where a property of the same name and type exists, defaults elsewhere."""
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "object" in kinds:
        out = {}
        for key, sub in (schema.get("properties") or {}).items():
            value = verdict.get(key)
            out[key] = value if _fits(sub, value) else _fill(sub, verdict)
        return out
    if "null" in kinds:
        return None
    if "array" in kinds:
        return []
    if "boolean" in kinds:
        return False
    if "number" in kinds or "integer" in kinds:
        return 0
    if "string" in kinds:
        enum = schema.get("enum")
        return enum[0] if enum else ""
    return None


def _fits(schema: Any, value: Any) -> bool:
    if not isinstance(schema, dict) or value is None:
        return False
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    checks = {
        "boolean": lambda v: isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    return any(k in checks and checks[k](value) for k in kinds)


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
