"""Statistics for the current filter (the five cards), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.integration.management_support import (
    submit,
    tag,
    wait_all,
    wait_backed_off,
    wait_status,
)
from tests.support.server import ServerProcess


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def stats(http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = http.get("/api/jobs/stats", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_cards_rates_queue_status_and_trend(http: httpx.Client) -> None:
    word = tag()
    done = [submit(http, f"{word} ok {n}") for n in range(3)]
    failed = submit(http, f"{word} refused", faults={"reject": True})
    slow = submit(http, f"{word} slow", steps=60, faults={"step_delay": 0.5})
    waiting = submit(
        http, f"{word} throttled", faults={"rate_limit_at_step": 1, "retry_after": 600}
    )
    wait_all(http, done, {"completed"})
    wait_status(http, failed["id"], {"failed"})
    wait_status(http, slow["id"], {"running"})
    http.post(f"/api/jobs/{slow['id']}/cancel")
    wait_backed_off(http, waiting["id"])
    try:
        cards = stats(http, q=word)
        assert cards["total"]["count"] == 6
        assert cards["completed"] == {"count": 3, "rate": 0.6, "statuses": ["completed"]}
        assert cards["failed"]["count"] == 1 and cards["failed"]["rate"] == 0.2
        assert cards["cancelled"]["count"] == 1
        assert cards["running"]["count"] == 0
        assert cards["running"]["statuses"] == ["running", "uploading"]
        pending = cards["pending"]
        assert (pending["count"], pending["runnable"], pending["waiting"]) == (1, 0, 1)
        assert pending["next_run_at"] is not None
        assert cards["by_status"]["queued"] == 1 and cards["by_status"]["uploading"] == 0
        trend = cards["total"]["trend"]
        assert trend["basis"] == "last_7_days"
        assert (trend["current"], trend["previous"], trend["change"]) == (6, 0, 6)
        assert trend["change_percent"] is None

        only_failed = stats(http, q=word, status="failed")
        assert only_failed["total"]["count"] == 1 and only_failed["completed"]["count"] == 0

        today = datetime.now(UTC).date()
        ranged = stats(http, q=word, **{"from": today.isoformat(), "to": today.isoformat()})
        assert ranged["total"]["count"] == 6
        assert ranged["total"]["trend"]["basis"] == "range"
        assert ranged["total"]["trend"]["previous"] == 0
        assert ranged["total"]["trend"]["previous_from"].startswith(
            (today - timedelta(days=1)).isoformat()
        )
        assert stats(http, q=word, **{"to": today.isoformat()})["total"]["count"] == 6
    finally:
        http.post(f"/api/jobs/{waiting['id']}/cancel")


def test_running_and_runnable_pending(http: httpx.Client) -> None:
    word = tag()
    slow = [
        submit(http, f"{word} busy {n}", steps=100, faults={"step_delay": 0.3}) for n in range(2)
    ]
    try:
        wait_all(http, slow, {"running"})
        queued = submit(http, f"{word} next in line")
        cards = stats(http, q=word)
        assert cards["running"]["count"] == 2
        assert cards["pending"]["count"] == 1 and cards["pending"]["runnable"] == 1
        assert cards["pending"]["waiting"] == 0
    finally:
        for job in slow:
            http.post(f"/api/jobs/{job['id']}/cancel")
    wait_status(http, queued["id"], {"completed"})
    after = stats(http, q=word)
    assert after["completed"]["count"] == 1 and after["cancelled"]["count"] == 2


def test_whole_table_statistics_add_up(http: httpx.Client) -> None:
    everything = stats(http)
    assert everything["total"]["count"] == sum(everything["by_status"].values())
    listed = http.get("/api/jobs", params={"page_size": 1}).json()
    assert listed["total"] == everything["total"]["count"]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "sideways"},
        {"from": "2024-05-02", "to": "2024-05-01"},
        {"from": "not a date"},
        {"q": "y" * 300},
    ],
)
def test_bad_filters_are_422(http: httpx.Client, params: dict[str, str]) -> None:
    assert http.get("/api/jobs/stats", params=params).status_code == 422
