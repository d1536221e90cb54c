"""kill -9 in the middle of running jobs, then restart: no job lost, no image duplicated,
every job's seq continues without a gap."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from genfactory.client import Client
from tests.integration.helpers import all_events, assert_gap_free, statuses, wait_for
from tests.support.databases import create_database, drop_database
from tests.support.server import ServerProcess


@pytest.fixture
def own_database(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    if backend == "sqlite":
        yield None
        return
    request.getfixturevalue("postgres_url")  # skips or fails loudly without PostgreSQL
    name, url = create_database()
    yield url
    drop_database(name)


@pytest.mark.slow
def test_kill_9_then_restart_loses_nothing(tmp_path: Path, own_database: str | None) -> None:
    server = ServerProcess(tmp_path / "data", own_database).start()
    try:
        with Client(server.url) as client:
            jobs = [
                client.create_job(
                    f"crash test {n}",
                    size="256x256",
                    steps=40,
                    count=2,
                    seed=100 + n,
                    faults={"step_delay": 0.04},
                )
                for n in range(4)
            ]
            # Wait until two jobs are mid-generation.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                running = [
                    j
                    for j in (client.get_job(x["id"]) for x in jobs)
                    if j["status"] == "running" and j["progress"]["percent"] > 10
                ]
                if len(running) >= 2:
                    break
                time.sleep(0.05)
            assert len(running) >= 2
            before = {j["id"]: all_events(client, j["id"]) for j in jobs}
        server.kill()

        server.start()
        with Client(server.url) as client:
            # A client resumes over WebSocket from where it was: exact continuation.
            watched = running[0]["id"]
            last = before[watched][-1]["seq"]
            resumed: list[dict[str, Any]] = []
            with connect(f"{server.ws_url}/api/jobs/{watched}/events/ws?after={last}") as ws:
                json.loads(ws.recv(timeout=5))
                while True:
                    frame = json.loads(ws.recv(timeout=30))
                    if "control" in frame:
                        continue
                    resumed.append(frame)
                    if frame["type"] == "status" and frame["data"]["status"] == "completed":
                        break
            for j in jobs:
                done = wait_for(client, j["id"], {"completed", "failed"}, timeout=60)
                assert done["status"] == "completed", done["error"]
                events = all_events(client, j["id"])
                assert_gap_free(events)
                assert events[: len(before[j["id"]])] == before[j["id"]], "history rewritten"
                images = client.images(j["id"])
                assert sorted(i["index"] for i in images) == [0, 1], "lost or duplicated images"
                assert len({i["sha256"] for i in images}) == 2
            full = all_events(client, watched)
            assert resumed == full[last:]
            history = statuses(full)
            assert history[:2] == ["queued", "running"]
            assert "queued" in history[2:], "the interrupted attempt was not re-queued"
            assert history[-1] == "completed"
            recovered = client.get_job(watched)
            assert recovered["attempt"] == 2
            lost = [e for e in full if e["type"] == "error"]
            # SQLite: the restarted server sees the old process is gone and does not wait
            # for its lease. PostgreSQL: other nodes may share the host name, so it waits.
            said = "process running this job stopped" if own_database is None else "responding"
            assert lost and said in lost[0]["data"]["message"], lost
        blob_files = [p for p in (tmp_path / "data" / "blobs").rglob("*.png")]
        assert len(blob_files) == 8, "each image stored once (content-addressed)"
    finally:
        server.stop()


def test_a_restarted_server_requeues_its_dead_processs_jobs_at_once(tmp_path: Path) -> None:
    """SQLite (same-host recovery is for SQLite only; PostgreSQL waits for the lease, see
    above), a lease of two minutes: after kill -9 and a restart the interrupted job runs
    again within seconds, not when the lease runs out."""
    server = ServerProcess(tmp_path / "data", env={"GENFACTORY_LEASE_SECONDS": "120"}).start()
    try:
        with Client(server.url) as client:
            job = client.create_job(
                "interrupted", size="256x256", steps=30, faults={"step_delay": 0.05}
            )
            wait_for(client, job["id"], {"running"})
        server.kill()
        server.start()
        restarted = time.monotonic()
        with Client(server.url) as client:
            done = wait_for(client, job["id"], {"completed", "failed"}, timeout=60)
            assert done["status"] == "completed" and done["attempt"] == 2
            assert time.monotonic() - restarted < 30, "waited for the lease"
            errors = [e for e in all_events(client, job["id"]) if e["type"] == "error"]
            assert [e["data"]["message"] for e in errors] == [
                "The server process running this job stopped."
            ]
    finally:
        server.stop()


def test_graceful_shutdown_requeues_running_jobs(tmp_path: Path, own_database: str | None) -> None:
    server = ServerProcess(tmp_path / "data", own_database).start()
    try:
        with Client(server.url) as client:
            job = client.create_job(
                "shutdown", size="256x256", steps=60, faults={"step_delay": 0.05}
            )
            wait_for(client, job["id"], {"running"})
        server.stop()
        server.start()
        with Client(server.url) as client:
            done = wait_for(client, job["id"], {"completed", "failed"}, timeout=60)
            assert done["status"] == "completed"
            history = statuses(all_events(client, job["id"]))
            assert history == ["queued", "running", "queued", "running", "uploading", "completed"]
            assert done["attempt"] == 1, "a clean shutdown does not use up an attempt"
    finally:
        server.stop()
