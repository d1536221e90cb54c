"""Exact resume on every transport: reconnect with the last seq, get each missed event
exactly once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from genfactory.client import Client, _parse_sse
from tests.integration.helpers import all_events, assert_gap_free, wait_for
from tests.support.server import ServerProcess

TERMINAL = {"completed", "failed", "cancelled"}


@pytest.fixture
def client(server: ServerProcess) -> Iterator[Client]:
    with Client(server.url) as c:
        yield c


def _slow_job(client: Client, steps: int = 30) -> dict[str, Any]:
    return client.create_job("streaming", size="256x256", steps=steps, faults={"step_delay": 0.03})


def _is_end(event: dict[str, Any]) -> bool:
    return event["type"] == "status" and event["data"]["status"] in TERMINAL


def ws_read(
    server: ServerProcess, job_id: str, after: int, limit: int | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read up to ``limit`` events (or to the end of the job), then drop the connection."""
    got: list[dict[str, Any]] = []
    with connect(
        f"{server.ws_url}/api/jobs/{job_id}/events/ws?after={after}", open_timeout=5
    ) as ws:
        hello = json.loads(ws.recv(timeout=5))
        while limit is None or len(got) < limit:
            frame = json.loads(ws.recv(timeout=10))
            if "control" in frame:
                continue
            got.append(frame)
            if _is_end(frame):
                break
    return hello, got


def sse_read(
    server: ServerProcess, job_id: str, after: int, limit: int | None, *, header: bool = False
) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    params = {} if header else {"after": after}
    headers = {"Last-Event-ID": str(after)} if header else {}
    with httpx.stream(
        "GET",
        f"{server.url}/api/jobs/{job_id}/events/stream",
        params=params,
        headers=headers,
        timeout=httpx.Timeout(10, read=10),
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for message in _parse_sse(response.iter_lines()):
            if "data" not in message:
                continue
            envelope = json.loads(message["data"])
            assert message["id"] == str(envelope["seq"])
            got.append(envelope)
            if _is_end(envelope) or (limit is not None and len(got) >= limit):
                break
    return got


def test_websocket_resume_after_drop_has_no_gap_or_duplicate(
    client: Client, server: ServerProcess
) -> None:
    job = _slow_job(client)
    hello, first = ws_read(server, job["id"], job["last_seq"], limit=5)
    assert hello == {
        "control": "hello",
        "job_id": job["id"],
        "after": 1,
        "last_seq": hello["last_seq"],
    }
    time.sleep(0.2)  # events keep being appended while we are away
    _hello, rest = ws_read(server, job["id"], first[-1]["seq"], limit=None)
    received = first + rest
    assert_gap_free(received, start=2)
    assert _is_end(received[-1])
    assert received == all_events(client, job["id"])[1:]


def test_sse_resume_with_after_and_with_last_event_id(
    client: Client, server: ServerProcess
) -> None:
    job = _slow_job(client)
    first = sse_read(server, job["id"], 0, limit=6)
    second = sse_read(server, job["id"], first[-1]["seq"], limit=6, header=True)
    rest = sse_read(server, job["id"], second[-1]["seq"], limit=None)
    received = first + second + rest
    assert_gap_free(received)
    assert _is_end(received[-1])
    assert received == all_events(client, job["id"])


def test_sse_starts_with_retry_hint(server: ServerProcess, client: Client) -> None:
    job = client.create_job("hint", size="256x256", steps=1)
    with httpx.stream("GET", f"{server.url}/api/jobs/{job['id']}/events/stream", timeout=10) as r:
        first_lines = []
        for line in r.iter_lines():
            first_lines.append(line)
            if line.startswith("data:"):
                break
    assert "retry: 2000" in first_lines


def test_polling_resume_and_long_poll(client: Client, server: ServerProcess) -> None:
    job = _slow_job(client, steps=20)
    received: list[dict[str, Any]] = []
    after = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page = client.events(job["id"], after=after, wait=2)
        received += page["events"]
        if page["events"]:
            after = page["events"][-1]["seq"]
            assert page["last_seq"] >= after
        if received and _is_end(received[-1]):
            break
    assert_gap_free(received)
    assert received == all_events(client, job["id"])
    # Finished, nothing after the cursor: the answer comes at once, not after the wait.
    started = time.monotonic()
    empty = client.events(job["id"], after=after, wait=5)
    assert empty["events"] == [] and time.monotonic() - started < 2
    assert empty["status"] == "completed"


def test_long_poll_returns_as_soon_as_an_event_arrives(
    client: Client, server: ServerProcess
) -> None:
    job = client.create_job("waiting", size="256x256", steps=3, faults={"step_delay": 0.3})
    wait_for(client, job["id"], {"running"})
    snapshot = client.get_job(job["id"])
    started = time.monotonic()
    page = client.events(job["id"], after=snapshot["last_seq"], wait=10)
    assert page["events"], "long-poll returned empty"
    assert time.monotonic() - started < 5
    assert page["events"][0]["seq"] == snapshot["last_seq"] + 1


def test_refused_cursors_are_explicit_on_every_transport(
    client: Client, server: ServerProcess
) -> None:
    job = client.create_job("cursor", size="256x256", steps=1)
    done = wait_for(client, job["id"], TERMINAL)
    ahead = done["last_seq"] + 5
    poll = httpx.get(f"{server.url}/api/jobs/{job['id']}/events", params={"after": ahead})
    assert poll.status_code == 409
    assert poll.json()["detail"]["code"] == "cursor_ahead"
    assert poll.json()["detail"]["last_seq"] == done["last_seq"]

    with connect(f"{server.ws_url}/api/jobs/{job['id']}/events/ws?after={ahead}") as ws:
        reset = json.loads(ws.recv(timeout=5))
        assert reset["control"] == "reset" and reset["code"] == "cursor_ahead"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4409

    with httpx.stream(
        "GET",
        f"{server.url}/api/jobs/{job['id']}/events/stream",
        params={"after": ahead},
        timeout=10,
    ) as r:
        messages = list(_parse_sse(r.iter_lines()))
    resets = [m for m in messages if m.get("event") == "reset"]
    assert len(resets) == 1 and json.loads(resets[0]["data"])["code"] == "cursor_ahead"

    missing = "0" * 32
    assert httpx.get(f"{server.url}/api/jobs/{missing}/events").status_code == 404
    assert httpx.get(f"{server.url}/api/jobs/{missing}/events/stream").status_code == 404
    with connect(f"{server.ws_url}/api/jobs/{missing}/events/ws") as ws:
        reset = json.loads(ws.recv(timeout=5))
        assert reset["code"] == "not_found"


# "²" is a digit to str.isdigit that int() refuses; 5,000 nines are more digits than int()
# parses; 10**20 fits no database column. None may end in a server error.
MALFORMED_CURSORS = ["abc", "-1", "\u00b2", "9" * 5000, str(10**20), "1.5"]


@pytest.mark.parametrize("cursor", MALFORMED_CURSORS)
def test_a_malformed_cursor_is_refused_on_every_transport(
    client: Client, server: ServerProcess, cursor: str
) -> None:
    job = client.create_job("bad cursor", size="256x256", steps=1)
    header = {"Last-Event-ID": cursor.encode("latin-1")}
    for path in (f"/api/jobs/{job['id']}/events/stream", "/api/events/stream"):
        refused = httpx.get(f"{server.url}{path}", headers=header, timeout=10)
        assert refused.status_code == 422, (path, refused.text)
        [error] = refused.json()["detail"]
        assert error["loc"] == ["header", "last-event-id"] and "Last-Event-ID" in error["msg"]
    for path in (f"/api/jobs/{job['id']}/events/ws", "/api/events/ws"):
        with connect(f"{server.ws_url}{path}?{urlencode({'after': cursor})}") as ws:
            reset = json.loads(ws.recv(timeout=5))
            assert reset["control"] == "reset" and reset["code"] == "bad_cursor", reset
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    for path in (f"/api/jobs/{job['id']}/events", "/api/events"):
        assert httpx.get(f"{server.url}{path}", params={"after": cursor}).status_code == 422
    # The largest cursor every transport takes is still a cursor: refused as ahead, not bad.
    ahead = httpx.get(
        f"{server.url}/api/jobs/{job['id']}/events/stream",
        headers={"Last-Event-ID": str(2**53)},
        timeout=10,
    )
    assert ahead.status_code == 200 and "cursor_ahead" in ahead.text


def test_an_empty_last_event_id_is_no_cursor(client: Client, server: ServerProcess) -> None:
    """In the SSE standard an empty ``id:`` resets the last event ID: the stream starts
    where ``after`` says, as without the header."""
    job = client.create_job("empty cursor", size="256x256", steps=2)
    with httpx.stream(
        "GET",
        f"{server.url}/api/jobs/{job['id']}/events/stream",
        params={"after": 1},
        headers={"Last-Event-ID": ""},
        timeout=10,
    ) as response:
        assert response.status_code == 200
        first = next(m for m in _parse_sse(response.iter_lines()) if "data" in m)
    assert first["id"] == "2"


def test_many_concurrent_websocket_subscribers_see_the_same_log(
    client: Client, server: ServerProcess
) -> None:
    job = _slow_job(client, steps=15)
    results: list[list[dict[str, Any]]] = []

    def subscribe() -> None:
        results.append(ws_read(server, job["id"], 0, limit=None)[1])

    threads = [threading.Thread(target=subscribe) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    expected = all_events(client, job["id"])
    assert len(results) == 20
    assert all(r == expected for r in results)


def test_global_stream_carries_every_jobs_status_in_id_order(
    client: Client, server: ServerProcess
) -> None:
    start = httpx.get(f"{server.url}/api/events").json()["last_id"]
    jobs = [client.create_job(f"global {n}", size="256x256", steps=3) for n in range(3)]
    for j in jobs:
        wait_for(client, j["id"], {"completed"})
    seen: list[dict[str, Any]] = []
    after = start
    while True:
        page = httpx.get(f"{server.url}/api/events", params={"after": after, "limit": 7}).json()
        if not page["events"]:
            break
        seen += page["events"]
        after = page["last_id"]
    ids = [e["id"] for e in seen]
    assert ids == sorted(set(ids))
    assert {e["type"] for e in seen} <= {"status", "progress", "image", "error"}
    for j in jobs:
        mine = [e for e in seen if e["job_id"] == j["id"]]
        assert [e["data"]["status"] for e in mine if e["type"] == "status"] == [
            "queued",
            "running",
            "uploading",
            "completed",
        ]
    # The same events over WebSocket from the same cursor.
    with connect(f"{server.ws_url}/api/events/ws?after={start}") as ws:
        assert json.loads(ws.recv(timeout=5))["control"] == "hello"
        over_ws = [json.loads(ws.recv(timeout=5)) for _ in range(len(seen))]
    assert [e["id"] for e in over_ws] == ids
    # And over SSE, with id = global id.
    with httpx.stream(
        "GET", f"{server.url}/api/events/stream", params={"after": start}, timeout=10
    ) as r:
        over_sse = []
        for m in _parse_sse(r.iter_lines()):
            if "data" in m:
                over_sse.append(int(m["id"]))
                if len(over_sse) == len(ids):
                    break
    assert over_sse == ids


def test_a_global_cursor_past_every_id_is_refused_but_one_of_deleted_events_is_not(
    client: Client, server: ServerProcess
) -> None:
    job = client.create_job("newest, then deleted", size="256x256", steps=1)
    wait_for(client, job["id"], TERMINAL)
    head = httpx.get(f"{server.url}/api/events").json()["last_id"]
    # The newest events go with their job; their ids stay used, so a cursor among them is
    # still this log's (a page that saw them must simply go on).
    deleted = httpx.post(f"{server.url}/api/jobs/bulk/delete", json={"ids": [job["id"]]})
    assert deleted.status_code == 200, deleted.text
    kept = httpx.get(f"{server.url}/api/events", params={"after": head})
    assert kept.status_code == 200, kept.text

    # A cursor no event of this log ever had (another database, a restored backup): said so
    # on every transport, not served as "nothing new" forever.
    ahead = head + 1_000
    poll = httpx.get(f"{server.url}/api/events", params={"after": ahead})
    assert poll.status_code == 409 and poll.json()["detail"]["code"] == "cursor_ahead"
    assert poll.json()["detail"]["last_id"] <= head
    with connect(f"{server.ws_url}/api/events/ws?after={ahead}") as ws:
        reset = json.loads(ws.recv(timeout=5))
        assert reset["control"] == "reset" and reset["code"] == "cursor_ahead"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4409
    with httpx.stream(
        "GET", f"{server.url}/api/events/stream", headers={"Last-Event-ID": str(ahead)}, timeout=10
    ) as r:
        messages = list(_parse_sse(r.iter_lines()))
    resets = [m for m in messages if m.get("event") == "reset"]
    assert len(resets) == 1 and json.loads(resets[0]["data"])["code"] == "cursor_ahead"
