"""Secrets live in the keyring or the environment, never the database; this machine has no
keyring, and the API says so plainly."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import ServerProcess


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def test_settings_report_where_secrets_come_from(http: httpx.Client, backend: str) -> None:
    body = http.get("/api/settings").json()
    assert body["database_backend"] == ("sqlite" if backend == "sqlite" else "postgresql")
    assert body["keyring"]["usable"] is False
    assert "environment variables" in body["keyring"]["reason"]
    openai = next(s for s in body["secrets"] if s["name"] == "openai_api_key")
    assert openai["source"] == "unset"
    assert "OPENAI_API_KEY" in openai["environment"]
    assert "value" not in openai


def test_storing_a_secret_without_a_keyring_explains_the_alternative(http: httpx.Client) -> None:
    response = http.put("/api/secrets/openai_api_key", json={"value": "sk-not-stored"})
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail["code"] == "no_keyring"
    assert "OPENAI_API_KEY" in detail["message"]
    assert "sk-not-stored" not in response.text
    assert http.put("/api/secrets/nope", json={"value": "x"}).status_code == 404


def test_connection_tests(http: httpx.Client) -> None:
    procedural = http.post("/api/providers/procedural/test").json()
    assert procedural["ok"] is True
    comfy = http.post("/api/providers/comfyui/test").json()
    assert comfy["ok"] is False and "GENFACTORY_COMFYUI_URL" in comfy["message"]
    openai = http.post("/api/providers/openai/test").json()
    assert openai["ok"] is False and "API key" in openai["message"]
    assert http.post("/api/providers/nope/test").status_code == 404
