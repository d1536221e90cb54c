"""Server-side preferences (the Settings page's defaults and export preferences) over real
HTTP on SQLite and PostgreSQL: reading them before anything is saved, saving and reading
back, the 422s, and exports that follow them (ZIP or not, a copy in the folder).

Preferences are global to a server, so this module runs its own server on its own
database: the shared session server's exports stay as the other tests expect them."""

from __future__ import annotations

import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.management_support import submit, tag, wait_operation, wait_status
from tests.support.databases import own_database
from tests.support.server import ServerProcess

DEFAULT_PREFERENCES = {
    "defaults": {"configuration": None, "provider": None, "count": 1},
    "exports": {"include_images": False, "folder": None},
}


@pytest.fixture(scope="module")
def preferences_server(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server of its own, on a database nobody else writes preferences to."""
    with own_database(backend) as database_url:
        proc = ServerProcess(
            tmp_path_factory.mktemp(f"preferences-{backend}"), database_url
        ).start()
        try:
            yield proc
        finally:
            proc.stop()


@pytest.fixture
def http(preferences_server: ServerProcess) -> Iterator[httpx.Client]:
    """A client; the preferences are back to their defaults after each test."""
    with httpx.Client(base_url=preferences_server.url, timeout=60) as client:
        yield client
        for group, value in DEFAULT_PREFERENCES.items():
            client.put(f"/api/preferences/{group}", json=value).raise_for_status()


def errors_of(response: httpx.Response) -> dict[str, str]:
    """A 422 as {field: message}."""
    assert response.status_code == 422, response.text
    return {str(e["loc"][-1]): e["msg"] for e in response.json()["detail"]}


def create_configuration(http: httpx.Client, name: str, **settings: Any) -> None:
    response = http.post("/api/configurations", json={"name": name, "settings": settings})
    assert response.status_code == 201, response.text


def export(http: httpx.Client, path: str, **kw: Any) -> dict[str, Any]:
    response = http.post(path, **kw)
    assert response.status_code == 202, response.text
    operation = wait_operation(http, response.json()["id"])
    assert operation["status"] == "completed", operation
    return operation


# -- reading and saving -------------------------------------------------------------------


def test_nothing_saved_reads_as_the_defaults(preferences_server: ServerProcess) -> None:
    # Before any other test here saves (and the fixture writes the defaults back).
    with httpx.Client(base_url=preferences_server.url, timeout=30) as http:
        body = http.get("/api/preferences").json()
    assert {k: body[k] for k in DEFAULT_PREFERENCES} == DEFAULT_PREFERENCES
    assert body["updated_at"] == {} and body["notices"] == []


def test_defaults_are_saved_and_read_back(http: httpx.Client) -> None:
    name = f"Prefs {tag()}"
    create_configuration(http, name, size="256x256", steps=4)
    saved = {"configuration": name, "provider": "procedural", "count": 3}
    response = http.put("/api/preferences/defaults", json=saved)
    assert response.status_code == 200, response.text
    assert response.json()["defaults"] == saved
    body = http.get("/api/preferences").json()
    assert body["defaults"] == saved
    assert body["exports"] == DEFAULT_PREFERENCES["exports"]  # the other group is untouched
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", body["updated_at"]["defaults"])
    assert "exports" not in body["updated_at"]
    assert body["notices"] == []

    # Names are trimmed; an empty name is "none".
    response = http.put(
        "/api/preferences/defaults",
        json={"configuration": f"  {name} ", "provider": "", "count": 2},
    )
    assert response.json()["defaults"] == {"configuration": name, "provider": None, "count": 2}

    # A default configuration deleted later is reported, never an error.
    assert http.delete(f"/api/configurations/by-name/{name}").status_code == 204
    body = http.get("/api/preferences").json()
    assert body["defaults"]["configuration"] == name
    [notice] = body["notices"]
    assert notice["group"] == "defaults" and notice["field"] == "configuration"
    assert name in notice["message"] and "no longer exists" in notice["message"]


def test_an_unavailable_default_provider_is_saved_with_a_notice(http: httpx.Client) -> None:
    response = http.put("/api/preferences/defaults", json={"provider": "openai", "count": 1})
    assert response.status_code == 200, response.text
    [notice] = response.json()["notices"]
    assert notice["field"] == "provider" and "unavailable" in notice["message"]
    assert "OPENAI_API_KEY" in notice["message"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"configuration": "No such thing"},
            "configuration",
            "No configuration named “No such thing”",
        ),
        ({"provider": "dall-e-9"}, "provider", "Unknown provider “dall-e-9”"),
        ({"count": 0}, "count", "greater than or equal to 1"),
        ({"count": 17}, "count", "less than or equal to 16"),
        ({"count": "3"}, "count", "valid integer"),
        ({"count": 2.5}, "count", "valid integer"),
        ({"configuration": 5}, "configuration", "valid string"),
        ({"provider": "x" * 65}, "provider", "at most 64 characters"),
        ({"colour": "blue"}, "colour", "Extra inputs are not permitted"),
    ],
)
def test_bad_defaults_are_422_naming_the_field(
    http: httpx.Client, body: dict[str, Any], field: str, message: str
) -> None:
    errors = errors_of(http.put("/api/preferences/defaults", json=body))
    assert message in errors[field], errors
    # Nothing was saved.
    assert http.get("/api/preferences").json()["defaults"] == DEFAULT_PREFERENCES["defaults"]


def test_a_body_that_is_not_an_object_and_unknown_groups(http: httpx.Client) -> None:
    assert http.put("/api/preferences/defaults", json=[1, 2]).status_code == 422
    assert http.put("/api/preferences/exports", content=b"{").status_code == 422
    assert http.put("/api/preferences/colours", json={}).status_code in (404, 405)


# -- export preferences -------------------------------------------------------------------


def test_export_folder_is_checked_when_saved(http: httpx.Client, tmp_path: Path) -> None:
    def folder_error(folder: Any) -> str:
        response = http.put("/api/preferences/exports", json={"folder": folder})
        return errors_of(response)["folder"]

    assert "absolute path" in folder_error("exports/here")
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    assert folder_error(str(a_file)) == f"Folder {a_file} is a file, not a folder."
    below_file = a_file / "below"
    assert f"Folder {below_file} does not exist and the server cannot create it" in folder_error(
        str(below_file)
    )
    if sys.platform.startswith("linux"):
        # Permission bits do not stop root; /proc refuses new files to everyone.
        assert folder_error("/proc") == "Folder /proc is not writable by the server."
    assert "valid string" in folder_error(12)
    errors = errors_of(http.put("/api/preferences/exports", json={"include_images": "yes"}))
    assert "valid boolean" in errors["include_images"]
    errors = errors_of(http.put("/api/preferences/exports", json={"format": "csv"}))
    assert "Extra inputs" in errors["format"]
    assert http.get("/api/preferences").json()["exports"] == DEFAULT_PREFERENCES["exports"]

    # A folder that does not exist yet is created; the path is normalised.
    folder = tmp_path / "new" / "exports"
    response = http.put(
        "/api/preferences/exports",
        json={"include_images": True, "folder": f"{tmp_path}/new/../new/exports/"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["exports"] == {"include_images": True, "folder": str(folder)}
    assert folder.is_dir() and list(folder.iterdir()) == []  # the write check left nothing


def test_exports_follow_the_preferences_and_land_in_the_folder(
    http: httpx.Client, tmp_path: Path
) -> None:
    job = submit(http, f"{tag()} exported by preference", count=2)
    wait_status(http, job["id"], {"completed"})
    folder = tmp_path / "exports"
    saved = http.put(
        "/api/preferences/exports", json={"include_images": True, "folder": str(folder)}
    )
    assert saved.status_code == 200, saved.text

    # No include_images in the request: the preference makes it a ZIP, saved in the folder.
    operation = export(http, "/api/exports", json={"ids": [job["id"]]})
    assert operation["params"]["include_images"] is True
    result = operation["result"]
    copy = Path(result["saved_to"])
    assert copy.parent == folder and copy.name == result["filename"]
    assert re.fullmatch(rf"genfactory-jobs-\d{{8}}-\d{{6}}-{operation['id'][:8]}\.zip", copy.name)
    assert result["message"] == f"Saved to {copy}"
    with zipfile.ZipFile(copy) as z:
        assert {"jobs.xlsx", f"images/{job['id']}/1.png", f"images/{job['id']}/2.png"} <= set(
            z.namelist()
        )
    # The download still works, and is the same file.
    download = http.get(f"/api/exports/{operation['id']}/download")
    assert download.status_code == 200 and download.content == copy.read_bytes()

    # The single-job export follows it too; a request's own choice wins.
    operation = export(http, f"/api/jobs/{job['id']}/export")
    assert operation["result"]["content_type"] == "application/zip"
    operation = export(http, f"/api/jobs/{job['id']}/export", params={"include_images": "false"})
    xlsx = Path(operation["result"]["saved_to"])
    assert xlsx.suffix == ".xlsx" and xlsx.parent == folder
    with zipfile.ZipFile(xlsx) as book:  # an .xlsx is a ZIP of XML parts
        assert "xl/workbook.xml" in book.namelist()
    operation = export(http, "/api/exports", json={"ids": [job["id"]], "include_images": False})
    assert operation["params"]["include_images"] is False
    assert operation["result"]["content_type"].endswith("spreadsheetml.sheet")
    assert len(list(folder.iterdir())) == 4

    # Back to "download only": nothing more lands in the folder.
    http.put("/api/preferences/exports", json={"include_images": False, "folder": None})
    operation = export(http, "/api/exports", json={"ids": [job["id"]]})
    assert operation["result"]["saved_to"] is None and "message" not in operation["result"]
    assert operation["result"]["filename"].endswith(".xlsx")
    assert len(list(folder.iterdir())) == 4


def test_a_folder_that_went_away_does_not_fail_exports(http: httpx.Client, tmp_path: Path) -> None:
    job = submit(http, f"{tag()} folder gone")
    wait_status(http, job["id"], {"completed"})
    folder = tmp_path / "gone"
    assert http.put("/api/preferences/exports", json={"folder": str(folder)}).status_code == 200
    folder.rmdir()
    folder.write_text("now a file")
    [notice] = http.get("/api/preferences").json()["notices"]
    assert notice["field"] == "folder" and "not a folder" in notice["message"]

    operation = export(http, "/api/exports", json={"ids": [job["id"]]})
    result = operation["result"]
    assert result["saved_to"] is None
    assert result["save_error"].startswith(f"Not saved to {folder}")
    assert http.get(f"/api/exports/{operation['id']}/download").status_code == 200


def test_every_bad_default_is_reported_in_one_422(http: httpx.Client) -> None:
    errors = errors_of(
        http.put(
            "/api/preferences/defaults",
            json={"configuration": "nope 'x'", "provider": "zzz", "count": 99},
        )
    )
    assert set(errors) == {"configuration", "provider", "count"}, errors
    assert errors["configuration"] == "No configuration named “nope 'x'”."
    assert errors["provider"].startswith("Unknown provider “zzz”")
    assert "16" in errors["count"]
    # Two names wrong, the count fine: both names, nothing saved.
    errors = errors_of(
        http.put("/api/preferences/defaults", json={"configuration": "nope", "provider": "zzz"})
    )
    assert set(errors) == {"configuration", "provider"}
    assert http.get("/api/preferences").json()["defaults"] == DEFAULT_PREFERENCES["defaults"]
    # An unknown field is reported with the rest.
    errors = errors_of(http.put("/api/preferences/defaults", json={"provider": "zzz", "colour": 1}))
    assert set(errors) == {"provider", "colour"}
