"""A list pinned to when it was first read (``as_of``) and what is acted on with it: pages
that do not shift while jobs arrive, "select all N matching" that means the jobs matched
then, exports of picked ids that keep their order and record the filters they were picked
under — over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.integration.management_support import (
    ids_of,
    listed,
    problem_fields,
    submit,
    tag,
    wait_all,
    wait_operation,
)
from tests.integration.test_management_bulk import sheet_rows
from tests.support.server import ServerProcess


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def moment(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def test_pages_read_with_the_first_answers_as_of_do_not_shift(http: httpx.Client) -> None:
    word = tag()
    jobs = [submit(http, f"{word} walk {n}") for n in range(6)]
    newest_first = [j["id"] for j in reversed(jobs)]
    first = listed(http, q=word, page=1, page_size=3)
    as_of = first["as_of"]
    assert ids_of(first) == newest_first[:3]
    # Every answer says which moment it listed: now, when none was given.
    assert moment(as_of) >= moment(jobs[-1]["created_at"])
    assert abs((datetime.now(UTC) - moment(as_of)).total_seconds()) < 60

    arrived = [submit(http, f"{word} arrived {n}") for n in range(2)]
    # Without the pin each arrival pushes a row onto the next page: seen twice.
    shifted = listed(http, q=word, page=2, page_size=3)
    assert ids_of(shifted)[:2] == newest_first[1:3] and shifted["total"] == 8
    second = listed(http, q=word, page=2, page_size=3, as_of=as_of)
    assert ids_of(second) == newest_first[3:]
    assert second["total"] == 6 and second["pages"] == 2
    assert second["as_of"] == as_of, "the moment given is the moment answered"
    # The same in the scrolling view's offsets and in another sort.
    assert ids_of(listed(http, q=word, offset=2, limit=3, as_of=as_of)) == newest_first[2:5]
    oldest_first = listed(http, q=word, order="asc", page_size=100, as_of=as_of)
    assert ids_of(oldest_first) == [j["id"] for j in jobs]
    # Dropping the pin shows the new jobs first.
    assert ids_of(listed(http, q=word, page_size=2)) == [j["id"] for j in reversed(arrived)]


@pytest.mark.parametrize("value", ["soon", "2024-13-01", "yesterday at noon", "1e9"])
def test_an_as_of_that_is_no_time_is_422(http: httpx.Client, value: str) -> None:
    response = http.get("/api/jobs", params={"as_of": value})
    assert response.status_code == 422, response.text
    assert problem_fields(response) == ["as_of"]
    bulk = http.post(
        "/api/jobs/bulk/delete", json={"filter": {"as_of": value}, "expected_count": 0}
    )
    assert bulk.status_code == 422, bulk.text


def test_select_all_matching_acts_on_the_jobs_matched_when_selected(http: httpx.Client) -> None:
    word = tag()
    picked = [submit(http, f"{word} feeder {n}") for n in range(3)]
    wait_all(http, picked, {"completed"})
    page = listed(http, q=word)
    selection = {"filter": {"q": word, "as_of": page["as_of"]}}
    later = [submit(http, f"{word} feeder late {n}") for n in range(2)]
    wait_all(http, later, {"completed"})
    # The count the person saw still holds: the jobs created since are not part of it.
    stale = http.post("/api/jobs/bulk/delete", json={**selection, "expected_count": 5})
    assert stale.status_code == 409, stale.text
    assert "now matches 3 jobs, not 5" in stale.json()["detail"]["message"]
    done = http.post("/api/jobs/bulk/delete", json={**selection, "expected_count": 3})
    assert done.status_code == 200, done.text
    assert sorted(done.json()["deleted_ids"]) == sorted(j["id"] for j in picked)
    assert sorted(ids_of(listed(http, q=word))) == sorted(j["id"] for j in later)
    # Changed elsewhere since: the guard still fires.
    rerun = http.post("/api/jobs/bulk/rerun", json={**selection, "expected_count": 3})
    assert rerun.status_code == 409, rerun.text
    assert "now matches 0 jobs, not 3" in rerun.json()["detail"]["message"]


def test_an_export_of_all_matching_records_its_pin(http: httpx.Client) -> None:
    word = tag()
    jobs = [submit(http, f"{word} pinned export {n}") for n in range(2)]
    as_of = listed(http, q=word)["as_of"]
    submit(http, f"{word} pinned export late")
    response = http.post("/api/exports", json={"filter": {"q": word, "as_of": as_of}})
    assert response.status_code == 202, response.text
    operation = wait_operation(http, response.json()["id"])
    assert operation["result"]["jobs"] == 2, operation
    book = http.get(operation["result"]["download_url"]).content
    assert [r[0] for r in sheet_rows(book, "Jobs")[1:]] == [j["id"] for j in jobs]
    filters = {row[0]: row[1] for row in sheet_rows(book, "Filters")[1:]}
    assert filters["q"] == word and filters["as_of"] == as_of


def export_book(http: httpx.Client, body: dict[str, Any]) -> bytes:
    response = http.post("/api/exports", json=body)
    assert response.status_code == 202, response.text
    operation = wait_operation(http, response.json()["id"])
    assert operation["status"] == "completed", operation
    download = http.get(operation["result"]["download_url"])
    assert download.status_code == 200
    return download.content


def test_an_export_of_ids_keeps_their_order_and_the_filters_they_were_picked_under(
    http: httpx.Client,
) -> None:
    word = tag()
    jobs = [submit(http, f"{word} picked {n}") for n in range(4)]
    wait_all(http, jobs, {"completed"})
    given = [jobs[2]["id"], jobs[0]["id"], "0" * 32, jobs[3]["id"], jobs[1]["id"]]
    book = export_book(
        http,
        {
            "ids": given,
            "selected_from": {"status": ["failed", "cancelled"], "q": "red", "configuration": []},
        },
    )
    rows = sheet_rows(book, "Jobs")
    assert [r[0] for r in rows[1:]] == [i for i in given if i != "0" * 32], "the order given"
    assert sheet_rows(book, "Filters")[1:5] == [
        ["ids", "5"],
        ["selected from: status", "Failed, Stopped"],
        ["selected from: q", "red"],
        ["jobs", "4"],
    ]
    plain = {row[0] for row in sheet_rows(export_book(http, {"ids": given}), "Filters")[1:]}
    assert not any(key.startswith("selected from") for key in plain)


@pytest.mark.parametrize(
    "body",
    [
        {"filter": {"q": "x"}, "selected_from": {"q": "x"}},  # a filter records itself
        {"ids": ["a"], "selected_from": {"status": ["nope"]}},
        {"ids": ["a"], "selected_from": {"from": "2024-02-02", "to": "2024-02-01"}},
        {"ids": ["a"], "selected_from": {"colour": "red"}},
        {"ids": ["a"], "selected_from": "status=failed"},
    ],
)
def test_bad_selected_from_is_422(http: httpx.Client, body: dict[str, Any]) -> None:
    response = http.post("/api/exports", json=body)
    assert response.status_code == 422, response.text
    assert "selected_from" in response.text


def test_a_preset_keeps_no_as_of(http: httpx.Client) -> None:
    response = http.post(
        "/api/presets",
        json={"name": f"{tag()} pinned", "filter": {"q": "x", "as_of": "2026-01-01T00:00:00Z"}},
    )
    assert response.status_code == 422, response.text
    assert "as_of" in response.text
