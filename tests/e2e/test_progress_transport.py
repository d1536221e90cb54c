"""The progress page's live transport in a real browser: WebSocket first, SSE when the
WebSocket is refused, polling (degraded) when both are, the manual switches, and the
transport chip with its tooltip."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.e2e.helpers import (
    LiveServer,
    PageFactory,
    expect_every_seq_once,
    expect_status,
    open_job,
    screenshot,
)

pytestmark = pytest.mark.e2e

SLOW = {"step_delay": 0.12}
WS = re.compile(r"/events/ws")


def refuse_websocket(page: Page) -> None:
    page.route_web_socket(WS, lambda ws: ws.close())


def refuse_sse(page: Page) -> None:
    page.route("**/events/stream*", lambda route: route.abort("connectionrefused"))


def test_chip_and_tooltip(new_page: PageFactory, live_server: LiveServer) -> None:
    job = live_server.create_job("a paper boat on a pond")
    page = open_job(new_page, live_server, job["id"])
    chip = page.locator("#transport-chip")
    expect(page.locator("#transport-mode")).to_have_text("WS")
    tooltip = page.locator("#transport-tip")
    expect(tooltip).to_have_attribute("role", "tooltip")
    expect(tooltip).to_have_text("WS preferred; auto fallback enabled.")
    expect(tooltip).to_be_hidden()
    chip.hover()
    expect(page.get_by_role("tooltip")).to_have_text("WS preferred; auto fallback enabled.")
    page.mouse.move(0, 0)
    chip.focus()  # keyboard users get it too
    expect(tooltip).to_be_visible()
    expect(chip).to_have_attribute("aria-describedby", "transport-tip")


def test_websocket_refused_falls_back_to_sse(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a hot air balloon over hills", steps=30, faults=SLOW)
    page = new_page()
    refuse_websocket(page)
    page.goto(f"{live_server.url}/jobs/{job['id']}")
    expect(page.locator("#transport-mode")).to_have_text("SSE")
    expect(page.locator("#transport-chip")).to_have_attribute("data-state", "live")
    expect(page.locator("#live-indicator")).to_contain_text("Live")
    expect(page.locator("#conn-banner")).to_be_hidden()
    expect(page.locator("#event-log-body tr[data-type=preview]").first).to_be_attached()
    screenshot(page, "progress-sse-dark")
    expect_status(page, "completed")
    expect_every_seq_once(page, live_server, job["id"])


def test_websocket_and_sse_refused_polls_with_the_degraded_banner(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a castle in the clouds", steps=40, faults=SLOW)
    page = new_page()
    refuse_websocket(page)
    refuse_sse(page)
    page.goto(f"{live_server.url}/jobs/{job['id']}")
    expect(page.locator("#transport-mode")).to_have_text("Poll")
    banner = page.locator("#conn-banner")
    expect(banner).to_contain_text("Real-time stream unavailable in this network.")
    # The cadence as a range: the interval of the moment flipped between 2 and 3 seconds.
    expect(banner).to_contain_text("Live updates unavailable, using polling every 2–12 seconds.")
    # Polling started on its own: the line says what "Switch to polling" still changes, and
    # the header's button means the same as the banner's, so both are offered.
    expect(banner).to_contain_text("Polling started on its own;")
    expect(banner.get_by_role("button", name="Switch to polling")).to_be_visible()
    expect(page.get_by_role("button", name="Switch to Polling", exact=True)).to_be_enabled()
    expect(banner.get_by_role("button", name="Try SSE/WS again")).to_be_visible()
    expect(page.locator("#announcer")).to_have_text("Real-time stream unavailable in this network.")
    expect(page.locator("#event-log-body tr[data-type=progress]").nth(2)).to_be_attached()
    screenshot(page, "progress-degraded-dark")

    # Still blocked: trying again ends up in the same place.
    banner.get_by_role("button", name="Try SSE/WS again").click()
    expect(banner).to_contain_text("Real-time stream unavailable in this network.")
    expect(page.locator("#transport-mode")).to_have_text("Poll")

    # Accepting polling keeps the degraded banner, as the person's choice: the stream
    # really is unavailable, so the title still says so.
    banner.get_by_role("button", name="Switch to polling").click()
    expect(banner.locator(".banner__title")).to_have_text(
        re.compile(r"Live updates unavailable, using polling every \d+")
    )
    expect(banner).to_contain_text("You switched to polling.")
    expect(banner.get_by_role("button", name="Try SSE/WS again")).to_be_focused()
    expect(page.get_by_role("button", name="Switch to Polling", exact=True)).to_be_disabled()
    expect_status(page, "completed", timeout=30_000)
    expect_every_seq_once(page, live_server, job["id"])
    # A finished job has nothing more to update: the job banner speaks, the chip still
    # says how the page listens, and the focus that was in the banner goes to the chip.
    expect(banner).to_be_hidden()
    expect(page.locator("#job-banner")).to_contain_text("Generation completed")
    expect(page.locator("#transport-mode")).to_have_text("Poll")
    expect(page.locator("#transport-chip")).to_be_focused()


def test_manual_switch_to_polling_and_back(new_page: PageFactory, live_server: LiveServer) -> None:
    job = live_server.create_job("a windmill in a tulip field", steps=40, faults=SLOW)
    page = open_job(new_page, live_server, job["id"], scheme="light")
    expect(page.locator("#transport-mode")).to_have_text("WS")
    page.get_by_role("button", name="Switch to Polling").click()
    expect(page.locator("#transport-mode")).to_have_text("Poll")
    banner = page.locator("#conn-banner")
    expect(banner).to_contain_text("You switched to polling.")
    # The stream was working: polling is the person's choice, not "live updates unavailable".
    expect(banner.locator(".banner__title")).to_have_text("Polling every 2–12 seconds.")
    expect(banner).not_to_contain_text("unavailable")
    expect(page.get_by_role("button", name="Switch to Polling")).to_be_disabled()
    expect(page.locator("#live-indicator")).to_contain_text("Polling every")
    screenshot(page, "progress-polling-manual-light")
    banner.get_by_role("button", name="Try SSE/WS again").click()
    expect(page.locator("#transport-mode")).to_have_text("WS")
    expect(banner).to_be_hidden()
    expect_status(page, "completed")
    expect_every_seq_once(page, live_server, job["id"])


def test_a_manual_reconnect_that_works_is_announced(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a lantern in the fog", steps=60, faults=SLOW)
    page = new_page()
    blocked = {"on": True}

    def websocket(ws: WebSocketRoute) -> None:
        if blocked["on"]:
            ws.close()
        else:
            ws.connect_to_server()

    page.route_web_socket(WS, websocket)
    refuse_sse(page)
    page.goto(f"{live_server.url}/jobs/{job['id']}")
    announcer = page.locator("#announcer")
    expect(announcer).to_have_text("Real-time stream unavailable in this network.")
    blocked["on"] = False
    page.unroute("**/events/stream*")
    # "Try SSE/WS again" goes through "connecting" before "live": still a recovery.
    page.locator("#conn-banner").get_by_role("button", name="Try SSE/WS again").click()
    expect(page.locator("#transport-mode")).to_have_text("WS")
    expect(page.locator("#transport-chip")).to_have_attribute("data-state", "live")
    expect(announcer).to_have_text("Live updates restored.")
    cancelled = live_server.api.post(f"/api/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text


def test_reset_cursor_ahead_reloads_the_snapshot_and_resumes(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a lantern in the fog", steps=30, faults=SLOW)
    page = new_page()
    resets: list[int] = []

    def first_refused(ws: WebSocketRoute) -> None:
        if resets:
            ws.connect_to_server()
            return
        resets.append(1)
        ws.send(
            '{"control": "reset", "code": "cursor_ahead", '
            '"message": "Cursor ahead of the log", "last_seq": 1}'
        )
        ws.close(code=4409, reason="cursor_ahead")

    page.route_web_socket(WS, first_refused)
    page.goto(f"{live_server.url}/jobs/{job['id']}")
    expect(page.locator("#transport-mode")).to_have_text("WS")
    expect(page.locator("#transport-chip")).to_have_attribute("data-state", "live")
    assert resets == [1]
    expect_status(page, "completed")
    expect_every_seq_once(page, live_server, job["id"])


def test_reset_not_found_shows_the_not_found_state(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a vanishing act", steps=30, faults=SLOW)
    page = new_page()

    def gone(ws: WebSocketRoute) -> None:
        ws.send('{"control": "reset", "code": "not_found", "message": "No such job"}')
        ws.close(code=4404, reason="not_found")

    page.route_web_socket(WS, gone)
    page.goto(f"{live_server.url}/jobs/{job['id']}")
    expect(page.locator("#main")).to_have_attribute("data-view", "not-found")
    expect(page.get_by_role("heading", name="Job not found")).to_be_visible()
    expect(page.locator("#job-view")).to_be_hidden()
    live_server.api.post(f"/api/jobs/{job['id']}/cancel")
