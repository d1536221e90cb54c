"""Job Management after the QA passes s9-2 and s9-3: focus stays on a busy batch button, a
focused row is never hidden under the sticky batch toolbar (nor a toast over it), success is
said once, the Single Job View keeps Tab inside and dims the page darkly in both themes, its
log dates its rows, the row menu survives the scroll its opening causes and will not offer
Delete on a running job, a pressed statistics card releases its filter, and an inverted date
range says its dates are not applied."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import LiveServer, PageFactory
from tests.e2e.test_jobs_page import open_jobs, row, rows, seed_jobs

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> Iterator[dict[str, Any]]:
    jobs = seed_jobs(
        live_server,
        [(f"Lake {i:02d}", f"a still mountain lake, boat {i}", False) for i in range(16)]
        + [("Broken", "a crowded night market in the rain", True)],
    )
    slow = live_server.create_job(
        "a slow sunrise over the bay",
        label="Sunrise",
        steps=150,
        size="256x256",
        faults={"step_delay": 1.0},
    )
    live_server.wait_for(slow["id"], "running")
    yield {"jobs": jobs, "slow": slow}


def active(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement?.id || document.activeElement?.tagName"))


def select_first_row(page: Page) -> None:
    rows(page).first.focus()
    page.keyboard.press("Space")
    expect(page.locator("#batch-count")).to_have_text("1 job selected")


def test_busy_batch_buttons_keep_the_focus(
    new_page: PageFactory, live_server: LiveServer, seeded: dict[str, Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=lake")
    select_first_row(page)

    export = page.locator("#batch-export")
    export.focus()
    page.keyboard.press("Enter")
    # Busy: aria-disabled (still focusable), not disabled (focus fell to <body>).
    for _ in range(10):
        assert active(page) == "batch-export"
        page.wait_for_timeout(50)
    expect(page.locator("#batch-progress-text")).to_contain_text("Export ready")
    assert active(page) == "batch-export"
    expect(export).not_to_have_attribute("aria-disabled", "true")

    page.locator("#batch-rerun").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#jobs-confirm")).to_be_visible()
    page.locator("#jobs-confirm-ok").click()
    expect(page.locator("#toasts")).to_contain_text("1 rerun queued")
    assert active(page) == "batch-rerun"
    # Said once: by the toast's live region, not the announcer as well.
    expect(page.locator("#announcer")).not_to_contain_text("queued")


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_the_focused_row_stays_clear_of_the_batch_toolbar(
    new_page: PageFactory, live_server: LiveServer, seeded: dict[str, Any], width: int, height: int
) -> None:
    page = open_jobs(new_page, live_server, "?q=lake", width=width, height=height)
    select_first_row(page)
    bar = page.locator("#batch-toolbar")
    for i in range(1, 14):
        page.keyboard.press("ArrowDown")
        focused = page.locator("#jobs-body tr.jrow:focus")
        expect(focused).to_have_count(1)
        box = focused.bounding_box()
        toolbar = bar.bounding_box()
        assert box and toolbar
        assert box["y"] + box["height"] <= toolbar["y"] + 1, f"row {i} is under the toolbar"
    if width == 390:
        # A compact toolbar on a phone (it was 213 px, four stacked buttons).
        toolbar = bar.bounding_box()
        assert toolbar and toolbar["height"] < 140, toolbar


def test_a_toast_sits_above_the_batch_toolbar(
    new_page: PageFactory, live_server: LiveServer, seeded: dict[str, Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=lake")
    select_first_row(page)
    page.locator("#batch-rerun").click()
    page.locator("#jobs-confirm-ok").click()
    toast = page.locator("#toasts .toast").first
    expect(toast).to_contain_text("1 rerun queued")
    box = toast.bounding_box()
    toolbar = page.locator("#batch-toolbar").bounding_box()
    assert box and toolbar
    assert box["y"] + box["height"] <= toolbar["y"], (box, toolbar)


def test_own_delete_is_not_announced_as_elsewhere(
    new_page: PageFactory, live_server: LiveServer, seeded: dict[str, Any]
) -> None:
    victim = live_server.create_job("a paper crane", label="Crane delete me", steps=1)
    live_server.wait_for(victim["id"], "completed", "failed")
    page = open_jobs(new_page, live_server, "?q=crane")
    page.evaluate(
        """() => {
          const a = document.querySelector('#announcer');
          window.__said = [];
          new MutationObserver(() => window.__said.push(a.textContent))
            .observe(a, {childList: true, subtree: true, characterData: true});
        }"""
    )
    row(page, victim["id"]).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Delete")
    page.locator("#jobs-confirm-ok").click()
    expect(page.locator("#toasts")).to_contain_text("1 job deleted.")
    expect(row(page, victim["id"])).to_have_count(0)
    page.wait_for_timeout(1500)  # the live notice of the same deletion has come by now
    said = page.evaluate("() => window.__said")
    assert not [s for s in said if "elsewhere" in s], said
    assert not [s for s in said if "deleted" in s], said  # the toast says it, once


def test_the_single_job_view_keeps_tab_inside(
    new_page: PageFactory, live_server: LiveServer, seeded: dict[str, Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=sunrise")
    slow = seeded["slow"]
    row(page, slow["id"]).locator("button").first.click()
    modal = page.locator("#job-modal")
    expect(modal.locator("#modal-log-body tr.log__row").first).to_be_visible()
    expect(page.locator("#modal-close")).to_be_focused()
    seen = []
    for _ in range(40):
        page.keyboard.press("Tab")
        inside = page.evaluate(
            "() => document.querySelector('#job-modal').contains(document.activeElement)"
        )
        seen.append(active(page))
        assert inside, f"Tab left the dialog: {seen}"
    assert seen.count("modal-close") >= 2, seen  # it wrapped
    for _ in range(20):
        page.keyboard.press("Shift+Tab")
        seen.append(active(page))
        assert page.evaluate(
            "() => document.querySelector('#job-modal').contains(document.activeElement)"
        ), seen


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_single_job_view_backdrop_is_dark_and_its_log_is_dated(
    new_page: PageFactory, live_server: LiveServer, seeded: dict[str, Any], scheme: str
) -> None:
    page = open_jobs(new_page, live_server, "?q=lake", scheme=scheme)
    rows(page).first.locator("button").first.click()
    modal = page.locator("#job-modal")
    expect(modal).to_be_visible()
    colour = page.evaluate(
        "() => getComputedStyle(document.querySelector('#job-modal'), '::backdrop').backgroundColor"
    )
    parts = [float(x) for x in colour[colour.index("(") + 1 : -1].split(",")]
    red, green, blue, alpha = parts
    assert max(red, green, blue) < 40 and alpha >= 0.55, colour

    first = modal.locator("#modal-log-body tr.log__row").first
    expect(first.locator("time")).to_be_visible()
    expect(first.locator(".log__day")).to_have_text(
        page.evaluate(
            """() => {
              const t = document.querySelector('#modal-log-body tr.log__row time');
              const day = {year: 'numeric', month: 'short', day: 'numeric'};
              return new Intl.DateTimeFormat('en-US', day).format(new Date(t.dateTime));
            }"""
        )
    )
    # Later rows of the same day carry no date of their own.
    expect(modal.locator("#modal-log-body tr.log__row").nth(1).locator(".log__day")).to_have_count(
        0
    )


def test_the_row_menu_survives_the_scroll_its_opening_causes(
    new_page: PageFactory, live_server: LiveServer, seeded: dict[str, Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=lake", width=390, height=844)
    button = rows(page).first.locator("button[aria-haspopup]").last
    menu = page.locator("#row-menu")
    # The scroll of the click (the ⋮ button scrolled into view) comes just after it: both in
    # one task here, so a slow machine does not put the scroll past the grace period.
    button.evaluate(
        "(b) => { b.click(); window.scrollBy(0, 30); document.dispatchEvent(new Event('scroll')); }"
    )
    page.wait_for_timeout(50)
    expect(menu).to_be_visible()
    # A real scroll later still closes it.
    page.wait_for_timeout(250)
    page.mouse.wheel(0, 300)
    expect(menu).to_be_hidden()


def test_the_row_menu_will_not_delete_a_running_job(
    new_page: PageFactory, live_server: LiveServer, seeded: dict[str, Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=sunrise")
    slow = seeded["slow"]
    row(page, slow["id"]).locator("button[aria-haspopup]").last.click()
    item = page.locator('#row-menu [data-action="delete"]')
    expect(item).to_have_attribute("aria-disabled", "true")
    expect(item).to_have_accessible_name("Delete")
    expect(item).to_have_accessible_description("A running job cannot be deleted: stop it first.")
    expect(item).to_have_attribute("title", "A running job cannot be deleted: stop it first.")
    item.click(force=True)
    expect(page.locator("#jobs-confirm")).to_be_hidden()
    # A finished job's menu offers it.
    page.keyboard.press("Escape")
    page.goto(f"{live_server.url}/jobs?q=lake")
    rows(page).first.locator("button[aria-haspopup]").last.click()
    expect(item).not_to_have_attribute("aria-disabled", "true")
    expect(item).not_to_have_attribute("aria-describedby", "")


def test_status_filter_is_a_disclosure_and_cards_toggle(
    new_page: PageFactory, live_server: LiveServer, seeded: dict[str, Any]
) -> None:
    page = open_jobs(new_page, live_server)
    status = page.locator("#status-button")
    assert status.get_attribute("aria-haspopup") is None
    expect(status).to_have_attribute("aria-controls", "status-menu")
    expect(status).to_have_attribute("aria-expanded", "false")
    status.click()
    expect(status).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")

    failed = page.locator("#stat-failed")
    failed.click()
    expect(failed).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_url(re.compile(r"status=failed"))
    failed.click()
    expect(failed).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#stat-total")).to_have_attribute("aria-pressed", "true")
    assert "status=" not in page.url


def test_an_inverted_date_range_says_it_is_not_applied(
    new_page: PageFactory, live_server: LiveServer, seeded: dict[str, Any]
) -> None:
    page = open_jobs(new_page, live_server, "?q=lake")
    note = page.locator("#filter-dates-note")
    expect(note).to_be_hidden()
    page.get_by_label("From", exact=True).fill("2099-12-10")
    page.get_by_label("To", exact=True).fill("2099-12-01")
    expect(page.locator("#date-error")).to_have_text(
        "The “From” date must be on or before the “To” date."
    )
    expect(note).to_be_visible()
    expect(note).to_have_text("The dates entered are not applied: “From” is after “To”.")
    page.get_by_label("To", exact=True).fill("2099-12-31")
    expect(note).to_be_hidden()
