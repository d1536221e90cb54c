"""Accessibility and robustness of the progress page: keyboard navigation of the event log,
a bounded number of DOM rows however long the job, reduced motion, both themes (remembered),
visible focus on every control."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    LiveServer,
    PageFactory,
    expect_status,
    open_job,
    rendered_seqs,
    screenshot,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def long_job(live_server: LiveServer) -> Iterator[Any]:
    """Two images of 150 steps, ~18 s: well over 200 events (progress and previews are
    throttled by time, ~10 a second each, so the job's length is what makes the count)."""
    yield live_server.create_job(
        "a long winding river through autumn hills",
        count=2,
        steps=150,
        faults={"step_delay": 0.06},
    )


def test_rows_stay_bounded_while_a_long_job_streams(
    new_page: PageFactory, live_server: LiveServer, long_job: Any
) -> None:
    page = open_job(new_page, live_server, long_job["id"])
    most = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        most = max(most, page.locator("#event-log-body tr").count())
        if page.locator("#main").get_attribute("data-status") == "completed":
            break
        page.wait_for_timeout(150)
    expect_status(page, "completed")
    last_seq = live_server.job(long_job["id"])["last_seq"]
    assert last_seq > 230, "the job should outgrow the log's 200 rows"
    assert most <= 200
    expect(page.locator("#event-log-body tr")).to_have_count(200)
    assert rendered_seqs(page) == list(range(last_seq - 199, last_seq + 1))
    expect(page.locator("#log-summary")).to_have_text(f"{last_seq - 200} earlier events not shown.")
    assert page.locator("#event-log").get_attribute("aria-rowcount") == str(last_seq + 1)
    # The rows trimmed from the top took the first date mark with them: the new first row
    # carries it (all of this job's events are of one day), no other row does.
    marks = page.locator("#event-log-body .log__day")
    expect(marks).to_have_count(1)
    expect(page.locator("#event-log-body tr").first.locator(".log__day")).to_have_count(1)


def test_event_log_keyboard_navigation_and_thumbnails(
    new_page: PageFactory, live_server: LiveServer, long_job: Any
) -> None:
    live_server.wait_for(long_job["id"], "completed", timeout=60)
    page = open_job(new_page, live_server, long_job["id"], scheme="light")
    rows = page.locator("#event-log-body tr")
    expect(rows).to_have_count(200)
    expect(page.locator('#event-log-body tr[tabindex="0"]')).to_have_count(1)
    # Tab reaches the log on its roving tab stop (the newest row).
    page.locator("#log-title").click()
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.tagName") == "TR":
            break
    focused = page.locator("#event-log-body tr:focus")
    expect(focused).to_have_count(1)
    last = rendered_seqs(page)[-1]
    expect(focused).to_have_attribute("data-seq", str(last))
    page.keyboard.press("ArrowUp")
    expect(page.locator("#event-log-body tr:focus")).to_have_attribute("data-seq", str(last - 1))
    page.keyboard.press("Home")
    expect(page.locator("#event-log-body tr:focus")).to_have_attribute(
        "data-seq", str(rendered_seqs(page)[0])
    )
    page.keyboard.press("PageDown")
    expect(page.locator("#event-log-body tr:focus")).to_have_attribute(
        "data-seq", str(rendered_seqs(page)[10])
    )
    page.keyboard.press("End")
    expect(page.locator("#event-log-body tr:focus")).to_have_attribute("data-seq", str(last))
    expect(page.locator('#event-log-body tr[tabindex="0"]')).to_have_count(1)

    # Two images: thumbnails, and the actions follow the selected one.
    thumbs = page.locator("#thumbs button")
    expect(thumbs).to_have_count(2)
    expect(thumbs.nth(0)).to_have_attribute("aria-pressed", "true")
    first_href = page.locator("#download").get_attribute("href")
    thumbs.nth(1).click()
    expect(thumbs.nth(1)).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#download")).not_to_have_attribute("href", first_href or "")
    expect(page.locator("#download")).to_have_attribute("download", f"{long_job['short_id']}-2.png")
    screenshot(page, "progress-completed-two-images-light")


def crossfade_seconds(page: Page) -> float:
    """The preview layers' fade, as the page's CSS gives it (measured on a probe layer:
    the live ones come and go several times a second)."""
    page.locator(".preview__layer").first.wait_for(state="attached")
    value = page.evaluate(
        """() => {
            const probe = document.createElement('img');
            probe.className = 'preview__layer is-visible';
            document.querySelector('#preview-stage').append(probe);
            const duration = getComputedStyle(probe).transitionDuration;
            probe.remove();
            return duration;
        }"""
    )
    return float(str(value).removesuffix("s"))


def test_reduced_motion_removes_the_crossfade(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a field of sunflowers", steps=30, faults={"step_delay": 0.1})
    moving = open_job(new_page, live_server, job["id"])
    still = open_job(new_page, live_server, job["id"], reduced_motion="reduce")
    assert 0.15 <= crossfade_seconds(moving) <= 0.2
    assert crossfade_seconds(still) == 0
    shimmer = "el => getComputedStyle(el).animationName"
    assert still.locator("#preview-placeholder").evaluate(shimmer) == "none"
    assert moving.locator("#preview-placeholder").evaluate(shimmer) == "shimmer"
    expect_status(still, "completed")


def background(page: Page) -> str:
    return str(page.evaluate("() => getComputedStyle(document.body).backgroundColor"))


def test_themes_follow_the_system_and_the_toggle_is_remembered(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a snowy cabin at night")
    page = open_job(new_page, live_server, job["id"], scheme="dark")
    assert background(page) == "rgb(11, 18, 32)"  # #0B1220
    light = open_job(new_page, live_server, job["id"], scheme="light")
    assert background(light) == "rgb(249, 250, 251)"  # #F9FAFB

    toggle = page.locator("#theme-toggle")
    expect(toggle).to_have_attribute("title", "Switch to light theme")
    toggle.click()
    assert background(page) == "rgb(249, 250, 251)"
    expect(toggle).to_have_attribute("title", "Switch to dark theme")
    assert page.evaluate("() => localStorage.getItem('genfactory.theme')") == "light"
    # Applied before the first paint on the next load (no flash of the other theme).
    page.goto(f"{live_server.url}/", wait_until="commit")
    page.wait_for_selector("body", state="attached")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    # The stylesheet may still be on its way at "commit": wait for a background, any.
    page.wait_for_function(
        "() => getComputedStyle(document.body).backgroundColor !== 'rgba(0, 0, 0, 0)'"
    )
    assert background(page) == "rgb(249, 250, 251)"


def test_every_control_is_keyboard_reachable_with_visible_focus(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a red kite over a meadow", steps=80, faults={"step_delay": 0.1})
    page = open_job(new_page, live_server, job["id"])
    expect(page.locator("#status-pill")).to_contain_text("Running")
    reached: dict[str, str] = {}
    for _ in range(40):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                return {id: el.id || el.textContent.trim().slice(0, 30),
                        outline: style.outlineStyle + ' ' + style.outlineWidth};
            }"""
        )
        reached[info["id"]] = info["outline"]
    for control in ("theme-toggle", "action-poll", "action-cancel", "transport-chip", "copy-debug"):
        assert control in reached, f"{control} not reachable by Tab: {list(reached)}"
        assert reached[control] == "solid 2px", f"{control} has no visible focus"
    page.keyboard.press("Escape")
    live_server.api.post(f"/api/jobs/{job['id']}/cancel")
