"""Renames, manual reviews and deletions reach live views: ``label`` and ``qc`` events on
the job's and the global stream (resumable like every event), a ``jobs_deleted`` notice
on the global stream (WebSocket and SSE), a ``not_found`` reset on a deleted job's own
stream — in this process and, through the shared database, in another one."""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from genfactory.client import _parse_sse
from tests.integration.management_support import submit, wait_status
from tests.support.databases import create_database, drop_database
from tests.support.server import ServerProcess

Frame = dict[str, Any]


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def completed_job(http: httpx.Client, prompt: str, **fields: Any) -> dict[str, Any]:
    job = submit(http, prompt, **fields)
    return wait_status(http, job["id"], {"completed"})


def global_cursor(http: httpx.Client) -> int:
    return int(http.get("/api/events").json()["last_id"])


def job_events(http: httpx.Client, job_id: str, after: int = 0) -> list[Frame]:
    found: list[Frame] = http.get(f"/api/jobs/{job_id}/events", params={"after": after}).json()[
        "events"
    ]
    return found


def read_until(ws: ClientConnection, wanted: Callable[[Frame], bool], timeout: float = 20) -> Frame:
    """The first frame ``wanted`` accepts (pings and other jobs' events are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("the wanted frame did not arrive")
        frame: Frame = json.loads(ws.recv(timeout=left))
        if wanted(frame):
            return frame


class SseReader:
    """Reads one SSE stream in a thread; each message (fields as sent) lands in a queue."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.headers = headers or {}
        self.messages: queue.Queue[dict[str, str]] = queue.Queue()
        self._response: httpx.Response | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SseReader:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopped = True
        if self._response is not None:
            with contextlib.suppress(Exception):
                self._response.close()
        self._thread.join(5)

    def _run(self) -> None:
        with (
            contextlib.suppress(Exception),
            httpx.stream(
                "GET", self.url, headers=self.headers, timeout=httpx.Timeout(10, read=60)
            ) as response,
        ):
            self._response = response
            for message in _parse_sse(response.iter_lines()):
                if self._stopped:
                    return
                self.messages.put(message)

    def until(
        self, wanted: Callable[[dict[str, str]], bool], timeout: float = 20
    ) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the wanted SSE message did not arrive from {self.url}")
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if wanted(message):
                return message


def is_label(job_id: str, label: str) -> Callable[[Frame], bool]:
    return lambda f: (
        f.get("type") == "label" and f["job_id"] == job_id and f["data"]["label"] == label
    )


def sse_label(job_id: str, label: str) -> Callable[[dict[str, str]], bool]:
    return lambda m: (
        "data" in m and "event" not in m and is_label(job_id, label)(json.loads(m["data"]))
    )


# -- rename ---------------------------------------------------------------------------------


def test_a_rename_is_a_label_event_on_both_streams_and_resumes_exactly(
    http: httpx.Client, server: ServerProcess
) -> None:
    job = completed_job(http, "live rename", label="Before")
    start = global_cursor(http)
    with connect(f"{server.ws_url}/api/events/ws?after={start}", open_timeout=5) as ws:
        assert json.loads(ws.recv(timeout=5))["control"] == "hello"
        renamed = http.patch(f"/api/jobs/{job['id']}", json={"label": "After"}).json()
        frame = read_until(ws, lambda f: f.get("job_id") == job["id"])
    assert frame["type"] == "label", "the rename is the first thing the global stream says"
    assert frame["data"] == {"label": "After", "previous": "Before"}
    assert frame["id"] > start and frame["seq"] == job["last_seq"] + 1
    # The job's own log: the label event (it is the timeline's line too).
    mine = job_events(http, job["id"], after=job["last_seq"])
    assert [e["type"] for e in mine] == ["label"]
    assert mine[0] == frame and renamed["last_seq"] == mine[-1]["seq"]

    # Resume across it: the job's SSE from Last-Event-ID = the seq before the rename …
    with SseReader(
        f"{server.url}/api/jobs/{job['id']}/events/stream",
        {"Last-Event-ID": str(job["last_seq"])},
    ) as sse:
        message = sse.until(lambda m: "data" in m)
        assert message["id"] == str(frame["seq"]) and json.loads(message["data"]) == frame
    # … and the global SSE from the id before it gets it; from its own id, not again.
    with SseReader(f"{server.url}/api/events/stream", {"Last-Event-ID": str(start)}) as sse:
        message = sse.until(sse_label(job["id"], "After"))
        assert message["id"] == str(frame["id"])
    with SseReader(f"{server.url}/api/events/stream", {"Last-Event-ID": str(frame["id"])}) as sse:
        time.sleep(0.3)
        http.patch(f"/api/jobs/{job['id']}", json={"label": "Again"})
        message = sse.until(lambda m: "data" in m and json.loads(m["data"])["job_id"] == job["id"])
        assert json.loads(message["data"])["data"] == {"label": "Again", "previous": "After"}

    # The same label again is no change: nothing appended.
    same = http.patch(f"/api/jobs/{job['id']}", json={"label": "Again"}).json()
    assert same["last_seq"] == job_events(http, job["id"])[-1]["seq"]
    assert [e["type"] for e in job_events(http, job["id"], after=renamed["last_seq"])] == ["label"]


# -- manual review ------------------------------------------------------------------------------


def test_a_manual_review_is_a_qc_event_with_the_jobs_new_counts(http: httpx.Client) -> None:
    job = completed_job(http, "live review", count=2)
    images = http.get(f"/api/jobs/{job['id']}/images").json()
    items = images["items"] if isinstance(images, dict) else images
    first = min(items, key=lambda i: i["index"])
    start = global_cursor(http)
    response = http.post(
        f"/api/images/{first['id']}/qc", json={"status": "failed", "reason": "too dark"}
    )
    assert response.status_code == 200, response.text
    page = http.get("/api/events", params={"after": start}).json()
    qc = [e for e in page["events"] if e["job_id"] == job["id"]]
    assert [e["type"] for e in qc] == ["qc"], "the global stream carries it (not the log line)"
    snapshot = http.get(f"/api/jobs/{job['id']}").json()
    assert qc[0]["data"] == {
        "image_id": first["id"],
        "index": first["index"],
        "qc_status": "failed",
        "previous": first["qc_status"],
        "reason": "too dark",
        "source": "manual",
        "passed": snapshot["images_passed"],
        "failed": snapshot["images_failed"],
        "pending": 2 - snapshot["images_passed"] - snapshot["images_failed"],
    }
    assert snapshot["images_failed"] >= 1
    types = [e["type"] for e in job_events(http, job["id"], after=job["last_seq"])]
    assert types == ["qc"]


# -- delete ---------------------------------------------------------------------------------


def test_a_bulk_delete_is_a_notice_on_the_global_stream_and_ends_the_jobs_streams(
    http: httpx.Client, server: ServerProcess
) -> None:
    doomed = [completed_job(http, f"live delete {n}") for n in range(2)]
    keeper = completed_job(http, "live delete keeper")
    ids = [j["id"] for j in doomed]
    start = global_cursor(http)
    with (
        connect(f"{server.ws_url}/api/events/ws", open_timeout=5) as global_ws,
        connect(
            f"{server.ws_url}/api/jobs/{ids[0]}/events/ws?after={doomed[0]['last_seq']}",
            open_timeout=5,
        ) as job_ws,
        SseReader(f"{server.url}/api/events/stream?after={start}") as global_sse,
        SseReader(
            f"{server.url}/api/jobs/{ids[1]}/events/stream?after={doomed[1]['last_seq']}"
        ) as job_sse,
    ):
        assert json.loads(global_ws.recv(timeout=5))["control"] == "hello"
        assert json.loads(job_ws.recv(timeout=5))["control"] == "hello"
        # Every stream is subscribed once it has passed on an event made after it opened.
        http.patch(f"/api/jobs/{keeper['id']}", json={"label": "Sentinel"})
        read_until(global_ws, is_label(keeper["id"], "Sentinel"))
        global_sse.until(sse_label(keeper["id"], "Sentinel"))
        for n, job in enumerate(doomed):
            http.patch(f"/api/jobs/{job['id']}", json={"label": f"Doomed {n}"})
        read_until(job_ws, is_label(ids[0], "Doomed 0"))
        job_sse.until(sse_label(ids[1], "Doomed 1"))

        result = http.post("/api/jobs/bulk/delete", json={"ids": [*ids, "0" * 32]}).json()
        assert result["deleted_ids"] == ids

        notice = read_until(global_ws, lambda f: f.get("control") == "notice")
        assert notice["type"] == "jobs_deleted"
        assert notice["data"] == {"job_ids": ids, "count": 2}
        assert notice["time"].endswith("Z")
        message = global_sse.until(lambda m: m.get("event") == "notice")
        assert "id" not in message, "a notice must not move Last-Event-ID"
        assert json.loads(message["data"]) == {k: v for k, v in notice.items() if k != "control"}

        reset = read_until(job_ws, lambda f: "control" in f and f["control"] != "ping")
        assert reset == {
            "control": "reset",
            "code": "not_found",
            "message": "This job was deleted.",
            "last_seq": None,
        }
        with pytest.raises(ConnectionClosed) as closed:
            job_ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
        message = job_sse.until(lambda m: m.get("event") == "reset")
        assert json.loads(message["data"])["code"] == "not_found"

    # The global stream goes on after a notice, with events as before.
    start = global_cursor(http)
    with connect(f"{server.ws_url}/api/events/ws?after={start}", open_timeout=5) as ws:
        assert json.loads(ws.recv(timeout=5))["control"] == "hello"
        http.patch(f"/api/jobs/{keeper['id']}", json={"label": "Still here"})
        assert read_until(ws, is_label(keeper["id"], "Still here"))["id"] > start


def test_nothing_deleted_sends_no_notice(http: httpx.Client, server: ServerProcess) -> None:
    keeper = completed_job(http, "live delete nothing")
    with connect(f"{server.ws_url}/api/events/ws", open_timeout=5) as ws:
        assert json.loads(ws.recv(timeout=5))["control"] == "hello"
        http.patch(f"/api/jobs/{keeper['id']}", json={"label": "Ready"})
        read_until(ws, is_label(keeper["id"], "Ready"))
        assert http.post("/api/jobs/bulk/delete", json={"ids": ["0" * 32]}).json()["deleted"] == 0
        http.patch(f"/api/jobs/{keeper['id']}", json={"label": "Next"})
        frame = read_until(
            ws, lambda f: f.get("control") == "notice" or is_label(keeper["id"], "Next")(f)
        )
        assert frame.get("control") != "notice"


# -- another process ------------------------------------------------------------------------


@pytest.fixture
def two_api_nodes(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two ``genfactory serve`` processes on one database (the second without workers)."""
    name = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    else:
        request.getfixturevalue("postgres_url")
        name, url = create_database()
    first = ServerProcess(tmp_path / "first", url, workers=1).start()
    second = None
    try:
        second = ServerProcess(tmp_path / "second", url, workers=0).start()
        yield first, second
    finally:
        if second is not None:
            second.stop()
        first.stop()
        if name is not None:
            drop_database(name)


def test_another_process_streams_renames_and_on_postgresql_deletions(
    two_api_nodes: tuple[ServerProcess, ServerProcess], backend: str
) -> None:
    first, second = two_api_nodes
    with httpx.Client(base_url=first.url, timeout=30) as one:
        jobs = [completed_job(one, f"two nodes {n}") for n in range(2)]
        with connect(f"{second.ws_url}/api/events/ws", open_timeout=5) as ws:
            assert json.loads(ws.recv(timeout=5))["control"] == "hello"
            one.patch(f"/api/jobs/{jobs[0]['id']}", json={"label": "Renamed on node one"})
            frame = read_until(ws, is_label(jobs[0]["id"], "Renamed on node one"))
            assert frame["data"]["previous"] is None
            if backend != "postgres":
                return  # SQLite: one API process; notices travel only within it (docs)
            deleted = one.post("/api/jobs/bulk/delete", json={"ids": [jobs[1]["id"]]}).json()
            assert deleted["deleted"] == 1
            notice = read_until(ws, lambda f: f.get("control") == "notice")
            assert notice["data"] == {"job_ids": [jobs[1]["id"]], "count": 1}


def test_the_notice_channel_ignores_a_malformed_payload(
    two_api_nodes: tuple[ServerProcess, ServerProcess], backend: str
) -> None:
    """A stray NOTIFY on the channel must not stop the node from streaming."""
    if backend != "postgres":
        pytest.skip("PostgreSQL only: SQLite has no NOTIFY")
    first, second = two_api_nodes
    assert first.database_url is not None
    dsn = first.database_url.replace("postgresql+asyncpg://", "postgresql://")
    subprocess.run(
        ["psql", dsn, "-c", "NOTIFY genfactory_notices, 'not json'"],
        check=True,
        capture_output=True,
    )
    with httpx.Client(base_url=first.url, timeout=30) as one:
        job = completed_job(one, "after a stray notify")
        with connect(f"{second.ws_url}/api/events/ws", open_timeout=5) as ws:
            assert json.loads(ws.recv(timeout=5))["control"] == "hello"
            one.patch(f"/api/jobs/{job['id']}", json={"label": "Still streaming"})
            read_until(ws, is_label(job["id"], "Still streaming"))
