"""Every stored image goes through the job's quality checks in the uploading stage."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from genfactory.client import Client
from tests.integration.helpers import all_events, wait_for
from tests.support.server import ServerProcess


@pytest.fixture
def client(server: ServerProcess) -> Iterator[Client]:
    with Client(server.url) as c:
        yield c


def test_images_pass_the_default_checks(client: Client) -> None:
    job = client.create_job("a harbour at dawn", size="256x256", steps=3, count=2)
    done = wait_for(client, job["id"], {"completed"})
    assert (done["images_passed"], done["images_failed"]) == (2, 0)
    images = client.images(job["id"])
    assert {i["qc_status"] for i in images} == {"passed"}
    image_events = [e for e in all_events(client, job["id"]) if e["type"] == "image"]
    assert [e["data"]["qc_status"] for e in image_events] == ["passed", "passed"]
    listed = next(j for j in client.list_jobs(limit=25)["items"] if j["id"] == job["id"])
    assert (listed["images_passed"], listed["images_failed"]) == (2, 0)
    log = [e["data"]["message"] for e in all_events(client, job["id"]) if e["type"] == "log"]
    assert any("Quality checks: 2 passed, 0 failed" in m for m in log)


def test_a_configuration_threshold_fails_images_with_a_reason(
    client: Client, server: ServerProcess
) -> None:
    name = f"strict {uuid.uuid4().hex[:6]}"
    created = httpx.post(
        f"{server.url}/api/configurations",
        json={"name": name, "settings": {"size": "256x256", "steps": 2, "qc": {"min_detail": 500}}},
    )
    assert created.status_code == 201, created.text
    job = client.create_job("strict checks", configuration=name)
    assert job["params"]["qc"] == {"min_detail": 500}
    done = wait_for(client, job["id"], {"completed"})
    assert done["images_failed"] == 1 and done["images_passed"] == 0
    image = client.images(job["id"])[0]
    assert image["qc_status"] == "failed"
    assert image["qc_reason"] and "detail" in image["qc_reason"].lower()


def test_invalid_qc_settings_are_refused(server: ServerProcess) -> None:
    response = httpx.post(
        f"{server.url}/api/configurations",
        json={"name": f"bad {uuid.uuid4().hex[:6]}", "settings": {"qc": {"min_detail": "lots"}}},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "qc"
