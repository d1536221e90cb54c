"""Local, protocol-faithful stand-ins for the services real providers talk to.

- :mod:`tests.fakes.openai_server`: OpenAI's Images API (JSON and streamed SSE answers,
  error bodies and rate-limit headers);
- :mod:`tests.fakes.comfyui_server`: a ComfyUI server (``/prompt``, ``/ws`` with JSON and
  binary preview frames, ``/history``, ``/view``, ``/queue``, ``/interrupt``, …).

Each builds an ASGI app; :class:`ServerThread` serves one with uvicorn on a free loopback
port in a background thread (its own event loop, like a real remote server), and each
module also runs as ``python -m tests.fakes.<name> --port N`` for manual use.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import uvicorn


def free_port() -> int:
    """A loopback port nothing listens on (right now): for "connection refused" tests."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Preview:
    image: bytes
    width: int
    height: int
    step: int


@dataclass
class RecordingReporter:
    """A real :class:`~genfactory.providers.base.Reporter` that keeps every call in order,
    and optionally reacts to progress (``on_progress(step, total, image_index)``) and log
    lines (``on_log(message)``), for example to cancel the job mid-run."""

    progress_calls: list[tuple[int, int, str, int]] = field(default_factory=list)
    previews: list[Preview] = field(default_factory=list)
    logs: list[tuple[str, str]] = field(default_factory=list)
    on_progress: Callable[[int, int, int], None] | None = None
    on_log: Callable[[str], None] | None = None

    async def progress(
        self, step: int, total: int, message: str = "", *, image_index: int = 0
    ) -> None:
        self.progress_calls.append((step, total, message, image_index))
        if self.on_progress is not None:
            self.on_progress(step, total, image_index)

    async def preview(self, image: bytes, *, width: int, height: int, step: int) -> None:
        self.previews.append(Preview(image, width, height, step))

    def wants_preview(self) -> bool:
        return True

    async def log(self, message: str, level: str = "info") -> None:
        self.logs.append((level, message))
        if self.on_log is not None:
            self.on_log(message)

    def text(self) -> str:
        """Everything reported as text (to look for leaked secrets)."""
        return "\n".join([m for _, m in self.logs] + [m for _, _, m, _ in self.progress_calls])


class ServerThread:
    """``with ServerThread(app) as server: server.url`` — uvicorn on 127.0.0.1:<free port>."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            loop="asyncio",
            http="h11",
            ws="websockets-sansio",
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, name="fake-server", daemon=True)
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def start(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake server did not start")
            time.sleep(0.01)
        sockets = [s for server in self.server.servers for s in server.sockets]
        self.port = int(sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.thread.is_alive():  # pragma: no cover - a hung shutdown
            self.server.force_exit = True
            self.thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
