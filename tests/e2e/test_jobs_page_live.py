"""Job Management live: jobs submitted while the page is open appear, their rows move from
Pending to Running to Completed and the statistics follow — from the global event stream,
without a reload; the Single Job View follows its job's own stream."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import LiveServer, PageFactory, screenshot
from tests.e2e.test_jobs_page import open_jobs, row, seed_jobs

pytestmark = pytest.mark.e2e

#: About 4 s of running per job: time enough to see it run.
SLOW = {"steps": 80, "size": "256x256", "faults": {"step_delay": 0.05}}


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> Iterator[list[Any]]:
    yield seed_jobs(
        live_server, [(f"Village {i}", f"a mountain village, house {i}", False) for i in range(3)]
    )


def test_rows_and_statistics_update_while_jobs_run(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = open_jobs(new_page, live_server)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    # The statistics load beside the list: wait for their number, not the skeleton.
    expect(page.locator("#stat-completed-value")).to_have_text(re.compile(r"^\d[\d,]*$"))
    completed_before = int(page.locator("#stat-completed-value").inner_text().replace(",", ""))
    expect(page.locator("#stat-running-value")).to_have_text("0")
    page.evaluate("window.__samePage = true")

    job = live_server.create_job("a comet over a sleeping town", label="Comet", **SLOW)
    target = row(page, job["id"])
    expect(target).to_be_visible()  # a new job on the first page appears by itself
    pill = target.locator(".pill")
    expect(pill).to_have_text(re.compile(r"^Running( \d+%)?$"), timeout=10_000)
    expect(page.locator("#stat-running-value")).to_have_text("1")
    expect(page.locator("#stat-running-detail")).to_have_text("Generating now")
    expect(target.locator(".jduration")).to_have_class(re.compile("is-live"))

    expect(pill).to_have_text("Completed", timeout=30_000)
    expect(target.locator(".jimages__count")).to_have_text("1")
    expect(target.locator(".jduration")).to_have_text(re.compile(r"^\d+s$"))
    expect(page.locator("#stat-running-value")).to_have_text("0")
    expect(page.locator("#stat-completed-value")).to_have_text(str(completed_before + 1))
    assert page.evaluate("window.__samePage === true"), "the page must not have reloaded"


def test_new_jobs_elsewhere_are_announced_not_inserted(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = open_jobs(new_page, live_server, "?sort=label&order=asc")
    job = live_server.create_job("a lantern festival", label="Aaa lantern", steps=1, size="256x256")
    notice = page.locator("#new-jobs")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("1 new job since this page loaded.")
    notice.get_by_role("button", name="Show them").click()
    expect(notice).to_be_hidden()
    expect(row(page, job["id"])).to_be_visible()


def test_single_job_view_follows_a_running_job(
    new_page: PageFactory, live_server: LiveServer, seeded: list[Any]
) -> None:
    page = open_jobs(new_page, live_server)
    job = live_server.create_job("a kite above the dunes", label="Kite", **SLOW)
    live_server.wait_for(job["id"], "running")
    row(page, job["id"]).locator(".job-id").click()
    info = page.locator("#modal-info")
    expect(info).to_contain_text(re.compile(r"Running\s*since"))
    log = page.locator("#modal-log-body tr[data-seq]")
    expect(log.first).to_be_visible()
    seen = log.count()
    expect(info).to_contain_text(re.compile(r"Completed\s*at"), timeout=30_000)
    assert log.count() > seen
    final = live_server.job(job["id"])
    expect(log).to_have_count(min(200, final["last_seq"]))
    expect(page.locator("#gallery-grid .gallery__item[data-id]")).to_have_count(1)
    expect(info).to_contain_text("1 generated, 1 passed, 0 failed")


# -- renames, deletions and QC counts made elsewhere --------------------------------------


def _tagged(live_server: LiveServer, word: str, n: int, **body: Any) -> list[Any]:
    """``n`` finished jobs labelled ``<word> <i>`` (a filter ``?q=<word>`` shows just them)."""
    jobs = [
        live_server.create_job(
            f"a {word} at dawn, view {i}", label=f"{word} {i}", steps=1, size="256x256", **body
        )
        for i in range(n)
    ]
    return [live_server.wait_for(j["id"], "completed", timeout=60) for j in jobs]


def test_a_rename_in_one_page_updates_the_other_but_not_an_open_editor(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    first, second = _tagged(live_server, "Orchard", 2)
    one = open_jobs(new_page, live_server, "?q=orchard")
    two = open_jobs(new_page, live_server, "?q=orchard", scheme="light")
    expect(two.locator("#live-status")).to_have_attribute("data-state", "live")
    two.evaluate("window.__samePage = true")

    # Renamed in page one: page two's row follows, without a reload.
    row(one, first["id"]).locator(".jlabel__text").click()
    field = row(one, first["id"]).get_by_role("textbox")
    field.fill("Orchard in bloom")
    field.press("Enter")
    expect(row(two, first["id"]).locator(".jlabel__text")).to_have_text("Orchard in bloom")
    expect(row(two, first["id"]).locator(".jlabel__text")).to_have_attribute(
        "aria-label", "Rename: Orchard in bloom"
    )

    # Renamed by another client (the API, as the CLI does) while page two edits that label:
    # the person's text stays; the new label shows once they cancel.
    row(two, second["id"]).locator(".jlabel__text").click()
    editing = row(two, second["id"]).get_by_role("textbox")
    editing.fill("My own words")
    live_server.api.patch(f"/api/jobs/{second['id']}", json={"label": "Orchard at dusk"})
    expect(row(one, second["id"]).locator(".jlabel__text")).to_have_text("Orchard at dusk")
    expect(editing).to_have_value("My own words")
    expect(editing).to_be_focused()
    editing.press("Escape")
    expect(row(two, second["id"]).locator(".jlabel__text")).to_have_text("Orchard at dusk")
    assert two.evaluate("window.__samePage === true"), "the page must not have reloaded"


def test_a_delete_in_one_page_removes_the_rows_in_the_other(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    jobs = _tagged(live_server, "Glacier", 4)
    doomed = [j["id"] for j in jobs[:2]]
    one = open_jobs(new_page, live_server, "?q=glacier")
    two = open_jobs(new_page, live_server, "?q=glacier")
    expect(two.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(two.locator("#table-count")).to_contain_text("of 4")
    total_before = int(two.locator("#stat-total-value").inner_text())
    two.evaluate("window.__samePage = true")
    # Page two has one of them selected and the other open in the Single Job View.
    row(two, doomed[0]).locator(".jobs-check").check()
    row(two, jobs[3]["id"]).locator(".jobs-check").check()
    expect(two.locator("#batch-count")).to_contain_text("2 jobs selected")
    row(two, doomed[1]).locator(".job-id").click()
    modal = two.locator("#job-modal")
    expect(modal.locator("#modal-info")).to_contain_text(doomed[1])

    for job_id in doomed:
        row(one, job_id).locator(".jobs-check").check()
    one.get_by_role("button", name="Delete Selected").click()
    one.get_by_role("dialog", name="Delete 2 jobs?").get_by_role(
        "button", name="Delete 2 jobs"
    ).click()
    expect(one.locator("#toasts")).to_contain_text("2 jobs deleted.")

    expect(modal.locator("#modal-error-text")).to_have_text("This job was deleted.")
    for name in ("Export", "Rerun", "Delete"):
        expect(modal.locator(f"#modal-{name.lower()}")).to_be_disabled()
    screenshot(two, "jobs-modal-deleted-dark")
    modal.locator("#modal-close").click()
    for job_id in doomed:
        expect(row(two, job_id)).to_have_count(0)
    expect(two.locator("#table-count")).to_contain_text("of 2")
    expect(two.locator("#stat-total-value")).to_have_text(str(total_before - 2))
    expect(two.locator("#batch-count")).to_contain_text("1 job selected")
    assert two.evaluate("window.__samePage === true"), "the page must not have reloaded"
    # The actions work again for a job that exists.
    row(two, jobs[2]["id"]).locator(".job-id").click()
    expect(modal.locator("#modal-rerun")).to_be_enabled()


def test_images_show_their_qc_counts_and_follow_a_manual_reject(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    (job,) = _tagged(live_server, "Meadowlark", 1, count=3)
    images = live_server.api.get(f"/api/jobs/{job['id']}/images").json()
    assert [i["qc_status"] for i in images] == ["passed"] * 3
    for scheme in ("light", "dark"):
        page = open_jobs(new_page, live_server, "?q=meadowlark", scheme=scheme)
        cell = row(page, job["id"]).locator(".jcell-images")
        expect(cell.locator(".jimages__count")).to_have_text("3")
        expect(cell.locator(".jqc__passed")).to_have_text("3 ✓")
        expect(cell.locator(".jqc__failed")).to_have_text("0 ✗")
        expect(cell.locator(".jqc .visually-hidden")).to_have_text(
            "3 passed, 0 failed quality checks"
        )
        passed = cell.locator(".jqc__passed").evaluate("e => getComputedStyle(e).color")
        failed = cell.locator(".jqc__failed").evaluate("e => getComputedStyle(e).color")
        assert passed != failed
        screenshot(page, f"jobs-qc-counts-{scheme}")
    # The dark page stays open; a reviewer rejects an image elsewhere.
    live_server.api.post(f"/api/images/{images[1]['id']}/qc", json={"status": "failed"})
    expect(cell.locator(".jqc__passed")).to_have_text("2 ✓")
    expect(cell.locator(".jqc__failed")).to_have_text("1 ✗")
    expect(cell.locator(".jqc .visually-hidden")).to_have_text("2 passed, 1 failed quality checks")
    screenshot(page, "jobs-qc-counts-rejected-dark")


def test_the_system_status_follows_the_server_going_and_coming_back(
    new_page: PageFactory, tmp_path: Path
) -> None:
    """The header's health check runs every 15 s, and at once when the live stream drops or
    comes back: never "System OK" next to "interrupted", nor "unreachable" next to "Live"."""
    server = LiveServer(tmp_path / "restarting").start()
    try:
        page = new_page()
        page.goto(f"{server.url}/jobs")
        expect(page.locator("#main")).to_have_attribute("data-view", "ready")
        live = page.locator("#live-status")
        status = page.locator("#system-status")
        expect(live).to_have_attribute("data-state", "live")
        expect(status).to_have_attribute("data-state", "ok")

        server.stop()
        expect(live).to_have_attribute("data-state", "reconnecting", timeout=10_000)
        expect(status).to_have_attribute("data-state", "down", timeout=3_000)
        expect(page.locator("#system-status-text")).to_have_text("Server unreachable")
        screenshot(page, "jobs-server-stopped-dark")

        server.start()
        expect(live).to_have_attribute("data-state", "live", timeout=30_000)
        expect(status).to_have_attribute("data-state", "ok", timeout=3_000)
        expect(page.locator("#system-status-text")).to_contain_text("System OK")
    finally:
        server.close()
