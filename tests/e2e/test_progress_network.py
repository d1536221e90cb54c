"""The progress page when the network or the server goes away: the browser's `offline`
event switches to polling at once (no 45 s wait for the socket watchdog) and `online`
reconnects at once; with the server down the page says it cannot be reached instead of
promising polled updates, hides the time-left estimate, and goes live again as soon as a
poll is answered."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import LiveServer, PageFactory, expect_status, open_job, screenshot

pytestmark = pytest.mark.e2e

COUNTDOWN = re.compile(r"Reconnecting in (\d+) seconds?")


def open_running_job(new_page: PageFactory, server: LiveServer, step_delay: float) -> Page:
    """A job well under way (the snapshot carries a time-left estimate), followed live."""
    job = server.create_job("x", steps=150, size="256x256", faults={"step_delay": step_delay})
    deadline = time.monotonic() + 15
    while server.job(job["id"])["eta_seconds"] is None:
        assert time.monotonic() < deadline, "the job never got under way"
        time.sleep(0.1)
    page = open_job(new_page, server, job["id"])
    page.set_default_timeout(10_000)
    expect_live_on_ws(page)
    expect(page.locator("#progress-detail")).to_contain_text("left")
    return page


def cancel_shown_job(page: Page, server: LiveServer) -> None:
    job_id = page.locator("body").get_attribute("data-job-id")
    server.api.post(f"/api/jobs/{job_id}/cancel")


def expect_live_on_ws(page: Page, timeout: float = 5_000) -> None:
    expect(page.locator("#transport-chip")).to_have_attribute("data-state", "live", timeout=timeout)
    expect(page.locator("#transport-mode")).to_have_text("WS")


def test_going_offline_switches_to_polling_at_once_and_online_reconnects(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_running_job(new_page, live_server, 0.5)

    page.context.set_offline(True)
    banner = page.locator("#conn-banner")
    # At once: the socket's watchdog would take 45 s to notice.
    expect(banner).to_contain_text("Connection lost. Switching to polling.", timeout=3_000)
    expect(banner).to_contain_text("This device is offline.")
    # Offline, a reconnect cannot work: offered again with the network, not before.
    expect(banner.get_by_role("button", name="Reconnect now")).to_be_disabled()
    expect(page.get_by_role("button", name="Reconnect", exact=True)).to_be_disabled()
    expect(page.locator("#transport-mode")).to_have_text("Poll")
    expect(page.locator("#live-indicator")).to_contain_text("Offline")
    expect(page.locator("#live-indicator")).not_to_contain_text("Live")
    expect(page.locator("#announcer")).to_have_text("Connection lost. Switching to polling.")
    expect(page.locator("#progress-detail")).to_have_text("")  # no estimate on no data
    screenshot(page, "progress-offline-dark")

    page.context.set_offline(False)
    expect_live_on_ws(page, timeout=3_000)  # at once, not after a countdown
    expect(banner).to_be_hidden()
    expect(page.locator("#announcer")).to_have_text("Live updates restored.")
    expect(page.locator("#progress-detail")).to_contain_text("left")
    cancel_shown_job(page, live_server)


@pytest.mark.slow
def test_server_down_says_unreachable_and_goes_live_once_a_poll_is_answered(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_running_job(new_page, live_server, 0.4)
    detail = page.locator("#progress-detail")

    live_server.kill()
    banner = page.locator("#conn-banner")
    expect(banner).to_contain_text("Connection lost. Switching to polling.")
    # The polls fail too: nothing continues, and the estimate stops.
    expect(banner).to_contain_text("The server cannot be reached, so no updates arrive.")
    expect(banner).not_to_contain_text("Updates continue by polling")
    expect(detail).to_have_text("")
    screenshot(page, "progress-server-unreachable-dark")

    # Wait for a long countdown (the 30 s step of the back-off), then bring the server back:
    # the next answered poll (at most 12 s apart) must bring push back, not the countdown.
    deadline = time.monotonic() + 60
    while True:
        found = COUNTDOWN.search(banner.inner_text())
        if found and int(found.group(1)) >= 24:
            break
        assert time.monotonic() < deadline, "the reconnect countdown never got long"
        time.sleep(0.2)
    live_server.start()
    left = COUNTDOWN.search(banner.inner_text())
    assert left and int(left.group(1)) >= 15, "the server took too long to start for this test"
    expect_live_on_ws(page, timeout=13_500)
    expect(banner).to_be_hidden()
    expect_status(page, "running")
    cancel_shown_job(page, live_server)
