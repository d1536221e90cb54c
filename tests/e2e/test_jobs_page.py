"""Job Management (`/jobs`): the shell, filters + search + pagination, the statistics cards
as filters, presets, inline rename (with a forced server error rolling back), the Single Job
View with its gallery and timeline, keyboard shortcuts, the actions menu, the windowed
"All (scroll)" view of 1,500 rows, and the empty / loading / error states.

The other ``test_jobs_page_*`` modules import the helpers below."""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.e2e.helpers import LiveServer, PageFactory, screenshot

pytestmark = pytest.mark.e2e

FAST = {"steps": 1, "size": "256x256"}


# -- helpers (shared with the other test_jobs_page_* modules) -------------------------------


def seed_jobs(server: LiveServer, specs: list[tuple[str, str, bool]]) -> list[Any]:
    """Create jobs from (label, prompt, fail) and wait until each has finished."""
    jobs = []
    for label, prompt, fail in specs:
        body: dict[str, Any] = {**FAST, "label": label}
        if fail:
            body["faults"] = {"reject": True}
        jobs.append(server.create_job(prompt, **body))
    return [server.wait_for(j["id"], "completed", "failed", timeout=60) for j in jobs]


def open_jobs(new_page: PageFactory, server: LiveServer, query: str = "", **kw: Any) -> Page:
    page = new_page(**kw)
    page.goto(f"{server.url}/jobs{query}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#main")).to_have_attribute("data-view", "ready")
    return page


def rows(page: Page) -> Locator:
    return page.locator("#jobs-body tr.jrow[data-id]")


def row(page: Page, job_id: str) -> Locator:
    return page.locator(f'#jobs-body tr[data-id="{job_id}"]')


def shown_ids(page: Page) -> list[str]:
    return list(rows(page).evaluate_all("rs => rs.map(r => r.dataset.id)"))


def api_list(server: LiveServer, **params: Any) -> Any:
    response = server.api.get("/api/jobs", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def wait_idle(server: LiveServer, timeout: float = 30.0) -> None:
    """Until no job is queued or running (so counts stay put)."""

    def idle() -> bool:
        counts = server.api.get("/api/jobs/stats").json()["by_status"]
        return not (counts["queued"] or counts["running"] or counts["uploading"])

    wait_until(idle, timeout)


def wait_until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> Iterator[list[Any]]:
    """34 jobs: 14 harbor scenes, 12 forest scenes (completed) and 8 rejected deserts."""
    specs = [(f"Harbor {i:02d}", f"a foggy harbor at dawn, boat {i}", False) for i in range(14)]
    specs += [
        (f"Forest {i:02d}", f"a quiet pine forest in snow, deer {i}", False) for i in range(12)
    ]
    specs += [(f"Desert {i:02d}", f"a red desert canyon, rider {i}", True) for i in range(8)]
    yield seed_jobs(live_server, specs)


# -- the shell ---------------------------------------------------------------------------


def test_shell_has_meta_tags_nav_and_a_strict_csp(live_server: LiveServer) -> None:
    response = live_server.api.get("/jobs")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    html = response.text
    assert "<title>Job Management</title>" in html
    assert 'property="og:title" content="Job Management · Gen Image Factory"' in html
    assert 'name="description" content="Every job at a glance' in html
    assert f'property="og:url" content="{live_server.url}/jobs"' in html
    assert "<script>" not in html and " style=" not in html
    assert re.search(r'href="/jobs"\s+aria-current="page"', html)


def test_header_breadcrumb_status_and_help(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = open_jobs(new_page, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Job Management")
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(crumbs.get_by_role("link", name="Dashboard")).to_have_attribute("href", "/")
    expect(crumbs.locator('[aria-current="page"]')).to_have_text("Job Management")
    expect(page.get_by_role("link", name="Back to Dashboard")).to_have_attribute("href", "/")
    expect(page.locator("#system-status")).to_have_attribute("data-state", "ok")
    expect(page.locator("#system-status-text")).to_contain_text("System OK")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.get_by_role("button", name="Help").click()
    help_dialog = page.get_by_role("dialog", name="Job Management help")
    expect(help_dialog).to_be_visible()
    for key in ["/", "r", "Delete", "Esc", "Space", "Enter", "F2"]:
        expect(
            help_dialog.locator("kbd", has_text=re.compile(f"^{re.escape(key)}$")).first
        ).to_be_visible()
    expect(help_dialog).to_contain_text("Select all N matching")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Help")).to_be_focused()


# -- filters, search, pagination --------------------------------------------------------


def test_filter_search_and_paginate(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    total = api_list(live_server)["total"]
    page = open_jobs(new_page, live_server, scheme="light")
    expect(page.locator("#page-total")).to_have_text(f"Total: {total} jobs")
    expect(rows(page)).to_have_count(25)
    expect(page.locator("#page-of")).to_have_text(f"Page 1 of {math.ceil(total / 25)}")

    # Status: Failed only (the multi-select).
    page.locator("#status-button").click()
    page.get_by_label("Failed", exact=True).check()
    page.keyboard.press("Escape")
    expect(page.locator("#status-button-text")).to_have_text("Failed")
    expect(page.locator("#page-total")).to_have_text("Total: 8 jobs")
    expect(page.locator("#jobs-body .pill")).to_have_count(8)
    for text in page.locator("#jobs-body .pill").all_inner_texts():
        assert text == "Failed"
    expect(page.locator("#filter-chips")).to_contain_text("Status: Failed")
    assert "status=failed" in page.url

    # Add Completed too; then search (debounced) narrows to the harbor jobs.
    page.locator("#status-button").click()
    page.get_by_label("Completed", exact=True).check()
    page.keyboard.press("Escape")
    expect(page.locator("#status-button-text")).to_have_text("Completed, Failed")
    page.get_by_label("Search", exact=True).fill("harbor")
    expect(page.locator("#page-total")).to_have_text("Total: 14 jobs")
    expect(page.locator("#jobs-body mark").first).to_have_text(re.compile("harbor", re.IGNORECASE))
    for label in page.locator("#jobs-body .jlabel__text").all_inner_texts():
        assert label.startswith("Harbor")
    expect(page.locator("#filter-summary-text")).to_have_text("2 filters active:")
    screenshot(page, "jobs-filtered-light")

    # Remove the status chip (quick clear): the search stays.
    page.get_by_role("button", name="Remove filter Status: Completed, Failed").click()
    expect(page.locator("#status-button-text")).to_have_text("All")
    expect(page.locator("#page-total")).to_have_text("Total: 14 jobs")

    # Clear everything, then paginate.
    page.get_by_role("button", name="Clear", exact=True).click()
    expect(page.get_by_label("Search", exact=True)).to_have_value("")
    expect(page.locator("#page-total")).to_have_text(f"Total: {total} jobs")
    first_page = shown_ids(page)
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator("#page-of")).to_have_text(f"Page 2 of {math.ceil(total / 25)}")
    expect(rows(page)).to_have_count(total - 25)
    assert not set(shown_ids(page)) & set(first_page)
    expect(page.get_by_role("button", name="Page 2", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    assert "page=2" in page.url
    # Jump to page 1, then a bad page.
    page.get_by_label("Go to page").fill("1")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.locator("#page-of")).to_have_text(f"Page 1 of {math.ceil(total / 25)}")
    page.get_by_label("Go to page").fill("99")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.locator("#jump-error")).to_have_text(
        f"Enter a page from 1 to {math.ceil(total / 25)}."
    )
    # Page size 50: one page; the range error was about the old pages and goes.
    page.get_by_label("Per page").select_option("50")
    expect(rows(page)).to_have_count(total)
    expect(page.locator("#page-next")).to_be_disabled()
    expect(page.locator("#jump-error")).to_have_text("")
    # No pages at all in the scroll view: no page error either.
    page.get_by_label("Go to page").fill("99")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.locator("#jump-error")).to_have_text("Enter a page from 1 to 1.")
    page.get_by_label("Per page").select_option("all")
    expect(page.locator("#jump-error")).to_have_text("")
    page.get_by_label("Per page").select_option("50")

    # The address keeps the view: a reload shows the same.
    page.get_by_label("Search", exact=True).fill("forest")
    expect(page.locator("#page-total")).to_have_text("Total: 12 jobs")
    query = parse_qs(urlparse(page.url).query)
    assert query == {"q": ["forest"], "size": ["50"]}
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.get_by_label("Search", exact=True)).to_have_value("forest")
    expect(page.locator("#page-total")).to_have_text("Total: 12 jobs")


def test_sort_dates_and_configuration_filter(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=harbor")
    page.get_by_role("button", name="Sort by Name / Label", exact=True).click()
    expect(page.locator('th:has(button[data-sort="label"])')).to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(page.locator("#jobs-body .jlabel__text").first).to_have_text("Harbor 00")
    page.get_by_role("button", name="Sort by Name / Label", exact=True).click()
    expect(page.locator("#jobs-body .jlabel__text").first).to_have_text("Harbor 13")

    # A date range in the future matches nothing: the "no match" state offers to clear.
    page.get_by_label("From", exact=True).fill("2099-01-01")
    expect(page.locator("#table-empty-title")).to_have_text("No jobs match these filters.")
    page.get_by_label("To", exact=True).fill("2099-12-31")
    expect(page.locator("#filter-chips")).to_contain_text("To Dec 31, 2099")
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator("#date-error")).to_have_text("")
    expect(rows(page).first).to_be_visible()
    expect(page.locator("#filter-configuration option").first).to_have_text("All configurations")


def test_an_inverted_date_range_applies_neither_date(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=harbor", scheme="light")
    date_from = page.get_by_label("From", exact=True)
    date_to = page.get_by_label("To", exact=True)
    chips = page.locator("#filter-chips")
    error = page.locator("#date-error")

    # "From" alone applies; a "To" before it inverts the range: neither date applies (not
    # "From" alone), and the field just edited is the one marked.
    date_from.fill("2099-12-10")
    expect(page.locator("#table-empty-title")).to_have_text("No jobs match these filters.")
    date_to.fill("2099-12-01")
    expect(error).to_have_text("The “From” date must be on or before the “To” date.")
    expect(date_to).to_have_attribute("aria-invalid", "true")
    expect(date_from).not_to_have_attribute("aria-invalid", "true")
    expect(chips).not_to_contain_text("From")
    expect(chips).not_to_contain_text("To ")
    expect(rows(page).first).to_be_visible()
    assert "from=" not in page.url and "to=" not in page.url
    screenshot(page, "jobs-dates-inverted-light")

    # Other filters change meanwhile: what was typed stays, with its error.
    page.locator("#filter-search").fill("harbor 0")
    page.locator("#filter-search").press("Enter")
    expect(chips).to_contain_text("Search: “harbor 0”")
    expect(date_from).to_have_value("2099-12-10")
    expect(date_to).to_have_value("2099-12-01")
    expect(error).not_to_have_text("")

    # Put right: both dates apply.
    date_to.fill("2099-12-31")
    expect(error).to_have_text("")
    expect(chips).to_contain_text("From Dec 10, 2099")
    expect(chips).to_contain_text("To Dec 31, 2099")
    expect(date_to).not_to_have_attribute("aria-invalid", "true")

    # A whole range applied before stays while the new one is inverted.
    date_from.fill("2100-01-05")
    expect(error).not_to_have_text("")
    expect(date_from).to_have_attribute("aria-invalid", "true")
    expect(date_to).not_to_have_attribute("aria-invalid", "true")
    expect(chips).to_contain_text("From Dec 10, 2099")
    expect(chips).to_contain_text("To Dec 31, 2099")
    page.locator("#filters-clear").click()
    expect(error).to_have_text("")
    expect(date_from).to_have_value("")
    expect(date_to).to_have_value("")
    expect(rows(page).first).to_be_visible()


def test_configuration_filter_and_the_version_in_the_modal(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    body = {"name": "Noir stills", "settings": {"provider": "procedural", "steps": 1}}
    assert live_server.api.post("/api/configurations", json=body).status_code == 201
    job = live_server.create_job(
        "a detective under a street lamp", configuration="Noir stills", size="256x256"
    )
    job = live_server.wait_for(job["id"], "completed")
    page = open_jobs(new_page, live_server)
    select = page.get_by_label("Configuration")
    expect(select.locator("option")).to_have_text(["All configurations", "Noir stills"])
    select.select_option("Noir stills")
    expect(page.locator("#page-total")).to_have_text("Total: 1 job")
    expect(rows(page)).to_have_count(1)
    expect(page.locator("#filter-chips")).to_contain_text("Configuration: Noir stills")
    assert "config=Noir+stills" in page.url
    row(page, job["id"]).locator(".job-id").click()
    expect(page.locator("#modal-info")).to_contain_text("Noir stills v1")
    # The modal's own Export and Rerun.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export", exact=True).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    expect(page.locator("#modal-operation")).to_contain_text("Export ready")
    page.get_by_role("button", name="Rerun", exact=True).click()
    expect(page.locator("#modal-operation")).to_contain_text("Rerun queued as job")
    page.keyboard.press("Escape")


def test_stat_cards_show_counts_and_filter_the_table(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    wait_idle(live_server)
    stats = live_server.api.get("/api/jobs/stats").json()
    page = open_jobs(new_page, live_server)
    expect(page.locator("#stat-total-value")).to_have_text(str(stats["total"]["count"]))
    expect(page.locator("#stat-completed-value")).to_have_text(str(stats["completed"]["count"]))
    expect(page.locator("#stat-failed-value")).to_have_text(str(stats["failed"]["count"]))
    expect(page.locator("#stat-completed-detail")).to_contain_text("success rate")
    expect(page.locator("#stat-failed-detail")).to_contain_text("failure rate")
    expect(page.locator("#stat-pending-detail")).to_have_text("Queue empty")
    expect(page.locator("#stat-total-detail")).to_contain_text("previous 7 days")
    expect(page.locator("#stat-total")).to_have_attribute("aria-pressed", "true")

    page.locator("#stat-failed").click()
    expect(page.locator("#stat-failed")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#stat-total")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#status-button-text")).to_have_text("Failed")
    expect(page.locator("#page-total")).to_have_text(f"Total: {stats['failed']['count']} jobs")
    page.locator("#stat-total").click()
    expect(page.locator("#status-button-text")).to_have_text("All")


def test_presets_save_apply_and_delete(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = open_jobs(new_page, live_server, "?status=failed&q=desert")
    page.get_by_role("button", name="Presets").click()
    expect(page.locator("#presets-list")).to_contain_text("No saved presets yet.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#preset-error")).to_have_text("Enter a name for the preset.")
    page.get_by_label("Save current filters as").fill("Rejected deserts")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("button", name="Apply preset Rejected deserts")).to_be_visible()
    saved = live_server.api.get("/api/presets").json()
    assert [(p["name"], p["filter"]) for p in saved] == [
        ("Rejected deserts", {"status": ["failed"], "q": "desert"})
    ]
    # A taken name: the server's 409 is shown at the field.
    page.get_by_label("Save current filters as").fill("Rejected deserts")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#preset-error")).not_to_have_text("")
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Clear", exact=True).click()
    expect(page.locator("#filter-summary-text")).to_have_text("No filters: showing every job.")
    page.get_by_role("button", name="Presets").click()
    page.get_by_role("button", name="Apply preset Rejected deserts").click()
    expect(page.locator("#status-button-text")).to_have_text("Failed")
    expect(page.get_by_label("Search", exact=True)).to_have_value("desert")
    expect(page.locator("#page-total")).to_have_text("Total: 8 jobs")

    page.get_by_role("button", name="Presets").click()
    page.get_by_role("button", name="Delete preset Rejected deserts").click()
    expect(page.locator("#presets-list")).to_contain_text("No saved presets yet.")
    assert live_server.api.get("/api/presets").json() == []


# -- inline rename ------------------------------------------------------------------------


def test_inline_rename_saves_cancels_and_rolls_back_on_error(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    job = seeded[0]
    page = open_jobs(new_page, live_server, f"?q={job['short_id']}")
    target = row(page, job["id"])
    expect(target).to_have_count(1)

    # Click, type, Enter: saved on the server.
    target.locator(".jlabel__text").click()
    field = target.get_by_role("textbox")
    expect(field).to_be_focused()
    expect(field).to_have_value(job["label"])
    field.fill("  Harbor, renamed  ")
    field.press("Enter")
    expect(target.locator(".jlabel__text")).to_have_text("Harbor, renamed")
    wait_until(lambda: live_server.job(job["id"])["label"] == "Harbor, renamed")
    expect(target.locator(".jlabel__text")).to_be_focused()

    # Escape cancels.
    page.keyboard.press("Enter")
    target.get_by_role("textbox").fill("never saved")
    target.get_by_role("textbox").press("Escape")
    expect(target.locator(".jlabel__text")).to_have_text("Harbor, renamed")

    # Empty is refused at the field, nothing is sent.
    target.locator(".jlabel__text").click()
    target.get_by_role("textbox").fill("   ")
    target.get_by_role("textbox").press("Enter")
    expect(target.locator(".jlabel__error")).to_have_text("Enter a label (1–200 characters).")
    expect(target.get_by_role("textbox")).to_have_attribute("aria-invalid", "true")
    # So are a control character and a tab, in the server's words.
    target.get_by_role("textbox").fill("bad\u0007bell")
    target.get_by_role("textbox").press("Enter")
    expect(target.locator(".jlabel__error")).to_have_text(
        "Label must not contain control characters (found U+0007)."
    )
    target.get_by_role("textbox").fill("two\tcolumns")
    target.get_by_role("textbox").press("Enter")
    expect(target.locator(".jlabel__error")).to_have_text(
        "Label must be one line, without tabs or line breaks (found U+0009)."
    )
    expect(target.get_by_role("textbox")).to_be_focused()
    target.get_by_role("textbox").press("Escape")
    assert live_server.job(job["id"])["label"] == "Harbor, renamed"

    # A server error: shown at once (optimistic), then rolled back with the server's words
    # (a 500 is an answer, not "Server unavailable"), as a sentence.
    patches: list[str] = []
    answer = {"status": 500, "detail": {"code": "internal", "message": "The database is locked"}}

    def fail(route: Route) -> None:
        if route.request.method == "PATCH":
            patches.append(route.request.post_data or "")
            route.fulfill(status=answer["status"], json={"detail": answer["detail"]})
        else:
            route.fallback()

    page.route(f"**/api/jobs/{job['id']}", fail)
    target.locator(".jlabel__text").click()
    target.get_by_role("textbox").fill("Optimistic name")
    target.get_by_role("textbox").press("Enter")
    expect(target.locator(".jlabel__text")).to_have_text("Harbor, renamed")
    expect(target.locator(".jlabel__error")).to_have_text(
        "Could not rename: The database is locked. The label was restored."
    )
    expect(page.locator("#toasts")).to_contain_text("Could not rename")
    assert json.loads(patches[0]) == {"label": "Optimistic name"}
    assert live_server.job(job["id"])["label"] == "Harbor, renamed"
    screenshot(page, "jobs-rename-error-dark")
    # A proxy's 503: the server did not answer.
    answer.update(status=503, detail="Service Unavailable")
    target.locator(".jlabel__text").click()
    target.get_by_role("textbox").fill("Optimistic again")
    target.get_by_role("textbox").press("Enter")
    expect(target.locator(".jlabel__error")).to_have_text(
        "Could not rename: Server unavailable. The label was restored."
    )
    # On a phone the message wraps; it is read whole, never cut off with "…".
    page.set_viewport_size({"width": 390, "height": 800})
    cut = target.locator(".jlabel__error").evaluate("e => e.scrollWidth > e.clientWidth + 1")
    assert not cut, "the error line is cut off at 390 px"
    # The table scrolls sideways inside its card there, and a line says so.
    expect(page.locator("#jobs-scroll-hint")).to_be_visible()
    scroller = page.locator("#jobs-scroller")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.locator("#jobs-scroll-hint")).to_be_hidden()

    # F2 renames from the keyboard too.
    page.unroute(f"**/api/jobs/{job['id']}")
    target.focus()
    page.keyboard.press("F2")
    expect(target.get_by_role("textbox")).to_be_focused()
    target.get_by_role("textbox").fill(job["label"])
    target.get_by_role("textbox").press("Enter")
    wait_until(lambda: live_server.job(job["id"])["label"] == job["label"])
    # Back on the row, where Enter opens the job (not another rename); Escape too.
    expect(target).to_be_focused()
    page.keyboard.press("F2")
    target.get_by_role("textbox").press("Escape")
    expect(target).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#job-modal")).to_be_visible()


# -- the Single Job View -----------------------------------------------------------------


def test_modal_shows_information_gallery_and_timeline(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    job = live_server.create_job("two lanterns by a river", steps=2, size="256x256", count=3)
    job = live_server.wait_for(job["id"], "completed")
    page = open_jobs(new_page, live_server)
    opener = row(page, job["id"]).locator(".job-id")
    opener.click()
    dialog = page.locator("#job-modal")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box is not None and 880 <= box["width"] <= 900 and 680 <= box["height"] <= 700
    expect(page.locator("#modal-title")).to_contain_text("Single Job View")
    info = page.locator("#modal-info")
    expect(info).to_contain_text(job["id"])
    expect(info.locator("dd").nth(1)).to_have_text(re.compile(r"^Completed\s*at \w+ \d+"))
    expect(info).to_contain_text("None (options set on the job)")
    expect(info).to_contain_text("3 generated, 3 passed, 0 failed")
    expect(page.get_by_role("link", name="View Details")).to_have_attribute(
        "href", f"/jobs/{job['id']}"
    )

    # Gallery: three images with their QC state; reject one by hand.
    tiles = page.locator("#gallery-grid .gallery__item[data-id]")
    expect(tiles).to_have_count(3)
    expect(tiles.first.locator(".qc-badge")).to_have_text(re.compile("Passed"))
    page.get_by_role("button", name="Reject image 2", exact=True).click()
    page.get_by_role("button", name="Reject image 2 with this reason").click()
    expect(page.get_by_role("button", name="Reject image 2", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    images = live_server.api.get(f"/api/jobs/{job['id']}/images").json()
    wait_until(
        lambda: (
            live_server.api.get(f"/api/jobs/{job['id']}/images").json()[1]["qc_status"] == "failed"
        )
    )
    expect(info).to_contain_text("3 generated, 2 passed, 1 failed")
    page.get_by_label("QC status").select_option("failed")
    expect(tiles).to_have_count(1)
    expect(tiles.first).to_have_attribute("data-id", images[1]["id"])
    page.get_by_label("QC status").select_option("")
    page.get_by_label("Sort images by").select_option("quality")
    expect(tiles).to_have_count(3)
    expect(tiles.last).to_have_attribute("data-id", images[1]["id"])  # failed sorts last
    page.get_by_role("button", name="Approve image 2").click()
    expect(info).to_contain_text("3 generated, 3 passed, 0 failed")
    # Export selected: one ZIP of the selected images.
    page.get_by_label("Select image 1").check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export selected (1)").click()
    assert download.value.suggested_filename.endswith(".zip")

    # Timeline: the job's events with their times; the parameters used.
    log = page.locator("#modal-log-body tr[data-seq]")
    expect(log).to_have_count(live_server.job(job["id"])["last_seq"])
    expect(log.first).to_contain_text("job submitted")
    expect(log.first.locator("time")).to_have_attribute("datetime", re.compile("^20"))
    # The loading placeholder is gone once the history is shown: every row is an event.
    expect(page.locator("#modal-log-body .log__skeleton")).to_have_count(0)
    expect(page.locator("#modal-log-body tr")).to_have_count(log.count())
    params = page.locator("#modal-params")
    expect(params).to_contain_text("two lanterns by a river")
    expect(params).to_contain_text("256x256")
    expect(params).to_contain_text(str(job["params"]["seed"]))
    screenshot(page, "jobs-modal-dark")

    # Focus stays inside; Escape closes and focus returns to the Job ID.
    for _ in range(40):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('#job-modal') !== null")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    # The backdrop closes it too.
    opener.click()
    expect(dialog).to_be_visible()
    page.mouse.click(10, 450)
    expect(dialog).to_be_hidden()


def test_modal_shows_error_details_and_deletes(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    failed = next(j for j in seeded if j["status"] == "failed")
    page = open_jobs(new_page, live_server, "?status=failed&q=desert", scheme="light")
    row(page, failed["id"]).locator(".job-id").click()
    expect(page.locator("#modal-job-error")).to_be_visible()
    expect(page.locator("#modal-job-error-meta")).to_have_text("rejected · not retryable")
    expect(page.locator("#gallery-grid")).to_contain_text(
        "No images were generated: the job failed before its first image."
    )
    expect(page.locator("#modal-log-body")).to_contain_text("rejected")
    screenshot(page, "jobs-modal-failed-light")
    page.get_by_role("button", name="Delete", exact=True).click()
    confirm = page.get_by_role("dialog", name=re.compile("^Delete job"))
    expect(confirm).to_be_visible()
    expect(page.locator("#jobs-confirm-ok")).to_have_text("Delete 1 job")
    expect(confirm).to_contain_text("Its events and images are removed too.")
    expect(page.locator("#jobs-confirm-keep")).to_have_text("Keep it")
    page.locator("#jobs-confirm-ok").click()
    expect(page.locator("#job-modal")).to_be_hidden()
    expect(row(page, failed["id"])).to_have_count(0)
    assert live_server.api.get(f"/api/jobs/{failed['id']}").status_code == 404
    seeded.remove(failed)


# -- keyboard, menu ------------------------------------------------------------------------


def test_keyboard_shortcuts_and_table_navigation(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=forest&sort=label&order=asc")
    ids = shown_ids(page)
    page.keyboard.press("/")
    expect(page.get_by_label("Search", exact=True)).to_be_focused()
    page.keyboard.press("Tab")  # Clear
    page.locator("#jobs-body tr.jrow").first.focus()
    first = row(page, ids[0])
    expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(row(page, ids[1])).to_be_focused()
    page.keyboard.press("Space")
    expect(row(page, ids[1])).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    for job_id in ids[1:4]:
        expect(row(page, job_id)).to_have_attribute("aria-selected", "true")
    expect(page.locator("#batch-count")).to_have_text("3 jobs selected")
    page.keyboard.press("End")
    expect(row(page, ids[-1])).to_be_focused()
    page.keyboard.press("Home")
    expect(first).to_be_focused()
    # Shift+click from the anchor (row 2) to row 6.
    row(page, ids[5]).locator(".jobs-check").click(modifiers=["Shift"])
    expect(page.locator("#batch-count")).to_have_text("5 jobs selected")
    # Escape clears the selection.
    page.keyboard.press("Escape")
    expect(page.locator("#batch-count")).to_have_text("No jobs selected")
    expect(page.get_by_role("button", name="Rerun Selected")).to_be_disabled()
    # Enter opens the Single Job View; r refreshes; ? opens help.
    first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#job-modal")).to_be_visible()
    page.keyboard.press("Escape")
    expect(first).to_be_focused()
    with page.expect_request(re.compile(r"/api/jobs\?")):
        page.keyboard.press("r")
    page.keyboard.press("?")
    expect(page.locator("#help-dialog")).to_be_visible()
    page.keyboard.press("Escape")


def test_actions_menu_from_the_button_and_right_click(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=forest")
    target = rows(page).first
    job_id = target.get_attribute("data-id")
    button = target.get_by_role("button", name=re.compile("^Actions for job"))
    button.click()
    menu = page.get_by_role("menu", name="Job actions")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("menuitem")).to_have_text(["View", "Export", "Rerun", "Delete"])
    expect(menu.get_by_role("menuitem", name="View")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Export")).to_be_focused()
    screenshot(page, "jobs-menu-dark")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()

    target.locator(".jcell-date").click(button="right")
    expect(menu).to_be_visible()
    menu.get_by_role("menuitem", name="View").click()
    expect(page.locator("#job-modal")).to_be_visible()
    expect(page.locator("#modal-info")).to_contain_text(str(job_id))
    page.keyboard.press("Escape")

    # Rerun from the menu: a new job linked by rerun_of.
    before = api_list(live_server)["total"]
    target.focus()
    page.keyboard.press("Shift+F10")
    menu.get_by_role("menuitem", name="Rerun").click()
    expect(page.locator("#toasts")).to_contain_text("Rerun queued as job")
    wait_until(lambda: api_list(live_server)["total"] == before + 1)
    newest = api_list(live_server, limit=1)["items"][0]
    assert newest["rerun_of"] == job_id


# -- the scrolling view: 1,500 rows, only the visible ones in the DOM --------------------


def synthetic_page(route: Route, total: int) -> None:
    query = parse_qs(urlparse(route.request.url).query)
    offset = int(query.get("offset", ["0"])[0])
    limit = int(query.get("limit", query.get("page_size", ["25"]))[0])
    items = []
    for i in range(offset, min(total, offset + limit)):
        job_id = f"{i:08x}" + "0" * 24
        items.append(
            {
                "id": job_id,
                "short_id": job_id[:8],
                "status": "completed",
                "prompt": f"synthetic prompt {i}",
                "label": f"Row {i}",
                "provider": "procedural",
                "params": {},
                "configuration": None,
                "rerun_of": None,
                "attempt": 1,
                "max_attempts": 3,
                "created_at": "2026-01-01T10:00:00Z",
                "updated_at": "2026-01-01T10:00:00Z",
                "status_changed_at": "2026-01-01T10:00:01Z",
                "started_at": "2026-01-01T10:00:00Z",
                "finished_at": "2026-01-01T10:00:01Z",
                "run_after": None,
                "duration_seconds": 8100,
                "last_seq": 5,
                "progress": {
                    "stage": "completed",
                    "percent": 100,
                    "step": 1,
                    "total": 1,
                    "message": "",
                },
                "error": None,
                "image_count": 2,
                "images_passed": None,
                "images_failed": None,
                "queue_position": None,
                "eta_seconds": None,
                "preview_version": None,
                "links": {},
            }
        )
    body = {"items": items, "total": total, "limit": limit, "offset": offset, "highlights": None}
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


def test_scroll_view_renders_only_visible_rows_of_1500(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    requests: list[str] = []

    def handler(route: Route) -> None:
        requests.append(route.request.url)
        synthetic_page(route, 1500)

    page.route(re.compile(r".*/api/jobs\?.*"), handler)
    page.goto(f"{live_server.url}/jobs?size=all")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    table = page.locator("#jobs-table")
    expect(table).to_have_attribute("aria-rowcount", "1501")
    expect(page.locator("#page-total")).to_have_text("Total: 1,500 jobs")
    expect(rows(page).first).to_have_attribute("aria-rowindex", "2")
    assert rows(page).count() <= 40
    height = rows(page).first.evaluate("r => r.getBoundingClientRect().height")
    assert height == 56
    size = page.locator("#jobs-table td").first.evaluate("td => getComputedStyle(td).fontSize")
    assert size == "13px"
    expect(rows(page).first.locator(".jduration")).to_have_text("2h 15m")
    page.locator("#jobs-card").evaluate("c => window.scrollTo(0, c.offsetTop - 16)")
    screenshot(page, "jobs-scroll-dark")

    # Scroll to the middle, then to the end: rows there are loaded and rendered, few in all.
    scroller = page.locator("#jobs-scroller")
    scroller.evaluate("s => { s.scrollTop = 56 * 700; }")
    expect(page.locator('#jobs-body tr[aria-rowindex="702"]')).to_have_count(1)
    expect(page.locator('#jobs-body tr[aria-rowindex="702"] .jlabel__text')).to_have_text("Row 700")
    assert rows(page).count() <= 40
    scroller.evaluate("s => { s.scrollTop = s.scrollHeight; }")
    expect(page.locator('#jobs-body tr[aria-rowindex="1501"] .jlabel__text')).to_have_text(
        "Row 1499"
    )
    assert rows(page).count() <= 40
    offsets = {parse_qs(urlparse(u).query).get("offset", ["?"])[0] for u in requests}
    assert {"0", "700", "1400"} <= offsets, offsets
    # A fast pass through the list, a frame per step: each frame shows the rows at the new
    # scroll position (the window follows), and the DOM stays at about a screenful.
    frames = scroller.evaluate(
        """async (s) => {
            s.scrollTop = 0;
            const seen = [];
            for (let i = 0; i < 60; i++) {
                s.scrollTop += 56 * 20;
                s.dispatchEvent(new Event('scroll'));
                await new Promise(requestAnimationFrame);
                await new Promise(requestAnimationFrame);
                const top = s.getBoundingClientRect().top + 80;
                const row = document.elementFromPoint(s.getBoundingClientRect().left + 40, top)
                    ?.closest('tr[aria-rowindex]');
                const shown = row ? Number(row.getAttribute('aria-rowindex')) : null;
                const inDom = document.querySelectorAll('#jobs-body tr').length;
                seen.push([Math.floor(s.scrollTop / 56), shown, inDom]);
            }
            return seen;
        }"""
    )
    for index, shown, in_dom in frames:
        assert in_dom <= 40, frames
        assert shown is not None and abs(shown - 2 - index) <= 2, frames

    # Keyboard reaches rows far down: End goes to the last row.
    rows(page).first.focus()
    page.keyboard.press("End")
    expect(page.locator('#jobs-body tr[aria-rowindex="1501"]')).to_be_focused()


# -- empty, loading and error states --------------------------------------------------------


def test_loading_empty_and_error_states(new_page: PageFactory, live_server: LiveServer) -> None:
    held: list[Route] = []
    page = new_page()
    page.route(re.compile(r".*/api/jobs(/stats)?\?.*"), lambda route: held.append(route))
    page.goto(f"{live_server.url}/jobs")
    expect(page.locator("#jobs-table")).to_have_attribute("aria-busy", "true")
    expect(page.locator("#jobs-body .skeleton").first).to_be_visible()
    expect(page.locator("#stats .skeleton").first).to_be_visible()
    # No count is known yet: no "Page 1 of 1 · Total: 0 jobs", nothing to page to.
    expect(page.locator("#page-total")).to_have_text("Total: —")
    expect(page.locator("#page-of")).to_have_text("")
    expect(page.locator("#page-prev")).to_be_disabled()
    expect(page.locator("#page-next")).to_be_disabled()
    screenshot(page, "jobs-loading-dark")
    wait_until(lambda: len(held) >= 2)
    for route in held:
        if "/stats" in route.request.url:  # refused by the server: the cards say so
            route.fulfill(status=400, json={"detail": {"code": "bad", "message": "Refused."}})
        else:
            route.fulfill(
                status=200,
                content_type="application/json",
                body=json.dumps({"items": [], "total": 0, "limit": 25, "offset": 0}),
            )
    expect(page.locator("#table-empty-title")).to_have_text("No jobs yet.")
    expect(page.get_by_role("link", name="Start a job")).to_have_attribute("href", "/")
    expect(page.locator("#stats-error")).to_be_visible()
    expect(page.locator("#stat-total-value")).to_have_text("—")
    expect(page.locator("#page-total")).to_have_text("Total: 0 jobs")
    screenshot(page, "jobs-empty-dark")

    # Server unavailable: the table says so and retries.
    page2 = new_page(scheme="light")
    page2.route(re.compile(r".*/api/jobs(/stats)?\?.*"), lambda r: r.abort("connectionrefused"))
    page2.goto(f"{live_server.url}/jobs")
    expect(page2.locator("#table-error")).to_be_visible()
    expect(page2.locator("#jobs-server-error")).to_be_visible()
    # One cause, one message: the statistics add no callout of their own.
    expect(page2.locator("#stats-error")).to_be_hidden()
    expect(page2.locator("#stat-total-value")).to_have_text("—")
    expect(page2.locator("#main")).to_have_attribute("data-view", "error")
    expect(page2.locator("#page-total")).to_have_text("Total: —")
    expect(page2.locator("#page-prev")).to_be_disabled()
    expect(page2.locator("#page-next")).to_be_disabled()
    screenshot(page2, "jobs-error-light")
    page2.unroute(re.compile(r".*/api/jobs(/stats)?\?.*"))
    live_server.create_job("a job to show")
    page2.get_by_role("button", name="Try again").first.click()
    expect(page2.locator("#main")).to_have_attribute("data-view", "ready")
    expect(page2.locator("#jobs-server-error")).to_be_hidden()
    # Down again while rows are shown: they stay, under the page's one callout.
    expect(rows(page2).first).to_be_visible()
    page2.route(re.compile(r".*/api/jobs(/stats)?\?.*"), lambda r: r.abort("connectionrefused"))
    page2.get_by_role("button", name="Refresh").click()
    expect(page2.locator("#jobs-server-error")).to_be_visible()
    expect(page2.locator("#table-error")).to_be_hidden()
    expect(page2.locator("#stats-error")).to_be_hidden()
    expect(rows(page2).first).to_be_visible()
    # Still down, the filter changes: the rows and numbers of the old filter go, rather than
    # stand under the new filter's chips.
    page2.get_by_label("Search").fill("lake")
    expect(page2.locator("#filter-chips")).to_contain_text("lake")
    expect(rows(page2)).to_have_count(0)
    expect(page2.locator("#table-error")).to_be_visible()
    expect(page2.locator("#stat-total-value")).to_have_text("—")
    expect(page2.locator("#table-count")).to_have_text("")


def test_statistics_say_when_they_fail_and_come_back_with_the_list(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    count = re.compile(r"^\d[\d,]*$")
    # Only the statistics fail: the cards say so, the list loads, no outage callout.
    stats_route = re.compile(r".*/api/jobs/stats\?.*")
    page = new_page()
    page.route(stats_route, lambda route: route.abort("connectionrefused"))
    page.goto(f"{live_server.url}/jobs")
    expect(page.locator("#main")).to_have_attribute("data-view", "ready")
    expect(page.locator("#stats-error")).to_be_visible()
    expect(page.locator("#stats-error")).to_contain_text("Statistics could not be loaded.")
    expect(page.locator("#jobs-server-error")).to_be_hidden()
    expect(page.locator("#stat-total-value")).to_have_text("—")
    screenshot(page, "jobs-stats-error-dark")
    page.unroute(stats_route)
    page.locator("#stats-retry").click()
    expect(page.locator("#stat-total-value")).to_have_text(count)
    expect(page.locator("#stats-error")).to_be_hidden()

    # A full outage, then the table's own "Try again": the statistics come back with the list.
    page2 = new_page(scheme="light")
    failing = re.compile(r".*/api/jobs(/stats)?\?.*")
    page2.route(failing, lambda route: route.abort("connectionrefused"))
    page2.goto(f"{live_server.url}/jobs")
    expect(page2.locator("#table-error")).to_be_visible()
    expect(page2.locator("#jobs-server-error")).to_be_visible()
    expect(page2.locator("#stats-error")).to_be_hidden()
    page2.unroute(failing)
    page2.locator("#table-retry").click()
    expect(page2.locator("#main")).to_have_attribute("data-view", "ready")
    expect(page2.locator("#stat-total-value")).to_have_text(count)
    expect(page2.locator("#stats-error")).to_be_hidden()
    expect(page2.locator("#page-total")).to_have_text(re.compile(r"^Total: \d+ jobs$"))


def test_a_server_error_is_not_called_unavailable(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = new_page()
    problem = {"detail": {"code": "internal", "message": "The database is locked."}}
    page.route(
        re.compile(r".*/api/jobs\?.*"), lambda route: route.fulfill(status=500, json=problem)
    )
    page.goto(f"{live_server.url}/jobs")
    expect(page.locator("#table-error")).to_be_visible()
    expect(page.locator("#table-error-text")).to_have_text("The database is locked.")
    expect(page.locator("#jobs-server-error")).to_be_hidden()
    expect(page.locator("#page-total")).to_have_text("Total: —")


def test_the_configuration_filter_recovers_by_itself(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    name = f"recovering {uuid.uuid4().hex[:6]}"
    live_server.api.post("/api/configurations", json={"name": name, "settings": {}})
    page = new_page(scheme="light")
    failing = re.compile(r".*/api/configurations(\?.*)?$")
    page.route(failing, lambda route: route.abort("connectionrefused"))
    page.goto(f"{live_server.url}/jobs")
    select = page.locator("#filter-configuration")
    expect(select.locator("option").first).to_have_text("Not loaded; retrying…")
    expect(select).to_have_attribute("title", "Configurations could not be loaded; trying again.")
    page.unroute(failing)  # the server answers again: no Refresh needed
    expect(select.locator("option", has_text=name)).to_be_attached(timeout=15_000)
    expect(select.locator("option").first).to_have_text("All configurations")
    expect(select).to_have_attribute("title", "")
