"""Job Management accessibility and looks: axe-core finds no serious or critical violation
on the page, its popovers, menu and dialogs, or in the Single Job View — in both themes —
and a screenshot of each state is saved in docs/screenshots/jobs-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import LiveServer, PageFactory, run_axe, screenshot
from tests.e2e.test_jobs_page import open_jobs, row, rows, seed_jobs

pytestmark = pytest.mark.e2e

SCHEMES = ["dark", "light"]


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> Iterator[dict[str, Any]]:
    jobs = seed_jobs(
        live_server,
        [
            ("Product photos", "studio photo of a ceramic teapot on linen", False),
            ("Marketing assets", "a bold poster of a mountain bike at sunrise", False),
            ("Rejected draft", "a crowded night market in the rain", True),
            ("Autumn set", "maple leaves floating on a dark pond", False),
        ],
    )
    gallery = live_server.create_job(
        "three paper boats on a calm lake", label="Paper boats", count=4, steps=2, size="256x256"
    )
    gallery = live_server.wait_for(gallery["id"], "completed")
    # One a person rejected, so the gallery shows every QC state it can.
    image = live_server.api.get(f"/api/jobs/{gallery['id']}/images").json()[2]
    live_server.api.post(
        f"/api/images/{image['id']}/qc", json={"status": "failed", "reason": "Hull cut off"}
    )
    live_server.create_job(
        "a slow sunrise over the bay",
        label="Sunrise",
        steps=150,
        size="256x256",
        faults={"step_delay": 1.0},
    )
    yield {"jobs": jobs, "gallery": live_server.job(gallery["id"])}


def assert_no_violations(page: Page, where: str) -> None:
    violations = run_axe(page)
    assert not violations, f"{where}: {violations}"


def settle(page: Page) -> None:
    expect(page.locator("#stats")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#system-status")).not_to_have_attribute("data-state", "checking")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_page_states_pass_axe(
    new_page: PageFactory, live_server: LiveServer, seeded: dict[str, Any], scheme: str
) -> None:
    page = open_jobs(new_page, live_server, scheme=scheme, reduced_motion="reduce")
    settle(page)
    assert_no_violations(page, "page")
    screenshot(page, f"jobs-{scheme}")

    # Selection: the notice, the sticky batch toolbar.
    page.get_by_label("Select all jobs shown").check()
    row(page, seeded["jobs"][0]["id"]).locator(".jobs-check").uncheck()
    expect(page.locator("#batch-count")).to_have_text(f"{rows(page).count() - 1} jobs selected")
    assert_no_violations(page, "selection")

    # The status multi-select and the presets.
    page.locator("#status-button").click()
    expect(page.locator("#status-menu")).to_be_visible()
    assert_no_violations(page, "status popover")
    screenshot(page, f"jobs-status-filter-{scheme}")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Presets").click()
    expect(page.locator("#presets-menu")).to_be_visible()
    assert_no_violations(page, "presets")
    screenshot(page, f"jobs-presets-{scheme}")
    page.keyboard.press("Escape")

    # The actions menu.
    rows(page).first.get_by_role("button", name="Actions for job", exact=False).click()
    expect(page.get_by_role("menu")).to_be_visible()
    assert_no_violations(page, "menu")
    page.keyboard.press("Escape")

    # Help.
    page.get_by_role("button", name="Help").click()
    expect(page.locator("#help-dialog")).to_be_visible()
    assert_no_violations(page, "help")
    screenshot(page, f"jobs-help-{scheme}")
    page.keyboard.press("Escape")

    # Inline rename.
    page.keyboard.press("Escape")  # clear the selection
    row(page, seeded["jobs"][1]["id"]).locator(".jlabel__text").click()
    assert_no_violations(page, "rename")
    screenshot(page, f"jobs-rename-{scheme}")
    page.keyboard.press("Escape")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_single_job_view_passes_axe(
    new_page: PageFactory, live_server: LiveServer, seeded: dict[str, Any], scheme: str
) -> None:
    page = open_jobs(new_page, live_server, scheme=scheme, reduced_motion="reduce")
    settle(page)
    job = seeded["gallery"]
    row(page, job["id"]).locator(".job-id").click()
    tiles = page.locator("#gallery-grid .gallery__item[data-id]")
    expect(tiles).to_have_count(4)
    expect(page.locator("#modal-log-body tr[data-seq]").first).to_be_visible()
    expect(page.locator("#gallery-grid")).to_contain_text("Hull cut off")
    assert_no_violations(page, "modal")
    screenshot(page, f"jobs-modal-{scheme}")
    page.locator("#modal-body").evaluate("b => { b.scrollTop = b.scrollHeight; }")
    screenshot(page, f"jobs-modal-timeline-{scheme}")

    # Delete asks on top of the modal.
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.locator("#jobs-confirm")).to_be_visible()
    assert_no_violations(page, "delete dialog")
    screenshot(page, f"jobs-delete-dialog-{scheme}")
    page.get_by_role("button", name="Keep it").click()
    page.keyboard.press("Escape")
    expect(page.locator("#job-modal")).to_be_hidden()

    # A failed job: the error details.
    failed = next(j for j in seeded["jobs"] if j["status"] == "failed")
    row(page, failed["id"]).locator(".job-id").click()
    expect(page.locator("#modal-job-error")).to_be_visible()
    assert_no_violations(page, "failed job modal")

    # A running job.
    page.keyboard.press("Escape")
    running = page.locator('#jobs-body tr[data-status="running"]').first
    running.locator(".job-id").click()
    expect(page.locator("#modal-info")).to_contain_text("since")
    assert_no_violations(page, "running job modal")
    screenshot(page, f"jobs-modal-running-{scheme}")
