"""The server stops and starts again during a job: the page shows "reconnecting" with its
countdown and "Reconnect now", keeps the last preview, and afterwards the timeline has
every event of the job exactly once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    LiveServer,
    PageFactory,
    expect_every_seq_once,
    expect_status,
    open_job,
    screenshot,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ATTEMPT = re.compile(r"\(attempt (\d+)\)")


def test_server_restart_during_a_job(new_page: PageFactory, live_server: LiveServer) -> None:
    job = live_server.create_job(
        "a train crossing a stone viaduct", steps=30, faults={"step_delay": 0.15}
    )
    page = open_job(new_page, live_server, job["id"])
    expect(page.locator("#transport-mode")).to_have_text("WS")
    expect(page.locator("#event-log-body tr[data-type=progress]").nth(3)).to_be_attached()
    expect(page.locator(".preview__layer.is-visible").last).to_be_visible()

    live_server.kill()
    banner = page.locator("#conn-banner")
    expect(banner).to_contain_text("Connection lost. Switching to polling.")
    expect(banner).to_contain_text(re.compile(r"Reconnecting in \d+ seconds? \(attempt \d+\)"))
    expect(page.locator("#transport-mode")).to_have_text("Poll")
    expect(page.locator("#main")).to_have_attribute("data-status", "running")
    expect(page.locator("#announcer")).to_have_text("Connection lost. Switching to polling.")
    expect(page.locator(".preview__layer.is-visible").last).to_be_visible()  # kept
    reconnect_now = banner.get_by_role("button", name="Reconnect now")
    expect(reconnect_now).to_be_visible()
    screenshot(page, "progress-reconnecting-dark")

    # "Reconnect now" tries at once (and fails while the server is down: the count moves).
    match = ATTEMPT.search(banner.inner_text())
    assert match
    before = int(match.group(1))
    reconnect_now.click()
    expect(banner).to_contain_text(re.compile(rf"\(attempt (?!{before}\))\d+\)"))

    live_server.start()
    expect(page.locator("#transport-chip")).to_have_attribute("data-state", "live", timeout=40_000)
    expect(page.locator("#transport-mode")).to_have_text("WS")
    expect(banner).to_be_hidden()
    expect_status(page, "completed", timeout=40_000)
    expect_every_seq_once(page, live_server, job["id"])
    # The worker died with the server: the job finished on a new attempt.
    expect(page.locator("#attempt")).to_have_text("Attempt 2/3")
