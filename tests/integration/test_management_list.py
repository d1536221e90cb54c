"""The job list of the management page: paging, sorting, every filter and the search, with
bad input — over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.integration.management_support import (
    ids_of,
    listed,
    problem_fields,
    submit,
    tag,
    wait_all,
    wait_backed_off,
    wait_status,
)
from tests.support.server import ServerProcess


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def test_pages_by_number_and_by_offset(http: httpx.Client) -> None:
    word = tag()
    jobs = [submit(http, f"{word} tile number {n}") for n in range(7)]
    wait_all(http, jobs, {"completed"})
    newest_first = [j["id"] for j in reversed(jobs)]

    first = listed(http, q=word, page=1, page_size=3)
    assert (first["total"], first["pages"], first["page"], first["page_size"]) == (7, 3, 1, 3)
    assert (first["limit"], first["offset"]) == (3, 0)
    assert ids_of(first) == newest_first[:3]
    assert ids_of(listed(http, q=word, page=3, page_size=3)) == newest_first[6:]
    # The old parameters still work and mean the same.
    assert ids_of(listed(http, q=word, limit=3, offset=3)) == newest_first[3:6]
    assert listed(http, q=word, limit=3, offset=3)["page"] == 2
    past_end = listed(http, q=word, page=40, page_size=3)
    assert past_end["items"] == [] and past_end["total"] == 7 and past_end["pages"] == 3
    assert listed(http, q=word, offset=9_999_999)["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 101}, "page_size"),
        ({"page_size": 100_000}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"limit": 1000}, "limit"),
        ({"page": 0}, "page"),
        ({"page": -3}, "page"),
        ({"page": 2, "offset": 10}, "page"),
        ({"limit": 10, "page_size": 20}, "page_size"),
        ({"page": 999_999, "page_size": 100}, "page"),
        ({"sort": "prompt"}, "sort"),
        ({"order": "sideways"}, "order"),
        ({"status": "exploded"}, "status"),
        ({"status": ["completed", "nope"]}, "status"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2024-13-45"}, "to"),
        ({"from": "2024-03-02", "to": "2024-03-01"}, "to"),
        ({"from": "2024-03-01T10:00:00Z", "to": "2024-03-01T10:00:00Z"}, "to"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_list_input_is_a_clear_422(
    http: httpx.Client, params: dict[str, object], field: str
) -> None:
    response = http.get("/api/jobs", params=params)
    assert field in problem_fields(response)


def test_messages_say_what_is_wrong(http: httpx.Client) -> None:
    inverted = http.get("/api/jobs", params={"from": "2024-03-02", "to": "2024-03-01"})
    assert "inverted" in inverted.json()["detail"][0]["msg"]
    unknown = http.get("/api/jobs", params={"status": "exploded"})
    message = unknown.json()["detail"][0]["msg"]
    assert "exploded" in message and "pending" in message and "stopped" in message


def test_status_filter_takes_several_and_the_specs_names(http: httpx.Client) -> None:
    word = tag()
    done = [submit(http, f"{word} fine") for _ in range(2)]
    failed = submit(http, f"{word} refused", faults={"reject": True})
    slow = submit(http, f"{word} slow", steps=60, faults={"step_delay": 0.5})
    wait_all(http, done, {"completed"})
    wait_status(http, failed["id"], {"failed"})
    wait_status(http, slow["id"], {"running"})
    assert http.post(f"/api/jobs/{slow['id']}/cancel").status_code == 200
    waiting = submit(
        http, f"{word} throttled", faults={"rate_limit_at_step": 1, "retry_after": 600}
    )
    wait_backed_off(http, waiting["id"])

    def statuses(**params: object) -> list[str]:
        return sorted(j["status"] for j in listed(http, q=word, **params)["items"])

    assert statuses(status="completed") == ["completed", "completed"]
    assert statuses(status="failed") == ["failed"]
    assert statuses(status="stopped") == ["cancelled"]
    assert statuses(status="cancelled") == ["cancelled"]
    assert statuses(status=["completed", "failed"]) == ["completed", "completed", "failed"]
    assert statuses(status="Completed,FAILED") == ["completed", "completed", "failed"]
    assert statuses(status="all") == sorted(
        ["completed", "completed", "failed", "cancelled", "queued"]
    )
    assert statuses(status=["running", "uploading"]) == []
    pending = listed(http, q=word, status="pending")
    assert [j["id"] for j in pending["items"]] == [waiting["id"]]
    http.post(f"/api/jobs/{waiting['id']}/cancel")


def test_date_range_filter(http: httpx.Client) -> None:
    word = tag()
    job = submit(http, f"{word} dated")
    wait_status(http, job["id"], {"completed"})
    now = datetime.now(UTC)
    today = now.date().isoformat()
    yesterday = (now - timedelta(days=1)).date().isoformat()
    tomorrow = (now + timedelta(days=1)).date().isoformat()

    def total(**params: object) -> int:
        return int(listed(http, q=word, **params)["total"])

    assert total(**{"from": yesterday, "to": today}) == 1  # a date alone includes the day
    assert total(**{"from": today, "to": today}) == 1
    assert total(**{"from": today}) == 1
    assert total(**{"to": tomorrow}) == 1
    assert total(**{"from": tomorrow}) == 0
    assert total(**{"to": yesterday}) == 0
    created = datetime.fromisoformat(job["created_at"].replace("Z", "+00:00"))
    just_before = (created - timedelta(seconds=1)).isoformat()
    just_after = (created + timedelta(seconds=1)).isoformat()
    assert total(**{"from": just_before, "to": just_after}) == 1
    assert total(**{"from": just_after}) == 0
    local = (created - timedelta(minutes=5)).astimezone(datetime.now().astimezone().tzinfo)
    assert total(**{"from": local.isoformat()}) == 1  # offsets are honoured


def test_configuration_filter(http: httpx.Client) -> None:
    word = tag()
    names = [f"Management {word} A", f"Management {word} B"]
    for name in names:
        made = http.post("/api/configurations", json={"name": name, "settings": {"steps": 1}})
        assert made.status_code == 201, made.text
    a = submit(http, f"{word} one", configuration=names[0])
    b = submit(http, f"{word} two", configuration=names[1])
    plain = submit(http, f"{word} three")
    wait_all(http, [a, b, plain], {"completed"})
    assert ids_of(listed(http, q=word, configuration=names[0])) == [a["id"]]
    assert sorted(ids_of(listed(http, q=word, configuration=names))) == sorted([a["id"], b["id"]])
    assert listed(http, configuration=f"no such {word}")["total"] == 0


def test_sorting_by_each_key_both_ways(http: httpx.Client) -> None:
    word = tag()
    jobs = [
        submit(http, f"{word} b", label="banana", count=2),
        submit(http, f"{word} a", label="Apple", count=3),
        submit(http, f"{word} c", label="cherry", count=1, steps=50),
        submit(http, f"{word} n", count=1),
    ]
    wait_all(http, jobs, {"completed"})
    by_label = listed(http, q=word, sort="label", order="asc")["items"]
    assert [j["label"] for j in by_label] == [None, "Apple", "banana", "cherry"]
    by_label_desc = listed(http, q=word, sort="label", order="desc")["items"]
    assert [j["label"] for j in by_label_desc] == ["cherry", "banana", "Apple", None]
    by_images = listed(http, q=word, sort="images", order="desc")["items"]
    assert [j["image_count"] for j in by_images] == [3, 2, 1, 1]
    assert ids_of(listed(http, q=word, sort="image_count", order="asc"))[:2] == [
        jobs[2]["id"],
        jobs[3]["id"],
    ]  # ties: oldest first when ascending
    durations = [j["duration_seconds"] for j in listed(http, q=word, sort="duration")["items"]]
    assert durations == sorted(durations, reverse=True)
    assert listed(http, q=word, sort="duration")["items"][0]["id"] == jobs[2]["id"]
    oldest_first = ids_of(listed(http, q=word, sort="date", order="asc"))
    assert oldest_first == [j["id"] for j in jobs]
    failed = submit(http, f"{word} x", faults={"reject": True})
    wait_status(http, failed["id"], {"failed"})
    by_status = [j["status"] for j in listed(http, q=word, sort="status", order="asc")["items"]]
    lifecycle = ["queued", "running", "uploading", "completed", "failed", "cancelled"]
    assert by_status == sorted(by_status, key=lifecycle.index)
    assert by_status[0] == "completed" and by_status[-1] == "failed"  # not alphabetical


def test_search_matches_label_prompt_and_id_and_marks_the_words(http: httpx.Client) -> None:
    word = tag()
    lighthouse = submit(http, f"A Lighthouse at dusk, {word} 🌊 seascape", label="Coast hero")
    fox = submit(http, f"{word} a red fox in snow", label="Winter lighthouse poster")
    other = submit(http, f"{word} something else entirely")
    wait_all(http, [lighthouse, fox, other], {"completed"})

    page = listed(http, q=f"{word} light")
    assert sorted(ids_of(page)) == sorted([lighthouse["id"], fox["id"]])
    marks = page["highlights"]
    assert marks[lighthouse["id"]]["prompt"][0] == [2, 7]  # "Light" of "Lighthouse"
    assert marks[fox["id"]]["label"] == [[7, 12]]
    # Offsets are UTF-16 code units: the emoji before "seascape" counts as two.
    sea = listed(http, q=f"{word} seascape")["highlights"][lighthouse["id"]]["prompt"]
    prompt = lighthouse["prompt"]
    start = prompt.index("seascape")
    utf16_start = len(prompt[:start].encode("utf-16-le")) // 2
    assert [utf16_start, utf16_start + len("seascape")] in sea

    assert ids_of(listed(http, q=f"{word} COAST")) == [lighthouse["id"]]  # labels, any case
    assert ids_of(listed(http, q=f"{word} fox snow")) == [fox["id"]]  # every word must match
    assert listed(http, q=f"{word} fox lighthouse dusk")["total"] == 0
    by_id = listed(http, q=other["id"][:8])
    assert ids_of(by_id) == [other["id"]]
    assert by_id["highlights"][other["id"]]["id"] == [[0, 8]]
    assert listed(http, page_size=1)["highlights"] is None


NASTY = [
    "'",
    '"',
    "' OR 1=1 --",
    '"; DROP TABLE jobs; --',
    "light*",
    "*",
    "-fox",
    "NEAR(fox snow)",
    "fox NEAR snow",
    "(fox OR snow) AND NOT x",
    "fox:* & !snow | x",
    "100%",
    "%",
    "_",
    "a_b%c",
    "\\",
    "\\'",
    "col:fox",
    "label:fox",
    "^fox",
    "{fox}",
    "fox + snow",
    "\u0000",
    "ß Ǆ İ 東京",
    "🌊",
]


@pytest.mark.parametrize("text", NASTY)
def test_search_syntax_characters_are_plain_words(http: httpx.Client, text: str) -> None:
    response = http.get("/api/jobs", params={"q": text})
    assert response.status_code == 200, response.text
    stats = http.get("/api/jobs/stats", params={"q": text})
    assert stats.status_code == 200, stats.text


def test_search_punctuation_means_words_only(http: httpx.Client) -> None:
    word = tag()
    job = submit(http, f"{word} 100% cotton (organic) shirt_blue")
    wait_status(http, job["id"], {"completed"})
    assert ids_of(listed(http, q=f'"{word}" (cotton)* -organic')) == [job["id"]]
    assert ids_of(listed(http, q=f"{word} 100%")) == [job["id"]]
    assert ids_of(listed(http, q=f"{word} shirt_blue")) == [job["id"]]
    assert listed(http, q="%%%")["total"] == 0  # no word at all: nothing matches


def test_filters_search_and_sort_combine(http: httpx.Client) -> None:
    word = tag()
    name = f"Combo {word}"
    assert (
        http.post("/api/configurations", json={"name": name, "settings": {"steps": 1}}).status_code
        == 201
    )
    keep = [
        submit(http, f"{word} harbour boats", label="b harbour", configuration=name),
        submit(http, f"{word} harbour lights", label="a harbour", configuration=name),
    ]
    noise = [
        submit(http, f"{word} harbour refused", configuration=name, faults={"reject": True}),
        submit(http, f"{word} harbour plain"),
        submit(http, f"{word} meadow", configuration=name),
    ]
    wait_all(http, keep, {"completed"})
    wait_all(http, noise, {"completed", "failed"})
    today = datetime.now(UTC).date().isoformat()
    page = listed(
        http,
        q=f"{word} harb",
        status="completed",
        configuration=name,
        **{"from": today, "to": today},
        sort="label",
        order="asc",
        page_size=25,
    )
    assert ids_of(page) == [keep[1]["id"], keep[0]["id"]]
    assert page["total"] == 2 and set(page["highlights"]) == {keep[0]["id"], keep[1]["id"]}
