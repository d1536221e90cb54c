"""A provider's concurrency cap holds across all workers."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from genfactory.client import Client
from tests.integration.helpers import all_events, wait_for
from tests.support.databases import own_database
from tests.support.server import ServerProcess


@pytest.fixture
def database_url(backend: str) -> Iterator[str | None]:
    """SQLite (the server's own file), or a PostgreSQL database of this test's own: there,
    claims run side by side, and the cap must still hold."""
    with own_database(backend) as url:
        yield url


def test_concurrency_cap_keeps_jobs_queued(tmp_path: Path, database_url: str | None) -> None:
    server = ServerProcess(
        tmp_path / "data",
        database_url,
        workers=3,
        env={"GENFACTORY_PROVIDER_LIMITS": '{"procedural": {"concurrency": 1}}'},
    ).start()
    try:
        with Client(server.url) as client:
            jobs = [
                client.create_job(
                    f"capped {n}", size="256x256", steps=6, faults={"step_delay": 0.03}
                )
                for n in range(6)
            ]
            peak = 0
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                states = [client.get_job(j["id"])["status"] for j in jobs]
                peak = max(peak, sum(s in ("running", "uploading") for s in states))
                if all(s == "completed" for s in states):
                    break
                time.sleep(0.02)
            finished = [client.get_job(j["id"]) for j in jobs]
            assert all(j["status"] == "completed" for j in finished)
            assert peak >= 1
            # Overlap is judged on the server's own times, not on the polling, which reads
            # the jobs one after another and can see one finish and the next start between
            # two reads: with a cap of 1 no job starts before the one before it finished.
            spans = sorted((j["started_at"], j["finished_at"]) for j in finished)
            for (_, previous_end), (start, _) in itertools.pairwise(spans):
                assert start >= previous_end, f"jobs overlapped: {spans}"
            # They ran one after another, oldest first.
            starts = []
            for j in jobs:
                events = all_events(client, j["id"])
                starts.append(
                    next(
                        e["time"]
                        for e in events
                        if e["type"] == "status" and e["data"]["status"] == "running"
                    )
                )
            assert starts == sorted(starts)
            wait_for(client, jobs[-1]["id"], {"completed"})
    finally:
        server.stop()
