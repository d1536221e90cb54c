"""Named, versioned configurations and jobs that start from them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import ServerProcess


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def _name() -> str:
    return f"Product Photos {uuid.uuid4().hex[:6]}"


def test_versions_are_immutable_and_jobs_keep_theirs(http: httpx.Client) -> None:
    name = _name()
    v1 = http.post(
        "/api/configurations",
        json={
            "name": name,
            "settings": {"size": "256x256", "steps": 4, "style": "pastel", "count": 2},
        },
    )
    assert v1.status_code == 201, v1.text
    assert v1.json()["version"] == 1
    again = http.post("/api/configurations", json={"name": name, "settings": {}})
    assert again.status_code == 409
    v2 = http.post(
        f"/api/configurations/by-name/{name}/versions",
        json={"settings": {"size": "512x512", "steps": 3}, "description": "bigger"},
    )
    assert v2.status_code == 201 and v2.json()["version"] == 2

    by_name = http.post("/api/jobs", json={"prompt": "from newest", "configuration": name}).json()
    assert by_name["configuration"] == {"id": v2.json()["id"], "name": name, "version": 2}
    assert by_name["params"]["size"] == "512x512" and by_name["params"]["steps"] == 3

    by_id = http.post(
        "/api/jobs", json={"prompt": "pinned", "configuration": v1.json()["id"], "steps": 2}
    ).json()
    assert by_id["configuration"]["version"] == 1
    assert by_id["params"]["style"] == "pastel" and by_id["params"]["count"] == 2
    assert by_id["params"]["steps"] == 2, "a field given on the job wins"

    versions = http.get(f"/api/configurations/by-name/{name}/versions").json()
    assert [v["version"] for v in versions] == [2, 1]
    listed = next(c for c in http.get("/api/configurations").json() if c["name"] == name)
    assert listed["version"] == 2 and listed["jobs"] == 2

    in_use = http.delete(f"/api/configurations/by-name/{name}")
    assert in_use.status_code == 409
    assert "used by 2 jobs" in in_use.json()["detail"]["message"]


def test_unused_configuration_can_be_deleted(http: httpx.Client) -> None:
    name = _name()
    assert http.post("/api/configurations", json={"name": name, "settings": {}}).status_code == 201
    assert http.delete(f"/api/configurations/by-name/{name}").status_code == 204
    assert http.get(f"/api/configurations/by-name/{name}/versions").status_code == 404
    assert http.delete(f"/api/configurations/by-name/{name}").status_code == 404


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"size": "1x1"}, "size"),
        ({"provider": "nope"}, "provider"),
        ({"steps": 0}, "steps"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_settings_are_refused(
    http: httpx.Client, settings: dict[str, object], field: str
) -> None:
    response = http.post("/api/configurations", json={"name": _name(), "settings": settings})
    assert response.status_code == 422
    assert any(d["loc"][-1] == field for d in response.json()["detail"])


def test_unknown_configuration_on_a_job_is_a_422(http: httpx.Client) -> None:
    response = http.post("/api/jobs", json={"prompt": "x", "configuration": "no such thing"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "configuration"]


def test_rerun_keeps_the_configuration_reference(http: httpx.Client) -> None:
    name = _name()
    http.post(
        "/api/configurations", json={"name": name, "settings": {"size": "256x256", "steps": 1}}
    )
    job = http.post("/api/jobs", json={"prompt": "lineage", "configuration": name}).json()
    rerun = http.post(f"/api/jobs/{job['id']}/rerun").json()
    assert rerun["configuration"] == job["configuration"]
    assert rerun["rerun_of"] == job["id"]


@pytest.mark.parametrize("name", ["a/b", ".", ".."])
def test_names_that_cannot_be_addressed_are_refused(http: httpx.Client, name: str) -> None:
    response = http.post("/api/configurations", json={"name": name, "settings": {}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "name"


def test_a_version_that_repeats_the_newest_is_refused(http: httpx.Client) -> None:
    name = _name()
    settings = {"provider": "procedural", "steps": 4, "qc": {"checks": ["blank"], "min_detail": 2}}
    versions_url = f"/api/configurations/by-name/{name}/versions"
    assert http.post(
        "/api/configurations", json={"name": name, "description": "d", "settings": settings}
    ).is_success
    # Same settings (keys in another order) and description: nothing to save.
    same = {"qc": {"min_detail": 2.0, "checks": ["blank"]}, "steps": 4, "provider": "procedural"}
    unchanged = http.post(versions_url, json={"description": "d", "settings": same})
    assert unchanged.status_code == 409
    assert unchanged.json()["detail"] == {
        "code": "conflict",
        "message": "Nothing changed: version 1 already has these settings.",
    }
    assert [v["version"] for v in http.get(versions_url).json()] == [1]

    # A new description, or other settings, is a new version; the rule compares with the
    # newest version only, so going back to version 1's settings is version 3.
    described = http.post(versions_url, json={"description": "e", "settings": settings})
    assert described.status_code == 201 and described.json()["version"] == 2
    fewer = http.post(versions_url, json={"description": "e", "settings": {"steps": 4}})
    assert fewer.status_code == 201 and fewer.json()["version"] == 3
    again = http.post(versions_url, json={"description": "e", "settings": {"steps": 4}})
    assert again.status_code == 409
    assert "version 3 already has these settings" in again.json()["detail"]["message"]
    back = http.post(versions_url, json={"description": "e", "settings": settings})
    assert back.status_code == 201 and back.json()["version"] == 4


def test_a_save_based_on_an_older_version_is_refused(http: httpx.Client) -> None:
    """Optimistic concurrency: two editors opened at version 2; the second save names the
    version it was based on and is refused instead of undoing the first one's change."""
    name = _name()
    versions_url = f"/api/configurations/by-name/{name}/versions"
    assert http.post(
        "/api/configurations", json={"name": name, "settings": {"count": 3}}
    ).is_success
    assert http.post(versions_url, json={"settings": {"count": 3, "steps": 4}}).is_success

    tab_b = http.post(versions_url, json={"base_version": 2, "settings": {"count": 5, "steps": 4}})
    assert tab_b.status_code == 201 and tab_b.json()["version"] == 3
    tab_a = http.post(versions_url, json={"base_version": 2, "settings": {"count": 3, "steps": 45}})
    assert tab_a.status_code == 409
    assert tab_a.json()["detail"] == {
        "code": "stale_version",
        "message": f"“{name}” changed since you opened it: version 3 was saved elsewhere. "
        "Load it, or save yours as a new version anyway.",
    }
    assert [v["version"] for v in http.get(versions_url).json()] == [3, 2, 1]

    # Based on the newest, or without base_version ("save anyway"): saved.
    current = http.post(versions_url, json={"base_version": 3, "settings": {"count": 5}})
    assert current.status_code == 201 and current.json()["version"] == 4
    anyway = http.post(versions_url, json={"settings": {"count": 3, "steps": 45}})
    assert anyway.status_code == 201 and anyway.json()["version"] == 5
    assert http.post(versions_url, json={"base_version": 0, "settings": {}}).status_code == 422


def test_a_name_that_differs_only_in_case_is_refused(http: httpx.Client) -> None:
    name = _name()
    assert http.post("/api/configurations", json={"name": name, "settings": {}}).status_code == 201
    for other in (name.lower(), name.upper()):
        refused = http.post("/api/configurations", json={"name": other, "settings": {}})
        assert refused.status_code == 409, refused.text
        assert "differs only in case" in refused.json()["detail"]["message"]
        assert f"“{name}”" in refused.json()["detail"]["message"]
    names = [c["name"] for c in http.get("/api/configurations").json()]
    assert [n for n in names if n.lower() == name.lower()] == [name]


def test_messages_show_the_name_as_typed_not_a_python_repr(http: httpx.Client) -> None:
    name = f"back\\slash 'quoted' {uuid.uuid4().hex[:6]}"
    created = http.post("/api/configurations", json={"name": name, "settings": {"steps": 5}})
    assert created.status_code == 201, created.text
    job = http.post("/api/jobs", json={"prompt": "uses it", "steps": 1, "configuration": name})
    assert job.status_code == 201, job.text
    in_use = http.delete(f"/api/configurations/by-name/{name}")
    assert in_use.status_code == 409
    assert in_use.json()["detail"]["message"].startswith(f"Configuration “{name}” is used by 1 job")
    again = http.post("/api/configurations", json={"name": name, "settings": {}})
    assert f"“{name}”" in again.json()["detail"]["message"]
    assert "\\\\" not in again.json()["detail"]["message"]


def test_a_name_differing_only_in_case_resolves_to_the_one_configuration(
    http: httpx.Client,
) -> None:
    name = f"Portrait HQ {uuid.uuid4().hex[:6]}"
    created = http.post("/api/configurations", json={"name": name, "settings": {"steps": 3}})
    assert created.status_code == 201, created.text
    job = http.post("/api/jobs", json={"prompt": "case", "configuration": name.lower()})
    assert job.status_code == 201, job.text
    assert job.json()["configuration"]["name"] == name
    assert job.json()["params"]["steps"] == 3
    # What the Start page's ?configuration= reads.
    found = http.get(f"/api/configurations/by-name/{name.upper()}/versions")
    assert found.status_code == 200, found.text
    assert [v["name"] for v in found.json()] == [name]
    # An exact match still wins; deleting needs the exact name.
    assert http.delete(f"/api/configurations/by-name/{name.lower()}").status_code == 404
    missing = http.post("/api/jobs", json={"prompt": "x", "configuration": name + " nope"})
    assert missing.status_code == 422
    assert f"“{name} nope”" in missing.json()["detail"][0]["msg"]


def test_the_list_sorts_names_ignoring_case_then_exactly(http: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:6]
    made = [f"{tag} beta", f"{tag} Alpha", f"{tag} alphb", f"{tag} Gamma", f"{tag} _under"]
    for name in made:
        response = http.post("/api/configurations", json={"name": name, "settings": {}})
        assert response.status_code == 201, response.text
    names = [c["name"] for c in http.get("/api/configurations").json()]
    assert names == sorted(names, key=lambda n: (n.casefold(), n))
    ours = [n for n in names if n.startswith(tag)]
    assert ours == [f"{tag} _under", f"{tag} Alpha", f"{tag} alphb", f"{tag} beta", f"{tag} Gamma"]
