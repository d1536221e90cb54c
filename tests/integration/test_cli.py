"""The CLI against a real server: generate --follow, jobs list/show/cancel/retry/rerun."""

from __future__ import annotations

import subprocess
import sys

import httpx

from genfactory.client import Client
from tests.integration.helpers import wait_for
from tests.support.server import ServerProcess


def cli(server: ServerProcess, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "genfactory", *args, "--server", server.url],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"},
    )


def test_generate_follow_shows_progress_and_exits_zero(server: ServerProcess) -> None:
    done = cli(
        server, "generate", "a quiet harbour", "--size", "256x256", "--steps", "5", "--follow"
    )
    assert done.returncode == 0, done.stderr
    assert "completed" in done.stdout
    assert "/api/images/" in done.stdout


def test_generate_follow_exits_non_zero_on_failure(server: ServerProcess) -> None:
    with Client(server.url) as client:
        job = client.create_job("nope", size="256x256", steps=2, faults={"reject": True})
        wait_for(client, job["id"], {"failed"})
    shown = cli(server, "jobs", "show", job["id"])
    assert shown.returncode == 0 and "rejected" in shown.stdout
    refused = cli(server, "jobs", "retry", job["id"])
    assert refused.returncode == 1 and "409" in refused.stderr


def test_jobs_commands(server: ServerProcess) -> None:
    with Client(server.url) as client:
        job = client.create_job("cli job", size="256x256", steps=2)
        wait_for(client, job["id"], {"completed"})
    listed = cli(server, "jobs", "list", "--limit", "50")
    assert listed.returncode == 0 and job["short_id"] in listed.stdout
    rerun = cli(server, "jobs", "rerun", job["id"])
    assert rerun.returncode == 0 and job["id"] in rerun.stdout  # rerun_of
    cancelled = cli(server, "jobs", "cancel", job["id"])
    assert cancelled.returncode == 1 and "already completed" in cancelled.stderr


def test_unreachable_server_is_a_clear_error() -> None:
    gone = subprocess.run(
        [sys.executable, "-m", "genfactory", "jobs", "list", "--server", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert gone.returncode == 3
    assert "Cannot reach the server" in gone.stderr


def test_serve_refuses_a_public_bind_without_a_token(tmp_path: object) -> None:
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "genfactory",
            "serve",
            "--host",
            "0.0.0.0",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert refused.returncode == 2
    assert "needs an API token" in refused.stderr


def test_the_short_ids_shown_are_accepted(server: ServerProcess) -> None:
    """`jobs list` and the pages show 8 characters of an id: the CLI and the job page take
    them back (an unknown one is a clear 404)."""
    with Client(server.url) as client:
        job = client.create_job("short id job", size="256x256", steps=2)
        wait_for(client, job["id"], {"completed"})
    short = job["short_id"]
    assert len(short) == 8 and job["id"].startswith(short)
    shown = cli(server, "jobs", "show", short)
    assert shown.returncode == 0 and job["id"] in shown.stdout, shown.stderr
    images = cli(server, "images", "list", short)
    assert images.returncode == 0 and "passed" in images.stdout, images.stderr
    unknown = cli(server, "jobs", "show", "ffffff00")
    assert unknown.returncode == 1 and "No job with an id starting" in unknown.stderr
    page = httpx.get(f"{server.url}/jobs/{short}", follow_redirects=False)
    assert page.status_code == 307 and page.headers["location"] == f"/jobs/{job['id']}"
    assert httpx.get(f"{server.url}/jobs/ffffff00").status_code == 404
