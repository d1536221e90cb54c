"""Generation Progress (`/jobs/{id}`): the whole event log is reachable ("Load earlier
events", page by page, back to seq 1, on the page and in the Single Job View), a job
deleted while its page is open shows only "Job not found", a finished job without an
image says so, and on a phone a compact job summary stays on screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import (
    LiveServer,
    PageFactory,
    expect_status,
    open_job,
    rendered_seqs,
    screenshot,
)
from tests.e2e.test_jobs_page import open_jobs, row

pytestmark = pytest.mark.e2e

#: The QA reproduction: attempt 1 fails at step 1 (rate limited), attempt 2 runs 150 steps,
#: so the attempt-1 error is older than the newest 200 events. Progress and previews are
#: throttled by time (10 and 5 a second), so the step delay sets how many events there are.
RETRIED_LONG = {
    "steps": 150,
    "count": 3,
    "size": "256x256",
    "faults": {"rate_limit_at_step": 1, "retry_after": 1, "attempts": [1], "step_delay": 0.035},
}


def earlier_button(page: Page, scope: str = ".log-card") -> Locator:
    return page.locator(scope).get_by_role("button", name="Load earlier events")


# -- load earlier events ---------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_load_earlier_events_reaches_the_first_attempts_error(
    new_page: PageFactory, live_server: LiveServer, scheme: str
) -> None:
    job = live_server.create_job("capped log long", **RETRIED_LONG)
    last_seq = live_server.wait_for(job["id"], "completed", timeout=60)["last_seq"]
    assert last_seq > 200, "the reproduction needs more events than one page"
    page = open_job(new_page, live_server, job["id"], scheme=scheme)
    log = page.locator("#event-log-body")
    expect(log.locator("tr[data-seq]")).to_have_count(200)
    expect(page.locator("#attempt")).to_have_text("Attempt 2/3")
    expect(log.locator("tr[data-type=error]")).to_have_count(0)
    # The date stands above the first row's time (the job's events are all of one day).
    marks = log.locator(".log__day")
    expect(marks).to_have_count(1)
    expect(log.locator("tr[data-seq]").first.locator(".log__day")).to_have_count(1)
    summary = page.locator("#log-summary")
    expect(summary).to_have_text(f"{last_seq - 200} earlier events not shown.")

    button = earlier_button(page)
    expect(button).to_be_visible()
    # Keyboard: Tab reaches it (it is a real button), Enter loads.
    button.focus()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")

    expect(log.locator("tr[data-seq]")).to_have_count(last_seq)
    assert rendered_seqs(page) == list(range(1, last_seq + 1))
    expect(log.locator("tr[data-type=error]")).to_contain_text("rate_limited")
    status = page.locator(".log-card [role=status]")
    loaded = last_seq - 200
    expect(status).to_have_text(
        f"Loaded {loaded} earlier events (1–{loaded}). This is the start of the log."
    )
    expect(summary).to_have_text("")
    expect(button).to_be_hidden()
    # The earlier rows took the date mark to the new first row, seq 1.
    expect(marks).to_have_count(1)
    expect(log.locator('tr[data-seq="1"] .log__day')).to_have_count(1)
    # The button went away under the keyboard: the focus lands on the oldest row.
    expect(log.locator('tr[data-seq="1"]')).to_be_focused()
    page.locator("#log-wrap").evaluate("el => { el.scrollTop = 0; }")
    screenshot(page, f"progress-log-earlier-loaded-{scheme}")


def test_load_earlier_events_pages_back_to_seq_1_and_keeps_following(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job(
        "four long images", steps=150, count=4, size="256x256", faults={"step_delay": 0.045}
    )
    job = live_server.wait_for(job["id"], "completed", timeout=90)
    last_seq = job["last_seq"]
    assert last_seq > 400, f"needs at least three pages of events, got {last_seq}"
    page = open_job(new_page, live_server, job["id"])
    rows = page.locator("#event-log-body tr[data-seq]")
    button = earlier_button(page)
    expect(rows).to_have_count(200)
    clicks = 0
    while button.is_visible():
        before = rows.count()
        button.click()
        clicks += 1
        expect(rows).to_have_count(min(last_seq, before + 200))
        assert clicks < 10
    assert clicks == (last_seq - 1) // 200
    assert rendered_seqs(page) == list(range(1, last_seq + 1))

    # The cap grew with what was asked for: new events (a rename) keep every row.
    renamed = live_server.api.patch(f"/api/jobs/{job['id']}", json={"label": "renamed"})
    assert renamed.status_code == 200, renamed.text
    expect(rows).to_have_count(last_seq + 1)
    assert rendered_seqs(page)[0] == 1


def test_load_earlier_events_in_the_single_job_view(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("capped log in the modal", **RETRIED_LONG)
    last_seq = live_server.wait_for(job["id"], "completed", timeout=60)["last_seq"]
    page = open_jobs(new_page, live_server)
    row(page, job["id"]).locator(".job-id").click()
    modal = page.locator("#job-modal")
    expect(modal).to_be_visible()
    rows = page.locator("#modal-log tbody tr[data-seq]")
    expect(rows).to_have_count(200)
    button = modal.get_by_role("button", name="Load earlier events")
    expect(button).to_be_visible()
    button.focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(last_seq)
    expect(page.locator("#modal-log tbody tr[data-type=error]")).to_contain_text("rate_limited")
    expect(modal.locator("[role=status]", has_text="Loaded")).to_have_text(
        re.compile(r"Loaded \d+ earlier events \(1–\d+\)\. This is the start of the log\.")
    )
    expect(button).to_be_hidden()


# -- the job deleted while its page is open ---------------------------------------------


@pytest.mark.parametrize("outcome", ["completed", "failed"])
def test_a_job_deleted_while_open_shows_only_not_found(
    new_page: PageFactory, live_server: LiveServer, outcome: str
) -> None:
    faults = {"timeout_at_step": 2} if outcome == "failed" else {}
    job = live_server.create_job("a job about to be deleted", steps=6, faults=faults)
    live_server.wait_for(job["id"], outcome)
    page = open_job(new_page, live_server, job["id"])
    banner = page.locator("#job-banner")
    expect(banner).to_be_visible()
    deleted = live_server.api.post("/api/jobs/bulk/delete", json={"ids": [job["id"]]})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["deleted"] == 1

    expect(page.locator("#not-found")).to_be_visible()
    # The page's 1 s tick renders again: nothing of the old job may come back.
    page.wait_for_timeout(1500)
    expect(banner).to_be_hidden()
    expect(page.locator("#status-pill")).to_have_text(re.compile(r"Not found"))
    expect(page.locator("#attempt")).to_be_hidden()
    expect(page.get_by_role("button", name="Retry generation")).to_have_count(0)
    for action in ("#action-cancel", "#action-reconnect", "#action-poll"):
        expect(page.locator(action)).to_be_disabled()
    expect(page.locator("#debug-summary")).to_have_text(re.compile(r"closed$"))
    screenshot(page, f"progress-deleted-while-open-{outcome}")


# -- a finished job without an image -----------------------------------------------------


@pytest.mark.parametrize(
    ("faults", "status", "text"),
    [
        ({"reject": True}, "failed", "the job failed before its first preview"),
        ({"timeout_at_step": 1}, "failed", "the job failed before its first preview"),
    ],
)
def test_a_finished_job_without_an_image_says_none_was_generated(
    new_page: PageFactory,
    live_server: LiveServer,
    faults: dict[str, object],
    status: str,
    text: str,
) -> None:
    job = live_server.create_job("nothing to show", steps=5, faults=faults)
    live_server.wait_for(job["id"], status)
    page = open_job(new_page, live_server, job["id"], scheme="light")
    placeholder = page.locator("#preview-placeholder")
    expect(placeholder).to_contain_text(f"No image was generated: {text}.")
    expect(placeholder).not_to_contain_text("Waiting for first preview")
    assert placeholder.evaluate("el => getComputedStyle(el).animationName") == "none"
    screenshot(page, f"progress-no-image-{faults and next(iter(faults))}-light")


def test_a_job_cancelled_before_its_first_preview_says_none_was_generated(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    # Cancelled while queued behind nothing: a long delay before step 1 keeps it imageless.
    job = live_server.create_job("cancelled early", steps=5, faults={"step_delay": 5})
    page = open_job(new_page, live_server, job["id"])
    expect(page.locator("#preview-placeholder")).to_contain_text("Waiting for first preview")
    cancelled = live_server.api.post(f"/api/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    expect_status(page, "cancelled")
    expect(page.locator("#preview-placeholder")).to_contain_text(
        "No image was generated: the job was cancelled before its first preview."
    )
    screenshot(page, "progress-no-image-cancelled-dark")


# -- narrow screens ------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_on_a_phone_a_compact_job_summary_stays_on_screen(
    new_page: PageFactory, live_server: LiveServer, scheme: str
) -> None:
    job = live_server.create_job("a tall page on a phone", steps=6)
    live_server.wait_for(job["id"], "completed")
    phone = open_job(new_page, live_server, job["id"], width=390, height=844, scheme=scheme)
    facts = phone.locator("#jobbar-facts")
    # The log's numbers carry their unit: the column headings are hidden at this width.
    percent = phone.locator("#event-log-body td.log__percent:not(:empty)").first
    unit = percent.evaluate("td => getComputedStyle(td, '::after').content")
    assert unit == '"\u00a0%"', unit
    phone.mouse.wheel(0, 900)
    phone.wait_for_function("() => window.scrollY >= 800")
    # Status, attempt, transport chip and live indicator stay, in one short strip at the
    # top; the title, the id and the actions scroll away with the page.
    box = facts.bounding_box()
    assert box is not None
    assert box["y"] == 0, f"the job summary left the screen: {box}"
    assert box["height"] <= 56, f"the sticky strip is too tall: {box}"
    for part in ("#status-pill", "#attempt", "#transport-chip", "#live-indicator"):
        inner = phone.locator(part).bounding_box()
        assert inner is not None
        assert inner["y"] >= 0 and inner["y"] + inner["height"] <= box["height"], part
    expect(phone.locator("#live-indicator")).to_contain_text("Live")
    for part in (".jobbar__title", "#action-cancel"):
        gone = phone.locator(part).bounding_box()
        assert gone is not None
        assert gone["y"] + gone["height"] <= 0, f"{part} stays on screen: {gone}"
    # Nothing shows through the strip: it has a background of its own.
    background = facts.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), background
    screenshot(phone, f"progress-phone-scrolled-{scheme}")

    desktop = open_job(new_page, live_server, job["id"], width=1280, height=600)
    desktop.mouse.wheel(0, 400)
    desktop.wait_for_function("() => window.scrollY >= 300")
    box = desktop.locator("#jobbar").bounding_box()
    assert box is not None
    assert box["y"] == 0, "the header stays sticky on wide screens"
