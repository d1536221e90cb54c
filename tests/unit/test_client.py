"""``genfactory.client``: refusals read as sentences, and short job ids resolve to one job
or to none, never to the wrong one."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from genfactory.client import ApiError, Client


def test_validation_errors_read_without_pydantics_prefix() -> None:
    """Older servers send "Value error, " before our own checks' messages."""
    detail = [
        {
            "loc": ["body", "prompt"],
            "msg": "Value error, Prompt must not be empty.",
            "type": "value_error",
        },
        {"loc": ["body", "steps"], "msg": "Input should be greater than 0", "type": "greater_than"},
        {"loc": ["body"], "msg": "Value error, Give a prompt.", "type": "value_error"},
    ]
    assert str(ApiError(422, detail)) == (
        "HTTP 422: prompt: Prompt must not be empty.; steps: Input should be greater than 0; "
        "Give a prompt."
    )
    assert str(ApiError(404, {"message": "No job with id 'x'."})) == "HTTP 404: No job with id 'x'."


def _api_with(jobs: list[dict[str, Any]]) -> Client:
    """A client whose server lists ``jobs`` for any search, 100 to a page, as GET /api/jobs
    does for a hex word: jobs whose id starts with it and jobs that have it as a word."""

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/jobs"
        limit = int(request.url.params["limit"])
        offset = int(request.url.params.get("offset", "0"))
        ordered = jobs if request.url.params.get("order") == "asc" else jobs[::-1]
        page = ordered[offset : offset + limit]
        return httpx.Response(200, json={"items": page, "total": len(jobs)})

    client = Client("http://api.test")
    client.http = httpx.Client(base_url="http://api.test", transport=httpx.MockTransport(handler))
    return client


def _job(prefix: str = "") -> dict[str, str]:
    return {"id": (prefix + uuid.uuid4().hex)[:32]}


def test_a_short_id_is_looked_up_past_the_first_page() -> None:
    """A hex word like "facade" in 150 newer prompts must not hide the jobs whose ids start
    with it, nor make one of two such jobs look like the only one."""
    mentions = [_job("0") for _ in range(150)]
    one = _job("facade")
    with _api_with([one, *mentions]) as client:
        assert client.resolve_job_id("facade") == one["id"]
    two = [_job("facade"), *mentions, _job("facade")]
    with _api_with(two) as client, pytest.raises(ApiError) as ambiguous:
        client.resolve_job_id("facade")
    assert ambiguous.value.status == 409 and "More than one job" in str(ambiguous.value)
    with _api_with(mentions) as client, pytest.raises(ApiError) as unknown:
        client.resolve_job_id("facade")
    assert unknown.value.status == 404


def test_a_prefix_too_short_to_look_up_says_so() -> None:
    with _api_with([_job("5a9f")]) as client, pytest.raises(ApiError) as short:
        client.resolve_job_id("5a9f")
    assert "give at least 6 characters" in str(short.value)
