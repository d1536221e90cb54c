"""Job Management: selection kept across pages and filters, "Select all N matching", and
the batch operations — rerun (with the queue indicator), export (an .xlsx downloaded and
opened as a workbook), delete (a confirmation dialog naming the count)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import LiveServer, PageFactory, bodies_sent, screenshot
from tests.e2e.test_jobs_page import (
    FAST,
    api_list,
    open_jobs,
    row,
    rows,
    seed_jobs,
    shown_ids,
    wait_until,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> Iterator[list[Any]]:
    """30 lighthouse jobs and 6 meadow jobs (so the lighthouses fill more than one page)."""
    specs = [
        (f"Lighthouse {i:02d}", f"a lighthouse in a storm, wave {i}", False) for i in range(30)
    ]
    specs += [(f"Meadow {i:02d}", f"a meadow with poppies, bee {i}", False) for i in range(6)]
    yield seed_jobs(live_server, specs)


def select(page: Page, job_id: str) -> None:
    row(page, job_id).locator(".jobs-check").check()


def test_selection_survives_pages_and_filters_then_bulk_rerun(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=lighthouse")
    toolbar = page.get_by_role("toolbar", name="Batch operations")
    for name in ["Rerun Selected", "Export Selected", "Delete Selected", "Clear Selection"]:
        expect(toolbar.get_by_role("button", name=name)).to_be_disabled()
    first_page = shown_ids(page)
    select(page, first_page[0])
    select(page, first_page[1])
    expect(page.locator("#batch-count")).to_have_text("2 jobs selected")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator("#page-of")).to_have_text("Page 2 of 2")
    second = shown_ids(page)
    select(page, second[0])
    expect(page.locator("#batch-count")).to_have_text("3 jobs selected")
    # Back on page 1 the ticks are still there; another filter keeps them too.
    page.get_by_role("button", name="Previous", exact=True).click()
    expect(row(page, first_page[0])).to_have_attribute("aria-selected", "true")
    page.get_by_label("Search", exact=True).fill("meadow")
    expect(page.locator("#page-total")).to_have_text("Total: 6 jobs")
    expect(page.locator("#batch-count")).to_have_text("3 jobs selected")
    screenshot(page, "jobs-selection-dark")

    before = api_list(live_server)["total"]
    # Reruns spend provider time: the page asks first, and "Not now" queues nothing.
    toolbar.get_by_role("button", name="Rerun Selected").click()
    dialog = page.get_by_role("dialog", name="Rerun 3 jobs?")
    expect(dialog).to_contain_text("runs again as a new job")
    dialog.get_by_role("button", name="Not now").click()
    expect(dialog).to_be_hidden()
    expect(toolbar.get_by_role("button", name="Rerun Selected")).to_be_focused()
    assert api_list(live_server)["total"] == before
    toolbar.get_by_role("button", name="Rerun Selected").click()
    dialog.get_by_role("button", name="Rerun 3 jobs").click()
    expect(page.locator("#toasts")).to_contain_text("3 reruns queued, to start in this order.")
    queue = page.locator("#rerun-queue")
    expect(queue).to_be_visible()
    expect(queue).to_contain_text(re.compile(r"Reruns: \d+ queued · \d+ running · \d+ completed"))
    expect(queue).to_contain_text("Reruns: 0 queued · 0 running · 3 completed", timeout=30_000)
    newest = api_list(live_server, limit=3)["items"]
    assert api_list(live_server)["total"] == before + 3
    assert {j["rerun_of"] for j in newest} == {first_page[0], first_page[1], second[0]}


def test_export_selected_downloads_a_workbook(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=meadow", scheme="light", timezone_id="Asia/Tokyo")
    ids = shown_ids(page)[:2]
    for job_id in ids:
        select(page, job_id)
    with page.expect_download() as info:
        page.get_by_role("button", name="Export Selected").click()
    download = info.value
    assert re.fullmatch(r"genfactory-jobs-.*\.xlsx", download.suggested_filename)
    expect(page.locator("#batch-progress-text")).to_contain_text("Export ready")
    expect(page.locator("#batch-progress-bar")).to_have_attribute("value", "100")
    path = download.path()
    assert path is not None
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as book:
        names = book.namelist()
        assert "xl/workbook.xml" in names
        sheets = [n for n in names if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) >= 2  # jobs, images (and the filters used)
        text = "".join(book.read(n).decode() for n in [*sheets, *names] if n.endswith(".xml"))
    for job_id in ids:
        assert job_id in text
    # The times are on the reader's clock (the browser's zone), and the headers say so.
    assert "Created (Asia/Tokyo)" in text and "exported at (Asia/Tokyo)" in text
    screenshot(page, "jobs-export-light")


def test_export_says_where_the_server_saved_its_copy(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any], tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    saved = {"include_images": False, "folder": str(folder)}
    live_server.api.put("/api/preferences/exports", json=saved).raise_for_status()
    try:
        page = open_jobs(new_page, live_server, "?q=meadow")
        select(page, shown_ids(page)[0])
        with page.expect_download() as info:
            page.get_by_role("button", name="Export Selected").click()
        name = info.value.suggested_filename
        progress = page.locator("#batch-progress-text")
        expect(progress).to_contain_text("Export ready")
        expect(progress).to_contain_text(f"A copy is saved on the server at {folder / name}")
        assert (folder / name).read_bytes()[:2] == b"PK"  # the same workbook, on the server
    finally:
        live_server.api.put(
            "/api/preferences/exports", json={"include_images": False, "folder": None}
        ).raise_for_status()


def test_delete_selected_asks_naming_the_count(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=meadow&sort=label&order=asc")
    ids = shown_ids(page)
    for job_id in ids[:3]:
        select(page, job_id)
    # Keep them: nothing is deleted.
    page.get_by_role("button", name="Delete Selected").click()
    dialog = page.get_by_role("dialog", name="Delete 3 jobs?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Delete 3 jobs")).to_be_visible()
    screenshot(page, "jobs-delete-dialog-dark")
    dialog.get_by_role("button", name="Keep them").click()
    expect(dialog).to_be_hidden()
    assert all(live_server.api.get(f"/api/jobs/{i}").status_code == 200 for i in ids[:3])

    # The Delete key asks the same; confirming deletes exactly those three.
    rows(page).first.focus()
    page.keyboard.press("Delete")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete 3 jobs").click()
    expect(page.locator("#toasts")).to_contain_text("3 jobs deleted.")
    expect(page.locator("#batch-count")).to_have_text("No jobs selected")
    for job_id in ids[:3]:
        expect(row(page, job_id)).to_have_count(0)
        assert live_server.api.get(f"/api/jobs/{job_id}").status_code == 404
    for job_id in ids[3:]:
        assert live_server.api.get(f"/api/jobs/{job_id}").status_code == 200


def test_the_scrolling_views_header_box_selects_every_matching_job(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    total = api_list(live_server, q="lighthouse")["total"]
    page = open_jobs(new_page, live_server, "?q=lighthouse")
    page.get_by_label("Per page").select_option("all")
    expect(page.locator("#jobs-scroller")).to_have_class(re.compile("is-virtual"))
    drawn = rows(page).count()
    assert 0 < drawn < total  # only the rows in view are drawn
    header = page.get_by_label("Select all jobs shown")
    header.check()
    # Every matching job, not the rows drawn at the moment.
    expect(page.locator("#batch-count")).to_have_text(f"All {total} matching jobs selected")
    expect(page.locator("#select-notice")).to_contain_text(
        f"All {total} jobs matching the filters are selected."
    )
    page.locator("#jobs-scroller").evaluate("s => { s.scrollTop = s.scrollHeight; }")
    expect(rows(page).last).to_have_attribute("aria-selected", "true")
    expect(header).to_be_checked()
    header.uncheck()
    expect(page.locator("#batch-count")).to_have_text("No jobs selected")
    # One row ticked by hand: the header box says "some", not "all".
    rows(page).first.locator(".jobs-check").check()
    expect(page.locator("#batch-count")).to_have_text("1 job selected")
    assert header.evaluate("h => h.indeterminate && !h.checked")
    expect(page.locator("#select-notice")).to_be_hidden()


def test_select_all_matching_acts_on_the_filter(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    total = api_list(live_server, q="lighthouse")["total"]
    assert total > 25
    page = open_jobs(new_page, live_server, "?q=lighthouse")
    page.get_by_label("Select all jobs shown").check()
    expect(page.locator("#batch-count")).to_have_text("25 jobs selected")
    notice = page.locator("#select-notice")
    expect(notice).to_contain_text("All 25 jobs shown here are selected.")
    notice.get_by_role("button", name=f"Select all {total} matching jobs").click()
    expect(page.locator("#batch-count")).to_have_text(f"All {total} matching jobs selected")
    expect(notice).to_contain_text(f"All {total} jobs matching the filters are selected.")
    # Rows of page 2 show as selected too.
    page.get_by_role("button", name="Next", exact=True).click()
    expect(rows(page).first).to_have_attribute("aria-selected", "true")
    screenshot(page, "jobs-select-all-dark")

    # Delete asks about every matching job and sends the filter with the count seen.
    sent = bodies_sent(page, "/api/jobs/bulk/delete")
    page.get_by_role("button", name="Delete Selected").click()
    dialog = page.get_by_role("dialog", name=f"Delete {total} jobs?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=f"Delete {total} jobs").click()
    expect(page.locator("#toasts")).to_contain_text(f"{total} jobs deleted.")
    assert len(sent) == 1 and sent[0]["expected_count"] == total
    # The filter as the list shows it: as of the moment it was loaded (later jobs are not
    # part of the selection).
    assert sent[0]["filter"] == {"q": "lighthouse", "as_of": sent[0]["filter"]["as_of"]}
    wait_until(lambda: api_list(live_server, q="lighthouse")["total"] == 0)
    expect(page.locator("#table-empty-title")).to_have_text("No jobs match these filters.")

    # Unticking one row in "all matching" mode narrows to the rows shown.
    page.get_by_role("button", name="Clear filters").click()
    expect(rows(page).first).to_be_visible()
    page.get_by_label("Select all jobs shown").check()
    shown = rows(page).count()
    if api_list(live_server)["total"] > shown:
        page.locator("#select-notice-action").click()
        rows(page).first.locator(".jobs-check").uncheck()
        expect(page.locator("#batch-count")).to_have_text(f"{shown - 1} jobs selected")
    page.get_by_role("button", name="Clear Selection").click()
    expect(page.locator("#batch-count")).to_have_text("No jobs selected")


def test_all_matching_follows_deletions_not_arrivals_and_survives_a_conflict(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    specs = [(f"Nebula {i:02d}", f"a nebula in deep space, star {i}", False) for i in range(27)]
    nebulae = seed_jobs(live_server, specs)
    page = open_jobs(new_page, live_server, "?q=nebula")
    page.get_by_label("Select all jobs shown").check()
    page.locator("#select-notice-action").click()
    count = page.locator("#batch-count")
    expect(count).to_have_text("All 27 matching jobs selected")

    # A matching job arrives: the table shows it (the top of the newest jobs), but it was not
    # selected, so the selection does not grow.
    job = live_server.create_job("a nebula at dusk, star 27", label="Nebula 27", **FAST)
    live_server.wait_for(job["id"], "completed", "failed")
    expect(page.locator("#table-count")).to_contain_text("of 28")
    expect(count).to_have_text("All 27 matching jobs selected")

    # A selected job deleted elsewhere: the selection counts what is left of it.
    live_server.api.post("/api/jobs/bulk/delete", json={"ids": [nebulae[0]["id"]]})
    expect(count).to_have_text("All 26 matching jobs selected")

    # One more deleted while the dialog asks about 26: the server refuses (nothing is done),
    # and the selection stays, at the new count, to confirm again.
    page.get_by_role("button", name="Delete Selected").click()
    dialog = page.get_by_role("dialog", name="Delete 26 jobs?")
    expect(dialog).to_be_visible()
    live_server.api.post("/api/jobs/bulk/delete", json={"ids": [nebulae[1]["id"]]})
    dialog.get_by_role("button", name="Delete 26 jobs").click()
    expect(page.locator("#toasts")).to_contain_text(
        "Nothing was done: The filter now matches 25 jobs, not 26; look again and confirm."
    )
    expect(count).to_have_text("All 25 matching jobs selected")
    assert api_list(live_server, q="nebula")["total"] == 26
    page.get_by_role("button", name="Delete Selected").click()
    page.get_by_role("dialog", name="Delete 25 jobs?").get_by_role(
        "button", name="Delete 25 jobs"
    ).click()
    expect(page.locator("#toasts")).to_contain_text("25 jobs deleted.")
    # The job that arrived after the selection is still there.
    wait_until(lambda: [j["id"] for j in api_list(live_server, q="nebula")["items"]] == [job["id"]])
