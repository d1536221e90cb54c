"""Job Management while jobs arrive: the list is read as of its first load, so walking its
pages (numbered, or the scrolling view's chunks) never shows a job twice; "Select all N
matching" acts on the jobs that matched when selected; Export Selected records the filters
the rows were picked under; and the delete confirmation names the running jobs it skips."""

from __future__ import annotations

import io
import re
import time
import zipfile
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import LiveServer, PageFactory, bodies_sent, screenshot
from tests.e2e.test_jobs_page import FAST, api_list, open_jobs, row, rows, shown_ids, wait_until

pytestmark = pytest.mark.e2e


def create(server: LiveServer, word: str, n: int, **body: Any) -> list[Any]:
    """``n`` jobs whose prompt holds ``word``, created in order (not waited for)."""
    return [
        server.create_job(f"a {word} in the rain, number {i}", **FAST, **body) for i in range(n)
    ]


def newest_first(server: LiveServer, word: str) -> list[str]:
    return [j["id"] for j in api_list(server, q=word, page_size=100)["items"]]


def test_pages_do_not_shift_while_jobs_arrive(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    create(live_server, "walker", 30)
    expected = newest_first(live_server, "walker")
    page = open_jobs(new_page, live_server, "?q=walker")
    assert shown_ids(page) == expected[:25]
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator("#table-count")).to_have_text("Showing 26–30 of 30")
    assert shown_ids(page) == expected[25:]

    # Three arrive while page 2 is read: they are counted, and push no row to the next page.
    arrived = create(live_server, "walker", 3)
    notice = page.locator("#new-jobs")
    expect(notice).to_contain_text("3 new jobs since this page loaded.")
    page.get_by_role("button", name="Previous", exact=True).click()
    expect(page.locator("#table-count")).to_contain_text("Showing 1–25 of 30")
    assert shown_ids(page) == expected[:25], "page 1 as it was"
    page.get_by_label("Per page").select_option("50")
    expect(page.locator("#table-count")).to_contain_text("Showing 1–30 of 30")
    assert shown_ids(page) == expected
    page.get_by_label("Per page").select_option("25")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator("#table-count")).to_contain_text("Showing 26–30 of 30")
    walked = expected[:25] + shown_ids(page)
    assert walked == expected and len(set(walked)) == 30, "every job once"
    expect(notice).to_contain_text("3 new jobs since this page loaded.")

    # Show: the list as it is now, newest first.
    notice.get_by_role("button", name="Show them").click()
    expect(notice).to_be_hidden()
    expect(page.locator("#table-count")).to_contain_text("of 33")
    assert shown_ids(page)[:3] == [j["id"] for j in reversed(arrived)]


def test_refresh_reads_the_list_as_it_is_now(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    create(live_server, "refresher", 27)
    page = open_jobs(new_page, live_server, "?q=refresher")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator("#table-count")).to_have_text("Showing 26–27 of 27")
    create(live_server, "refresher", 2)
    notice = page.locator("#new-jobs")
    expect(notice).to_contain_text("2 new jobs since this page loaded.")
    # The person asks for what is there now: the new jobs are in the list, none counted aside.
    page.locator("#jobs-refresh").click()
    expect(page.locator("#table-count")).to_have_text("Showing 26–29 of 29")
    expect(notice).to_be_hidden()


def test_the_scrolling_view_does_not_shift_while_jobs_arrive(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    create(live_server, "scroller", 104)
    expected = newest_first(live_server, "scroller")
    expected += [
        j["id"] for j in api_list(live_server, q="scroller", page=2, page_size=100)["items"]
    ]
    assert len(expected) == 104
    page = open_jobs(new_page, live_server, "?q=scroller&size=all")
    scroller = page.locator("#jobs-scroller")
    scroller.evaluate("s => { s.scrollTop = 600; }")  # away from the top: no reload there
    create(live_server, "scroller", 3)
    expect(page.locator("#new-jobs")).to_contain_text("3 new jobs since this page loaded.")
    # The second chunk (rows 101–104) loads now, as of the first one.
    scroller.evaluate("s => { s.scrollTop = s.scrollHeight; }")
    last = rows(page).last
    expect(last).to_have_attribute("aria-rowindex", "105")
    expect(last).to_have_attribute("data-id", expected[-1])
    drawn = rows(page).evaluate_all(
        "rs => rs.map(r => [Number(r.getAttribute('aria-rowindex')) - 2, r.dataset.id])"
    )
    assert len(drawn) > 8
    for index, job_id in drawn:
        assert expected[index] == job_id, (index, job_id)
    expect(page.locator("#table-count")).to_have_text("Scroll through all 104 jobs")


def test_select_all_matching_acts_on_the_jobs_matched_when_selected(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    picked = create(live_server, "feeder", 26)
    for job in picked:
        live_server.wait_for(job["id"], "completed", "failed")
    page = open_jobs(new_page, live_server, "?q=feeder")
    page.get_by_label("Select all jobs shown").check()
    page.locator("#select-notice-action").click()
    count = page.locator("#batch-count")
    expect(count).to_have_text("All 26 matching jobs selected")

    # Three more arrive; at the top of the newest jobs the table shows them, but they were
    # not selected.
    late = create(live_server, "feeder", 3)
    for job in late:
        live_server.wait_for(job["id"], "completed", "failed")
    expect(page.locator("#table-count")).to_contain_text("of 29")
    expect(count).to_have_text("All 26 matching jobs selected")

    sent = bodies_sent(page, "/api/jobs/bulk/delete")
    page.get_by_role("button", name="Delete Selected").click()
    dialog = page.get_by_role("dialog", name="Delete 26 jobs?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete 26 jobs").click()
    expect(page.locator("#toasts")).to_contain_text("26 jobs deleted.")
    assert sent[0]["expected_count"] == 26 and sent[0]["filter"]["q"] == "feeder"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", sent[0]["filter"]["as_of"])
    wait_until(lambda: api_list(live_server, q="feeder")["total"] == 3)
    assert sorted(newest_first(live_server, "feeder")) == sorted(j["id"] for j in late)
    expect(page.locator("#table-count")).to_contain_text("of 3")


def test_export_selected_records_the_filters_the_rows_were_picked_under(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    failed = create(live_server, "ember", 3, faults={"reject": True})
    done = create(live_server, "ember", 2)
    for job in [*failed, *done]:
        live_server.wait_for(job["id"], "completed", "failed")
    page = open_jobs(new_page, live_server, "?status=failed&q=ember")
    expect(page.locator("#table-count")).to_contain_text("of 3")
    page.get_by_label("Select all jobs shown").check()
    sent = bodies_sent(page, "/api/exports")
    with page.expect_download() as info:
        page.get_by_role("button", name="Export Selected").click()
    assert sorted(sent[0]["ids"]) == sorted(j["id"] for j in failed)
    assert sent[0]["selected_from"] == {"status": ["failed"], "q": "ember"}
    path = info.value.path()
    assert path is not None
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as book:
        text = "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    for cell in ("selected from: status", "Failed", "selected from: q", "ember"):
        assert f">{cell}<" in text, cell


def test_the_delete_confirmation_names_the_running_jobs_it_skips(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    finished = create(live_server, "lantern", 3)
    for job in finished:
        live_server.wait_for(job["id"], "completed", "failed")
    slow = {"steps": 150, "size": "256x256", "faults": {"step_delay": 0.2}}
    running = [live_server.create_job(f"a slow lantern {i}", **slow) for i in range(2)]
    try:
        for job in running:
            live_server.wait_for(job["id"], "running")
        page = open_jobs(new_page, live_server, "?q=lantern", scheme="light")
        for job in [*finished, *running]:
            row(page, job["id"]).locator(".jobs-check").check()
        expect(page.locator("#batch-count")).to_have_text("5 jobs selected")
        sent = bodies_sent(page, "/api/jobs/bulk/delete")
        page.get_by_role("button", name="Delete Selected").click()
        dialog = page.get_by_role("dialog", name="Delete 3 jobs?")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("2 running jobs will be skipped: stop them first.")
        expect(dialog.get_by_role("button", name="Delete 3 jobs")).to_be_visible()
        screenshot(page, "jobs-delete-running-light")
        page.emulate_media(color_scheme="dark")
        page.evaluate("document.documentElement.dataset.theme = 'dark'")
        screenshot(page, "jobs-delete-running-dark")
        dialog.get_by_role("button", name="Delete 3 jobs").click()
        expect(page.locator("#toasts")).to_contain_text("3 jobs deleted.")
        assert sent == [{"ids": [j["id"] for j in finished]}], "only what the dialog named"
        # The running ones stay, selected: stop them first.
        expect(page.locator("#batch-count")).to_have_text("2 jobs selected")
        expect(page.locator("#toasts")).not_to_contain_text("not deleted")
        for job in running:
            expect(row(page, job["id"])).to_have_attribute("aria-selected", "true")
        # Only running jobs picked: nothing to ask, nothing sent.
        page.get_by_role("button", name="Delete Selected").click()
        expect(page.locator("#toasts")).to_contain_text(
            "All 2 selected jobs are running and cannot be deleted: stop them first."
        )
        expect(page.get_by_role("dialog")).to_have_count(0)
        time.sleep(0.3)
        assert len(sent) == 1
    finally:
        for job in running:
            live_server.api.post(f"/api/jobs/{job['id']}/cancel")
