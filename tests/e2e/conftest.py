"""End-to-end fixtures: a real ``genfactory serve`` per test module and headless Debian
Chromium driven by Playwright (sync API).

Browser tests never skip: without Chromium they fail, saying what is missing.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.e2e.helpers import LiveServer, PageFactory

CHROMIUM = os.environ.get("GENFACTORY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server per test module (SQLite in a temporary data folder)."""
    server = LiveServer(tmp_path_factory.mktemp("e2e-server")).start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
            "(scripts/test-deps.sh) or set GENFACTORY_CHROMIUM."
        )
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


#: Console noise that a test provokes on purpose (refused sockets, a stopped server).
EXPECTED_CONSOLE = re.compile(
    r"WebSocket connection to .* failed|net::ERR_|Failed to load resource|EventSource"
)


@dataclass
class PageWatch:
    """What a page said on its console: CSP violations and uncaught errors fail the test."""

    errors: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.csp.append(text)
        elif message.type == "error" and not EXPECTED_CONSOLE.search(text):
            self.errors.append(text)


@pytest.fixture
def new_page(browser: Browser) -> Iterator[PageFactory]:
    """Open a page in a fresh context: ``new_page(scheme="light", reduced_motion="reduce")``.

    At teardown, asserts the page broke no Content-Security-Policy rule and threw nothing.
    """
    contexts: list[BrowserContext] = []
    watches: list[PageWatch] = []

    def factory(
        scheme: str = "dark",
        reduced_motion: str = "no-preference",
        width: int = 1280,
        height: int = 900,
        timezone_id: str | None = None,
    ) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme=scheme,  # type: ignore[arg-type]
            reduced_motion=reduced_motion,  # type: ignore[arg-type]
            timezone_id=timezone_id,
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch = PageWatch()
        page.on("console", watch.on_console)
        page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
        watches.append(watch)
        return page

    yield factory
    for context in contexts:
        context.close()
    for watch in watches:
        assert not watch.csp, f"Content-Security-Policy violations: {watch.csp}"
        assert not watch.errors, f"errors on the page: {watch.errors}"
