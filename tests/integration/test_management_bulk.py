"""Bulk delete, bulk rerun, tracked operations and Excel exports, over real HTTP on SQLite
and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.management_support import (
    ids_of,
    listed,
    submit,
    tag,
    wait_all,
    wait_operation,
    wait_status,
)
from tests.support.server import ServerProcess


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def blob(server: ServerProcess, sha256: str, fmt: str) -> Path:
    return server.data_dir / "blobs" / sha256[:2] / sha256[2:4] / f"{sha256}.{fmt}"


def images(http: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    response = http.get(f"/api/jobs/{job_id}/images")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


# -- delete -------------------------------------------------------------------------------


def test_delete_keeps_files_a_rerun_still_uses(http: httpx.Client, server: ServerProcess) -> None:
    word = tag()
    original = submit(http, f"{word} shared pixels", seed=4242)
    wait_status(http, original["id"], {"completed"})
    rerun = http.post("/api/jobs/bulk/rerun", json={"ids": [original["id"]]}).json()
    copy_id = rerun["jobs"][0]["job_id"]
    # Done in its request: a completed operation says when it ran, like the long ones.
    operation = rerun["operation"]
    assert operation["status"] == "completed"
    assert operation["started_at"] is not None
    assert operation["started_at"] <= operation["finished_at"]
    wait_status(http, copy_id, {"completed"})
    [first] = images(http, original["id"])
    [second] = images(http, copy_id)
    assert first["sha256"] == second["sha256"], "same snapshot, same seed: same bytes"
    files = [blob(server, first["sha256"], "png")]
    assert all(f.exists() for f in files)

    gone = http.post("/api/jobs/bulk/delete", json={"ids": [original["id"]]}).json()
    assert gone["deleted"] == 1 and gone["deleted_ids"] == [original["id"]]
    assert gone["files_removed"] == 0, "the rerun's image still refers to the files"
    assert all(f.exists() for f in files)
    assert http.get(f"/api/jobs/{original['id']}").status_code == 404
    assert http.get(f"/api/jobs/{original['id']}/events").status_code == 404
    assert http.get(f"/api/images/{first['id']}/file").status_code == 404
    assert http.get(f"/api/images/{second['id']}/file").status_code == 200

    last = http.post("/api/jobs/bulk/delete", json={"ids": [copy_id]}).json()
    assert last["deleted"] == 1 and last["files_removed"] == 2  # the image and its thumbnail
    assert not any(f.exists() for f in files)


def test_delete_skips_running_and_unknown_jobs(http: httpx.Client) -> None:
    word = tag()
    finished = submit(http, f"{word} short")
    wait_status(http, finished["id"], {"completed"})
    running = submit(http, f"{word} long", steps=150, faults={"step_delay": 1.0})
    wait_status(http, running["id"], {"running"})
    result = http.post(
        "/api/jobs/bulk/delete", json={"ids": [running["id"], finished["id"], "no-such-job"]}
    ).json()
    assert result["deleted_ids"] == [finished["id"]]
    skipped = {s["id"]: s for s in result["skipped"]}
    assert skipped[running["id"]]["status"] in ("running", "uploading")
    assert "cancel it first" in skipped[running["id"]]["reason"]
    assert skipped["no-such-job"]["status"] is None
    assert http.get(f"/api/jobs/{running['id']}").json()["status"] in ("running", "uploading")
    http.post(f"/api/jobs/{running['id']}/cancel")
    again = http.post("/api/jobs/bulk/delete", json={"ids": [running["id"]]}).json()
    assert again["deleted"] == 1


def test_delete_by_filter_needs_the_count_the_person_saw(http: httpx.Client) -> None:
    word = tag()
    jobs = [submit(http, f"{word} batch {n}") for n in range(3)]
    keep = submit(http, f"{word} keeper", label="keep me")
    wait_all(http, [*jobs, keep], {"completed"})
    selection = {"filter": {"q": f"{word} batch"}}
    missing = http.post("/api/jobs/bulk/delete", json=selection)
    assert missing.status_code == 422
    assert "matches 3" in missing.json()["detail"][0]["msg"]
    stale = http.post("/api/jobs/bulk/delete", json={**selection, "expected_count": 2})
    assert stale.status_code == 409
    assert "now matches 3 jobs, not 2" in stale.json()["detail"]["message"]
    assert listed(http, q=word)["total"] == 4, "nothing deleted"
    done = http.post("/api/jobs/bulk/delete", json={**selection, "expected_count": 3}).json()
    assert sorted(done["deleted_ids"]) == sorted(j["id"] for j in jobs)
    assert ids_of(listed(http, q=word)) == [keep["id"]]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": ["a"], "filter": {}},
        {"ids": "abc"},
        {"ids": [""]},
        {"ids": ["x"] * 10_001},
        {"filter": {"status": ["nope"]}, "expected_count": 1},
        {"filter": {"from": "2024-02-02", "to": "2024-02-01"}, "expected_count": 0},
        {"filter": {"colour": "red"}, "expected_count": 0},
        {"filter": {}, "expected_count": -1},
    ],
)
def test_bad_bulk_requests_are_422(http: httpx.Client, body: dict[str, Any]) -> None:
    for route in ("/api/jobs/bulk/delete", "/api/jobs/bulk/rerun", "/api/exports"):
        response = http.post(route, json=body)
        assert response.status_code == 422, (route, body, response.text)


# -- rerun --------------------------------------------------------------------------------


def test_rerun_queues_copies_in_the_given_order(http: httpx.Client) -> None:
    word = tag()
    sources = [submit(http, f"{word} source {n}", label=f"L{n}", seed=100 + n) for n in range(3)]
    wait_all(http, sources, {"completed"})
    order = [sources[2]["id"], sources[0]["id"], sources[1]["id"]]
    response = http.post("/api/jobs/bulk/rerun", json={"ids": [*order, "missing-id"]})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["operation"]["kind"] == "rerun" and body["operation"]["status"] == "completed"
    assert [r["source_id"] for r in body["jobs"]] == order
    assert [s["id"] for s in body["skipped"]] == ["missing-id"]
    positions = [r["queue_position"] for r in body["jobs"] if r["queue_position"] is not None]
    assert positions == sorted(positions)
    copies = [http.get(f"/api/jobs/{r['job_id']}").json() for r in body["jobs"]]
    assert [c["rerun_of"] for c in copies] == order
    assert [c["created_at"] for c in copies] == sorted(c["created_at"] for c in copies)
    for copy, source_id in zip(copies, order, strict=True):
        source = next(s for s in sources if s["id"] == source_id)
        assert copy["params"]["seed"] == source["params"]["seed"]
        assert copy["label"] == source["label"] and copy["prompt"] == source["prompt"]
    wait_all(http, copies, {"completed"})


def test_rerun_of_many_is_a_tracked_operation_with_a_live_stream(http: httpx.Client) -> None:
    word = tag()
    sources = [submit(http, f"{word} many {n}", faults={"reject": True}) for n in range(105)]
    wait_all(http, sources, {"failed"})
    response = http.post(
        "/api/jobs/bulk/rerun", json={"filter": {"q": word}, "expected_count": 105}
    )
    assert response.status_code == 202, response.text
    operation = response.json()["operation"]
    assert response.json()["jobs"] is None
    final = wait_operation(http, operation["id"])
    assert final["status"] == "completed" and final["done"] == final["total"] == 105
    assert final["percent"] == 100.0
    created = final["result"]["jobs"]
    assert [c["source_id"] for c in created] == [s["id"] for s in sources], "oldest first"
    with http.stream("GET", f"/api/operations/{operation['id']}/events/stream") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    assert "event: operation" in text and '"status":"completed"' in text.replace(" ", "")
    wait_all(http, [{"id": c["job_id"]} for c in created], {"failed"})


def test_operation_routes_404_for_unknown_ids(http: httpx.Client) -> None:
    for method, path in [
        ("GET", "/api/operations/nope"),
        ("POST", "/api/operations/nope/cancel"),
        ("GET", "/api/operations/nope/events/stream"),
        ("GET", "/api/exports/nope/download"),
        ("POST", "/api/jobs/nope/export"),
    ]:
        response = http.request(method, path)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["detail"]["code"] == "not_found"


# -- export -------------------------------------------------------------------------------


def sheet_rows(book: bytes, name: str) -> list[list[str]]:
    """The text of each row of a sheet (XlsxWriter writes inline strings in this mode)."""
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        workbook = z.read("xl/workbook.xml").decode()
        sheets = re.findall(r'<sheet name="([^"]+)" sheetId="(\d+)"', workbook)
        number = dict(sheets)[name]
        xml = z.read(f"xl/worksheets/sheet{number}.xml").decode()
    rows = []
    for row in re.findall(r"<row [^>]*>(.*?)</row>", xml, flags=re.S):
        values: dict[int, str] = {}
        for ref, content in re.findall(r'<c r="([A-Z]+)\d+"[^>]*?(?:/>|>(.*?)</c>)', row, re.S):
            column = 0
            for letter in ref:
                column = column * 26 + ord(letter) - ord("A") + 1
            values[column - 1] = re.sub(r"<[^>]+>", "", content)
        width = max(values, default=-1) + 1
        rows.append([values.get(i, "") for i in range(width)])
    return rows


def test_export_by_filter_to_excel(http: httpx.Client) -> None:
    word = tag()
    jobs = [
        submit(http, f"{word} export one", label="First", count=2, seed=7),
        submit(http, f"=cmd|' /C calc'!A0 {word} formula-looking prompt"),
        submit(http, f"{word} refused", faults={"reject": True}),
    ]
    wait_all(http, jobs, {"completed", "failed"})
    response = http.post(
        "/api/exports",
        json={"filter": {"q": word, "status": ["completed"]}, "time_zone": "Asia/Kolkata"},
    )
    assert response.status_code == 202, response.text
    operation = wait_operation(http, response.json()["id"])
    assert operation["status"] == "completed", operation
    assert operation["result"]["jobs"] == 2 and operation["result"]["images"] == 3
    download = http.get(operation["result"]["download_url"])
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert ".xlsx" in download.headers["content-disposition"]
    book = download.content
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        names = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode())
        assert names == ["Jobs", "Images", "Filters"]
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode(), "no formulas"
    job_rows = sheet_rows(book, "Jobs")
    header = job_rows[0]
    for column in ("Job ID", "Prompt", "Status", "Seed", "Duration (s)", "Images"):
        assert column in header
    assert "Created (Asia/Kolkata)" in header and "Finished (Asia/Kolkata)" in header
    assert len(job_rows) == 3
    prompts = {row[header.index("Prompt")] for row in job_rows[1:]}
    assert any(p.startswith("=cmd") for p in prompts), "written as text"
    image_rows = sheet_rows(book, "Images")
    # Each job's images by verdict agree with the Images sheet.
    verdicts = [row[image_rows[0].index("QC status")] for row in image_rows[1:]]
    for status in ("passed", "failed", "pending"):
        counted = sum(int(row[header.index(f"QC {status}")]) for row in job_rows[1:])
        assert counted == verdicts.count(status.capitalize()), status  # "Passed", as on pages
    assert {row[header.index("Status")] for row in job_rows[1:]} == {"Completed"}
    assert image_rows[0][:3] == ["Image ID", "Job ID", "Image"] and len(image_rows) == 4
    assert "QC status" in image_rows[0] and "File" in image_rows[0]
    filters = {row[0]: row[1] for row in sheet_rows(book, "Filters")[1:]}
    assert filters["q"] == word and filters["status"] == "Completed"
    assert "exported at (Asia/Kolkata)" in filters


def test_an_export_in_an_unknown_time_zone_is_refused(http: httpx.Client) -> None:
    job = submit(http, f"{tag()} zone")
    for response in (
        http.post("/api/exports", json={"ids": [job["id"]], "time_zone": "Mars/Olympus"}),
        http.post(f"/api/jobs/{job['id']}/export", params={"time_zone": "../../etc/passwd"}),
    ):
        assert response.status_code == 422, response.text
        problem = response.json()
        assert "Unknown time zone" in json.dumps(problem)
        assert "time_zone" in json.dumps(problem)


def test_export_one_job_as_zip_with_images(http: httpx.Client) -> None:
    word = tag()
    job = submit(http, f"{word} zipped", count=2)
    wait_status(http, job["id"], {"completed"})
    response = http.post(f"/api/jobs/{job['id']}/export", params={"include_images": "true"})
    assert response.status_code == 202, response.text
    operation = wait_operation(http, response.json()["id"])
    assert operation["status"] == "completed", operation
    archive = http.get(f"/api/exports/{operation['id']}/download")
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        names = set(z.namelist())
        assert "jobs.xlsx" in names
        assert {f"images/{job['id']}/1.png", f"images/{job['id']}/2.png"} <= names
        rows = sheet_rows(z.read("jobs.xlsx"), "Images")
    assert rows[1][rows[0].index("File")] == f"images/{job['id']}/1.png"
    # A finished operation stays as it is when cancelled.
    cancelled = http.post(f"/api/operations/{operation['id']}/cancel").json()
    assert cancelled["status"] == "completed"
    recent = http.get("/api/operations", params={"limit": 5}).json()
    assert operation["id"] in [o["id"] for o in recent]
