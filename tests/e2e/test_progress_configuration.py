"""The job page's Job details name the configuration version the job ran with, linked to
that version on the Configurations page (the configuration is what keeps it from being
deleted, so the job page is where people look for it)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import LiveServer, PageFactory, open_job

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("scheme", "width"), [("light", 1280), ("dark", 390)])
def test_job_details_link_the_configuration_version(
    new_page: PageFactory, live_server: LiveServer, scheme: str, width: int
) -> None:
    name = f"back\\slash “{scheme}”"
    created = live_server.api.post(
        "/api/configurations", json={"name": name, "settings": {"steps": 2}}
    )
    assert created.status_code == 201, created.text
    first = created.json()
    job = live_server.create_job("uses a configuration", configuration=name)
    # A newer version since: the job still shows (and links) the one it ran with.
    by_name = live_server.api.post(
        f"/api/configurations/by-name/{name}/versions",
        json={"description": "", "settings": {"steps": 3}},
    )
    assert by_name.status_code == 201

    page = open_job(new_page, live_server, job["id"], scheme=scheme, width=width)
    details = page.locator("#job-details")
    term = details.locator("dt", has_text="Configuration")
    expect(term).to_have_count(1)
    link = details.get_by_role("link", name=f"{name} (v1)")
    expect(link).to_have_attribute("href", f"/configurations?edit={first['id']}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    link.click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.get_by_role("heading", name=f"Edit “{name}”")).to_be_visible()
    expect(page.locator("#config-editor-lead")).to_have_text(
        "The form shows version 1. Saving creates version 3."
    )


def test_a_job_without_a_configuration_shows_none(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("no configuration", steps=1)
    page = open_job(new_page, live_server, job["id"])
    expect(page.locator("#job-details dt", has_text="Prompt")).to_have_count(1)
    expect(page.locator("#job-details dt", has_text="Configuration")).to_have_count(0)
