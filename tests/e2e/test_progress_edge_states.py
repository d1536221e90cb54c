"""Edge cases of the progress page's states: a job that ends while the cancel dialog is
open, a cancel during an automatic retry's wait, a wrong API key, a job that could not be
loaded, and the event log following new rows across a resize."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.helpers import (
    LiveServer,
    PageFactory,
    expect_status,
    open_job,
    screenshot,
)

pytestmark = pytest.mark.e2e


def test_the_cancel_dialog_closes_when_the_job_finishes_on_its_own(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("x", steps=10, faults={"step_delay": 0.4})
    page = open_job(new_page, live_server, job["id"])
    expect(page.locator("#status-pill")).to_contain_text("Running")
    page.get_by_role("button", name="Cancel", exact=True).click()
    dialog = page.get_by_role("dialog", name="Cancel this job?")
    expect(dialog).to_be_visible()

    expect_status(page, "completed")
    # Confirming now could only fail ("cannot cancel"): the dialog goes, and says why.
    expect(dialog).to_be_hidden()
    expect(page.locator("#toasts")).to_contain_text(
        "Nothing to cancel: the job has already completed."
    )
    expect(page.locator("#job-banner")).to_be_focused()
    expect(page.locator("#toasts")).not_to_contain_text("That did not work")
    assert live_server.job(job["id"])["status"] == "completed"


def last_progress(server: LiveServer, job_id: str) -> float:
    events = server.api.get(f"/api/jobs/{job_id}/events").json()["events"]
    return float([e for e in events if e["type"] == "progress"][-1]["data"]["percent"])


def expect_attempt_one_stopped(page: Page, percent: float) -> None:
    expect(page.locator("#attempt")).to_have_text("Attempt 1/3")
    expect(page.locator("#progress-label")).to_have_text(f"Stopped at {percent:g} %.")
    expect(page.locator('#stepper [data-step="running"]')).to_have_attribute(
        "data-state", "cancelled"
    )


def test_cancel_during_an_automatic_retry_wait_shows_the_attempt_that_ran(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job(
        "x", faults={"rate_limit_at_step": 2, "retry_after": 30, "attempts": [1]}
    )
    page = open_job(new_page, live_server, job["id"])
    banner = page.locator("#job-banner")
    expect(banner).to_contain_text(re.compile(r"Attempt 2/3 starts automatically in \d+ second"))
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.get_by_role("dialog", name="Cancel this job?").get_by_role(
        "button", name="Cancel job"
    ).click()
    expect_status(page, "cancelled")
    expect(banner).to_contain_text("last known progress")
    # Attempt 2 never started: the last known progress is attempt 1's.
    percent = last_progress(live_server, job["id"])
    assert percent > 0
    expect_attempt_one_stopped(page, percent)
    screenshot(page, "progress-cancelled-in-retry-wait-dark")

    # Opened afterwards, the page learns the same from the log it loads with the job.
    page.reload()
    expect(page.locator("#main")).to_have_attribute("data-view", "ready")
    expect_status(page, "cancelled")
    expect_attempt_one_stopped(page, percent)


def test_a_wrong_api_key_gets_key_advice_and_retry(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("x", faults={"auth_error": True})
    live_server.wait_for(job["id"], "failed")
    page = open_job(new_page, live_server, job["id"], scheme="light")
    banner = page.locator("#job-banner")
    expect(banner).to_contain_text("the provider refused the API key")
    expect(banner).to_contain_text("Check the provider’s API key in Settings, then retry.")
    expect(banner).to_contain_text("Retryable: after you fix the API key.")
    expect(banner).not_to_contain_text("Change the prompt or the settings")
    expect(banner.get_by_role("link", name="Open Settings")).to_have_attribute("href", "/settings")
    expect(banner.get_by_role("button", name="Retry generation")).to_be_enabled()
    screenshot(page, "progress-failed-auth-light")


def without_bootstrap(route: Route) -> None:
    response = route.fetch()
    html = re.sub(
        r'<script type="application/json" id="job-bootstrap">.*?</script>',
        "",
        response.text(),
        flags=re.S,
    )
    route.fulfill(response=response, body=html)


def test_a_job_that_could_not_be_loaded_claims_no_loading_or_connecting(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("x")
    live_server.wait_for(job["id"], "completed")
    page = new_page()
    page.route(f"**/jobs/{job['id']}", without_bootstrap)
    page.route(f"**/api/jobs/{job['id']}", lambda route: route.abort("connectionrefused"))
    page.goto(f"{live_server.url}/jobs/{job['id']}")
    expect(page.locator("#load-error")).to_contain_text("This job could not be loaded.")
    pill = page.locator("#status-pill")
    indicator = page.locator("#live-indicator")
    expect(pill).to_have_text(re.compile(r"Not loaded$"))
    expect(indicator).to_have_text("Not connected")
    expect(page.locator("#attempt")).to_be_hidden()
    expect(page.locator("#main")).to_have_attribute("aria-busy", "false")
    for button in ("Reconnect", "Switch to Polling", "Cancel"):
        expect(page.get_by_role("button", name=button, exact=True)).to_be_disabled()
    screenshot(page, "progress-load-error-dark")

    # "Try again" once the job answers: the header follows the job again.
    page.unroute(f"**/api/jobs/{job['id']}")
    page.get_by_role("button", name="Try again").click()
    expect(page.locator("#main")).to_have_attribute("data-view", "ready")
    expect(pill).to_have_text(re.compile(r"Completed$"))
    expect(page.locator("#attempt")).to_have_text("Attempt 1/3")
    expect(indicator).to_contain_text("Live")


# -- the event log follows new rows ---------------------------------------------------------


def log_scroll(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.locator("#log-wrap").evaluate(
        "w => ({top: w.scrollTop, gap: w.scrollHeight - w.scrollTop - w.clientHeight,"
        " scrollable: w.scrollHeight > w.clientHeight + 50})"
    )
    return result


def wait_for_more_rows(page: Page, more: int) -> None:
    rows = page.locator("#event-log-body tr[data-seq]")
    expect(rows.nth(rows.count() + more - 1)).to_be_attached()
    page.wait_for_timeout(150)  # the frame that scrolls


@pytest.mark.parametrize(("first", "then"), [(1280, 390), (390, 1280)])
def test_the_log_keeps_following_across_a_resize(
    new_page: PageFactory, live_server: LiveServer, first: int, then: int
) -> None:
    job = live_server.create_job("x", steps=60, faults={"step_delay": 0.3})
    page = open_job(new_page, live_server, job["id"], width=first)
    expect(page.locator("#event-log-body tr[data-seq]").nth(30)).to_be_attached()
    assert log_scroll(page)["scrollable"]
    assert log_scroll(page)["gap"] < 24, "the log follows from the start"

    page.set_viewport_size({"width": then, "height": 900})
    wait_for_more_rows(page, 3)
    assert log_scroll(page)["gap"] < 24, f"stopped following after {first} → {then} px"
    page.set_viewport_size({"width": first, "height": 900})
    wait_for_more_rows(page, 3)
    assert log_scroll(page)["gap"] < 24, f"stopped following after {then} → {first} px"

    # Scrolled up to read: new rows neither pull the log down, nor does a resize.
    page.locator("#log-wrap").evaluate("w => { w.scrollTop = 40; }")
    page.wait_for_timeout(100)
    wait_for_more_rows(page, 3)
    assert log_scroll(page)["top"] == 40
    page.set_viewport_size({"width": then, "height": 900})
    wait_for_more_rows(page, 3)
    assert log_scroll(page)["gap"] > 100, "a resize pulled a log the person scrolled up"
    live_server.api.post(f"/api/jobs/{job['id']}/cancel")
