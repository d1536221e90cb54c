"""``genfactory images``: list a job's images, regenerate a failed one, download a ZIP —
the CLI against a real server."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import httpx

from genfactory.client import Client
from tests.integration.helpers import wait_for
from tests.integration.test_cli import cli
from tests.support.server import ServerProcess


def _job_with_a_rejected_image(
    server: ServerProcess,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with Client(server.url) as client:
        job = client.create_job("three lighthouses", size="256x256", steps=2, count=2)
        wait_for(client, job["id"], {"completed"})
        images = client.images(job["id"])
    with httpx.Client(base_url=server.url, timeout=30) as http:
        rejected = http.post(
            f"/api/images/{images[1]['id']}/qc", json={"status": "failed", "reason": "wrong sky"}
        )
        assert rejected.status_code == 200, rejected.text
    return job, images


def test_list_shows_each_image_with_its_verdict_and_filters_by_qc(server: ServerProcess) -> None:
    job, images = _job_with_a_rejected_image(server)
    listed = cli(server, "images", "list", job["id"])
    assert listed.returncode == 0, listed.stderr
    assert images[0]["id"] in listed.stdout and images[1]["id"] in listed.stdout
    assert "wrong sky" in listed.stdout and "2 images" in listed.stdout
    failed = cli(server, "images", "list", job["id"], "--qc", "failed")
    assert failed.returncode == 0, failed.stderr
    assert images[1]["id"] in failed.stdout and images[0]["id"] not in failed.stdout
    assert "1 image" in failed.stdout
    unknown = cli(server, "images", "list", "f" * 32)
    assert unknown.returncode == 1 and "404" in unknown.stderr


def test_list_never_cuts_a_seed(server: ServerProcess) -> None:
    """Seeds are copied from here to --seed: whole in 80 columns beside a long reason, and
    in a terminal too narrow for the table (which then wraps the lines itself)."""
    with Client(server.url) as client:
        job = client.create_job("wide seeds", size="256x256", steps=2, count=2, seed=2147483000)
        wait_for(client, job["id"], {"completed"})
        images = client.images(job["id"])
    with httpx.Client(base_url=server.url, timeout=30) as http:
        reason = "the sky is the wrong colour and the horizon leans to the left"
        rejected = http.post(
            f"/api/images/{images[1]['id']}/qc", json={"status": "failed", "reason": reason}
        )
        assert rejected.status_code == 200, rejected.text
    for columns in (80, 60):
        listed = cli(server, "images", "list", job["id"], columns=columns)
        assert listed.returncode == 0, listed.stderr
        rows = listed.stdout.splitlines()
        for image in images:
            row = next(line for line in rows if image["id"] in line)
            assert f" {image['seed']} " in row, listed.stdout
        if columns == 80:
            assert max(len(line) for line in rows) <= 80, listed.stdout
            assert "leans to the left" in " ".join(" ".join(rows).split())


def test_regenerate_follow_makes_a_new_image_and_says_its_verdict(server: ServerProcess) -> None:
    job, images = _job_with_a_rejected_image(server)
    done = cli(
        server, "images", "regenerate", images[1]["id"], "--seed", "4242", "--follow", timeout=120
    )
    assert "seed 4242" in done.stdout, done.stdout + done.stderr
    with Client(server.url) as client:
        after = client.images(job["id"])
    assert len(after) == 3 and after[2]["seed"] == 4242
    assert f"new image 3 ({after[2]['id']}): {after[2]['qc_status']}" in done.stdout
    assert done.returncode == (0 if after[2]["qc_status"] == "passed" else 1)
    # A passed image cannot be regenerated: the server's reason, exit 1.
    refused = cli(server, "images", "regenerate", images[0]["id"])
    assert refused.returncode == 1 and "409" in refused.stderr


def test_export_writes_the_zip_with_a_manifest(server: ServerProcess, tmp_path: Path) -> None:
    job, images = _job_with_a_rejected_image(server)
    target = tmp_path / "picked.zip"
    done = cli(server, "images", "export", images[0]["id"], "nope", "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert str(target) in done.stdout.replace("\n", "")
    assert done.stdout.startswith("1 image → ")  # the unknown id is not counted
    assert "1 id matched no image (see manifest.csv in the ZIP)" in done.stderr
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert f"images/{job['id']}/1.png" in names or any(
        n.startswith(f"images/{job['id']}/1.") for n in names
    )
    assert [row["image_id"] for row in manifest] == [images[0]["id"], "nope"]
    assert not list(tmp_path.glob(".*.part")), "no partial file is left behind"
