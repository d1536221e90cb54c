"""``GET /api/images?id_prefix=``: images found by the start of their id (the CLI's short
image ids), against a real server."""

from __future__ import annotations

import httpx

from genfactory.client import Client
from tests.integration.helpers import wait_for
from tests.support.server import ServerProcess


def test_find_images_by_id_prefix(server: ServerProcess) -> None:
    with Client(server.url) as client:
        job = client.create_job("prefix route", size="256x256", steps=2)
        wait_for(client, job["id"], {"completed"})
        image = client.images(job["id"])[0]
    found = httpx.get(f"{server.url}/api/images", params={"id_prefix": image["id"][:10]})
    assert found.status_code == 200
    assert found.json() == [{"id": image["id"], "job_id": job["id"], "index": 0}]
    prefix = image["id"][:10]
    if prefix != prefix.upper():
        upper = httpx.get(f"{server.url}/api/images", params={"id_prefix": prefix.upper()})
        assert upper.json() == []  # ids are case-sensitive, on SQLite too
    short = httpx.get(f"{server.url}/api/images", params={"id_prefix": "abc"})
    assert short.status_code == 422
