"""The optional vision check end to end: a real server whose OpenAI base URL points at the
local fake (``GENFACTORY_OPENAI_BASE_URL``), jobs from configurations that switch it on or
leave it off, and the verdict in the stored images."""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from genfactory.client import Client
from tests.fakes import ServerThread
from tests.fakes.openai_server import DEFAULT_KEY, FakeOpenAI
from tests.integration.helpers import all_events, wait_for
from tests.support.databases import own_database
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def openai_fake() -> Iterator[tuple[FakeOpenAI, ServerThread]]:
    fake = FakeOpenAI(DEFAULT_KEY)
    with ServerThread(fake.app) as thread:
        yield fake, thread


@pytest.fixture
def fake(openai_fake: tuple[FakeOpenAI, ServerThread]) -> FakeOpenAI:
    openai_fake[0].reset()
    return openai_fake[0]


@pytest.fixture(scope="module")
def vision_server(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    openai_fake: tuple[FakeOpenAI, ServerThread],
) -> Iterator[ServerProcess]:
    """A server (per backend) that sends vision checks to the fake, on a database of its
    own: on the shared one, the shared server's workers (which know nothing of the fake)
    would claim these jobs too."""
    env = {
        "GENFACTORY_OPENAI_BASE_URL": f"{openai_fake[1].url}/v1",
        "GENFACTORY_OPENAI_API_KEY": DEFAULT_KEY,
    }
    with own_database(backend) as database_url:
        proc = ServerProcess(
            tmp_path_factory.mktemp(f"vision-{backend}"), database_url, env=env
        ).start()
        try:
            yield proc
        finally:
            proc.stop()


@pytest.fixture
def client(vision_server: ServerProcess) -> Iterator[Client]:
    with Client(vision_server.url) as c:
        yield c


def configuration(server: ServerProcess, qc: dict[str, Any]) -> str:
    name = f"vision {uuid.uuid4().hex[:8]}"
    created = httpx.post(
        f"{server.url}/api/configurations",
        json={"name": name, "settings": {"size": "256x256", "steps": 2, "qc": qc}},
    )
    assert created.status_code == 201, created.text
    return name


def sent_image(body: dict[str, Any]) -> Image.Image:
    url = body["messages"][-1]["content"][1]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def test_the_vision_verdict_is_stored_with_the_image(
    client: Client, vision_server: ServerProcess, fake: FakeOpenAI
) -> None:
    vision = {"enabled": True, "model": "gpt-4.1", "min_score": 0.4}
    name = configuration(vision_server, {"vision": vision})
    fake.reply_next(
        "verdict", verdict={"passed": False, "score": 0.1, "reasons": ["Garbled text."]}
    )
    job = client.create_job("a shop sign that reads OPEN", configuration=name)
    assert job["params"]["qc"] == {"vision": vision}  # the snapshot keeps it
    done = wait_for(client, job["id"], {"completed"})
    assert (done["images_passed"], done["images_failed"]) == (0, 1)
    [image] = client.images(job["id"])
    assert image["qc_status"] == "failed"
    assert image["qc_reason"] == (
        "Vision check (gpt-4.1) rejected the image (score 0.10): Garbled text"
    )
    log = [e["data"]["message"] for e in all_events(client, job["id"]) if e["type"] == "log"]
    assert any("Quality checks: 0 passed, 1 failed" in m and "Garbled" in m for m in log)
    [request] = fake.chat_requests()
    assert request.authorized
    assert request.body["model"] == "gpt-4.1"
    assert "a shop sign that reads OPEN" in request.body["messages"][-1]["content"][0]["text"]
    assert sent_image(request.body).size == (256, 256)


def test_accepted_images_pass(
    client: Client, vision_server: ServerProcess, fake: FakeOpenAI
) -> None:
    name = configuration(vision_server, {"vision": {"enabled": True}})
    job = client.create_job("a lighthouse at dusk", configuration=name, count=2)
    done = wait_for(client, job["id"], {"completed"})
    assert (done["images_passed"], done["images_failed"]) == (2, 0)
    assert len(fake.chat_requests()) == 2  # one request per image


def test_without_vision_the_fake_gets_no_request(
    client: Client, vision_server: ServerProcess, fake: FakeOpenAI
) -> None:
    plain = client.create_job("no configuration", size="256x256", steps=2)
    named = configuration(vision_server, {"min_detail": 2.0, "vision": {"enabled": False}})
    off = client.create_job("vision switched off", configuration=named)
    for job in (plain, off):
        assert wait_for(client, job["id"], {"completed"})["images_passed"] == 1
    assert fake.requests == []


def test_an_unavailable_vision_check_keeps_the_built_in_verdict(
    client: Client, vision_server: ServerProcess, fake: FakeOpenAI
) -> None:
    name = configuration(vision_server, {"vision": {"enabled": True}})
    fake.fail_next("unauthorized")
    job = client.create_job("an owl", configuration=name)
    done = wait_for(client, job["id"], {"completed"})
    assert (done["status"], done["images_passed"]) == ("completed", 1)
    assert client.images(job["id"])[0]["qc_status"] == "passed"
    assert len(fake.chat_requests()) == 1  # a 401 is not retried
    log = vision_server.log_path.read_text()
    assert "vision QC could not judge 1 of 1 image(s)" in log
    assert "rejected the API key" in log
    assert DEFAULT_KEY not in log
    # The job's own timeline says so too, as a warning.
    warnings = [
        e["data"]["message"]
        for e in all_events(client, job["id"])
        if e["type"] == "log" and e["data"]["level"] == "warning"
    ]
    assert any("image 1:" in w and "API key" in w for w in warnings), warnings
    assert not any(DEFAULT_KEY in w for w in warnings)


def test_invalid_vision_settings_are_refused(vision_server: ServerProcess) -> None:
    response = httpx.post(
        f"{vision_server.url}/api/configurations",
        json={
            "name": f"bad vision {uuid.uuid4().hex[:6]}",
            "settings": {"qc": {"vision": {"enabled": True, "min_score": 2}}},
        },
    )
    assert response.status_code == 422
    assert "vision.min_score" in response.text
