"""Regenerating a failed image over real HTTP, on SQLite and PostgreSQL: a new image in the
same job through the normal worker path, the refusals, a provider that gives up and a
cancel part-way — the job ends ``completed`` every time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.helpers import assert_gap_free, statuses
from tests.integration.management_support import submit, wait_status
from tests.support.server import ServerProcess

FAST = {"size": "256x256", "steps": 2}


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def completed_job(http: httpx.Client, prompt: str, **fields: Any) -> dict[str, Any]:
    job = submit(http, prompt, **{**FAST, **fields})
    return wait_status(http, job["id"], {"completed"})


def wait_job(http: httpx.Client, job_id: str, wanted: set[str]) -> dict[str, Any]:
    return wait_status(http, job_id, wanted, timeout=60)


def images(http: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = http.get(f"/api/jobs/{job_id}/images").json()
    return found


def reject(http: httpx.Client, image_id: str) -> None:
    response = http.post(f"/api/images/{image_id}/qc", json={"status": "failed", "reason": "bad"})
    assert response.status_code == 200, response.text


def regenerate(http: httpx.Client, image_id: str, **body: Any) -> httpx.Response:
    return http.post(f"/api/images/{image_id}/regenerate", json=body or None)


def events_after(http: httpx.Client, job_id: str, seq: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = http.get(
        f"/api/jobs/{job_id}/events", params={"after": seq, "limit": 1000}
    ).json()["events"]
    return found


def test_regenerate_makes_a_new_checked_image_in_the_same_job(http: httpx.Client) -> None:
    job = completed_job(http, "a harbour at dawn", count=2)
    first, second = images(http, job["id"])
    reject(http, second["id"])
    before = http.get(f"/api/jobs/{job['id']}").json()

    response = regenerate(http, second["id"], seed=12345)
    assert response.status_code == 202, response.text
    queued = response.json()
    regeneration = queued["regeneration"]
    assert regeneration["status"] == "pending"
    assert (regeneration["source_image_id"], regeneration["source_index"]) == (second["id"], 1)
    assert regeneration["seed"] == 12345 and regeneration["image_id"] is None
    assert queued["job"]["status"] == "queued"
    assert queued["job"]["attempt"] == job["attempt"] + 1

    done = wait_job(http, job["id"], {"completed"})
    assert done["image_count"] == 3 and done["error"] is None
    assert (done["images_passed"], done["images_failed"]) == (2, 1)
    after = images(http, job["id"])
    assert [i["id"] for i in after[:2]] == [first["id"], second["id"]]
    assert after[1]["qc_status"] == "failed", "the failed image stays"
    new = after[2]
    assert (new["index"], new["seed"], new["qc_status"]) == (2, 12345, "passed")
    assert new["sha256"] not in (first["sha256"], second["sha256"])

    [listed] = http.get(f"/api/jobs/{job['id']}/regenerations").json()
    assert listed["id"] == regeneration["id"]
    assert (listed["status"], listed["image_id"], listed["image_index"]) == (
        "completed",
        new["id"],
        2,
    )
    assert listed["qc_status"] == "passed" and listed["finished_at"]
    again = regenerate(http, second["id"])
    assert again.status_code == 409
    assert again.json()["detail"]["message"] == (
        "Image 2 was already replaced by image 3; regenerate image 3 if it failed too."
    )

    # The timeline: back in the queue with the reason, the normal run, one new image.
    new_events = events_after(http, job["id"], before["last_seq"])
    assert_gap_free(new_events, start=before["last_seq"] + 1)
    assert statuses(new_events) == ["queued", "running", "uploading", "completed"]
    reasons = [e["data"]["reason"] for e in new_events if e["type"] == "status"]
    assert reasons[0] == "Regenerating image 2 with seed 12345"
    assert reasons[-1] == "Image 2 regenerated as image 3 (seed 12345): passed"
    image_events = [e["data"] for e in new_events if e["type"] == "image"]
    assert [(e["image_id"], e["index"], e["seed"]) for e in image_events] == [(new["id"], 2, 12345)]
    assert any(e["type"] == "progress" for e in new_events)


def test_the_new_image_is_checked_against_the_jobs_other_images(http: httpx.Client) -> None:
    job = completed_job(http, "two lanterns by a river")
    [image] = images(http, job["id"])
    reject(http, image["id"])
    # The same seed makes the same picture: a near-duplicate of image 1, so it fails.
    assert regenerate(http, image["id"], seed=image["seed"]).status_code == 202
    done = wait_job(http, job["id"], {"completed"})
    assert (done["image_count"], done["images_failed"]) == (2, 2)
    new = images(http, job["id"])[1]
    assert new["qc_status"] == "failed"
    assert "duplicate" in (new["qc_reason"] or "").lower()
    last = events_after(http, job["id"], done["last_seq"] - 1)[-1]
    assert last["data"]["reason"].endswith(f"(seed {image['seed']}): failed")


def test_a_random_seed_is_chosen_when_none_is_given(http: httpx.Client) -> None:
    job = completed_job(http, "a quiet meadow")
    [image] = images(http, job["id"])
    reject(http, image["id"])
    response = http.post(f"/api/images/{image['id']}/regenerate")  # no body at all
    assert response.status_code == 202, response.text
    seed = response.json()["regeneration"]["seed"]
    assert 0 <= seed <= 2**31 - 1
    wait_job(http, job["id"], {"completed"})
    assert images(http, job["id"])[1]["seed"] == seed


def test_refusals_say_why(http: httpx.Client) -> None:
    missing = regenerate(http, "0" * 32)
    assert missing.status_code == 404
    assert missing.json()["detail"]["code"] == "not_found"

    job = completed_job(http, "a passing picture", faults={"step_delay": 0.1}, steps=6)
    [image] = images(http, job["id"])
    passed = regenerate(http, image["id"])
    assert passed.status_code == 409
    assert passed.json()["detail"]["code"] == "conflict"
    assert "only a failed image" in passed.json()["detail"]["message"]

    bad = regenerate(http, image["id"], seed=-1)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "seed"
    unknown_field = regenerate(http, image["id"], colour="red")
    assert unknown_field.status_code == 422

    reject(http, image["id"])
    assert regenerate(http, image["id"]).status_code == 202
    busy = regenerate(http, image["id"])  # the job is queued or running for the first one
    assert busy.status_code == 409
    message = busy.json()["detail"]["message"]
    assert "once it has completed" in message and "The job is " in message
    wait_job(http, job["id"], {"completed"})
    assert len(http.get(f"/api/jobs/{job['id']}/regenerations").json()) == 1
    assert http.get(f"/api/jobs/{'0' * 32}/regenerations").status_code == 404


def test_a_provider_that_refuses_leaves_the_job_completed(http: httpx.Client) -> None:
    # The first attempt works; the regeneration (attempt 2) is rejected (not retryable).
    job = completed_job(http, "refused later", faults={"reject": True, "attempts": [2]})
    [image] = images(http, job["id"])
    reject(http, image["id"])
    assert regenerate(http, image["id"], seed=7).status_code == 202
    done = wait_job(http, job["id"], {"completed", "failed"})
    assert done["status"] == "completed"
    assert done["image_count"] == 1 and done["error"] is None
    assert len(images(http, job["id"])) == 1
    [regeneration] = http.get(f"/api/jobs/{job['id']}/regenerations").json()
    assert regeneration["status"] == "failed"
    assert regeneration["error"]["code"] == "rejected" and regeneration["image_id"] is None

    new_events = events_after(http, job["id"], job["last_seq"])
    assert statuses(new_events) == ["queued", "running", "completed"]
    errors = [e for e in new_events if e["type"] == "error"]
    assert [e["data"]["code"] for e in errors] == ["rejected"]
    final = new_events[-1]["data"]
    assert final["error"]["code"] == "rejected"
    assert final["reason"].startswith("Regenerating image 1 failed: ")
    assert final["reason"].endswith("the job keeps its 1 image")


def test_retryable_errors_use_up_the_attempts_then_the_job_is_completed(
    http: httpx.Client,
) -> None:
    faults = {"unavailable_at_step": 1, "attempts": [2, 3, 4]}
    job = completed_job(http, "unavailable later", faults=faults)
    [image] = images(http, job["id"])
    reject(http, image["id"])
    response = regenerate(http, image["id"])
    assert response.status_code == 202
    assert response.json()["job"]["max_attempts"] == 4  # attempt 2 + two automatic retries
    done = wait_job(http, job["id"], {"completed", "failed"})
    assert done["status"] == "completed" and done["attempt"] == 4
    new_events = events_after(http, job["id"], job["last_seq"])
    assert statuses(new_events) == [
        "queued",
        *["running", "queued"] * 2,
        "running",
        "completed",
    ]
    assert "no attempts left (4/4)" in new_events[-1]["data"]["reason"]
    [regeneration] = http.get(f"/api/jobs/{job['id']}/regenerations").json()
    assert (regeneration["status"], regeneration["error"]["code"]) == ("failed", "unavailable")
    assert len(images(http, job["id"])) == 1


def test_cancel_during_a_regeneration_returns_the_job_to_completed(http: httpx.Client) -> None:
    job = completed_job(http, "slow to redo", steps=30, faults={"step_delay": 0.05})
    [image] = images(http, job["id"])
    reject(http, image["id"])
    assert regenerate(http, image["id"]).status_code == 202
    wait_job(http, job["id"], {"running"})
    cancelled = http.post(f"/api/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "completed"
    assert cancelled.json()["image_count"] == 1
    [regeneration] = http.get(f"/api/jobs/{job['id']}/regenerations").json()
    assert regeneration["status"] == "cancelled" and regeneration["image_id"] is None
    time.sleep(2.0)  # the worker stops; nothing it had made is stored afterwards
    done = http.get(f"/api/jobs/{job['id']}").json()
    assert done["status"] == "completed" and done["image_count"] == 1
    assert len(images(http, job["id"])) == 1
    new_events = events_after(http, job["id"], job["last_seq"])
    assert statuses(new_events) == ["queued", "running", "completed"]
    assert not [e for e in new_events if e["type"] == "image"]
    assert new_events[-1]["data"]["reason"] == (
        "Regeneration of image 1 cancelled by request; the job keeps its 1 image"
    )
    # A completed job cannot be cancelled (again); it can be regenerated again.
    assert http.post(f"/api/jobs/{job['id']}/cancel").status_code == 409
    assert regenerate(http, image["id"]).status_code == 202
    assert wait_job(http, job["id"], {"completed"})["image_count"] == 2
