"""Small helpers for talking to a test server."""

from __future__ import annotations

import time
from typing import Any

from genfactory.client import Client

TERMINAL = {"completed", "failed", "cancelled"}


def wait_for(
    client: Client, job_id: str, statuses: set[str], timeout: float = 30.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job = client.get_job(job_id)
    while job["status"] not in statuses:
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} stuck in {job['status']}, wanted {statuses}")
        time.sleep(0.05)
        job = client.get_job(job_id)
    return job


def all_events(client: Client, job_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = client.events(job_id, after=after)
        if not page["events"]:
            return events
        events += page["events"]
        after = page["events"][-1]["seq"]


def assert_gap_free(events: list[dict[str, Any]], start: int = 1) -> None:
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(start, start + len(seqs))), f"gap or duplicate in {seqs}"


def statuses(events: list[dict[str, Any]]) -> list[str]:
    return [e["data"]["status"] for e in events if e["type"] == "status"]
