"""Helpers shared by the providers that talk to a server over HTTP (``openai``, ``comfyui``).

- :func:`race` runs one awaitable against a job's :class:`CancelToken` (and a deadline), so
  a provider stops waiting on the network the moment the job is cancelled;
- :func:`retry_after_from_headers` reads a server's "wait this long" hint;
- :func:`transport_error` turns an ``httpx`` transport failure into a typed
  :class:`ProviderError`;
- :func:`make_preview` re-encodes any image as a small WebP preview;
- :func:`redact` keeps secrets out of every message a provider produces.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import inspect
import io
import re
import time
from collections.abc import Awaitable, Iterable, Mapping
from typing import Any, Final, TypeVar

import httpx
from PIL import Image, features

from genfactory.domain.errors import ErrorCode, JobCancelled, ProviderError
from genfactory.providers.base import CancelToken

T = TypeVar("T")

PREVIEW_MAX_SIDE: Final = 256
PREVIEW_QUALITY: Final = 70
_PREVIEW_FORMAT: Final = "WEBP" if features.check("webp") else "JPEG"
#: Longest provider message we pass on (server messages can be whole HTML pages).
MAX_MESSAGE: Final = 600
#: Longest ``retry_after`` we believe: a broken header must not park a job for days.
MAX_RETRY_AFTER: Final = 3600.0


async def race(aw: Awaitable[T], cancel: CancelToken, within: float | None = None) -> T:
    """Await ``aw`` unless the job is cancelled first (→ :class:`JobCancelled`) or
    ``within`` seconds pass (→ :class:`TimeoutError`).

    The loser is cancelled and awaited before this returns, so an HTTP stream read by
    ``aw`` is closed at once when the token fires. Cancellation wins a tie.
    """
    if cancel.cancelled:
        if inspect.iscoroutine(aw):
            aw.close()  # never started: close it, or it warns "never awaited"
        raise JobCancelled(cancel.reason)
    work: asyncio.Future[T] = asyncio.ensure_future(aw)
    waiter = asyncio.ensure_future(cancel.wait())
    both: list[asyncio.Future[Any]] = [work, waiter]
    try:
        await asyncio.wait(both, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (work, waiter):
            if not task.done():
                task.cancel()
        # Let both finish (a cancelled stream read closes its response here). Exceptions
        # of the loser are consumed; the winner's are re-raised below.
        await asyncio.gather(work, waiter, return_exceptions=True)
    if waiter.done() and not waiter.cancelled():
        raise JobCancelled(cancel.reason)
    if work.cancelled():
        raise TimeoutError
    return work.result()


def parse_duration(text: str) -> float | None:
    """A Go-style duration as OpenAI's ``x-ratelimit-reset-*`` headers send it
    (``"6m0s"``, ``"1.5s"``, ``"20ms"``, ``"1h2m"``) in seconds; ``None`` if malformed."""
    text = text.strip()
    if not text:
        return None
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
    total, pos = 0.0, 0
    for match in re.finditer(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)", text):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * units[match.group(2)]
        pos = match.end()
    return total if pos == len(text) else None


def retry_after_from_headers(
    headers: Mapping[str, str], *, now: float | None = None
) -> float | None:
    """Seconds to wait before trying again, from (in order of preference) ``retry-after-ms``,
    ``Retry-After`` (seconds or an HTTP date) and OpenAI's ``x-ratelimit-reset-requests`` /
    ``x-ratelimit-reset-tokens`` (the exhausted one if the ``remaining`` headers say which,
    otherwise the longer). ``None`` when no header gives a usable value."""
    lower = {k.lower(): v for k, v in headers.items()}
    value: float | None = None
    if "retry-after-ms" in lower:
        with contextlib.suppress(ValueError):
            value = float(lower["retry-after-ms"]) / 1000
    if value is None and "retry-after" in lower:
        raw = lower["retry-after"].strip()
        try:
            value = float(raw)
        except ValueError:
            with contextlib.suppress(TypeError, ValueError, IndexError):
                when = email.utils.parsedate_to_datetime(raw)
                value = when.timestamp() - (time.time() if now is None else now)
    if value is None:
        resets: dict[str, float] = {}
        for kind in ("requests", "tokens"):
            reset = lower.get(f"x-ratelimit-reset-{kind}")
            parsed = parse_duration(reset) if reset is not None else None
            if parsed is not None:
                resets[kind] = parsed
        exhausted = [
            k for k in resets if lower.get(f"x-ratelimit-remaining-{k}", "").strip() == "0"
        ]
        chosen = [resets[k] for k in exhausted] or list(resets.values())
        if chosen:
            value = max(chosen)
    if value is None or value != value:  # NaN
        return None
    return round(min(MAX_RETRY_AFTER, max(0.0, value)), 3)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every given secret, and anything shaped like an API key
    (``sk-…``, even partly masked as servers echo it), replaced by ``[redacted]``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    text = re.sub(r"\bsk-[A-Za-z0-9_\-*.]{4,}", "[redacted]", text)
    return re.sub(r"(?i)\b(bearer)\s+[A-Za-z0-9_\-.=~+/]{8,}", r"\1 [redacted]", text)


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """One tidy line of at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def transport_error(
    exc: httpx.HTTPError | OSError, what: str, *, timeout: float | None = None
) -> ProviderError:
    """A typed error for a request that got no HTTP answer: timeouts are ``timeout``,
    everything else (refused, reset, DNS, TLS, protocol) is ``unavailable``; both retryable.
    ``what`` names the server ("OpenAI", "the ComfyUI server at http://…")."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        after = f" within {timeout:g} s" if timeout else " in time"
        return ProviderError(
            ErrorCode.TIMEOUT, f"{what} did not answer{after} ({type(exc).__name__})"
        )
    if isinstance(exc, httpx.ConnectError | ConnectionRefusedError):
        return ProviderError(
            ErrorCode.UNAVAILABLE,
            f"Cannot connect to {what} ({clip(str(exc) or type(exc).__name__, 200)})",
        )
    return ProviderError(
        ErrorCode.UNAVAILABLE,
        f"Connection to {what} failed: {type(exc).__name__}"
        + (f": {clip(str(exc), 200)}" if str(exc) else ""),
    )


def image_info(data: bytes) -> tuple[int, int, str]:
    """Width, height and format (``png``, ``jpeg``, ``webp`` …) of an encoded image.
    Raises ``OSError``/``ValueError`` (Pillow's) when ``data`` is not an image."""
    with Image.open(io.BytesIO(data)) as img:
        img.verify()
    with Image.open(io.BytesIO(data)) as img:
        return img.width, img.height, (img.format or "png").lower()


def make_preview(data: bytes, max_side: int = PREVIEW_MAX_SIDE) -> tuple[bytes, int, int]:
    """Any encoded image → a small WebP (JPEG where Pillow lacks WebP) of at most
    ``max_side`` pixels on its longest side, with its width and height. CPU work: call it
    through ``asyncio.to_thread``."""
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale
        frame = img.convert(
            "RGBA" if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info else "RGB"
        )
    frame.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    if _PREVIEW_FORMAT == "JPEG" and frame.mode != "RGB":
        frame = frame.convert("RGB")
    out = io.BytesIO()
    frame.save(out, _PREVIEW_FORMAT, quality=PREVIEW_QUALITY)
    return out.getvalue(), frame.width, frame.height
