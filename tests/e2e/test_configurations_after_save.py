"""Configurations (`/configurations`): what the editor says and where the focus goes once
a save succeeds, the one-error summary, `?edit=<version id>`, what the list and the count
hint say about a count left open, and a toast that leaves the last row's actions free."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import LiveServer, PageFactory, screenshot
from tests.e2e.test_configurations_page import create_config, open_configurations

pytestmark = pytest.mark.e2e


def save_version(server: LiveServer, name: str, **settings: Any) -> Any:
    body = {"settings": {"provider": "procedural", **settings}}
    response = server.api.post(f"/api/configurations/by-name/{name}/versions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_saving_a_loaded_version_drops_the_loaded_version_note(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    create_config(live_server, "Thrice", steps=3)
    save_version(live_server, "Thrice", steps=4)
    save_version(live_server, "Thrice", steps=5)
    page = open_configurations(new_page, live_server, "?edit=Thrice")
    lead = page.locator("#config-editor-lead")
    page.get_by_role("button", name="Load into form version 2", exact=True).click()
    expect(lead).to_have_text("The form shows version 2. Saving creates version 4.")
    page.get_by_role("button", name="Save as version 4").click()
    expect(page.locator("#toasts")).to_contain_text("Saved “Thrice” as version 4.")
    expect(page.get_by_role("button", name="Save as version 5")).to_be_visible()
    expect(lead).to_have_text(
        "Saving creates version 5. Earlier versions stay as they were, and every job keeps "
        "the version it ran with."
    )
    # Nor is it left in the live region for a screen reader to find.
    expect(page.locator("#announcer")).not_to_contain_text("The form shows version")
    # The focus is on the editor's heading, not lost to the page.
    expect(page.locator("#config-editor-title")).to_be_focused()


def test_focus_after_create_and_after_a_save_by_enter(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_configurations(new_page, live_server)
    page.get_by_role("button", name="New configuration").click()
    page.get_by_label("Name", exact=True).fill("Focus kept")
    page.get_by_role("button", name="Create configuration").click()
    expect(page.locator("#toasts")).to_contain_text("Created “Focus kept” (version 1).")
    title = page.locator("#config-editor-title")
    expect(title).to_have_text("Edit “Focus kept”")
    expect(title).to_be_focused()

    steps = page.get_by_label("Steps", exact=True)
    steps.fill("9")
    steps.press("Enter")  # the form's implicit submit
    expect(page.locator("#toasts")).to_contain_text("Saved “Focus kept” as version 2.")
    expect(title).to_be_focused()


def test_one_invalid_field_gets_the_summary_too(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_configurations(new_page, live_server)
    page.get_by_role("button", name="New configuration").click()
    page.get_by_label("Name", exact=True).fill("One error")
    page.get_by_label("Steps", exact=True).fill("0")
    page.get_by_role("button", name="Create configuration").click()
    summary = page.locator("#cfg-form-error")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Not saved.")
    expect(summary).to_contain_text("One field needs attention.")
    expect(page.get_by_label("Steps", exact=True)).to_be_focused()


def test_edit_by_version_id_opens_that_version(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    first = create_config(live_server, "By id", steps=6)
    save_version(live_server, "By id", steps=7)
    page = open_configurations(new_page, live_server, f"?edit={first['id']}")
    expect(page.locator("#config-editor-title")).to_have_text("Edit “By id”")
    expect(page.get_by_label("Steps", exact=True)).to_have_value("6")
    expect(page.locator("#config-editor-lead")).to_have_text(
        "The form shows version 1. Saving creates version 3."
    )
    expect(page.locator("#config-list-error")).to_be_hidden()

    # An id that matches nothing is not called a renamed or deleted name.
    unknown = "0" * 32
    page = open_configurations(new_page, live_server, f"?edit={unknown}")
    error = page.locator("#config-list-error")
    expect(error).to_have_text(
        f"No configuration is named “{unknown}”, and no version has that id."
    )
    expect(error).not_to_contain_text("renamed or deleted")
    expect(page.locator("#config-workspace")).to_be_hidden()


def test_a_count_left_open_is_not_shown_as_the_configurations_own(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    create_config(live_server, "No count", steps=8)
    page = open_configurations(new_page, live_server, "?edit=No%20count")
    listed = page.locator('#config-list tr[data-name="No count"]')
    expect(listed.locator('td[data-label="Count"]')).to_have_text("default")
    expect(page.locator("#config-list thead")).to_contain_text("Last saved")
    expect(page.locator("#config-list thead")).not_to_contain_text("Created")
    expect(page.locator("#config-versions li").first).not_to_contain_text("image")
    count = page.get_by_label("Count", exact=True)
    expect(count).to_have_value("")
    expect(page.locator("#cfg-count-hint")).to_have_text(
        "Images per job, 1–16. Empty: the Start page’s default (Settings), else 1."
    )
    assert count.get_attribute("placeholder") is None


def test_the_save_toast_leaves_the_last_rows_actions_free(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    for name in ("Toast A", "Toast B", "Toast C"):
        create_config(live_server, name)
    page = open_configurations(new_page, live_server, "?edit=Toast%20A", width=1280, scheme="light")
    page.get_by_label("Steps", exact=True).fill("11")
    page.get_by_role("button", name="Save as version 2").click()
    toast = page.locator(".toast").last
    expect(toast).to_contain_text("Saved “Toast A” as version 2.")
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    last = page.locator("#config-list tbody tr").last
    delete = last.get_by_role("button", name="Delete")
    box, under = toast.bounding_box(), delete.bounding_box()
    assert box and under
    overlap_x = box["x"] < under["x"] + under["width"] and under["x"] < box["x"] + box["width"]
    overlap_y = box["y"] < under["y"] + under["height"] and under["y"] < box["y"] + box["height"]
    assert not (overlap_x and overlap_y), (box, under)
    delete.click()  # nothing covers it
    expect(page.get_by_role("dialog")).to_be_visible()
    page.get_by_role("button", name="Keep it").click()
    screenshot(page, "configurations-saved-toast-light")
