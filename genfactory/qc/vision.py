"""The optional vision-model check: an OpenAI model looks at each image and gives a verdict.

For each image, one ``POST {openai_base_url}/chat/completions`` carries a shrunk JPEG copy of
the image (a base64 ``data:`` URL, longest side 512 pixels for ``detail: low``, 1024
otherwise), the job's prompt and the configuration's instructions, and asks for
**Structured Outputs**: ``response_format`` is a strict JSON schema
(:data:`VERDICT_SCHEMA`: ``passed``, ``score``, ``reasons``), so the model's answer is JSON
of exactly that shape. The answer is parsed strictly (:class:`VisionVerdict`); nothing is
ever guessed from free text.

When no verdict can be had (no API key, OpenAI refused or failed, the answer was cut short,
not JSON, or not of the schema), the image gets a ``vision`` :class:`CheckResult` with
``passed=None`` whose reason starts "Vision check could not judge the image: …": the image
keeps the verdict of the built-in checks and the job does not fail. A 429 or a 5xx is
retried a few times, honouring ``Retry-After``.

The API key comes from :func:`genfactory.providers.secrets.get_secret` (``openai_api_key``:
the OS keyring, else ``GENFACTORY_OPENAI_API_KEY`` / ``OPENAI_API_KEY``) and the base URL
from ``GENFACTORY_OPENAI_BASE_URL``, as for the ``openai`` provider. The key never appears
in a reason or a log line.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import httpx
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from genfactory.providers._http import clip, redact, retry_after_from_headers
from genfactory.providers.secrets import get_secret
from genfactory.qc.config import VisionQC
from genfactory.qc.results import CheckResult

log = logging.getLogger(__name__)

#: The name of the check in :class:`CheckResult` (it is not a :class:`QCCheck`: it is
#: switched on by ``QCConfig.vision``, not by ``QCConfig.checks``).
VISION_CHECK: Final = "vision"
VISION_METRIC: Final = "score"
#: The ``json_schema.name`` sent to OpenAI.
SCHEMA_NAME: Final = "image_quality_verdict"
#: What the model must answer. Strict mode wants every property required and no others;
#: the 0–1 range of ``score`` is said in words and checked by :class:`VisionVerdict`.
VERDICT_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "passed": {
            "type": "boolean",
            "description": "true if the image is usable by the instructions, else false.",
        },
        "score": {
            "type": "number",
            "description": "How well the image meets the instructions, from 0 (not at all) "
            "to 1 (fully).",
        },
        "reasons": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Short sentences saying why; for a rejected image, what is wrong.",
        },
    },
    "required": ["passed", "score", "reasons"],
    "additionalProperties": False,
}
SYSTEM_PROMPT: Final = (
    "You inspect images made by an image generator before a person sees them. Judge only "
    "the image you are shown, against the prompt it was made from and the instructions. "
    "Answer with the verdict: passed (is the image usable), score (0 to 1, how well it meets "
    "the instructions) and reasons (one to three short sentences; for a rejected image, say "
    "what is wrong)."
)
#: Longest side of the copy sent, by ``detail``: ``low`` is what the model sees anyway.
MAX_SIDE: Final = {"low": 512, "high": 1024, "auto": 1024}
JPEG_QUALITY: Final = 85
#: Requests at once per job (one per image).
CONCURRENCY: Final = 4
#: Tries per image for answers worth retrying (429 rate limit, 5xx, 408).
MAX_ATTEMPTS: Final = 3
#: A server that asks to wait longer than this is not waited for: the image is not judged.
MAX_RETRY_WAIT: Final = 20.0
#: Upper bound on the answer (the verdict needs about 100 tokens; reasoning models more).
MAX_COMPLETION_TOKENS: Final = 1000
CONNECT_TIMEOUT: Final = 10.0
#: The most reasons shown, and the longest reason (model text goes into a stored string).
MAX_REASONS: Final = 3
MAX_REASON_CHARS: Final = 200
NO_KEY: Final = (
    "no OpenAI API key is set (store one on the Settings page, or set "
    "GENFACTORY_OPENAI_API_KEY or OPENAI_API_KEY)"
)
_RETRY_STATUSES: Final = frozenset({408, 409, 429, 500, 502, 503, 504})
_QUOTA_CODES: Final = frozenset(
    {"insufficient_quota", "billing_hard_limit_reached", "billing_not_active"}
)


class VisionVerdict(BaseModel):
    """The model's answer, exactly as :data:`VERDICT_SCHEMA` describes it (strict: no type
    coercion, no other fields)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    passed: bool
    score: float = Field(ge=0.0, le=1.0)
    reasons: list[str]


class VisionUnavailable(Exception):
    """OpenAI gave no usable verdict on an image; the message says why, for end users."""


@dataclass(frozen=True)
class VisionEndpoint:
    """Where the vision check sends its requests, and with which key. ``transport`` is for
    tests that need one; normally it is ``None`` (real HTTP)."""

    base_url: str
    api_key: str | None
    transport: httpx.AsyncBaseTransport | None = None

    @classmethod
    def from_environment(cls) -> VisionEndpoint:
        """The same base URL and key the ``openai`` provider uses (``GENFACTORY_*``
        settings and the secret store), read now, so a changed key applies to the next job."""
        from genfactory.settings import Settings

        key, _source = get_secret("openai_api_key")
        return cls(Settings().openai_base_url, key)

    def __repr__(self) -> str:  # never show the key
        key = "set" if self.api_key else "missing"
        return f"VisionEndpoint(base_url={self.base_url!r}, api_key={key})"


# -- the check --------------------------------------------------------------------------------


async def judge_images(
    images: Sequence[bytes],
    *,
    prompt: str,
    config: VisionQC,
    endpoint: VisionEndpoint,
) -> list[CheckResult]:
    """One ``vision`` :class:`CheckResult` per image of ``images`` (encoded files), in the
    same order. Never raises for anything OpenAI does: an image without a verdict gets a
    result with ``passed=None`` (see :func:`not_judged`)."""
    if not images:
        return []
    key = (endpoint.api_key or "").strip()
    if not key:
        return [not_judged(NO_KEY, config) for _ in images]
    limit = asyncio.Semaphore(CONCURRENCY)
    async with _client(endpoint, key, config) as client:

        async def one(data: bytes) -> CheckResult:
            async with limit:
                try:
                    verdict = await judge_image(client, data, prompt=prompt, config=config)
                except VisionUnavailable as exc:
                    return not_judged(redact(str(exc), [key]), config)
            return verdict_result(verdict, config)

        return list(await asyncio.gather(*(one(data) for data in images)))


async def judge_image(
    client: httpx.AsyncClient, data: bytes, *, prompt: str, config: VisionQC
) -> VisionVerdict:
    """Ask the model about one image (retrying 429/5xx a little); raises
    :class:`VisionUnavailable` when there is no usable verdict."""
    try:
        image_url = await asyncio.to_thread(image_data_url, data, MAX_SIDE[config.detail])
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise VisionUnavailable(f"the image could not be read ({exc})") from None
    body = request_body(prompt, image_url, config)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = await client.post("/chat/completions", json=body)
        except httpx.TimeoutException:
            raise VisionUnavailable(f"OpenAI did not answer within {config.timeout:g} s") from None
        except (httpx.HTTPError, OSError) as exc:
            if attempt < MAX_ATTEMPTS:
                await asyncio.sleep(_backoff(attempt))
                continue
            raise VisionUnavailable(
                f"cannot connect to OpenAI at {client.base_url} ({type(exc).__name__})"
            ) from None
        if response.status_code == 200:
            return parse_completion(_json(response))
        error = _http_error(response)
        wait = _retry_wait(response, attempt)
        if wait is None:
            if attempt > 1:
                raise VisionUnavailable(f"{error} (after {attempt} tries)")
            raise error
        log.info("vision check: %s; trying again in %.1f s", error, wait)
        await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def request_body(prompt: str, image_url: str, config: VisionQC) -> dict[str, Any]:
    """The ``POST /chat/completions`` body for one image (``image_url`` a ``data:`` URL)."""
    text = (
        f"Instructions: {config.instructions}\n\n"
        f"The prompt the image was generated from:\n{prompt.strip() or '(no prompt)'}"
    )
    return {
        "model": config.model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": text},
                    {"type": "image_url", "image_url": {"url": image_url, "detail": config.detail}},
                ],
            },
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": VERDICT_SCHEMA},
        },
        "max_completion_tokens": MAX_COMPLETION_TOKENS,
        "store": False,
    }


def parse_completion(data: Mapping[str, Any]) -> VisionVerdict:
    """The verdict in a chat completion (``choices[0].message``), parsed strictly. A refusal,
    a cut-short or filtered answer, non-JSON text or JSON of another shape raises
    :class:`VisionUnavailable` saying which."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise VisionUnavailable("OpenAI's answer has no choices")
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, dict):
        raise VisionUnavailable("OpenAI's answer has no message")
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal.strip():
        raise VisionUnavailable(f"the model refused: {clip(refusal, MAX_REASON_CHARS)}")
    finish = choice.get("finish_reason")
    if finish == "length":
        raise VisionUnavailable("the model's answer was cut short (token limit)")
    if finish == "content_filter":
        raise VisionUnavailable("OpenAI's content filter withheld the answer")
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        raise VisionUnavailable("the model's answer was empty")
    try:
        return VisionVerdict.model_validate_json(content)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise VisionUnavailable("the model's answer was not valid JSON") from None
        where = ".".join(str(p) for p in first["loc"]) or "the answer"
        raise VisionUnavailable(
            f"the model's answer did not match the verdict schema ({where}: {first['msg']})"
        ) from None


def verdict_result(verdict: VisionVerdict, config: VisionQC) -> CheckResult:
    """The ``vision`` result of a verdict: it passes when the model accepted the image and
    scored it at least ``config.min_score``."""
    passed = verdict.passed and verdict.score >= config.min_score
    said = _reasons_text(verdict.reasons)
    if passed:
        reason = f"Vision check ({config.model}) accepted the image (score {verdict.score:.2f})"
    elif not verdict.passed:
        reason = f"Vision check ({config.model}) rejected the image (score {verdict.score:.2f})"
    else:
        reason = (
            f"Vision check ({config.model}) scored the image {verdict.score:.2f}, "
            f"needs ≥ {config.min_score:.2f}"
        )
    return CheckResult(
        name=VISION_CHECK,
        metric=VISION_METRIC,
        passed=passed,
        value=round(verdict.score, 4),
        threshold=config.min_score,
        reason=f"{reason}: {said}" if said else reason,
    )


def no_verdict(reason: str, config: VisionQC) -> CheckResult:
    """A ``vision`` result without a verdict (``passed=None``), saying why."""
    return CheckResult(
        name=VISION_CHECK,
        metric=VISION_METRIC,
        passed=None,
        value=None,
        threshold=config.min_score,
        reason=reason,
    )


def not_judged(why: str, config: VisionQC) -> CheckResult:
    """The ``vision`` result of an image the model gave no verdict on."""
    return no_verdict(f"Vision check could not judge the image: {why}", config)


def image_data_url(data: bytes, max_side: int) -> str:
    """``data`` (any image Pillow reads) as a ``data:image/jpeg;base64,…`` URL of at most
    ``max_side`` pixels on its longest side; transparency is laid over white. CPU work."""
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale
        img.load()
        if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
            rgba = img.convert("RGBA")
            frame = Image.new("RGB", rgba.size, (255, 255, 255))
            frame.paste(rgba, mask=rgba.getchannel("A"))
        else:
            frame = img.convert("RGB")
    frame.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=JPEG_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


# -- HTTP ----------------------------------------------------------------------------------------


def _client(endpoint: VisionEndpoint, key: str, config: VisionQC) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=endpoint.base_url.rstrip("/"),
        headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
        timeout=httpx.Timeout(config.timeout, connect=min(CONNECT_TIMEOUT, config.timeout)),
        transport=endpoint.transport,
        follow_redirects=False,
    )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise VisionUnavailable(
            f"OpenAI sent a malformed response (HTTP {response.status_code}, not JSON)"
        )
    return data


def _error_fields(response: httpx.Response) -> tuple[str, str]:
    """``(message, code)`` of OpenAI's ``{"error": {"message", "type", "code"}}`` body."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return clip(response.text, 300) or f"HTTP {response.status_code}", ""
    message = str(error.get("message") or "").strip() or f"HTTP {response.status_code}"
    return clip(message, 300), str(error.get("code") or error.get("type") or "")


def _http_error(response: httpx.Response) -> VisionUnavailable:
    status = response.status_code
    message, code = _error_fields(response)
    what = {
        400: "OpenAI rejected the request",
        401: "OpenAI rejected the API key",
        403: "OpenAI refused access",
        404: "OpenAI does not offer this model to this key",
        429: "OpenAI rate limit reached",
    }.get(status, "OpenAI server error" if status >= 500 else "OpenAI answered")
    if status == 429 and code in _QUOTA_CODES:
        what = "OpenAI quota exhausted"
    suffix = f" [{code}]" if code else ""
    return VisionUnavailable(f"{what} (HTTP {status}{suffix}): {message}")


def _retry_wait(response: httpx.Response, attempt: int) -> float | None:
    """Seconds to wait before trying again, or ``None`` to give up now."""
    if attempt >= MAX_ATTEMPTS or response.status_code not in _RETRY_STATUSES:
        return None
    if response.headers.get("x-should-retry", "").strip().lower() == "false":
        return None
    if response.status_code == 429 and _error_fields(response)[1] in _QUOTA_CODES:
        return None  # waiting does not bring credits back
    wait = retry_after_from_headers(response.headers)
    if wait is None:
        wait = _backoff(attempt)
    return wait if wait <= MAX_RETRY_WAIT else None


def _backoff(attempt: int) -> float:
    return float(0.5 * 2 ** (attempt - 1))


def _reasons_text(reasons: Sequence[str]) -> str:
    kept = [clip(r, MAX_REASON_CHARS).rstrip(".") for r in reasons if r.strip()][:MAX_REASONS]
    return "; ".join(kept)


__all__ = [
    "VERDICT_SCHEMA",
    "VISION_CHECK",
    "VisionEndpoint",
    "VisionUnavailable",
    "VisionVerdict",
    "image_data_url",
    "judge_image",
    "judge_images",
    "not_judged",
    "parse_completion",
    "request_body",
    "verdict_result",
]
