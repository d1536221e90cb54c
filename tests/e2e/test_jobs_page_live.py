"""Job Management live: jobs submitted while the page is open appear, their rows move from
Pending to Running to Completed and the statistics follow — from the global event stream,
without a reload; the Single Job View follows its job's own stream."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import LiveServer, PageFactory
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
    completed_before = int(page.locator("#stat-completed-value").inner_text())
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
