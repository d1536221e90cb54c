"""Generation Progress (`/jobs/{id}`): every UI state of specs/realtime-progress.md.

Each test saves a screenshot of the state it reaches under docs/screenshots/ and audits it
with axe-core where the issue asks for it (streaming, failed, completed; both themes).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from playwright.sync_api import Route, WebSocketRoute, expect

from tests.e2e.helpers import (
    LiveServer,
    PageFactory,
    expect_every_seq_once,
    expect_status,
    open_job,
    run_axe,
    screenshot,
)

pytestmark = pytest.mark.e2e

SLOW = {"step_delay": 0.12}  # about 4 s for 30 steps: time to look at a running job


# -- meta tags and not found -----------------------------------------------------------


def test_job_page_meta_is_job_specific(live_server: LiveServer) -> None:
    job = live_server.create_job("a red fox in the snow")
    live_server.wait_for(job["id"], "completed")
    response = live_server.api.get(f"/jobs/{job['id']}")
    assert response.status_code == 200
    assert "content-security-policy" in response.headers
    html = response.text
    assert "<title>Generation Progress</title>" in html
    assert re.search(r'name="description" content="[^"]*Status: Completed, 1 image', html)
    image = live_server.api.get(f"/api/jobs/{job['id']}/images").json()[0]
    assert f'property="og:image" content="{live_server.url}{image["url"]}"' in html
    assert f'property="og:url" content="{live_server.url}/jobs/{job["id"]}"' in html


def test_job_page_embeds_the_snapshot_and_newest_events_safely(live_server: LiveServer) -> None:
    prompt = "</script><script>alert(1)</script> <!-- a fox & a hound"
    job = live_server.create_job(prompt)
    live_server.wait_for(job["id"], "completed")
    html = live_server.api.get(f"/jobs/{job['id']}").text
    found = re.search(r'<script type="application/json" id="job-bootstrap">(.*?)</script>', html)
    assert found is not None
    assert "<" not in found.group(1), "a < inside the data block could close the script"
    embedded = json.loads(found.group(1))
    snapshot = live_server.job(job["id"])
    assert embedded["job"]["prompt"] == prompt
    assert embedded["job"]["last_seq"] == snapshot["last_seq"]
    assert embedded["job"]["status"] == "completed"
    events = live_server.api.get(f"/api/jobs/{job['id']}/events").json()["events"]
    assert embedded["events"] == events[-200:]


def test_running_job_meta_shows_the_latest_preview(live_server: LiveServer) -> None:
    job = live_server.create_job("a kite festival", steps=40, faults=SLOW)
    snapshot = job
    for _ in range(100):
        snapshot = live_server.job(job["id"])
        if snapshot["preview_version"]:
            break
        time.sleep(0.1)
    assert snapshot["preview_version"], "no preview came"
    html = live_server.api.get(f"/jobs/{job['id']}").text
    assert re.search(r'name="description" content="[^"]*Status: Running, \d+ %', html)
    assert re.search(
        rf'property="og:image" content="{live_server.url}/api/jobs/{job["id"]}/preview/\d+"', html
    )
    live_server.api.post(f"/api/jobs/{job['id']}/cancel")


def test_unknown_job_shows_not_found(new_page: PageFactory, live_server: LiveServer) -> None:
    page = new_page()
    response = page.goto(f"{live_server.url}/jobs/0123456789abcdef0123456789abcdef")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Job not found")).to_be_visible()
    expect(page.get_by_role("link", name="Start a new generation")).to_have_attribute("href", "/")
    screenshot(page, "progress-not-found-dark")


# -- loading, connecting, streaming, completed ----------------------------------------


def test_initial_loading_then_connecting_ws_first(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a misty pine forest at dawn", steps=30, faults=SLOW)
    page = new_page()
    # The page embeds the snapshot; without it (as when the server could not read the job
    # while rendering the page) the module loads it over the API and shows "loading".
    page.route(f"**/jobs/{job['id']}", without_bootstrap)
    held: list[Route] = []
    page.route(f"**/api/jobs/{job['id']}", lambda route: held.append(route))
    # A WebSocket that opens but never says hello: the client waits (connecting) for 4 s.
    sockets: list[WebSocketRoute] = []
    page.route_web_socket(re.compile(r"/events/ws"), lambda ws: sockets.append(ws))
    page.goto(f"{live_server.url}/jobs/{job['id']}", wait_until="domcontentloaded")
    main = page.locator("#main")
    expect(main).to_have_attribute("data-view", "loading")
    expect(main).to_have_attribute("aria-busy", "true")
    # Loading is not connecting (nothing is tried before the snapshot), and the job may
    # have finished long ago: skeletons, no "Connecting…", no "Waiting for first preview…".
    indicator = page.locator("#live-indicator")
    expect(indicator).to_have_attribute("data-state", "loading")
    expect(indicator).to_have_text("")
    expect(indicator).to_have_class(re.compile(r"\bskeleton\b"))
    expect(page.locator("#preview-placeholder")).to_have_class(re.compile(r"\bskeleton\b"))
    expect(page.locator("#preview-placeholder")).not_to_contain_text("Waiting for first preview")
    page.wait_for_function("() => true")  # let the route handler run
    screenshot(page, "progress-loading-dark")
    assert held, "the snapshot request was not intercepted"
    held[0].continue_()
    page.unroute(f"**/api/jobs/{job['id']}")
    expect(main).to_have_attribute("data-view", "ready")
    expect(page.locator("#preview-placeholder")).to_contain_text("Waiting for first preview…")
    expect(indicator).to_have_text("Connecting…")
    banner = page.locator("#conn-banner")
    expect(banner).to_contain_text("Connecting…")
    expect(banner).to_contain_text("Trying WebSocket first")
    expect(page.locator("#transport-mode")).to_have_text("WS")
    screenshot(page, "progress-connecting-dark")
    # No hello in time: SSE takes over.
    expect(page.locator("#transport-mode")).to_have_text("SSE", timeout=10_000)
    expect(page.locator("#live-indicator")).to_contain_text("Live")
    expect(page.locator("#live-indicator")).not_to_have_class(re.compile(r"\bskeleton\b"))
    expect(banner).to_be_hidden()
    expect_status(page, "completed")
    expect_every_seq_once(page, live_server, job["id"])


def without_bootstrap(route: Route) -> None:
    response = route.fetch()
    html = re.sub(
        r'<script type="application/json" id="job-bootstrap">.*?</script>',
        "",
        response.text(),
        flags=re.S,
    )
    assert html != response.text(), "the page came without its embedded snapshot"
    route.fulfill(response=response, body=html)


def test_the_page_renders_from_its_embedded_snapshot(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a red fox in fresh snow", steps=5)
    live_server.wait_for(job["id"], "completed")
    page = new_page()
    api_reads: list[str] = []
    page.on(
        "request",
        lambda request: (
            api_reads.append(request.url)
            if re.search(r"/api/jobs/[^/]+(/events)?(\?|$)", request.url)
            else None
        ),
    )
    page.goto(f"{live_server.url}/jobs/{job['id']}")
    expect(page.locator("#main")).to_have_attribute("data-view", "ready")
    expect_status(page, "completed")
    # The whole log is there (it has fewer than 200 events), without asking the API.
    expect_every_seq_once(page, live_server, job["id"])
    assert api_reads == [], f"the page fetched what it embeds: {api_reads}"


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_streaming_then_completed(
    new_page: PageFactory, live_server: LiveServer, scheme: str
) -> None:
    job = live_server.create_job(
        "a lighthouse on a rocky cliff at sunset", steps=30, size="512x512", faults=SLOW
    )
    page = open_job(new_page, live_server, job["id"], scheme=scheme)
    expect(page.locator("#transport-mode")).to_have_text("WS")
    expect(page.locator("#live-indicator")).to_contain_text(re.compile(r"Live · updated"))
    expect(page.locator("#status-pill")).to_contain_text("Running")
    expect(page.locator("#attempt")).to_have_text("Attempt 1/3")
    expect(page.locator(".preview__layer.is-visible").last).to_be_visible()
    expect(page.locator('#stepper [data-step="running"]')).to_have_attribute(
        "data-state", "current"
    )
    expect(page.locator("#event-log-body tr[data-type=progress]").nth(3)).to_be_attached()
    screenshot(page, f"progress-streaming-{scheme}")
    assert run_axe(page) == []

    expect_status(page, "completed")
    expect(page.locator("#announcer")).to_have_text("Generation completed.")
    banner = page.locator("#job-banner")
    expect(banner).to_contain_text("Generation completed.")
    for step in ("queued", "running", "uploading", "completed"):
        expect(page.locator(f'#stepper [data-step="{step}"]')).to_have_attribute(
            "data-state", "done"
        )
    expect(page.locator("#progress-bar")).to_have_attribute("value", "100")
    expect(page.get_by_role("link", name="Download")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Open"))).to_have_attribute("target", "_blank")
    expect_every_seq_once(page, live_server, job["id"])
    page.locator("#preview-stage img.is-visible").last.evaluate("img => img.decode()")
    screenshot(page, f"progress-completed-{scheme}")
    assert run_axe(page) == []


def test_copy_url_and_debug_info(new_page: PageFactory, live_server: LiveServer) -> None:
    job = live_server.create_job("a neon street in the rain")
    live_server.wait_for(job["id"], "completed")
    page = open_job(new_page, live_server, job["id"])
    expect(page.locator("#live-indicator")).to_contain_text("Live")
    page.get_by_role("button", name="Copy URL").click()
    expect(page.locator("#toasts")).to_contain_text("Image URL copied.")
    url = page.evaluate("() => navigator.clipboard.readText()")
    image = live_server.api.get(f"/api/jobs/{job['id']}/images").json()[0]
    assert url == f"{live_server.url}{image['url']}"

    page.get_by_role("button", name="Copy debug info").click()
    expect(page.locator("#toasts")).to_contain_text("Debug info copied.")
    info: dict[str, Any] = page.evaluate(
        "async () => JSON.parse(await navigator.clipboard.readText())"
    )
    assert info["job_id"] == job["id"]
    assert info["last_event_seq"] == live_server.job(job["id"])["last_seq"]
    assert info["transport"]["mode"] == "ws"
    assert info["attempt"] == "1/3"
    assert info["timestamps"]["page_loaded"] and info["timestamps"]["snapshot_loaded"]
    # Opened on a finished job: the newest event's time comes from the loaded history.
    newest = live_server.api.get(f"/api/jobs/{job['id']}/events").json()["events"][-1]
    assert info["timestamps"]["last_event_time"] == newest["time"]


# -- cancel ------------------------------------------------------------------------------


def test_cancel_with_an_accessible_confirm_dialog(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a slow sunrise over the sea", steps=80, faults=SLOW)
    page = open_job(new_page, live_server, job["id"])
    expect(page.locator("#status-pill")).to_contain_text("Running")
    cancel = page.get_by_role("button", name="Cancel", exact=True)
    cancel.click()
    dialog = page.get_by_role("dialog", name="Cancel this job?")
    expect(dialog).to_be_visible()
    keep = dialog.get_by_role("button", name="Keep generating")
    confirm = dialog.get_by_role("button", name="Cancel job")
    expect(keep).to_be_focused()
    page.keyboard.press("Tab")
    expect(confirm).to_be_focused()
    page.keyboard.press("Tab")  # focus stays in the dialog
    expect(keep).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(confirm).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(cancel).to_be_focused()
    assert live_server.job(job["id"])["status"] == "running"

    cancel.click()
    expect(dialog).to_be_visible()
    screenshot(page, "progress-cancel-dialog-dark")
    confirm.click()
    expect(dialog).to_be_hidden()
    expect_status(page, "cancelled", timeout=5_000)
    banner = page.locator("#job-banner")
    expect(banner).to_contain_text("Cancelled")
    expect(banner).to_contain_text("last known progress")
    expect(page.locator("#status-pill")).to_contain_text("Cancelled")
    expect(page.locator("#progress-label")).to_contain_text("Stopped at")
    # The UI is locked.
    expect(cancel).to_be_disabled()
    expect(page.get_by_role("button", name="Reconnect", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Switch to Polling")).to_be_disabled()
    expect(page.locator("#announcer")).to_have_text("Status: Cancelled.")
    # The last preview stays.
    expect(page.locator(".preview__layer.is-visible").last).to_be_visible()
    assert live_server.job(job["id"])["status"] == "cancelled"
    screenshot(page, "progress-cancelled-dark")


# -- failures ----------------------------------------------------------------------------


def test_retryable_failure_retries_automatically(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job(
        "a fox under the northern lights",
        steps=20,
        faults={"rate_limit_at_step": 4, "retry_after": 3, "attempts": [1], "step_delay": 0.1},
    )
    page = open_job(new_page, live_server, job["id"])
    banner = page.locator("#job-banner")
    expect(banner).to_contain_text("Attempt failed:", timeout=10_000)
    expect(banner).to_contain_text(re.compile(r"Attempt 2/3 starts automatically"))
    expect(page.locator("#attempt")).to_have_text("Attempt 2/3")
    expect(page.locator("#status-pill")).to_contain_text("Queued")
    # The progress section agrees with the banner: a pause, not "not started".
    expect(page.locator("#progress-label")).to_have_text("Waiting before the next attempt.")
    screenshot(page, "progress-auto-retry-dark")
    expect_status(page, "completed")
    expect(page.locator("#attempt")).to_have_text("Attempt 2/3")
    expect(page.locator("#event-log-body tr[data-type=error]")).to_contain_text("rate_limited")
    expect_every_seq_once(page, live_server, job["id"])


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_throttled_failure_then_manual_retry(
    new_page: PageFactory, live_server: LiveServer, scheme: str
) -> None:
    job = live_server.create_job(
        "a stormy harbour", steps=10, faults={"timeout_at_step": 2, "attempts": [1, 2, 3]}
    )
    live_server.wait_for(job["id"], "failed")
    page = open_job(new_page, live_server, job["id"], scheme=scheme)
    banner = page.locator("#job-banner")
    expect(banner).to_contain_text("Generation is throttled or timed out. You can retry.")
    expect(banner).to_contain_text("Reason: The provider timed out")
    expect(banner).to_contain_text("Retryable: yes. 3 attempts of 3 used.")
    # A timeout is not a rate limit: no "wait a minute", but a moment's wait (spec: "suggest
    # waiting"), and what to change if it keeps timing out.
    expect(banner).to_contain_text(
        "The provider did not answer in time. Wait a moment before retrying; "
        "if it keeps timing out, try fewer steps or a smaller size."
    )
    expect(banner).not_to_contain_text("Wait a minute")
    expect(page.locator("#attempt")).to_have_text("Attempt 3/3")
    expect(page.locator('#stepper [data-step="running"]')).to_have_attribute("data-state", "failed")
    retry = banner.get_by_role("button", name="Retry generation")
    expect(retry).to_be_enabled()
    expect(banner.get_by_role("link", name="Edit prompt & restart")).to_be_visible()
    screenshot(page, f"progress-failed-throttled-{scheme}")
    assert run_axe(page) == []

    retry.click()
    # The new budget is said, or "Attempt 3/3" becoming "Attempt 4/6" looks like a glitch.
    expect(page.locator("#toasts")).to_contain_text(
        "Retry requested: attempt 4 queued, up to 6 in all."
    )
    expect(page.locator("#attempt")).to_have_text("Attempt 4/6")
    expect_status(page, "completed")
    expect(page.locator("#attempt")).to_have_text("Attempt 4/6")
    expect_every_seq_once(page, live_server, job["id"])


def test_rate_limited_with_retry_after_says_only_how_long_to_wait(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job(
        "a crowded market",
        steps=10,
        faults={"rate_limit_at_step": 2, "retry_after": 1, "attempts": [1, 2, 3]},
    )
    live_server.wait_for(job["id"], "failed")
    page = open_job(new_page, live_server, job["id"])
    banner = page.locator("#job-banner")
    expect(banner).to_contain_text("Generation is throttled or timed out. You can retry.")
    expect(banner).to_contain_text("The provider asked to wait 1 second before retrying.")
    expect(banner).not_to_contain_text("Wait a minute")
    expect(banner.get_by_role("button", name="Retry generation")).to_be_enabled()
    screenshot(page, "progress-failed-rate-limited-dark")


def test_other_retryable_failure(new_page: PageFactory, live_server: LiveServer) -> None:
    job = live_server.create_job(
        "a quiet library", steps=10, faults={"unavailable_at_step": 3, "attempts": [1, 2, 3]}
    )
    live_server.wait_for(job["id"], "failed")
    page = open_job(new_page, live_server, job["id"], scheme="light")
    banner = page.locator("#job-banner")
    expect(banner).to_contain_text("Generation failed.")
    expect(banner).to_contain_text("Reason: The provider is unavailable")
    expect(banner).to_contain_text("Retryable: yes.")
    expect(banner.get_by_role("button", name="Retry generation")).to_be_enabled()
    screenshot(page, "progress-failed-retryable-light")
    assert run_axe(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_rejected_prompt(new_page: PageFactory, live_server: LiveServer, scheme: str) -> None:
    job = live_server.create_job(
        "a forbidden picture", size="512x512", steps=25, style="noir", faults={"reject": True}
    )
    live_server.wait_for(job["id"], "failed")
    page = open_job(new_page, live_server, job["id"], scheme=scheme)
    banner = page.locator("#job-banner")
    expect(banner).to_contain_text("Your prompt was rejected. Please edit and retry.")
    expect(banner).to_contain_text("Retryable: no.")
    expect(banner.get_by_role("button", name="Retry generation")).to_be_disabled()
    expect(page.locator("#status-pill")).to_contain_text("Failed")
    screenshot(page, f"progress-failed-rejected-{scheme}")
    assert run_axe(page) == []
    if scheme == "dark":
        return
    banner.get_by_role("link", name="Edit prompt & restart").click()
    page.wait_for_url(re.compile(r"/\?prompt="))
    expect(page.get_by_label("Prompt")).to_have_value("a forbidden picture")
    expect(page.locator("#size")).to_have_value("512x512")
    expect(page.locator("#steps")).to_have_value("25")
    expect(page.locator("#style")).to_have_value("noir")
