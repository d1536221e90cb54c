"""Submit, complete, cancel, retry, rerun — over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from io import BytesIO

import httpx
import pytest
from PIL import Image

from genfactory.client import ApiError, Client
from tests.integration.helpers import all_events, assert_gap_free, statuses, wait_for
from tests.support.server import ServerProcess


@pytest.fixture
def client(server: ServerProcess) -> Iterator[Client]:
    with Client(server.url) as c:
        yield c


def test_submit_runs_to_completion_with_every_event(client: Client, server: ServerProcess) -> None:
    job = client.create_job("a lighthouse at dusk", size="256x256", steps=8, count=2, seed=42)
    assert job["status"] == "queued"
    assert job["last_seq"] == 1
    assert job["attempt"] == 1 and job["max_attempts"] == 3
    assert job["links"]["events_ws"] == f"/api/jobs/{job['id']}/events/ws"

    done = wait_for(client, job["id"], {"completed"})
    assert done["image_count"] == 2
    assert done["progress"]["percent"] == 100.0
    events = all_events(client, job["id"])
    assert_gap_free(events)
    assert events[-1]["seq"] == done["last_seq"]
    assert statuses(events) == ["queued", "running", "uploading", "completed"]
    types = {e["type"] for e in events}
    assert {"status", "progress", "preview", "image"} <= types
    percents = [e["data"]["percent"] for e in events if e["type"] == "progress"]
    assert percents == sorted(percents), "progress went backwards"

    images = client.images(job["id"])
    assert [i["index"] for i in images] == [0, 1]
    assert [i["seed"] for i in images] == [42, 43]
    for image in images:
        response = httpx.get(server.url + image["url"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        assert "immutable" in response.headers["cache-control"]
        assert Image.open(BytesIO(response.content)).size == (256, 256)
        thumb = httpx.get(server.url + image["thumbnail_url"])
        assert thumb.headers["content-type"] == "image/webp"
        assert max(Image.open(BytesIO(thumb.content)).size) <= 256
        # A client holding the bytes asks again with their ETag: 304, no body; HEAD works.
        for url, got in ((image["url"], response), (image["thumbnail_url"], thumb)):
            etag = got.headers["etag"]
            again = httpx.get(server.url + url, headers={"If-None-Match": f'W/"x", {etag}'})
            assert (again.status_code, again.content) == (304, b"")
            assert again.headers["etag"] == etag
            other = httpx.get(server.url + url, headers={"If-None-Match": '"something-else"'})
            assert other.status_code == 200 and other.content == got.content
            head = httpx.head(server.url + url)
            assert head.status_code == 200 and head.content == b""
            assert head.headers["content-length"] == str(len(got.content))


def test_preview_urls_are_versioned_and_older_versions_redirect(
    client: Client, server: ServerProcess
) -> None:
    job = client.create_job("preview please", size="256x256", steps=10)
    wait_for(client, job["id"], {"completed"})
    previews = [e for e in all_events(client, job["id"]) if e["type"] == "preview"]
    assert len(previews) >= 2
    versions = [p["data"]["version"] for p in previews]
    assert versions == sorted(set(versions))
    newest = httpx.get(server.url + previews[-1]["data"]["url"])
    assert newest.status_code == 200
    assert newest.headers["content-type"] in ("image/webp", "image/jpeg", "image/png")
    assert "immutable" in newest.headers["cache-control"]
    old = httpx.get(server.url + previews[0]["data"]["url"], follow_redirects=False)
    assert old.status_code == 307
    assert old.headers["location"] == previews[-1]["data"]["url"]
    unchanged = httpx.get(
        server.url + previews[-1]["data"]["url"], headers={"If-None-Match": newest.headers["etag"]}
    )
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    # A version not made (yet) is not there: no redirect to an older picture.
    ahead = f"/api/jobs/{job['id']}/preview/{versions[-1] + 1}"
    assert httpx.get(server.url + ahead, follow_redirects=False).status_code == 404


def test_cancel_reaches_a_running_job_within_a_second(client: Client) -> None:
    job = client.create_job("slow one", size="256x256", steps=100, faults={"step_delay": 0.2})
    wait_for(client, job["id"], {"running"})
    time.sleep(0.5)
    started = time.monotonic()
    cancelled = client.cancel(job["id"])
    assert cancelled["status"] == "cancelled"
    # The provider stops: no progress after the cancelled status, even a while later.
    time.sleep(1.0)
    events = all_events(client, job["id"])
    assert_gap_free(events)
    cancel_at = next(
        e["seq"] for e in events if e["type"] == "status" and e["data"]["status"] == "cancelled"
    )
    assert all(e["seq"] <= cancel_at for e in events), "events after cancel"
    assert time.monotonic() - started < 2.5
    assert client.get_job(job["id"])["status"] == "cancelled"
    with pytest.raises(ApiError) as refused:
        client.cancel(job["id"])
    assert refused.value.status == 409
    assert refused.value.detail["code"] == "illegal_transition"
    assert "already cancelled" in refused.value.detail["message"]


def test_retryable_failure_is_retried_automatically(client: Client) -> None:
    job = client.create_job(
        "flaky provider",
        size="256x256",
        steps=6,
        faults={"rate_limit_at_step": 3, "attempts": [1], "retry_after": 0.3},
    )
    done = wait_for(client, job["id"], {"completed", "failed"})
    assert done["status"] == "completed"
    assert done["attempt"] == 2 and done["max_attempts"] == 3
    assert done["error"] is None, "attempt 1's error is in the log, not on a job that succeeded"
    events = all_events(client, job["id"])
    assert_gap_free(events)
    assert statuses(events) == ["queued", "running", "queued", "running", "uploading", "completed"]
    error = next(e for e in events if e["type"] == "error")
    assert error["data"]["code"] == "rate_limited"
    assert error["data"]["retryable"] is True
    assert error["data"]["attempt"] == 1
    requeued = [e for e in events if e["type"] == "status"][2]
    assert requeued["data"]["attempt"] == 2


def test_attempts_run_out_then_manual_retry_starts_a_new_attempt(client: Client) -> None:
    job = client.create_job(
        "always times out",
        size="256x256",
        steps=4,
        faults={"timeout_at_step": 2, "attempts": [1, 2, 3]},
    )
    failed = wait_for(client, job["id"], {"failed", "completed"})
    assert failed["status"] == "failed"
    assert failed["attempt"] == 3
    assert failed["error"]["code"] == "timeout"
    retried = client.retry(job["id"])
    assert retried["status"] == "queued"
    assert retried["attempt"] == 4
    done = wait_for(client, job["id"], {"completed", "failed"})
    assert done["status"] == "completed", done["error"]
    assert_gap_free(all_events(client, job["id"]))


def test_non_retryable_rejection_fails_at_once_and_refuses_retry(client: Client) -> None:
    job = client.create_job("forbidden", size="256x256", steps=4, faults={"reject": True})
    failed = wait_for(client, job["id"], {"failed", "completed"})
    assert failed["status"] == "failed"
    assert failed["attempt"] == 1
    assert failed["error"]["code"] == "rejected"
    assert failed["error"]["retryable"] is False
    with pytest.raises(ApiError) as refused:
        client.retry(job["id"])
    assert refused.value.status == 409
    assert "rejected" in refused.value.detail["message"]


def test_crash_in_provider_is_an_internal_error(client: Client) -> None:
    job = client.create_job(
        "bug", size="256x256", steps=4, faults={"crash_at_step": 2, "attempts": [1]}
    )
    done = wait_for(client, job["id"], {"completed", "failed"})
    assert done["status"] == "completed"
    error = next(e for e in all_events(client, job["id"]) if e["type"] == "error")
    assert error["data"]["code"] == "internal"
    assert error["data"]["message"] == (
        "The procedural provider failed unexpectedly (RuntimeError: Injected crash at step 2)."
        " The server log has the details."
    )


def test_retry_of_a_running_job_and_cancel_of_a_completed_job_are_refused(client: Client) -> None:
    job = client.create_job("busy", size="256x256", steps=50, faults={"step_delay": 0.05})
    wait_for(client, job["id"], {"running"})
    with pytest.raises(ApiError) as refused:
        client.retry(job["id"])
    assert refused.value.status == 409
    client.cancel(job["id"])
    quick = client.create_job("quick", size="256x256", steps=2)
    wait_for(client, quick["id"], {"completed"})
    with pytest.raises(ApiError) as done:
        client.cancel(quick["id"])
    assert done.value.status == 409
    assert "already completed" in done.value.detail["message"]


def test_rerun_copies_the_snapshot_and_keeps_lineage(client: Client) -> None:
    source = client.create_job("rerun me", size="256x256", steps=3, seed=7, label="original")
    wait_for(client, source["id"], {"completed"})
    rerun = client.rerun(source["id"])
    assert rerun["id"] != source["id"]
    assert rerun["rerun_of"] == source["id"]
    assert rerun["params"] == source["params"]
    assert rerun["label"] == "original"
    wait_for(client, rerun["id"], {"completed"})
    a = client.images(source["id"])[0]
    b = client.images(rerun["id"])[0]
    assert a["sha256"] == b["sha256"], "same prompt and seed must give the same image"


def test_queued_job_reports_its_queue_position(client: Client, server: ServerProcess) -> None:
    blockers = [
        client.create_job("blocker", size="256x256", steps=40, faults={"step_delay": 0.05})
        for _ in range(2)
    ]
    waiting = client.create_job("third in line", size="256x256", steps=2)
    snapshot = client.get_job(waiting["id"])
    if snapshot["status"] == "queued":
        assert snapshot["queue_position"] >= 1
    running = wait_for(client, blockers[0]["id"], {"running"})
    time.sleep(0.3)
    running = client.get_job(blockers[0]["id"])
    assert running["queue_position"] is None
    if running["status"] == "running" and running["progress"]["percent"] > 0:
        assert running["eta_seconds"] is not None and running["eta_seconds"] >= 0
    for b in blockers:
        client.cancel(b["id"])
    wait_for(client, waiting["id"], {"completed"})


def test_list_jobs_newest_first_with_total(client: Client) -> None:
    ids = [client.create_job(f"listing {n}", size="256x256", steps=1)["id"] for n in range(3)]
    page = client.list_jobs(limit=3)
    assert [j["id"] for j in page["items"]] == ids[::-1]
    assert page["total"] >= 3
