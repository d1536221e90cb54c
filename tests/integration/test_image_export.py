"""``POST /api/images/export``: selected images as one streamed ZIP with a manifest, over
real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.management_support import submit, wait_status
from tests.support.server import ServerProcess


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def job_images(http: httpx.Client, prompt: str, count: int) -> list[dict[str, Any]]:
    job = submit(http, prompt, count=count, steps=2)
    wait_status(http, job["id"], {"completed"})
    found: list[dict[str, Any]] = http.get(f"/api/jobs/{job['id']}/images").json()
    return found


def manifest(archive: zipfile.ZipFile) -> list[dict[str, str]]:
    text = archive.read("manifest.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_selected_images_download_as_one_zip(http: httpx.Client) -> None:
    a = job_images(http, "a red barn in snow", 3)
    [b] = job_images(http, "a blue boat", 1)
    rejected = http.post(
        f"/api/images/{a[2]['id']}/qc", json={"status": "failed", "reason": "=HYPERLINK(1)"}
    )
    assert rejected.status_code == 200
    unknown = "f" * 32
    ids = [a[0]["id"], b["id"], unknown, a[2]["id"], a[0]["id"]]

    with http.stream("POST", "/api/images/export", json={"ids": ids}) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"] == "application/zip"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="images-') and ".zip" in disposition
        assert response.headers["x-images-found"] == "3"
        assert response.headers["x-images-missing"] == "1"
        assert "content-length" not in response.headers  # streamed as it is written
        body = response.read()

    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    expected = {
        f"images/{a[0]['job_id']}/1.png": a[0],
        f"images/{b['job_id']}/1.png": b,
        f"images/{a[2]['job_id']}/3.png": a[2],
    }
    assert sorted(archive.namelist()) == sorted([*expected, "manifest.csv"])
    for name, image in expected.items():
        assert archive.read(name) == http.get(image["url"]).content

    rows = manifest(archive)
    assert [r["image_id"] for r in rows] == [a[0]["id"], b["id"], unknown, a[2]["id"]]
    first = rows[0]
    assert first["file"] == f"images/{a[0]['job_id']}/1.png"
    assert (first["job_id"], first["number"], first["seed"]) == (
        a[0]["job_id"],
        "1",
        str(a[0]["seed"]),
    )
    assert (first["width"], first["height"], first["format"]) == ("256", "256", "png")
    assert first["bytes"] == str(a[0]["bytes"]) and first["qc_status"] == "passed"
    assert rows[2]["file"] == "" and rows[2]["note"] == "no image with this id"
    assert rows[3]["qc_status"] == "failed"
    assert rows[3]["qc_reason"] == "'=HYPERLINK(1)", "free text never becomes a formula"


def test_the_manifest_names_the_image_a_regeneration_replaced(http: httpx.Client) -> None:
    [image] = job_images(http, "a lone pine", 1)
    http.post(f"/api/images/{image['id']}/qc", json={"status": "failed"})
    assert http.post(f"/api/images/{image['id']}/regenerate", json={"seed": 99}).status_code == 202
    wait_status(http, image["job_id"], {"completed"}, timeout=60)  # queued when answered
    regenerations = http.get(f"/api/jobs/{image['job_id']}/regenerations").json()
    new_id = regenerations[0]["image_id"]
    assert new_id
    response = http.post("/api/images/export", json={"ids": [image["id"], new_id]})
    assert response.status_code == 200
    rows = manifest(zipfile.ZipFile(io.BytesIO(response.content)))
    assert [(r["number"], r["regenerated_from"]) for r in rows] == [
        ("1", ""),
        ("2", image["id"]),
    ]


@pytest.mark.parametrize(
    ("ids", "words"),
    [
        ([], "at least 1"),
        (["x"] * 10_001, "at most 10000"),
        (["not an id!"], "pattern"),
    ],
)
def test_bad_lists_are_refused(http: httpx.Client, ids: list[str], words: str) -> None:
    response = http.post("/api/images/export", json={"ids": ids})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"][:2] == ["body", "ids"]
    assert words in detail["msg"]


def test_only_unknown_ids_is_not_found(http: httpx.Client) -> None:
    response = http.post("/api/images/export", json={"ids": ["a" * 32, "b" * 32]})
    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "not_found"
    assert response.json()["detail"]["message"] == "No image has any of these 2 ids."


def test_a_missing_file_is_counted_as_missing(http: httpx.Client, server: ServerProcess) -> None:
    [kept, lost] = job_images(http, "two lanterns", 2)
    data = http.get(lost["url"]).content
    [path] = [p for p in (server.data_dir / "blobs").rglob("*.png") if p.read_bytes() == data]
    path.unlink()

    response = http.post("/api/images/export", json={"ids": [kept["id"], lost["id"]]})
    assert response.status_code == 200
    assert response.headers["x-images-found"] == "2"
    assert response.headers["x-images-missing"] == "1"
    assert response.headers["x-image-files-missing"] == "1"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == [f"images/{kept['job_id']}/1.png", "manifest.csv"]
    rows = manifest(archive)
    assert rows[1]["note"] == "the image file is missing from the data folder"

    spec = http.get("/openapi.json").json()
    headers = spec["paths"]["/api/images/export"]["post"]["responses"]["200"]["headers"]
    assert {"X-Images-Missing", "X-Image-Files-Missing"} <= set(headers)
