"""A real `genfactory serve` in a subprocess on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``genfactory serve`` with a given database and data folder. Restartable on the same
    port, so clients can reconnect to the same URL after a kill."""

    def __init__(
        self,
        data_dir: Path,
        database_url: str | None = None,
        *,
        workers: int = 2,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.workers = workers
        self.port = free_port()
        self.env = {
            "GENFACTORY_MODE": "test",
            "GENFACTORY_STEP_DELAY": "0.02",
            "GENFACTORY_PREVIEW_INTERVAL": "0.05",
            "GENFACTORY_RETRY_BASE_SECONDS": "0.2",
            "GENFACTORY_HEARTBEAT_SECONDS": "0.3",
            "GENFACTORY_LEASE_SECONDS": "3",
            "GENFACTORY_RECOVERY_INTERVAL": "0.5",
            "GENFACTORY_POLL_INTERVAL": "0.1",
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env}
        env.pop("GENFACTORY_DATABASE_URL", None)
        cmd = [
            sys.executable,
            "-m",
            "genfactory",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--workers",
            str(self.workers),
        ]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()[-4000:]}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code in (200, 503):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs (leases stay held, as after a crash)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
