"""Bad input gets a clear 4xx, concurrent writers never see "database is locked", and a
schemathesis run over the OpenAPI schema finds no server error."""

from __future__ import annotations

import concurrent.futures
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from genfactory.api.errors import MAX_REQUEST_BYTES
from genfactory.client import Client
from tests.integration.helpers import wait_for
from tests.support.server import ServerProcess


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"prompt": "   "}, "prompt", "must not be empty"),
        ({"prompt": "x" * 2001}, "prompt", "at most 2000"),
        ({"prompt": "bell \x07 here"}, "prompt", "control characters"),
        ({"prompt": "ok", "label": "two\nlines"}, "label", "one line"),
        ({"prompt": "ok", "size": "13x13"}, "size", "not offered"),
        ({"prompt": "ok", "steps": 0}, "steps", "greater than or equal to 1"),
        ({"prompt": "ok", "steps": 151}, "steps", "less than or equal to 150"),
        ({"prompt": "ok", "count": 17}, "count", "less than or equal to 16"),
        ({"prompt": "ok", "style": "no-such-style"}, "style", "not offered"),
        ({"prompt": "ok", "provider": "nope"}, "provider", "Unknown provider"),
        ({"prompt": "ok", "faults": {"explode": True}}, "faults", "Invalid fault plan"),
        ({"prompt": "ok", "colour": "red"}, "colour", "Extra inputs"),
        ({}, "prompt", "Field required"),
        ({"prompt": "hi\u200bthere"}, "prompt", "invisible formatting characters"),
        (
            {"prompt": "ok", "faults": {"retry_after": 3}},
            "faults",
            "Invalid fault plan: retry_after only applies to rate_limit_at_step",
        ),
        ({"prompt": "ok", "steps": True}, "steps", "valid integer"),
        ({"prompt": "ok", "steps": "20"}, "steps", "valid integer"),
        ({"prompt": "ok", "count": True}, "count", "valid integer"),
        ({"prompt": "ok", "seed": "7"}, "seed", "valid integer"),
        ({"prompt": "ok", "label": " " + "a" * 201 + " "}, "label", "at most 200 characters"),
    ],
)
def test_invalid_job_requests_name_the_field(
    http: httpx.Client, body: dict[str, object], field: str, words: str
) -> None:
    response = http.post("/api/jobs", json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert any(d["loc"][-1] == field and words.lower() in d["msg"].lower() for d in detail), detail
    # Our own checks' messages read as sentences, without pydantic's "Value error, ".
    assert not any(d["msg"].startswith("Value error") for d in detail), detail


def test_a_label_counts_after_trimming_and_blank_choices_mean_the_default(
    http: httpx.Client,
) -> None:
    """Create counts a label as a rename does (after trimming); an empty size or style (a
    form's empty choice) is the provider's default, for both alike."""
    label = " " + "b" * 200 + " "
    job = http.post("/api/jobs", json={"prompt": "x", "steps": 1, "label": label}).json()
    assert job["label"] == "b" * 200
    plain = http.post("/api/jobs", json={"prompt": "x", "steps": 1}).json()
    blank = http.post("/api/jobs", json={"prompt": "x", "steps": 1, "size": "", "style": " "})
    assert blank.status_code == 201, blank.text
    assert blank.json()["params"]["size"] == plain["params"]["size"]
    assert blank.json()["params"]["style"] == plain["params"]["style"]


def test_a_new_job_has_its_location_and_a_rerun_takes_no_settings(http: httpx.Client) -> None:
    created = http.post("/api/jobs", json={"prompt": "located", "steps": 1})
    assert created.status_code == 201
    assert created.headers["location"] == created.json()["links"]["self"]
    assert http.get(created.headers["location"]).json()["id"] == created.json()["id"]
    job_id = created.json()["id"]
    refused = http.post(f"/api/jobs/{job_id}/rerun", json={"seed": 5})
    assert refused.status_code == 422
    assert "A rerun takes no settings" in refused.json()["detail"][0]["msg"]
    for body in (None, {}):
        rerun = http.post(f"/api/jobs/{job_id}/rerun", json=body)
        assert rerun.status_code == 201, rerun.text
        assert rerun.headers["location"] == rerun.json()["links"]["self"]
        assert rerun.json()["rerun_of"] == job_id


def test_prompt_is_trimmed(http: httpx.Client) -> None:
    job = http.post("/api/jobs", json={"prompt": "  a calm sea \n", "steps": 1}).json()
    assert job["prompt"] == "a calm sea"


def test_malformed_json_is_a_422(http: httpx.Client) -> None:
    response = http.post(
        "/api/jobs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_unknown_ids_are_404_with_a_problem_body(http: httpx.Client) -> None:
    for method, path in [
        ("GET", "/api/jobs/nope"),
        ("POST", "/api/jobs/nope/cancel"),
        ("POST", "/api/jobs/nope/retry"),
        ("POST", "/api/jobs/nope/rerun"),
        ("GET", "/api/jobs/nope/images"),
        ("GET", "/api/jobs/nope/preview/1"),
        ("GET", "/api/images/nope/file"),
        ("GET", "/api/images/nope/thumbnail"),
    ]:
        response = http.request(method, path)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["detail"]["code"] == "not_found"


def test_malformed_ids_in_paths_are_a_422_naming_the_path_part(http: httpx.Client) -> None:
    for bad in ("bad!id", "bad%20id", "a" * 65):
        for method, path in [
            ("GET", f"/api/jobs/{bad}"),
            ("POST", f"/api/jobs/{bad}/cancel"),
            ("POST", f"/api/jobs/{bad}/retry"),
            ("POST", f"/api/jobs/{bad}/rerun"),
            ("GET", f"/api/jobs/{bad}/events"),
            ("GET", f"/api/jobs/{bad}/events/stream"),
            ("GET", f"/api/jobs/{bad}/preview/1"),
            ("GET", f"/api/images/{bad}/file"),
            ("GET", f"/api/images/{bad}/thumbnail"),
        ]:
            response = http.request(method, path)
            assert response.status_code == 422, (method, path, response.text)
            assert response.json()["detail"][0]["loc"][0] == "path", response.text


def test_list_paging_bounds(http: httpx.Client) -> None:
    assert http.get("/api/jobs", params={"limit": 0}).status_code == 422
    assert http.get("/api/jobs", params={"limit": 101}).status_code == 422
    assert http.get("/api/jobs", params={"offset": -1}).status_code == 422
    past_end = http.get("/api/jobs", params={"offset": 9_999_999}).json()
    assert past_end["items"] == [] and past_end["total"] >= 0


def test_fault_injection_is_refused_outside_test_mode(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    prod = ServerProcess(tmp_path / "prod", env={"GENFACTORY_MODE": "production"}).start()
    try:
        response = httpx.post(
            f"{prod.url}/api/jobs", json={"prompt": "x", "faults": {"reject": True}}
        )
        assert response.status_code == 422
        assert "only available" in response.json()["detail"][0]["msg"]
    finally:
        prod.stop()


def test_concurrent_submissions_never_hit_lock_errors(server: ServerProcess) -> None:
    def submit(n: int) -> int:
        with Client(server.url) as c:
            return int(c.create_job(f"burst {n}", size="256x256", steps=1)["last_seq"])

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(submit, range(80)))
    assert results == [1] * 80
    log = (server.log_path).read_text()
    assert "database is locked" not in log
    assert "Traceback" not in log


def test_health_reports_database_and_workers(http: httpx.Client, backend: str) -> None:
    health = http.get("/api/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert body["database"] is True
    assert body["database_backend"] == ("sqlite" if backend == "sqlite" else "postgresql")
    assert body["workers"]["local"]["alive"] is True
    assert body["workers"]["live_slots"] >= 2
    assert body["schema_revision"]


def test_providers_list_the_procedural_renderer(http: httpx.Client) -> None:
    providers = http.get("/api/providers").json()
    procedural = next(p for p in providers if p["name"] == "procedural")
    assert "not AI" in procedural["title"] or "not AI" in procedural["description"]
    assert "512x512" in procedural["sizes"]
    assert procedural["min_steps"] == 1 and procedural["max_steps"] == 150


def test_openapi_documents_error_responses(http: httpx.Client) -> None:
    schema = http.get("/openapi.json").json()
    create = schema["paths"]["/api/jobs"]["post"]["responses"]
    assert {"201", "422"} <= create.keys()
    cancel = schema["paths"]["/api/jobs/{job_id}/cancel"]["post"]["responses"]
    assert {"200", "404", "409"} <= cancel.keys()
    events = schema["paths"]["/api/jobs/{job_id}/events"]["get"]["responses"]
    assert {"200", "404", "409", "422"} <= events.keys()
    # The token: a bearer scheme (the API reference's Authorize button) and a 401 on every
    # operation but the open health check; one operation id each (HEAD is not listed).
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if path == "/api/health":
                assert "401" not in operation["responses"]
                continue
            assert "401" in operation["responses"], (method, path)
            assert {"apiToken": []} in operation["security"], (method, path)
    ids = [op["operationId"] for methods in schema["paths"].values() for op in methods.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(server: ServerProcess) -> None:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error

    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    failures: list[str] = []
    tried: list[str] = []

    def fuzz(operation: Any) -> None:
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            if isinstance(case.query, dict) and "wait" in case.query:
                case.query["wait"] = 0  # long-poll holds are tested elsewhere; keep this fast
            if isinstance(case.body, dict) and "folder" in case.body:
                # A valid folder is created on save: never let the fuzzer make directories
                # anywhere on the machine (folder checks are tested in test_preferences).
                case.body["folder"] = None
            response = case.call(base_url=server.url, timeout=10)
            tried.append(operation.path)
            try:
                case.validate_response(response, checks=[not_a_server_error])
            except Exception as exc:
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}")

        run()

    for op in schema.get_all_operations():
        operation = op.ok()
        if operation.path.endswith("/events/stream"):
            continue  # endless streams; covered by the stream tests
        fuzz(operation)
    # The fuzzer saved random preferences on the shared server: back to the defaults.
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for group, value in (
            ("defaults", {"configuration": None, "provider": None, "count": 1}),
            ("exports", {"include_images": False, "folder": None}),
        ):
            http.put(f"/api/preferences/{group}", json=value).raise_for_status()
    assert not failures, "\n".join(failures[:5])
    assert len(set(tried)) >= 10, f"fuzzed too few operations: {sorted(set(tried))}"


def test_long_poll_wait_bounds(http: httpx.Client, server: ServerProcess) -> None:
    job = http.post("/api/jobs", json={"prompt": "bounds", "steps": 1}).json()
    with Client(server.url) as c:
        wait_for(c, job["id"], {"completed"})
    assert http.get(f"/api/jobs/{job['id']}/events", params={"wait": 31}).status_code == 422
    # A finished job with nothing after the cursor answers at once: nothing more will come.
    last_seq = http.get(f"/api/jobs/{job['id']}").json()["last_seq"]
    started = time.monotonic()
    done = http.get(f"/api/jobs/{job['id']}/events", params={"after": last_seq, "wait": 10})
    assert done.status_code == 200 and done.json()["events"] == []
    assert time.monotonic() - started < 2
    assert http.get(f"/api/jobs/{job['id']}/events", params={"after": -1}).status_code == 422


def test_api_token_guards_http_and_websocket(tmp_path: object) -> None:
    from pathlib import Path

    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    assert isinstance(tmp_path, Path)
    guarded = ServerProcess(tmp_path / "guarded", env={"GENFACTORY_API_TOKEN": "s3cret"}).start()
    try:
        assert "API token: required" in guarded.log_path.read_text()  # the start-up banner
        assert httpx.get(f"{guarded.url}/api/health").status_code == 200
        refused = httpx.get(f"{guarded.url}/api/jobs")
        assert refused.status_code == 401
        assert refused.json()["detail"]["code"] == "unauthorized"
        ok = httpx.get(f"{guarded.url}/api/jobs", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        assert (
            httpx.get(f"{guarded.url}/api/jobs", cookies={"genfactory_token": "s3cret"}).status_code
            == 200
        )
        with pytest.raises(InvalidStatus):
            connect(f"{guarded.ws_url}/api/events/ws").close()
        with connect(f"{guarded.ws_url}/api/events/ws?token=s3cret") as ws:
            assert '"hello"' in str(ws.recv(timeout=5))
        # Pages send a browser to the sign-in form, which keeps the token in a cookie.
        page = httpx.get(f"{guarded.url}/jobs/abc", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/jobs/abc"
        # … and back to the same view: its query kept, a token that did not match left out.
        page = httpx.get(
            f"{guarded.url}/jobs?status=failed&q=red%20fox&token=nope", follow_redirects=False
        )
        back = "/jobs?status=failed&q=red+fox"
        assert page.headers["location"] == f"/login?next={quote(back, safe='/')}"
        signed_in = httpx.post(f"{guarded.url}/login", data={"token": "s3cret", "next": back})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == back
        wrong = httpx.post(f"{guarded.url}/login", data={"token": "nope", "next": "/"})
        assert wrong.status_code == 401 and "not right" in wrong.text
        # The form is open to anyone, so its body is capped like the API's, length or not.
        flood = b"token=" + b"x" * (MAX_REQUEST_BYTES + 1)
        for content in (flood, iter([flood[: len(flood) // 2], flood[len(flood) // 2 :]])):
            too_big = httpx.post(f"{guarded.url}/login", content=content)
            assert too_big.status_code == 413, too_big.text
        signed_in = httpx.post(
            f"{guarded.url}/login", data={"token": "s3cret", "next": "//evil.example/"}
        )
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/", "open redirect"
        cookie = signed_in.cookies["genfactory_token"]
        assert "httponly" in signed_in.headers["set-cookie"].lower()
        home = httpx.get(f"{guarded.url}/", cookies={"genfactory_token": cookie})
        assert home.status_code == 200 and "Generate Images" in home.text
        assert 'action="/logout"' in home.text, "a signed-in page offers to sign out"
        # Scheme names ignore case; spaces around a token (pasted) are not part of it.
        for header in ("bearer s3cret", "BEARER  s3cret"):
            auth = {"Authorization": header}
            assert httpx.get(f"{guarded.url}/api/jobs", headers=auth).status_code == 200
        pasted = httpx.post(f"{guarded.url}/login", data={"token": " s3cret\n", "next": "/"})
        assert pasted.status_code == 303
        # A page opened with ?token= keeps it in the cookie and drops it from the address.
        linked = httpx.get(f"{guarded.url}/jobs?status=failed&token=s3cret", follow_redirects=False)
        assert linked.status_code == 303 and linked.headers["location"] == "/jobs?status=failed"
        assert linked.cookies["genfactory_token"] == "s3cret"
        elsewhere = httpx.get(f"{guarded.url}//evil.example?token=s3cret", follow_redirects=False)
        assert elsewhere.headers["location"] == "/evil.example", "open redirect"
        # Signing out forgets the cookie; the next page asks again.
        out = httpx.post(
            f"{guarded.url}/logout", cookies={"genfactory_token": cookie}, follow_redirects=False
        )
        assert out.status_code == 303 and out.headers["location"] == "/login"
        cleared = out.headers["set-cookie"].lower()
        assert cleared.startswith('genfactory_token="";') and "max-age=0" in cleared
    finally:
        guarded.stop()


def test_a_blank_token_is_no_token_and_sign_in_needs_none(
    tmp_path: object, http: httpx.Client
) -> None:
    from pathlib import Path

    from genfactory.settings import Settings

    assert isinstance(tmp_path, Path)
    assert Settings(data_dir=tmp_path, api_token="  ").api_token is None
    assert Settings(data_dir=tmp_path, api_token=" s3cret\n").api_token == "s3cret"
    # A server without a token: the sign-in page has nothing to ask and goes on.
    page = http.get("/login", params={"next": "/jobs"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/jobs"
    home = http.get("/")
    assert 'action="/logout"' not in home.text


def test_api_reference_is_served_without_any_outside_resource(http: httpx.Client) -> None:
    import re

    docs = http.get("/docs")
    assert docs.status_code == 200
    assert "script-src 'self'" in docs.headers["content-security-policy"]
    assert '<a href="/">' in docs.text, "a way back to the app"
    assert "/static/js/theme-init.js" in docs.text, "the app's theme (dark too)"
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert http.get(source).status_code == 200, source


def test_an_unknown_address_is_a_page_for_browsers_and_json_for_the_rest(
    http: httpx.Client,
) -> None:
    browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = http.get("/configurations/no-such-page", headers=browser)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text and "/configurations/no-such-page" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'href="/jobs"' in page.text  # the way back, with the app's navigation
    for path, headers in [
        ("/no-such-page", {}),  # an API client
        ("/static/no-such-file.js", browser),
    ]:
        answer = http.get(path, headers=headers)
        assert answer.status_code == 404, path
        assert answer.json() == {"detail": "Not Found"}, path
    # Under /api/, the API's problem shape, as for an unknown id.
    for headers in ({}, browser):
        answer = http.get("/api/no-such-route", headers=headers)
        assert answer.status_code == 404
        assert answer.json()["detail"] == {
            "code": "not_found",
            "message": "There is no API route /api/no-such-route.",
        }


LONE = "a \\ud800 b"  # JSON's escape of a lone UTF-16 surrogate: valid JSON, not storable


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/jobs", f'{{"prompt": "{LONE}"}}'),
        ("POST", "/api/jobs", f'{{"prompt": "ok", "label": "{LONE}"}}'),
        ("POST", "/api/jobs", f'{{"prompt": "ok", "size": "{LONE}"}}'),
        ("POST", "/api/jobs", f'{{"prompt": "ok", "style": "{LONE}"}}'),
        ("PATCH", "/api/jobs/{job}", f'{{"label": "{LONE}"}}'),
        ("POST", "/api/configurations", f'{{"name": "{LONE}", "settings": {{}}}}'),
        (
            "POST",
            "/api/configurations",
            f'{{"name": "ok{{n}}", "description": "{LONE}", "settings": {{}}}}',
        ),
        ("POST", "/api/jobs/bulk/delete", f'{{"filter": {{"q": "{LONE}"}}, "expected_count": 0}}'),
        ("POST", "/api/jobs/bulk/rerun", f'{{"filter": {{"q": "{LONE}"}}, "expected_count": 0}}'),
    ],
)
def test_text_that_cannot_be_stored_is_a_422_never_a_500(
    http: httpx.Client, method: str, path: str, body: str
) -> None:
    if "{job}" in path:
        path = path.format(job=http.post("/api/jobs", json={"prompt": "to rename"}).json()["id"])
    body = body.replace("{n}", uuid.uuid4().hex[:8])
    response = http.request(
        method, path, content=body.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code in (200, 422), response.text  # a filter may match nothing
    if response.status_code == 422:
        assert response.json()["detail"], response.text


def test_a_422_does_not_repeat_a_huge_input(http: httpx.Client) -> None:
    response = http.post("/api/jobs", json={"prompt": "x" * 300_000})
    assert response.status_code == 422
    assert len(response.content) < 2_000
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "prompt"] and "at most 2000" in error["msg"]
    assert error["input"].endswith("…")


def test_a_body_over_the_limit_is_refused_before_it_is_parsed(http: httpx.Client) -> None:
    def newest() -> list[str]:
        return [job["id"] for job in http.get("/api/jobs").json()["items"][:1]]

    newest_before = newest()
    big = b'{"prompt": "' + b"x" * (MAX_REQUEST_BYTES + 1) + b'"}'

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for i in range(0, len(big), 64 * 1024):
            yield big[i : i + 64 * 1024]

    for content in (big, chunks()):
        response = http.post(
            "/api/jobs", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 413, response.text
        problem = response.json()["detail"]
        assert problem["code"] == "too_large" and "1 MiB" in problem["message"]
    assert newest() == newest_before  # nothing was created


def test_the_largest_bulk_selection_fits_under_the_limit(http: httpx.Client) -> None:
    ids = [uuid.uuid4().hex * 2 for _ in range(10_000)]  # 64 characters: the longest id
    body = {"ids": ids}
    response = http.post("/api/jobs/bulk/delete", json=body)
    assert response.status_code != 413, response.text
    assert response.status_code < 500, response.text
