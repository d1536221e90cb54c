"""API nodes and separate worker processes share one database: events appended by a worker
process reach subscribers connected to an API node (log tailing; NOTIFY on PostgreSQL), and
cancels made on the API node stop the worker's job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from genfactory.client import Client
from tests.integration.helpers import all_events, assert_gap_free, wait_for
from tests.support.databases import create_database, drop_database
from tests.support.server import ROOT, ServerProcess


@pytest.fixture
def shared_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
        return
    request.getfixturevalue("postgres_url")
    name, url = create_database()
    yield url
    drop_database(name)


@pytest.fixture
def api_and_worker(
    shared_database: str, tmp_path: Path
) -> Iterator[tuple[ServerProcess, subprocess.Popen[bytes]]]:
    api = ServerProcess(tmp_path / "api", shared_database, workers=0).start()
    env = {**os.environ, **api.env, "GENFACTORY_DATA_DIR": str(tmp_path / "api")}
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "genfactory",
                "worker",
                "--slots",
                "2",
                "--database-url",
                shared_database,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield api, worker
    finally:
        worker.terminate()
        worker.wait(15)
        api.stop()


def test_events_from_a_worker_process_stream_live_from_the_api_node(
    api_and_worker: tuple[ServerProcess, subprocess.Popen[bytes]],
) -> None:
    api, _worker = api_and_worker
    with Client(api.url) as client:
        job = client.create_job(
            "two processes", size="256x256", steps=12, faults={"step_delay": 0.05}
        )
        received = []
        with connect(f"{api.ws_url}/api/jobs/{job['id']}/events/ws?after=1") as ws:
            assert json.loads(ws.recv(timeout=5))["control"] == "hello"
            while True:
                frame = json.loads(ws.recv(timeout=30))
                if "control" in frame:
                    continue
                received.append(frame)
                if frame["type"] == "status" and frame["data"]["status"] == "completed":
                    break
        assert received == all_events(client, job["id"])[1:]
        assert_gap_free(received, start=2)


def test_cancel_on_the_api_node_stops_the_worker_process_job(
    api_and_worker: tuple[ServerProcess, subprocess.Popen[bytes]],
) -> None:
    api, _worker = api_and_worker
    with Client(api.url) as client:
        job = client.create_job("stop me", size="256x256", steps=150, faults={"step_delay": 0.05})
        wait_for(client, job["id"], {"running"}, timeout=30)
        time.sleep(0.3)
        client.cancel(job["id"])
        time.sleep(1.5)
        events = all_events(client, job["id"])
        cancelled_at = max(e["seq"] for e in events if e["type"] == "status")
        assert events[-1]["seq"] == cancelled_at, "the worker kept appending after the cancel"
        # The worker is free again: a new job completes.
        quick = client.create_job("next", size="256x256", steps=2)
        assert wait_for(client, quick["id"], {"completed"}, timeout=30)["status"] == "completed"


def test_a_stopped_worker_process_hands_its_job_back_saying_so(
    api_and_worker: tuple[ServerProcess, subprocess.Popen[bytes]],
) -> None:
    api, worker = api_and_worker
    with Client(api.url) as client:
        job = client.create_job(
            "handed back", size="256x256", steps=150, faults={"step_delay": 0.05}
        )
        wait_for(client, job["id"], {"running"}, timeout=30)
        worker.terminate()  # SIGTERM: a clean stop
        worker.wait(15)
        requeued = wait_for(client, job["id"], {"queued"}, timeout=10)
        reasons = [
            e["data"].get("reason", "")
            for e in all_events(client, job["id"])
            if e["type"] == "status" and e["data"]["status"] == "queued"
        ]
        assert reasons[-1].startswith("worker shut down"), reasons
        assert requeued["attempt"] == 1, "a clean stop does not use up an attempt"


def test_an_api_node_stays_in_service_while_its_worker_machines_are_down(
    shared_database: str, tmp_path: Path
) -> None:
    """Health for load balancers: an API node without workers of its own serves the pages,
    the list and cancels whatever the workers do (200, "degraded" when none is alive)."""
    api = ServerProcess(tmp_path / "api", shared_database, workers=0).start()
    try:
        health = httpx.get(f"{api.url}/api/health")
        assert health.status_code == 200, health.text
        body = health.json()
        assert body["status"] == "degraded" and body["workers"]["live_slots"] == 0
        assert body["workers"]["local"]["enabled"] is False
    finally:
        api.stop()
