"""The provider interface.

A provider turns a :class:`GenerationRequest` into images. While it works it reports
progress, previews and log lines through a :class:`Reporter`, checks its
:class:`CancelToken` often (at least once a step) and raises
:class:`~genfactory.domain.errors.ProviderError` for a typed failure.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from genfactory.domain.errors import JobCancelled


@dataclass(frozen=True)
class GenerationRequest:
    """What to generate. ``seed`` is the seed of image 0; image ``i`` uses ``seed + i``."""

    job_id: str
    prompt: str
    width: int
    height: int
    steps: int
    count: int
    seed: int
    attempt: int = 1
    style: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GeneratedImage:
    """One finished image, encoded (PNG unless the provider says otherwise)."""

    index: int
    seed: int
    width: int
    height: int
    data: bytes
    format: str = "png"


class CancelToken:
    """Set when the job is cancelled; providers check it between steps."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.reason = ""

    def cancel(self, reason: str = "cancelled") -> None:
        self.reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise JobCancelled(self.reason)

    async def wait(self) -> None:
        await self._event.wait()

    async def sleep(self, seconds: float) -> None:
        """Sleep, but wake up and raise :class:`JobCancelled` as soon as the token fires."""
        if seconds <= 0:
            await asyncio.sleep(0)  # still give the loop a turn (heartbeats, cancels)
            self.raise_if_cancelled()
            return
        try:
            await asyncio.wait_for(self._event.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise JobCancelled(self.reason)


@runtime_checkable
class Reporter(Protocol):
    """Where a provider sends what it observes. Every call may be throttled by the worker."""

    async def progress(
        self, step: int, total: int, message: str = "", *, image_index: int = 0
    ) -> None: ...

    async def preview(self, image: bytes, *, width: int, height: int, step: int) -> None:
        """A small encoded image (WebP, JPEG or PNG) showing the work so far."""
        ...

    def wants_preview(self) -> bool:
        """Whether a preview sent now would be kept (the worker keeps at most one per
        ``preview_interval``): a provider that makes its previews itself (draws, encodes)
        skips that work when not."""
        ...

    async def log(self, message: str, level: str = "info") -> None: ...


@dataclass(frozen=True)
class ProviderInfo:
    """What the API and the pages need to know about a provider."""

    name: str
    title: str
    description: str
    sizes: tuple[str, ...]
    styles: tuple[str, ...]
    min_steps: int = 1
    max_steps: int = 150
    default_steps: int = 20
    streams_previews: bool = True
    supports_seed: bool = True
    supports_cancel: bool = True
    available: bool = True
    unavailable_reason: str | None = None
    #: At most this many jobs of this provider run at once (across all workers). None: no cap.
    max_concurrency: int | None = None
    #: At most this many attempts start per minute (per worker process). None: no cap.
    max_per_minute: float | None = None


class Provider(Protocol):
    """An image generator."""

    info: ProviderInfo

    async def generate(
        self, request: GenerationRequest, reporter: Reporter, cancel: CancelToken
    ) -> list[GeneratedImage]: ...


def parse_size(size: str) -> tuple[int, int]:
    """``"512x512"`` → ``(512, 512)``."""
    w, _, h = size.partition("x")
    return int(w), int(h)
