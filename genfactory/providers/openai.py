"""The ``openai`` provider: OpenAI's Images API (``POST /v1/images/generations``, ``gpt-image-1``).

The API has no steps and no seed. What it does have is streaming: with ``"stream": true``
and ``"partial_images": 1..3`` it answers with Server-Sent Events,
``image_generation.partial_image`` (``b64_json``, ``partial_image_index`` …) while the image
is being made, then ``image_generation.completed`` with the final ``b64_json``. So for each
image this provider sends one streamed request with ``n=1`` and reports:

- progress as ``step = partials received + 1`` of ``total = partial_images + 1`` (the last
  step is the finished image; the server may send fewer partials than asked);
- every partial image as a preview (re-encoded as a WebP of at most 256 pixels).

Without streaming (``stream=False``) it asks for up to 10 images per request (``n``) and
reports one step per finished image.

Cancelling a job closes the HTTP stream at once (OpenAI may still bill an image it had
started). Errors map to the :class:`~genfactory.domain.errors.ErrorCode` taxonomy:
429 → ``rate_limited`` (with the server's ``Retry-After`` / ``x-ratelimit-reset-*`` hint;
an exhausted quota is not retryable), content-policy refusals (``moderation_blocked``) →
``rejected``, 401/403 → ``auth``, 408 and timeouts → ``timeout``, 5xx and connection
failures → ``unavailable``. The API key never appears in a message or a log line.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx

from genfactory.domain.errors import ErrorCode, ProviderError
from genfactory.providers._http import (
    clip,
    image_info,
    make_preview,
    race,
    redact,
    retry_after_from_headers,
    transport_error,
)
from genfactory.providers.base import (
    CancelToken,
    GeneratedImage,
    GenerationRequest,
    ProviderInfo,
    Reporter,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.openai.com/v1"
DEFAULT_MODEL: Final = "gpt-image-1"
#: The sizes ``gpt-image-1`` makes (the API's "auto" is not offered: jobs need a size).
SIZES: Final = ("1024x1024", "1536x1024", "1024x1536")
QUALITIES: Final = ("auto", "low", "medium", "high")
OUTPUT_FORMATS: Final = ("png", "jpeg", "webp")
BACKGROUNDS: Final = ("auto", "opaque", "transparent")
MODERATION_LEVELS: Final = ("auto", "low")
MAX_N: Final = 10  # images per request
MAX_PROMPT_CHARS: Final = 32000
NO_KEY_REASON: Final = "no API key (set GENFACTORY_OPENAI_API_KEY or OPENAI_API_KEY)"

#: ``error.code`` / ``error.type`` values that mean "refused by the content policy".
CONTENT_POLICY_CODES: Final = frozenset(
    {"moderation_blocked", "content_policy_violation", "image_content_policy_violation"}
)
CONTENT_POLICY_TYPES: Final = frozenset({"image_generation_user_error"})
#: 429s that waiting will not fix: credits or spend limits are exhausted.
QUOTA_CODES: Final = frozenset(
    {
        "insufficient_quota",
        "billing_hard_limit_reached",
        "billing_not_active",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
    }
)

PARTIAL_EVENT: Final = "image_generation.partial_image"
COMPLETED_EVENT: Final = "image_generation.completed"


def openai_info(
    *,
    available: bool,
    model: str = DEFAULT_MODEL,
    streams_previews: bool = True,
    default_steps: int = 3,
) -> ProviderInfo:
    return ProviderInfo(
        name="openai",
        title=f"OpenAI Images ({model})",
        description=(
            f"OpenAI's hosted image model {model}, over the Images API. Needs an API key and "
            "network access; billed by OpenAI per image. There are no steps and no seed: "
            "progress follows the partial images streamed while the image is made, and the "
            "seed is recorded but not used. A style is appended to the prompt."
        ),
        sizes=SIZES,
        styles=(),
        # Steps do not exist for this API: any value is accepted and ignored. The default
        # is the number of progress points a streamed image reports (partials + final).
        min_steps=1,
        max_steps=150,
        default_steps=default_steps,
        streams_previews=streams_previews,
        supports_seed=False,
        supports_cancel=True,
        available=available,
        unavailable_reason=None if available else NO_KEY_REASON,
    )


@dataclass(frozen=True)
class _SSE:
    event: str
    data: str


class OpenAIProvider:
    """Generates images with OpenAI's Images API.

    ``api_key`` ``None`` (or empty) makes the provider unavailable with a reason the pages
    show; nothing is sent anywhere. ``timeout`` bounds each request and, when streaming,
    each wait for the next event. ``transport`` is for tests (an ``httpx`` mock transport).
    """

    def __init__(
        self,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        *,
        timeout: float = 300.0,
        connect_timeout: float = 10.0,
        max_partial_images: int = 2,
        stream: bool = True,
        quality: str = "auto",
        output_format: str = "png",
        background: str = "auto",
        moderation: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not 0 <= max_partial_images <= 3:
            raise ValueError("max_partial_images must be between 0 and 3")
        if timeout <= 0 or connect_timeout <= 0:
            raise ValueError("timeouts must be > 0 seconds")
        _check_choice("quality", quality, QUALITIES)
        _check_choice("output_format", output_format, OUTPUT_FORMATS)
        _check_choice("background", background, BACKGROUNDS)
        if moderation is not None:
            _check_choice("moderation", moderation, MODERATION_LEVELS)
        self._api_key = api_key.strip() if api_key and api_key.strip() else None
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_partial_images = max_partial_images
        self.stream = stream
        self.quality = quality
        self.output_format = output_format
        self.background = background
        self.moderation = moderation
        self.organization = organization
        self.project = project
        self._transport = transport
        self.info = openai_info(
            available=self._api_key is not None,
            model=model,
            streams_previews=stream and max_partial_images > 0,
            default_steps=self._total_steps,
        )

    def __repr__(self) -> str:  # never show the key
        key = "set" if self._api_key else "missing"
        return f"OpenAIProvider(base_url={self.base_url!r}, model={self.model!r}, api_key={key})"

    @property
    def _total_steps(self) -> int:
        return self.max_partial_images + 1 if self.stream else 1

    # -- the provider interface ---------------------------------------------------------

    async def generate(
        self, request: GenerationRequest, reporter: Reporter, cancel: CancelToken
    ) -> list[GeneratedImage]:
        if self._api_key is None:
            raise ProviderError(ErrorCode.AUTH, f"OpenAI is unavailable: {NO_KEY_REASON}")
        body = self._body(request)
        cancel.raise_if_cancelled()
        await reporter.log(
            f"OpenAI {body['model']}: {request.count} image(s) at {body['size']}, quality "
            f"{body['quality']}; the API takes no seed (seed {request.seed} is only recorded)"
        )
        async with self._client() as client:
            if self.stream:
                images = []
                for i in range(request.count):
                    images.append(
                        await race(self._stream_one(client, body, request, i, reporter), cancel)
                    )
                return images
            return await race(self._batched(client, body, request, reporter), cancel)

    async def test_connection(self) -> tuple[bool, str]:
        """Whether the key works and may use the model (``GET /models/{model}``), with a
        sentence for the Settings page. Never raises."""
        if self._api_key is None:
            return False, NO_KEY_REASON
        try:
            async with self._client(timeout=min(self.timeout, 20.0)) as client:
                response = await client.get(f"/models/{self.model}")
        except (httpx.HTTPError, OSError) as exc:
            return False, transport_error(exc, "OpenAI", timeout=20.0).message
        if response.status_code == 200:
            return True, f"Connected to {self.base_url}; model {self.model} is available."
        if response.status_code == 404 and _error_code(response) == "model_not_found":
            return False, f"The API key works, but model {self.model} is not available to it."
        if response.status_code == 404:
            # Not OpenAI's "unknown model" answer: the address is not an OpenAI-style API,
            # and the key was never checked.
            return False, (
                f"{self.base_url} has no /models/{self.model} (HTTP 404): it does not look like "
                "an OpenAI-compatible API. Check GENFACTORY_OPENAI_BASE_URL (it ends in /v1)."
            )
        return False, self._http_error(response).message

    # -- requests -------------------------------------------------------------------------

    def _client(self, timeout: float | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout or self.timeout, connect=self.connect_timeout),
            transport=self._transport,
            follow_redirects=False,
        )

    def _body(self, request: GenerationRequest) -> dict[str, Any]:
        size = f"{request.width}x{request.height}"
        problems = []
        if size not in SIZES:
            problems.append(f"{self.model} makes images of {', '.join(SIZES)}, not {size}")
        if request.count < 1:
            problems.append("count must be at least 1")
        prompt = request.prompt.strip()
        style = (request.style or "").strip()
        if style and style.lower() != "none":
            prompt = f"{prompt}\n\nStyle: {style}"
        if not request.prompt.strip():
            problems.append("the prompt is empty")
        elif len(prompt) > MAX_PROMPT_CHARS:
            problems.append(f"the prompt is longer than {MAX_PROMPT_CHARS} characters")
        options = request.options
        quality = str(options.get("quality", self.quality))
        output_format = str(options.get("output_format", self.output_format))
        background = str(options.get("background", self.background))
        for name, value, choices in (
            ("quality", quality, QUALITIES),
            ("output_format", output_format, OUTPUT_FORMATS),
            ("background", background, BACKGROUNDS),
        ):
            if value not in choices:
                problems.append(f"{name} must be one of {', '.join(choices)}, not {value!r}")
        if background == "transparent" and output_format == "jpeg":
            problems.append("a transparent background needs output_format png or webp")
        if problems:
            raise ProviderError(ErrorCode.REJECTED, "; ".join(problems), retryable=False)
        model = options.get("model")  # a configuration's model wins over the server's
        body: dict[str, Any] = {
            "model": model.strip() if isinstance(model, str) and model.strip() else self.model,
            "prompt": prompt,
            "n": 1,
            "size": size,
            "quality": quality,
            "output_format": output_format,
            "background": background,
        }
        if self.moderation:
            body["moderation"] = self.moderation
        if self.stream:
            body["stream"] = True
            body["partial_images"] = self.max_partial_images
        return body

    async def _stream_one(
        self,
        client: httpx.AsyncClient,
        body: dict[str, Any],
        request: GenerationRequest,
        index: int,
        reporter: Reporter,
    ) -> GeneratedImage:
        total = self._total_steps
        prefix = "" if request.count == 1 else f"Image {index + 1}/{request.count} · "
        await reporter.progress(0, total, f"{prefix}Waiting for OpenAI", image_index=index)
        try:
            async with client.stream("POST", "/images/generations", json=body) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise self._http_error(response)
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    # A server that ignores "stream" answers with the plain JSON body.
                    await response.aread()
                    data = self._json(response)
                    images = await self._images_from(data, request, index, body)
                    await reporter.progress(total, total, f"{prefix}Done", image_index=index)
                    return images[0]
                partials = 0
                async for sse in _iter_sse(response):
                    if sse.data.startswith("[DONE]"):
                        break
                    payload = _load_event(sse.data)
                    kind = sse.event or str(payload.get("type", ""))
                    if kind == "error" or payload.get("error"):
                        raise self._error_from_body(payload, status=None, headers=response.headers)
                    if kind == PARTIAL_EVENT:
                        partials += 1
                        step = min(total - 1, max(partials, _index(payload) + 1))
                        await reporter.progress(
                            step, total, f"{prefix}Partial image {partials}", image_index=index
                        )
                        await self._preview(payload, reporter, step)
                    elif kind == COMPLETED_EVENT:
                        image = self._decode(payload)
                        fmt = str(payload.get("output_format") or body["output_format"])
                        result = await self._image(image, request, index, fmt)
                        await reporter.progress(total, total, f"{prefix}Done", image_index=index)
                        return result
                raise ProviderError(
                    ErrorCode.UNAVAILABLE,
                    "OpenAI closed the stream before the image was completed",
                )
        except (httpx.HTTPError, OSError) as exc:
            raise transport_error(exc, "OpenAI", timeout=self.timeout) from None

    async def _batched(
        self,
        client: httpx.AsyncClient,
        body: dict[str, Any],
        request: GenerationRequest,
        reporter: Reporter,
    ) -> list[GeneratedImage]:
        images: list[GeneratedImage] = []
        await reporter.progress(0, 1, "Waiting for OpenAI", image_index=0)
        while len(images) < request.count:
            n = min(MAX_N, request.count - len(images))
            try:
                response = await client.post("/images/generations", json={**body, "n": n})
            except (httpx.HTTPError, OSError) as exc:
                raise transport_error(exc, "OpenAI", timeout=self.timeout) from None
            if response.status_code >= 400:
                raise self._http_error(response)
            batch = await self._images_from(self._json(response), request, len(images), body)
            for image in batch[:n]:
                images.append(image)
                await reporter.progress(
                    1, 1, f"Image {image.index + 1}/{request.count} done", image_index=image.index
                )
        return images

    # -- responses ------------------------------------------------------------------------

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            raise ProviderError(
                ErrorCode.UNAVAILABLE,
                f"OpenAI sent a malformed response (HTTP {response.status_code}, not JSON)",
            )
        return data

    async def _images_from(
        self,
        data: Mapping[str, Any],
        request: GenerationRequest,
        first: int,
        body: Mapping[str, Any],
    ) -> list[GeneratedImage]:
        items = data.get("data")
        if not isinstance(items, list) or not items:
            raise ProviderError(ErrorCode.UNAVAILABLE, "OpenAI's response contained no image")
        fmt = str(data.get("output_format") or body["output_format"])
        out = []
        for k, item in enumerate(items):
            if not isinstance(item, dict):
                raise ProviderError(ErrorCode.UNAVAILABLE, "OpenAI's response is malformed")
            out.append(await self._image(self._decode(item), request, first + k, fmt))
        return out

    async def _image(
        self, raw: bytes, request: GenerationRequest, index: int, fmt: str
    ) -> GeneratedImage:
        width, height, sniffed = await asyncio.to_thread(_safe_info, raw)
        return GeneratedImage(
            index=index,
            seed=request.seed + index,
            width=width,
            height=height,
            data=raw,
            format=_format_name(sniffed or fmt),
        )

    def _decode(self, payload: Mapping[str, Any]) -> bytes:
        b64 = payload.get("b64_json")
        if not isinstance(b64, str) or not b64:
            raise ProviderError(ErrorCode.UNAVAILABLE, "OpenAI sent an image without data")
        try:
            return base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise ProviderError(
                ErrorCode.UNAVAILABLE, "OpenAI sent image data that is not valid base64"
            ) from None

    async def _preview(self, payload: Mapping[str, Any], reporter: Reporter, step: int) -> None:
        try:
            raw = self._decode(payload)
            data, width, height = await asyncio.to_thread(make_preview, raw)
        except (ProviderError, OSError, ValueError) as exc:
            log.debug("skipping an undecodable partial image: %s", exc)
            return
        await reporter.preview(data, width=width, height=height, step=step)

    def _http_error(self, response: httpx.Response) -> ProviderError:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, httpx.ResponseNotRead):
            body = None
        if not isinstance(body, dict):
            body = {"error": {"message": response.text[:300]}}
        return self._error_from_body(body, status=response.status_code, headers=response.headers)

    def _error_from_body(
        self, body: Mapping[str, Any], *, status: int | None, headers: Mapping[str, str]
    ) -> ProviderError:
        """Map an OpenAI error (HTTP status + ``{"error": {message, type, param, code}}``,
        or a streamed ``error`` event when ``status`` is ``None``) to our taxonomy."""
        error = body.get("error")
        if not isinstance(error, dict):
            error = {"message": str(error)} if error else {}
        message = str(error.get("message") or "").strip()
        code = str(error.get("code") or "")
        kind = str(error.get("type") or "")
        request_id = headers.get("x-request-id")
        fallback = f"HTTP {status}" if status is not None else "no details given"
        detail = clip(redact(message, [self._api_key]) or fallback)
        suffix = f" [{code or kind}]" if (code or kind) else ""
        suffix += f" (request {request_id})" if request_id else ""
        should_retry = headers.get("x-should-retry", "").strip().lower()
        retry_hint = {"true": True, "false": False}.get(should_retry)

        def err(code_: ErrorCode, text: str, retryable: bool | None = None) -> ProviderError:
            retry = retryable if retry_hint is None or code_ is ErrorCode.REJECTED else retry_hint
            return ProviderError(
                code_,
                f"{text}: {detail}{suffix}",
                retryable=retry,
                retry_after=retry_after_from_headers(headers) if retry is not False else None,
            )

        if code in CONTENT_POLICY_CODES or kind in CONTENT_POLICY_TYPES:
            return ProviderError(
                ErrorCode.REJECTED,
                f"OpenAI refused the prompt (content policy): {detail}{suffix}",
                retryable=False,
            )
        if status == 429 or code == "rate_limit_exceeded" or kind in ("requests", "tokens"):
            if code in QUOTA_CODES or kind in QUOTA_CODES:
                return ProviderError(
                    ErrorCode.RATE_LIMITED,
                    f"OpenAI quota exhausted (add credits or raise the limit): {detail}{suffix}",
                    retryable=False,
                )
            return err(ErrorCode.RATE_LIMITED, "OpenAI rate limit reached", True)
        if status in (401, 403) or code == "invalid_api_key":
            text = "OpenAI rejected the API key" if status != 403 else "OpenAI refused access"
            return ProviderError(ErrorCode.AUTH, f"{text}: {detail}{suffix}", retryable=False)
        if status == 408:
            return err(ErrorCode.TIMEOUT, "OpenAI timed out", True)
        if (status is not None and status >= 500) or kind == "server_error":
            return err(ErrorCode.UNAVAILABLE, "OpenAI server error", True)
        if status == 409:
            return err(ErrorCode.UNAVAILABLE, "OpenAI conflict", True)
        if status in (400, 404, 413, 415, 422) or kind == "invalid_request_error":
            return ProviderError(
                ErrorCode.REJECTED,
                f"OpenAI rejected the request: {detail}{suffix}",
                retryable=False,
            )
        if status is None:  # an error event in the middle of a stream
            return err(ErrorCode.INTERNAL, "OpenAI failed while generating", True)
        return ProviderError(
            ErrorCode.INTERNAL,
            f"OpenAI answered HTTP {status}: {detail}{suffix}",
            retryable=False,
        )


# -- helpers ----------------------------------------------------------------------------------


def _error_code(response: httpx.Response) -> str | None:
    """The ``error.code`` of an OpenAI error body, if the answer is one."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    return error.get("code") if isinstance(error, dict) else None


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")


def _index(payload: Mapping[str, Any]) -> int:
    try:
        return int(payload.get("partial_image_index", 0))
    except (TypeError, ValueError):
        return 0


def _format_name(fmt: str) -> str:
    fmt = fmt.lower()
    return "jpeg" if fmt in ("jpg", "jpeg") else fmt


def _safe_info(raw: bytes) -> tuple[int, int, str]:
    try:
        return image_info(raw)
    except (OSError, ValueError, SyntaxError):
        raise ProviderError(
            ErrorCode.UNAVAILABLE, "OpenAI sent data that is not an image"
        ) from None


def _load_event(data: str) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except json.JSONDecodeError:
        raise ProviderError(ErrorCode.UNAVAILABLE, "OpenAI sent a malformed stream event") from None
    if not isinstance(payload, dict):
        raise ProviderError(ErrorCode.UNAVAILABLE, "OpenAI sent a malformed stream event")
    return payload


async def _iter_sse(response: httpx.Response) -> AsyncIterator[_SSE]:
    """Server-Sent Events as the WHATWG spec parses them: ``event:`` / ``data:`` fields,
    comment lines ignored, an empty line dispatches."""
    event = ""
    data: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if data or event:
                yield _SSE(event, "\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    if data:
        yield _SSE(event, "\n".join(data))


__all__ = ["SIZES", "OpenAIProvider", "openai_info"]
