"""Helpers of the end-to-end tests: a real server process, screenshots, axe-core."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"

#: ``new_page(scheme="light", reduced_motion="reduce", width=…, height=…)`` (conftest).
PageFactory = Callable[..., Page]

#: Fast, deterministic pacing for the server under test (a test slows one job down with
#: the ``step_delay`` fault option when it needs time to look at a running job).
SERVER_ENV = {
    "GENFACTORY_STEP_DELAY": "0.05",
    "GENFACTORY_PREVIEW_INTERVAL": "0.1",
    "GENFACTORY_RETRY_BASE_SECONDS": "0.3",
    "GENFACTORY_HEARTBEAT_SECONDS": "0.3",
    "GENFACTORY_LEASE_SECONDS": "3",
    "GENFACTORY_RECOVERY_INTERVAL": "0.5",
    "GENFACTORY_POLL_INTERVAL": "0.1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``genfactory serve --mode test`` on a free port; restartable on the same port and
    data folder, so a page can reconnect to the same address after a stop."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"
        self.api = httpx.Client(base_url=self.url, timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> LiveServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        script = Path(sys.executable).with_name("genfactory")
        cmd = [str(script), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        cmd += ["--mode", "test"]
        env = {**os.environ, **SERVER_ENV}
        env.pop("GENFACTORY_DATABASE_URL", None)
        env.pop("GENFACTORY_API_TOKEN", None)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_tail()}")
            try:
                if self.api.get("/api/health", timeout=1).status_code in (200, 503):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL: like a crash (no shutdown hook runs, leases stay held)."""
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

    def close(self) -> None:
        self.stop()
        self.api.close()

    # -- API helpers -------------------------------------------------------------------

    def create_job(self, prompt: str = "a lighthouse on a cliff at sunset", **body: Any) -> Any:
        response = self.api.post("/api/jobs", json={"prompt": prompt, **body})
        assert response.status_code == 201, response.text
        return response.json()

    def job(self, job_id: str) -> Any:
        return self.api.get(f"/api/jobs/{job_id}").json()

    def wait_for(self, job_id: str, *statuses: str, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if job["status"] in statuses:
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} never reached {statuses}: {self.job(job_id)}")


def bodies_sent(page: Page, path: str) -> list[Any]:
    """The JSON bodies the page sends to ``path`` from now on, in order (filled as it sends)."""
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith(path) else None)
    return sent


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save ``docs/screenshots/<name>.png`` (the UI states, for people to look at)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now.

    The source is evaluated through the DevTools protocol, which the page's CSP does not
    govern, so the pages keep their strict policy while the tests audit them.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 5)
                            .map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
        }"""
    )
    return list(results)


# -- the progress page ----------------------------------------------------------------


def open_job(new_page: PageFactory, server: LiveServer, job_id: str, **kw: str) -> Page:
    page = new_page(**kw)
    page.goto(f"{server.url}/jobs/{job_id}")
    expect(page.locator("#main")).to_have_attribute("data-view", "ready")
    return page


def rendered_seqs(page: Page) -> list[int]:
    seqs = page.locator("#event-log-body tr[data-seq]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.seq))"
    )
    return [int(s) for s in seqs]


def expect_status(page: Page, status: str, timeout: float = 20_000) -> None:
    expect(page.locator("#main")).to_have_attribute("data-status", status, timeout=timeout)


def expect_every_seq_once(page: Page, server: LiveServer, job_id: str) -> None:
    last_seq = server.job(job_id)["last_seq"]
    expect(page.locator("#event-log-body tr[data-seq]")).to_have_count(min(last_seq, 200))
    seqs = rendered_seqs(page)
    assert seqs == list(range(max(1, last_seq - 199), last_seq + 1))
