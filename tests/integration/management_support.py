"""Helpers for the job-management tests. The server is shared by the whole session, so each
test tags its jobs with a unique word and filters by it (``q=<tag>``) to see only them."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

TERMINAL = {"completed", "failed", "cancelled"}


def tag() -> str:
    """A word no other test uses (letters only, so it is one search word)."""
    return "zq" + "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:10])


def submit(http: httpx.Client, prompt: str, **fields: Any) -> dict[str, Any]:
    body = {"prompt": prompt, "steps": 1, "size": "256x256", **fields}
    response = http.post("/api/jobs", json=body)
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    return job


def wait_status(
    http: httpx.Client, job_id: str, statuses: set[str], timeout: float = 180.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = http.get(f"/api/jobs/{job_id}").json()
        if job["status"] in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} stuck in {job['status']}, wanted {statuses}")
        time.sleep(0.05)


def wait_backed_off(http: httpx.Client, job_id: str, timeout: float = 180.0) -> dict[str, Any]:
    """Wait until a job was re-queued with a back-off (queued, ``run_after`` in the future)."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = http.get(f"/api/jobs/{job_id}").json()
        if job["status"] == "queued" and job["run_after"]:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} was not backed off: {job['status']}")
        time.sleep(0.05)


def wait_all(http: httpx.Client, jobs: list[dict[str, Any]], statuses: set[str]) -> None:
    for job in jobs:
        wait_status(http, job["id"], statuses)


def wait_operation(http: httpx.Client, operation_id: str, timeout: float = 180.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        operation: dict[str, Any] = http.get(f"/api/operations/{operation_id}").json()
        if operation["status"] in TERMINAL:
            return operation
        if time.monotonic() > deadline:
            raise AssertionError(f"operation {operation_id} stuck: {operation}")
        time.sleep(0.05)


def listed(http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = http.get("/api/jobs", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def ids_of(page: dict[str, Any]) -> list[str]:
    return [j["id"] for j in page["items"]]


def problem_fields(response: httpx.Response) -> list[str]:
    """The field names a 422 names."""
    assert response.status_code == 422, response.text
    return [str(d["loc"][-1]) for d in response.json()["detail"]]
