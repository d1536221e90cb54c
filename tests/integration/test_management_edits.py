"""Rename, job images with manual review, saved filter presets, and the OpenAPI
documentation of the management routes — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.management_support import (
    listed,
    problem_fields,
    submit,
    tag,
    wait_status,
)
from tests.support.server import ServerProcess


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def events(http: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = http.get(f"/api/jobs/{job_id}/events").json()["events"]
    return found


def test_rename_trims_logs_and_leaves_the_status(http: httpx.Client) -> None:
    word = tag()
    job = submit(http, f"{word} to rename", label="Old")
    done = wait_status(http, job["id"], {"completed"})
    response = http.patch(f"/api/jobs/{job['id']}", json={"label": "  Spring hero  "})
    assert response.status_code == 200, response.text
    renamed = response.json()
    assert renamed["label"] == "Spring hero" and renamed["status"] == "completed"
    assert renamed["last_seq"] == done["last_seq"] + 1
    label = events(http, job["id"])[-1]
    assert label["type"] == "label"
    assert label["data"] == {"label": "Spring hero", "previous": "Old"}
    assert not [
        e for e in events(http, job["id"]) if e["seq"] > done["last_seq"] and e["type"] == "status"
    ]
    assert listed(http, q=f"{word} spring")["total"] == 1, "the search index follows the label"
    assert listed(http, q=f"{word} old")["total"] == 0
    assert http.patch(f"/api/jobs/{job['id']}", json={"label": "x" * 200}).status_code == 200


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"label": ""}, "must not be empty"),
        ({"label": "    "}, "must not be empty"),
        ({"label": "x" * 201}, "at most 200"),
        ({"label": "tab\\x07bell".replace("\\x07", "\x07")}, "control characters"),
        ({"label": "two\nlines"}, "one line"),
        ({"label": "a\tb"}, "one line"),
        ({"label": "a\u2028b"}, "one line"),
        ({"label": None}, "string"),
        ({}, "required"),
        ({"label": "ok", "status": "completed"}, "extra"),
    ],
)
def test_bad_labels_are_a_clear_422(http: httpx.Client, body: dict[str, Any], words: str) -> None:
    job = submit(http, f"{tag()} label check")
    response = http.patch(f"/api/jobs/{job['id']}", json=body)
    assert response.status_code == 422, response.text
    assert any(words in d["msg"].lower() for d in response.json()["detail"]), response.text


def test_rename_of_an_unknown_job_is_404(http: httpx.Client) -> None:
    response = http.patch("/api/jobs/no-such-job", json={"label": "fine"})
    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "not_found"


def test_images_filter_sort_and_manual_review(http: httpx.Client) -> None:
    job = submit(http, f"{tag()} three images", count=3)
    wait_status(http, job["id"], {"completed"})
    base = f"/api/jobs/{job['id']}/images"
    images = http.get(base).json()
    assert [i["index"] for i in images] == [0, 1, 2]
    assert all(i["qc_status"] in ("passed", "failed", "pending") for i in images)
    target = images[1]
    response = http.post(
        f"/api/images/{target['id']}/qc", json={"status": "failed", "reason": " too dark "}
    )
    assert response.status_code == 200, response.text
    reviewed = response.json()
    assert reviewed["qc_status"] == "failed" and reviewed["qc_reason"] == "too dark"
    assert reviewed["qc_source"] == "manual" and reviewed["qc_at"]
    failed = http.get(base, params={"qc_status": "failed"}).json()
    assert target["id"] in [i["id"] for i in failed]
    assert all(i["qc_status"] == "failed" for i in failed)
    by_quality = http.get(base, params={"sort": "quality"}).json()
    ranks = [{"passed": 0, "pending": 1, "failed": 2}[i["qc_status"]] for i in by_quality]
    assert ranks == sorted(ranks)
    assert by_quality[-1]["id"] == target["id"] or by_quality[-1]["qc_status"] == "failed"
    by_created = http.get(base, params={"sort": "created"}).json()
    assert sorted(i["id"] for i in by_created) == sorted(i["id"] for i in images)
    approved = http.post(f"/api/images/{target['id']}/qc", json={"status": "passed"}).json()
    assert approved["qc_status"] == "passed" and approved["qc_reason"] is None
    reviews = [e["data"] for e in events(http, job["id"]) if e["type"] == "qc"]
    assert [(r["index"], r["qc_status"]) for r in reviews] == [(1, "failed"), (1, "passed")]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/jobs/nope/images", {}, 404),
        ("POST", "/api/images/nope/qc", {"json": {"status": "passed"}}, 404),
    ],
)
def test_unknown_image_routes(
    http: httpx.Client, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    assert http.request(method, path, **kwargs).status_code == status


def test_bad_image_input_is_422(http: httpx.Client) -> None:
    job = submit(http, f"{tag()} one image")
    wait_status(http, job["id"], {"completed"})
    image = http.get(f"/api/jobs/{job['id']}/images").json()[0]
    base = f"/api/jobs/{job['id']}/images"
    assert "qc_status" in problem_fields(http.get(base, params={"qc_status": "great"}))
    assert "sort" in problem_fields(http.get(base, params={"sort": "size"}))
    qc = f"/api/images/{image['id']}/qc"
    assert "status" in problem_fields(http.post(qc, json={"status": "pending"}))
    assert "reason" in problem_fields(http.post(qc, json={"status": "failed", "reason": "r" * 501}))
    assert "mood" in problem_fields(http.post(qc, json={"status": "failed", "mood": "sad"}))


def test_presets_save_list_and_delete(http: httpx.Client) -> None:
    name = f"Failed this week {tag()}"
    body = {
        "name": name,
        "filter": {"status": ["failed", "stopped"], "from": "2024-01-01", "q": "fox"},
    }
    created = http.post("/api/presets", json=body)
    assert created.status_code == 201, created.text
    preset = created.json()
    assert preset["filter"] == {"status": ["failed", "stopped"], "from": "2024-01-01", "q": "fox"}
    assert preset in http.get("/api/presets").json()
    again = http.post("/api/presets", json=body)
    assert again.status_code == 409 and name in again.json()["detail"]["message"]
    assert http.delete(f"/api/presets/{preset['id']}").status_code == 204
    assert preset not in http.get("/api/presets").json()
    assert http.delete(f"/api/presets/{preset['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "filter": {}}, "name"),
        ({"name": "   ", "filter": {}}, "name"),
        ({"name": "n" * 101, "filter": {}}, "name"),
        ({"name": "x", "filter": {"status": ["exploded"]}}, "status"),
        ({"name": "x", "filter": {"from": "2024-02-02", "to": "2024-01-01"}}, "to"),
        ({"name": "x", "filter": {"shape": "round"}}, "shape"),
        ({"name": "x"}, "filter"),
    ],
)
def test_bad_presets_are_422(http: httpx.Client, body: dict[str, Any], field: str) -> None:
    assert field in problem_fields(http.post("/api/presets", json=body))


def test_every_management_route_documents_its_errors(http: httpx.Client) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    expected = {
        ("/api/jobs", "get"): {"200", "422"},
        ("/api/jobs/stats", "get"): {"200", "422"},
        ("/api/jobs/{job_id}", "patch"): {"200", "404", "422"},
        ("/api/jobs/{job_id}/images", "get"): {"200", "404", "422"},
        ("/api/jobs/{job_id}/export", "post"): {"202", "404", "422"},
        ("/api/jobs/bulk/delete", "post"): {"200", "409", "422"},
        ("/api/jobs/bulk/rerun", "post"): {"202", "409", "422"},
        ("/api/exports", "post"): {"202", "422"},
        ("/api/exports/{operation_id}/download", "get"): {"200", "404", "409", "410"},
        ("/api/operations", "get"): {"200", "422"},
        ("/api/operations/{operation_id}", "get"): {"200", "404"},
        ("/api/operations/{operation_id}/cancel", "post"): {"200", "404"},
        ("/api/operations/{operation_id}/events/stream", "get"): {"200", "404"},
        ("/api/images/{image_id}/qc", "post"): {"200", "404", "422"},
        ("/api/presets", "get"): {"200"},
        ("/api/presets", "post"): {"201", "409", "422"},
        ("/api/presets/{preset_id}", "delete"): {"204", "404"},
    }
    for (path, method), codes in expected.items():
        documented = set(paths[path][method]["responses"])
        assert codes <= documented, (path, method, documented)
