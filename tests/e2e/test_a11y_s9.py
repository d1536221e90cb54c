"""Accessibility fixes of QA pass s9: focus kept on a busy button, an automatic retry
announced once, disabled controls readable, and the API reference page (/docs) without
invisible Tab stops or low-contrast Swagger colours."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.helpers import LiveServer, PageFactory, expect_status, open_job

pytestmark = pytest.mark.e2e

#: WCAG contrast of an element's text against the first opaque background behind it;
#: colours are normalised through a canvas (computed values may be color(srgb …)).
CONTRAST = """el => {
  const ctx = document.createElement('canvas').getContext('2d');
  const rgba = (css) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = '#000'; ctx.fillStyle = css; ctx.fillRect(0, 0, 1, 1);
    return Array.from(ctx.getImageData(0, 0, 1, 1).data);
  };
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = getComputedStyle(node).backgroundColor;
    if (rgba(c)[3] === 255) { bg = rgba(c); break; }
    node = node.parentElement;
  }
  bg = bg || [255, 255, 255, 255];
  const fg = rgba(getComputedStyle(el).color);
  const a = fg[3] / 255;
  const mixed = fg.slice(0, 3).map((v, i) => v * a + bg[i] * (1 - a));
  const lin = (v) => (v /= 255, v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const lum = (c) => c.map(lin)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const [hi, lo] = [lum(mixed), lum(bg.slice(0, 3))].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""


def contrast(page: Page, selector: str) -> float:
    return float(page.locator(selector).first.evaluate(CONTRAST))


def open_settings(new_page: PageFactory, server: LiveServer, **kw: Any) -> Page:
    page = new_page(**kw)
    page.goto(f"{server.url}/settings")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return page


def test_test_connection_keeps_the_focus_while_it_runs(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_settings(new_page, live_server)

    def slow(route: Route) -> None:
        time.sleep(0.8)
        route.continue_()

    page.route("**/api/providers/*/test", slow)
    card = page.locator('section.provider[data-provider="procedural"]')
    button = card.get_by_role("button", name=re.compile("Test connection|Testing"))
    button.focus()
    page.keyboard.press("Enter")
    # Busy: announced as unavailable, but it keeps the keyboard (a disabled button would
    # drop the focus to <body>).
    expect(button).to_have_attribute("aria-disabled", "true")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")  # a second press while busy starts nothing
    expect(card.locator(".provider__result")).to_contain_text("Connection OK.")
    expect(button).to_be_focused()
    expect(button).not_to_have_attribute("aria-disabled", "true")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_disabled_buttons_are_readable(
    new_page: PageFactory, live_server: LiveServer, scheme: str
) -> None:
    page = open_settings(new_page, live_server, scheme=scheme)
    save = page.get_by_role("button", name="Save defaults")
    expect(save).to_be_disabled()
    ratio = contrast(page, "button:disabled")
    assert ratio >= 3, f"disabled text at {ratio:.2f}:1 in {scheme}"
    # Still clearly off: dimmer than an enabled button's label.
    enabled = contrast(page, ".provider__test .btn")
    assert ratio < enabled - 2, (ratio, enabled)
    assert save.evaluate("el => getComputedStyle(el).opacity") == "1"


def test_an_automatic_retry_is_announced_once(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job(
        "a heron in the reeds",
        steps=20,
        faults={"rate_limit_at_step": 12, "retry_after": 3, "attempts": [1], "step_delay": 0.15},
    )
    page = open_job(new_page, live_server, job["id"])
    expect_status(page, "running")  # attempt 1, watched from before it fails
    page.evaluate(
        """() => {
          window.__said = [];
          const region = document.getElementById('announcer');
          new MutationObserver(() => {
            if (region.textContent) window.__said.push(region.textContent);
          }).observe(region, {childList: true, characterData: true, subtree: true});
        }"""
    )
    banner = page.locator("#job-banner")
    expect(banner).to_contain_text("Attempt failed:", timeout=10_000)
    # The countdown ticks in the banner, which is no live region of its own.
    expect(banner).not_to_have_attribute("role", re.compile("."))
    expect_status(page, "completed")
    said: list[str] = page.evaluate("window.__said")
    retries = [text for text in said if "Attempt failed:" in text]
    assert len(retries) == 1, said
    assert retries[0].startswith("Status: Queued. Attempt failed: ")
    assert "Attempt 2/3 starts automatically" in retries[0]


def open_docs(new_page: PageFactory, server: LiveServer, **kw: Any) -> Page:
    page = new_page(**kw)
    page.goto(f"{server.url}/docs")
    expect(page.locator(".opblock-summary").first).to_be_visible()
    return page


def test_docs_copy_path_buttons_show_when_focused(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_docs(new_page, live_server, scheme="light")
    # Tab on to the first "Copy path" button: it shows while it has the focus.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.copy-to-clipboard') !== null"):
            break
    else:
        pytest.fail("no copy-path button in the first 40 Tab stops")
    page.wait_for_function("() => document.activeElement.getBoundingClientRect().width >= 16")


@pytest.mark.parametrize(
    "selector",
    [".btn.authorize span", ".info .title small pre", ".info .title small.version-stamp pre"],
)
def test_docs_light_colours_reach_4_5_to_1(
    new_page: PageFactory, live_server: LiveServer, selector: str
) -> None:
    page = open_docs(new_page, live_server, scheme="light")
    ratio = contrast(page, f".swagger-ui {selector}")
    assert ratio >= 4.5, f"{selector}: {ratio:.2f}:1"
