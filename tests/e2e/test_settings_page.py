"""Settings (`/settings`): each provider's availability and reason, where its secrets come
from (never their values), storing a key where there is no OS keyring (the page must say
it was NOT stored and which variable to set), connection tests, the server's facts, and
the forms of the defaults of new jobs and the export preferences."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.helpers import LiveServer, PageFactory, run_axe, screenshot

pytestmark = pytest.mark.e2e

#: A made-up key: the page must never show it.
FAKE_KEY = "sk-e2e-never-shown-4f1c"


def open_settings(new_page: PageFactory, server: LiveServer, **kw: str) -> Page:
    page = new_page(**kw)
    page.goto(f"{server.url}/settings")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return page


@pytest.fixture(scope="module")
def server_with_env_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose OpenAI key comes from the environment (the key is never sent)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENAI_API_KEY", FAKE_KEY)
        patch.setenv("GENFACTORY_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        server = LiveServer(tmp_path_factory.mktemp("e2e-settings-env")).start()
    try:
        yield server
    finally:
        server.close()


def test_shell_has_meta_tags_nav_and_a_strict_csp(live_server: LiveServer) -> None:
    response = live_server.api.get("/settings")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert "<title>Settings</title>" in html
    assert 'property="og:title" content="Settings · Gen Image Factory"' in html
    assert "<script>" not in html and " style=" not in html
    assert re.search(r'href="/settings"\s+aria-current="page"', html)


def test_providers_secrets_and_server_facts(new_page: PageFactory, live_server: LiveServer) -> None:
    assert "OPENAI_API_KEY" not in os.environ, "the e2e server must start without a key"
    settings = live_server.api.get("/api/settings").json()
    providers = live_server.api.get("/api/providers").json()
    page = open_settings(new_page, live_server)

    for info in providers:
        card = page.locator(f'section.provider[data-provider="{info["name"]}"]')
        expect(card.get_by_role("heading", name=info["title"])).to_be_visible()
        pill = card.locator(".availability")
        expect(pill).to_have_text("Available" if info["available"] else "Unavailable")
        if not info["available"]:
            expect(card.locator(".provider__reason")).to_contain_text(
                info["unavailable_reason"][1:]
            )
    expect(page.locator('[data-provider="procedural"]')).to_contain_text("Needs no key or token.")

    # Every secret: where it comes from (unset here) and which variables are read.
    for secret in settings["secrets"]:
        view = page.locator(f'.secret[data-secret="{secret["name"]}"]')
        expect(view.locator(".secret__source")).to_have_text("Not set.")
        for variable in secret["environment"]:
            expect(view).to_contain_text(variable)
        field = view.locator('input[type="password"]')
        expect(field).to_have_value("")
    expect(page.locator('.secret[data-secret="openai_api_key"] label')).to_have_text("New API key")

    facts = page.locator("#server-facts")
    expect(facts.locator("#data-dir")).to_have_text(settings["data_dir"])
    expect(facts).to_contain_text("SQLite")
    expect(facts).to_contain_text("None on this machine")
    callout = page.locator("#keyring-callout")
    expect(callout).to_be_visible()
    expect(callout).to_contain_text("No OS keyring on this machine.")
    expect(page.get_by_role("link", name="configuration", exact=True)).to_have_attribute(
        "href", "/configurations"
    )
    screenshot(page, "settings-dark", full_page=True)


def test_an_environment_key_is_named_never_shown(
    new_page: PageFactory, server_with_env_key: LiveServer
) -> None:
    page = open_settings(new_page, server_with_env_key, scheme="light")
    source = page.locator('.secret[data-secret="openai_api_key"] .secret__source')
    expect(source).to_have_text("Set by the environment variable OPENAI_API_KEY.")
    card = page.locator('section.provider[data-provider="openai"]')
    expect(card.locator(".availability")).to_have_text("Available")
    assert FAKE_KEY not in page.content()
    assert FAKE_KEY not in server_with_env_key.api.get("/api/settings").text
    screenshot(page, "settings-env-key-light")


def test_storing_a_key_without_a_keyring_says_it_was_not_stored(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_settings(new_page, live_server, scheme="light")
    secret = page.locator('.secret[data-secret="openai_api_key"]')
    field = secret.get_by_label("New API key")
    expect(secret).to_contain_text("This machine has no OS keyring")

    # Nothing typed: said at the field, nothing sent.
    secret.get_by_role("button", name="Store in keyring").click()
    expect(secret.locator(".field-error")).to_have_text("Enter the API key to store.")
    expect(field).to_be_focused()

    field.fill("sk-typed-into-the-page")
    secret.get_by_role("button", name="Store in keyring").click()
    result = secret.locator(".secret__result")
    alert = result.get_by_role("alert")
    expect(alert).to_contain_text("The key was NOT stored.")
    expect(alert).to_contain_text("OPENAI_API_KEY")
    expect(alert).to_contain_text("restart")
    expect(result).not_to_contain_text("stored in the OS keyring")
    expect(field).to_have_value("")  # a key that was not stored does not stay in the page
    expect(secret.locator(".secret__source")).to_have_text("Not set.")
    assert live_server.api.get("/api/settings").json()["secrets"][0]["source"] == "unset"
    screenshot(page, "settings-no-keyring-light", full_page=True)


def test_connection_tests_show_their_result_inline(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_settings(new_page, live_server)
    procedural = page.locator('section.provider[data-provider="procedural"]')
    procedural.get_by_role("button", name="Test connection").click()
    expect(procedural.locator(".provider__result")).to_contain_text("Connection OK.")
    expect(procedural.locator(".provider__result")).to_contain_text("Ready.")

    comfyui = page.locator('section.provider[data-provider="comfyui"]')
    comfyui.get_by_role("button", name="Test connection").click()
    result = comfyui.locator(".provider__result")
    expect(result).to_contain_text("Connection failed.")
    expect(result).to_contain_text("No server configured (set GENFACTORY_COMFYUI_URL).")
    expect(comfyui.get_by_role("button", name="Test connection")).to_be_enabled()
    screenshot(page, "settings-connection-tests-dark", full_page=True)


def test_server_unavailable(new_page: PageFactory, live_server: LiveServer) -> None:
    page = new_page()
    page.route("**/api/settings", lambda route: route.abort("connectionrefused"))
    page.goto(f"{live_server.url}/settings")
    expect(page.locator("#settings-server-error")).to_be_visible()
    expect(page.locator("#provider-list")).to_contain_text("Settings could not be loaded.")
    screenshot(page, "settings-server-unavailable-dark")
    page.unroute("**/api/settings")
    page.locator("#settings-server-retry").click()
    expect(page.locator("section.provider")).to_have_count(
        len(live_server.api.get("/api/providers").json())
    )
    expect(page.locator("#settings-server-error")).to_be_hidden()


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_no_serious_accessibility_violations(
    new_page: PageFactory, live_server: LiveServer, scheme: str
) -> None:
    page = open_settings(new_page, live_server, scheme=scheme)
    assert run_axe(page) == []
    secret = page.locator('.secret[data-secret="comfyui_token"]')
    secret.get_by_label("New access token").fill("token")
    secret.get_by_role("button", name="Store in keyring").click()
    expect(secret.get_by_role("alert")).to_contain_text("NOT stored")
    comfyui = page.locator('section.provider[data-provider="comfyui"]')
    comfyui.get_by_role("button", name="Test connection").click()
    expect(comfyui.locator(".provider__result")).to_contain_text("Connection failed.")
    assert run_axe(page) == []
    screenshot(page, f"settings-{scheme}-results", full_page=True)


def test_keyboard_only(new_page: PageFactory, live_server: LiveServer) -> None:
    page = open_settings(new_page, live_server)
    field = page.locator("#secret-openai_api_key")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.id") == "secret-openai_api_key":
            break
    expect(field).to_be_focused()
    page.keyboard.type("sk-keyboard")
    page.keyboard.press("Enter")
    expect(page.locator("#secret-openai_api_key-result")).to_contain_text("NOT stored")
    # On to the same card's "Test connection": Space presses it.
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.id") == "provider-openai-test":
            break
    expect(page.locator("#provider-openai-test")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#provider-openai-test-result")).to_contain_text("Connection failed.")


# -- defaults and export preferences -------------------------------------------------------

DEFAULT_PREFERENCES = {
    "defaults": {"configuration": None, "provider": None, "count": 1},
    "exports": {"include_images": False, "folder": None},
}


@pytest.fixture
def clean_preferences(live_server: LiveServer) -> Iterator[LiveServer]:
    """The module's server with its preferences back to the defaults after the test."""
    yield live_server
    for group, value in DEFAULT_PREFERENCES.items():
        live_server.api.put(f"/api/preferences/{group}", json=value).raise_for_status()


def create_config(server: LiveServer, name: str, **settings: object) -> None:
    response = server.api.post("/api/configurations", json={"name": name, "settings": settings})
    assert response.status_code == 201, response.text


def test_defaults_are_saved_from_the_page(
    new_page: PageFactory, clean_preferences: LiveServer
) -> None:
    server = clean_preferences
    create_config(server, "Studio", size="512x512", steps=8)
    page = open_settings(new_page, server, scheme="light")
    form = page.locator("#defaults-form")
    save = page.locator("#defaults-save")  # its name changes to "Saving…" while it saves
    expect(save).to_have_text("Save defaults")
    expect(form.get_by_label("Configuration")).to_have_value("")
    expect(form.get_by_label("Provider")).to_have_value("")
    expect(form.get_by_label("Images per job")).to_have_value("1")
    expect(save).to_be_disabled()  # nothing changed yet

    form.get_by_label("Configuration").select_option("Studio")
    form.get_by_label("Images per job").fill("4")
    expect(save).to_be_enabled()
    undo = form.get_by_role("button", name="Undo changes")
    undo.click()
    expect(form.get_by_label("Configuration")).to_have_value("")
    expect(save).to_be_disabled()

    form.get_by_label("Configuration").select_option("Studio")
    form.get_by_label("Provider").select_option("procedural")
    form.get_by_label("Images per job").fill("4")
    held: list[Route] = []
    page.route("**/api/preferences/defaults", lambda route: held.append(route))
    save.click()
    expect(save).to_have_attribute("aria-busy", "true")
    expect(save).to_have_text("Saving…")
    expect(save).to_be_disabled()
    page.wait_for_timeout(100)
    assert held
    held[0].continue_()
    expect(page.locator(".toast")).to_contain_text("Defaults saved")
    expect(save).to_have_text("Save defaults")
    expect(save).to_be_disabled()
    expect(undo).to_be_hidden()
    assert server.api.get("/api/preferences").json()["defaults"] == {
        "configuration": "Studio",
        "provider": "procedural",
        "count": 4,
    }
    screenshot(page, "settings-defaults-saved-light", full_page=True)

    # A reload shows what was saved.
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(form.get_by_label("Configuration")).to_have_value("Studio")
    expect(form.get_by_label("Images per job")).to_have_value("4")


def test_export_preferences_are_saved_and_checked(
    new_page: PageFactory, clean_preferences: LiveServer, tmp_path: Path
) -> None:
    server = clean_preferences
    page = open_settings(new_page, server)
    form = page.locator("#exports-form")
    save = page.locator("#exports-save")
    expect(save).to_have_text("Save export preferences")
    folder = form.get_by_label("Also save to folder")
    expect(form.get_by_label("Include images")).not_to_be_checked()
    expect(folder).to_have_value("")

    # The server's 422 shows next to the field, which gets the focus.
    folder.fill("exports/relative")
    save.click()
    error = page.locator("#pref-folder-error")
    expect(error).to_contain_text("Folder must be an absolute path on the server")
    expect(folder).to_have_attribute("aria-invalid", "true")
    expect(folder).to_be_focused()
    folder.fill("/proc")
    expect(error).to_have_text("")  # typing clears it
    save.click()
    expect(error).to_have_text("Folder /proc is not writable by the server.")
    screenshot(page, "settings-export-folder-error-dark", full_page=True)
    assert run_axe(page) == []
    assert server.api.get("/api/preferences").json()["exports"]["folder"] is None

    target = tmp_path / "exports"
    folder.fill(str(target))
    form.get_by_label("Include images").check()
    save.click()
    expect(page.locator(".toast")).to_contain_text(f"exports are also saved to {target}")
    expect(error).to_have_text("")
    expect(folder).not_to_have_attribute("aria-invalid", "true")
    expect(save).to_be_disabled()
    assert target.is_dir()
    assert server.api.get("/api/preferences").json()["exports"] == {
        "include_images": True,
        "folder": str(target),
    }


def test_a_stale_default_and_a_refused_save_are_explained(
    new_page: PageFactory, clean_preferences: LiveServer
) -> None:
    server = clean_preferences
    create_config(server, "Short-lived", steps=3)
    create_config(server, "Also going", steps=4)
    server.api.put(
        "/api/preferences/defaults", json={"configuration": "Short-lived", "count": 2}
    ).raise_for_status()
    assert server.api.delete("/api/configurations/by-name/Short-lived").status_code == 204
    page = open_settings(new_page, server, scheme="light")
    select = page.locator("#pref-configuration")
    expect(select).to_have_value("Short-lived")
    expect(select.locator("option:checked")).to_have_text("Short-lived (no longer exists)")
    expect(page.locator("#pref-configuration-notice")).to_contain_text(
        "“Short-lived” no longer exists"
    )

    # Chosen from the page, deleted before Save: the 422 names it at the field.
    select.select_option("Also going")
    assert server.api.delete("/api/configurations/by-name/Also%20going").status_code == 204
    page.locator("#defaults-save").click()
    expect(page.locator("#pref-configuration-error")).to_have_text(
        "No configuration named 'Also going'."
    )
    expect(select).to_be_focused()

    # Checked in the page before sending.
    page.locator("#pref-count").fill("40")
    select.select_option("")
    page.locator("#defaults-save").click()
    expect(page.locator("#pref-count-error")).to_have_text("Enter a whole number from 1 to 16.")
    expect(page.locator("#pref-count")).to_be_focused()
    assert run_axe(page) == []
    screenshot(page, "settings-defaults-errors-light", full_page=True)


def test_saving_while_the_server_is_down_keeps_the_changes(
    new_page: PageFactory, clean_preferences: LiveServer
) -> None:
    page = open_settings(new_page, clean_preferences)
    page.route("**/api/preferences/defaults", lambda route: route.abort("connectionrefused"))
    page.locator("#pref-count").fill("6")
    page.locator("#defaults-save").click()
    alert = page.locator("#defaults-form-error")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("The defaults were not saved.")
    expect(alert).to_contain_text("Your changes are still here")
    expect(page.locator("#settings-server-error")).to_be_visible()
    expect(page.locator("#pref-count")).to_have_value("6")
    expect(page.locator("#defaults-save")).to_be_enabled()
    page.unroute("**/api/preferences/defaults")
    page.locator("#defaults-save").click()
    expect(page.locator(".toast")).to_contain_text("Defaults saved")
    expect(alert).to_be_hidden()
    assert clean_preferences.api.get("/api/preferences").json()["defaults"]["count"] == 6


def test_preferences_by_keyboard(new_page: PageFactory, clean_preferences: LiveServer) -> None:
    page = open_settings(new_page, clean_preferences)
    page.locator("#pref-provider").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#pref-count")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator(".toast")).to_contain_text("Defaults saved")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#pref-include-images")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#pref-include-images")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#pref-folder")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".toast").last).to_contain_text("Export preferences saved.")
    prefs = clean_preferences.api.get("/api/preferences").json()
    assert prefs["defaults"]["count"] == 3 and prefs["exports"]["include_images"] is True
