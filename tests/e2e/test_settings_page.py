"""Settings (`/settings`): each provider's availability and reason, where its secrets come
from (never their values), storing a key where there is no OS keyring (the page must say
it was NOT stored and which variable to set), connection tests, the server's facts, and
the forms of the defaults of new jobs and the export preferences."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, Route, expect

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


def test_without_a_keyring_keys_cannot_be_typed_and_the_variable_is_named(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    """No keyring: the server would refuse any key, so the page takes none (the field and
    "Store in keyring" are disabled) and says once, at the field, which variable to set."""
    sent: list[str] = []
    page = new_page(scheme="light")
    page.on("request", lambda r: sent.append(r.url) if "/api/secrets/" in r.url else None)
    page.goto(f"{live_server.url}/settings")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    for name in ("openai_api_key", "comfyui_token"):
        secret = page.locator(f'.secret[data-secret="{name}"]')
        expect(secret.locator('input[type="password"]')).to_be_disabled()
        expect(secret.get_by_role("button", name="Store in keyring")).to_be_disabled()
    hint = page.locator("#secret-openai_api_key-hint")
    expect(hint).to_have_text(
        "To use a key, set GENFACTORY_OPENAI_API_KEY or OPENAI_API_KEY in the server’s "
        "environment and restart it (this machine has no OS keyring to store one typed here)."
    )
    page.locator('.secret[data-secret="openai_api_key"] .secret__form').dispatch_event("submit")
    expect(page.locator(".secret__result").first).to_be_empty()
    assert sent == []
    expect(page.locator(".secret__source").first).to_have_text("Not set.")
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
    # Not configured: nothing was tried, so nothing "failed"; the result says what to set,
    # and the badge still says Unavailable.
    expect(result).to_have_text(
        "Not configured: set GENFACTORY_COMFYUI_URL.No connection was attempted."
    )
    expect(result.locator(".callout")).to_have_class(re.compile(r"\btone-warning\b"))
    expect(comfyui.locator(".availability")).to_have_text("Unavailable")
    # The reason stays under the card's title; the result does not repeat it whole.
    expect(comfyui.locator(".provider__reason")).to_have_text(
        "No server configured (set GENFACTORY_COMFYUI_URL)"
    )
    expect(comfyui.get_by_role("button", name="Test connection")).to_be_enabled()
    page.wait_for_timeout(300)  # the availability refresh after a test
    expect(comfyui.locator(".availability")).to_have_text("Unavailable")
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
    comfyui = page.locator('section.provider[data-provider="comfyui"]')
    comfyui.get_by_role("button", name="Test connection").click()
    expect(comfyui.locator(".provider__result")).to_contain_text("Not configured")
    assert run_axe(page) == []
    screenshot(page, f"settings-{scheme}-results", full_page=True)


def test_keyboard_only(new_page: PageFactory, live_server: LiveServer) -> None:
    page = open_settings(new_page, live_server)
    visited: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        visited.append(page.evaluate("() => document.activeElement?.id"))
        if visited[-1] == "provider-openai-test":
            break
    # Without a keyring the key field is disabled, so Tab goes past it.
    assert "secret-openai_api_key" not in visited
    expect(page.locator("#provider-openai-test")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#provider-openai-test-result")).to_contain_text("Not configured")


def test_the_openai_reason_names_both_variables_once(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_settings(new_page, live_server, scheme="light")
    card = page.locator('section.provider[data-provider="openai"]')
    reason = "No API key (set GENFACTORY_OPENAI_API_KEY or OPENAI_API_KEY)"
    expect(card.locator(".provider__reason")).to_have_text(reason)
    expect(card.locator(".secret .field__hint").first).to_have_text(
        "Read from the OS keyring, else from GENFACTORY_OPENAI_API_KEY or OPENAI_API_KEY."
    )
    card.get_by_role("button", name="Test connection").click()
    result = card.locator(".provider__result")
    expect(result).to_contain_text(
        "Not configured: set GENFACTORY_OPENAI_API_KEY or OPENAI_API_KEY."
    )
    expect(card.locator(".availability")).to_have_text("Unavailable")
    expect(card.get_by_text(reason)).to_have_count(1)
    screenshot(page, "settings-openai-failed-light")


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
    # Shown as none (the server refuses an unknown name, so keeping it would block every
    # save), with a note.
    expect(select).to_have_value("")
    expect(select.locator('option[value="Short-lived"]')).to_have_count(0)
    expect(page.locator("#pref-configuration-notice")).to_have_text(
        "“Short-lived” no longer exists; choose another, or save to use none."
    )
    # "None" differs from the stale name the server holds: Save can clear it.
    expect(page.locator("#defaults-save")).to_be_enabled()

    # Changing the count too saves both (and drops the stale name).
    page.locator("#pref-count").fill("5")
    page.locator("#defaults-save").click()
    expect(page.locator(".toast")).to_contain_text("Defaults saved")
    assert server.api.get("/api/preferences").json()["defaults"] == {
        "configuration": None,
        "provider": None,
        "count": 5,
    }
    expect(page.locator("#pref-configuration-notice")).to_be_empty()

    # Chosen from the page, deleted before Save: the 422 names it at the field.
    select.select_option("Also going")
    assert server.api.delete("/api/configurations/by-name/Also%20going").status_code == 204
    page.locator("#defaults-save").click()
    expect(page.locator("#pref-configuration-error")).to_have_text(
        "No configuration named “Also going”."
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
    # As after a click on Save: the form's heading (the next Tab is its first field).
    expect(page.locator("#defaults-title")).to_be_focused()
    page.locator("#pref-count").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#pref-include-images")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#pref-include-images")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#pref-folder")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".toast").last).to_contain_text("Export preferences saved.")
    expect(page.locator("#exports-title")).to_be_focused()
    prefs = clean_preferences.api.get("/api/preferences").json()
    assert prefs["defaults"]["count"] == 3 and prefs["exports"]["include_images"] is True


# -- failures, refreshes and unsaved changes ----------------------------------------------


def fail_with(status: int) -> Callable[[Route], None]:
    return lambda route: route.fulfill(
        status=status, content_type="application/json", body='{"detail": "boom"}'
    )


def test_try_again_keeps_unsaved_edits(
    new_page: PageFactory, clean_preferences: LiveServer
) -> None:
    server = clean_preferences
    page = open_settings(new_page, server)
    page.route("**/api/preferences/defaults", lambda route: route.abort("connectionrefused"))
    page.locator("#pref-count").fill("9")
    page.locator("#defaults-save").click()
    expect(page.locator("#defaults-form-error")).to_contain_text("Your changes are still here")
    # Meanwhile someone else saves a default provider: the refresh shows it, as that field
    # was not being edited.
    server.api.put(
        "/api/preferences/defaults", json={"provider": "procedural", "count": 2}
    ).raise_for_status()
    page.unroute("**/api/preferences/defaults")
    page.locator("#settings-server-retry").click()
    expect(page.locator("#settings-server-error")).to_be_hidden()
    expect(page.locator("#pref-provider")).to_have_value("procedural")
    expect(page.locator("#pref-count")).to_have_value("9")
    expect(page.locator("#defaults-save")).to_be_enabled()
    expect(page.locator("#defaults-form-error")).to_be_visible()
    page.locator("#defaults-save").click()
    expect(page.locator(".toast")).to_contain_text("Defaults saved")
    assert server.api.get("/api/preferences").json()["defaults"]["count"] == 9


def test_a_server_error_is_not_server_unavailable(
    new_page: PageFactory, clean_preferences: LiveServer
) -> None:
    page = open_settings(new_page, clean_preferences)
    page.route("**/api/preferences/defaults", fail_with(500))
    page.locator("#pref-count").fill("7")
    page.locator("#defaults-save").click()
    alert = page.locator("#defaults-form-error")
    expect(alert).to_contain_text("answered with an error (HTTP 500)")
    expect(alert).to_contain_text("Your changes are still here.")
    expect(alert).not_to_contain_text("did not answer")
    expect(page.locator("#settings-server-error")).to_be_hidden()
    expect(page.locator("#pref-count")).to_have_value("7")
    # A connection test the server fails with a 500 says the same, not "did not answer".
    page.route("**/api/providers/procedural/test", fail_with(500))
    procedural = page.locator('section.provider[data-provider="procedural"]')
    procedural.get_by_role("button", name="Test connection").click()
    result = procedural.locator(".provider__result")
    expect(result).to_contain_text("answered with an error (HTTP 500)")
    expect(result).not_to_contain_text("did not answer")


def test_one_failing_request_fails_only_its_part(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page(scheme="light")
    page.route("**/api/configurations", fail_with(500))
    page.goto(f"{live_server.url}/settings")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    failed = page.locator("#defaults-loading")
    expect(failed).to_contain_text("Could not be loaded.")
    expect(failed).to_contain_text("answered with an error (HTTP 500)")
    expect(page.locator("#settings-server-error")).to_be_hidden()
    expect(page.locator("#defaults-form")).to_be_hidden()
    # Everything else is there.
    expect(page.locator("section.provider")).to_have_count(
        len(live_server.api.get("/api/providers").json())
    )
    expect(page.locator("#data-dir")).to_have_text(str(live_server.data_dir))
    expect(page.locator("#exports-form")).to_be_visible()
    screenshot(page, "settings-part-failed-light", full_page=True)
    page.unroute("**/api/configurations")
    failed.get_by_role("button", name="Try again").click()
    expect(page.locator("#defaults-form")).to_be_visible()
    expect(failed).to_be_hidden()

    # Providers and facts need /api/settings: only they fail without it.
    page = new_page()
    page.route("**/api/settings", lambda route: route.abort("connectionrefused"))
    page.goto(f"{live_server.url}/settings")
    expect(page.locator("#settings-server-error")).to_be_visible()
    expect(page.locator("#server-facts-error")).to_contain_text("could not be loaded")
    expect(page.locator("#defaults-form")).to_be_visible()
    expect(page.locator("#exports-form")).to_be_visible()


def test_a_failed_retry_keeps_what_was_loaded(
    new_page: PageFactory, clean_preferences: LiveServer
) -> None:
    page = open_settings(new_page, clean_preferences)
    providers = len(clean_preferences.api.get("/api/providers").json())
    page.route("**/api/**", lambda route: route.abort("connectionrefused"))
    page.locator("#pref-count").fill("3")
    page.locator("#defaults-save").click()
    expect(page.locator("#settings-server-error")).to_be_visible()
    page.locator("#settings-server-retry").click()
    expect(page.locator(".toast").last).to_have_text(
        "Could not refresh: the page still shows what it loaded before."
    )
    expect(page.locator("section.provider")).to_have_count(providers)
    expect(page.locator("#provider-list")).not_to_contain_text("could not be loaded")
    expect(page.locator("#data-dir")).to_have_text(str(clean_preferences.data_dir))
    expect(page.locator("#server-facts")).not_to_contain_text("Unknown")
    expect(page.locator("#pref-count")).to_have_value("3")
    expect(page.locator("#settings-server-error")).to_be_visible()


def test_leaving_with_unsaved_changes_asks_first(
    new_page: PageFactory, clean_preferences: LiveServer
) -> None:
    page = open_settings(new_page, clean_preferences)
    asked: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.locator("#pref-folder").click()
    page.keyboard.type("/tmp/somewhere")
    page.get_by_role("navigation").get_by_role("link", name="Configurations").click()
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    assert page.url.endswith("/settings")
    expect(page.locator("#pref-folder")).to_have_value("/tmp/somewhere")

    # Nothing unsaved: no question.
    page.locator("#exports-undo").click()
    page.get_by_role("navigation").get_by_role("link", name="Configurations").click()
    page.wait_for_url("**/configurations")
    assert asked == ["beforeunload"]


def test_one_save_clears_a_deleted_default_configuration(
    new_page: PageFactory, clean_preferences: LiveServer
) -> None:
    server = clean_preferences
    create_config(server, "Gone soon", steps=3)
    server.api.put(
        "/api/preferences/defaults", json={"configuration": "Gone soon", "count": 2}
    ).raise_for_status()
    assert server.api.delete("/api/configurations/by-name/Gone%20soon").status_code == 204
    home = new_page()
    home.goto(f"{server.url}/")
    expect(home.locator("body")).to_have_attribute("data-ready", "true")
    expect(home.locator("#defaults-notice")).to_contain_text("“Gone soon” no longer exists")

    page = open_settings(new_page, server)
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    save = page.locator("#defaults-save")
    expect(page.locator("#pref-configuration")).to_have_value("")
    expect(save).to_be_enabled()
    # Nothing was typed: Undo has nothing to undo, and leaving asks nothing.
    expect(page.locator("#defaults-undo")).to_be_hidden()
    # Another choice and back to none: still different from what the server holds.
    page.locator("#pref-configuration").select_option("")
    expect(save).to_be_enabled()
    save.click()
    expect(page.locator(".toast")).to_contain_text("Defaults saved")
    expect(save).to_be_disabled()
    expect(page.locator("#pref-configuration-notice")).to_be_empty()
    assert server.api.get("/api/preferences").json()["defaults"] == {
        "configuration": None,
        "provider": None,
        "count": 2,
    }
    home.reload()
    expect(home.locator("body")).to_have_attribute("data-ready", "true")
    expect(home.locator("#defaults-notice")).to_be_hidden()
    page.get_by_role("navigation").get_by_role("link", name="Jobs").click()
    page.wait_for_url("**/jobs")
    assert asked == []


@pytest.mark.parametrize("typed", ["~/gf-exports-e2e", "{tmp}/a/../b", "{tmp}/c/"])
def test_a_folder_the_server_normalises_is_shown_as_saved(
    new_page: PageFactory, clean_preferences: LiveServer, tmp_path: Path, typed: str
) -> None:
    server = clean_preferences
    page = open_settings(new_page, server)
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    folder = page.locator("#pref-folder")
    folder.fill(typed.format(tmp=tmp_path))
    page.locator("#exports-save").click()
    expect(page.locator(".toast")).to_contain_text("exports are also saved to")
    stored = server.api.get("/api/preferences").json()["exports"]["folder"]
    assert stored != typed.format(tmp=tmp_path)  # the server normalised it
    expect(folder).to_have_value(stored)
    expect(page.locator("#exports-save")).to_be_disabled()
    expect(page.locator("#exports-undo")).to_be_hidden()
    page.get_by_role("navigation").get_by_role("link", name="Jobs").click()
    page.wait_for_url("**/jobs")
    assert asked == []
    if typed.startswith("~"):
        Path(stored).rmdir()


def test_focus_after_save_and_undo(new_page: PageFactory, clean_preferences: LiveServer) -> None:
    page = open_settings(new_page, clean_preferences)
    page.locator("#pref-count").fill("2")
    page.locator("#defaults-undo").click()
    expect(page.locator("#defaults-title")).to_be_focused()
    page.locator("#pref-count").fill("2")
    page.locator("#defaults-save").click()
    expect(page.locator(".toast")).to_contain_text("Defaults saved")
    expect(page.locator("#defaults-title")).to_be_focused()
    page.locator("#pref-include-images").check()
    page.locator("#exports-save").click()
    expect(page.locator(".toast").last).to_contain_text("Export preferences saved.")
    expect(page.locator("#exports-title")).to_be_focused()


def test_a_failed_connection_test_changes_the_pill(
    new_page: PageFactory, server_with_env_key: LiveServer
) -> None:
    page = open_settings(new_page, server_with_env_key)
    card = page.locator('section.provider[data-provider="openai"]')
    pill = card.locator(".availability")
    expect(pill).to_have_text("Available")
    card.get_by_role("button", name="Test connection").click()
    expect(card.locator(".provider__result")).to_contain_text("Connection failed.")
    expect(pill).to_have_text("Connection failed")
    expect(pill).to_have_attribute("data-available", "false")
    # A refresh of the page's data keeps it; a successful test of another provider does not
    # touch it.
    procedural = page.locator('section.provider[data-provider="procedural"]')
    procedural.get_by_role("button", name="Test connection").click()
    expect(procedural.locator(".provider__result")).to_contain_text("Connection OK.")
    expect(procedural.locator(".availability")).to_have_text("Available")
    expect(pill).to_have_text("Connection failed")
    screenshot(page, "settings-connection-failed-dark")


FITS = """(el) => {
  const cs = getComputedStyle(el);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = cs.font;
  const text = el.tagName === 'SELECT' ? el.selectedOptions[0].text : el.placeholder;
  const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  return ctx.measureText(text).width <= room;
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_no_cut_off_text(new_page: PageFactory, clean_preferences: LiveServer, width: int) -> None:
    page = open_settings(new_page, clean_preferences, width=width)
    assert page.locator("#pref-folder").evaluate(FITS)
    select = page.locator("#pref-provider")
    unavailable = [
        p for p in clean_preferences.api.get("/api/providers").json() if not p["available"]
    ]
    for provider in unavailable:
        select.select_option(provider["name"])
        # The status comes first: a long title may be cut off at the edge, the status not.
        label = select.locator("option:checked").inner_text()
        assert label == f"Unavailable: {provider['title']}"


CONTRAST_JS = """(el) => {
  const parse = (c) => {
    const probe = document.createElement('canvas').getContext('2d');
    probe.fillStyle = c;
    probe.fillRect(0, 0, 1, 1);
    return [...probe.getImageData(0, 0, 1, 1).data].slice(0, 3);
  };
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const style = getComputedStyle(el);
  const placeholder = getComputedStyle(el, '::placeholder');
  const bg = lum(parse(style.backgroundColor));
  const ratio = (fg) => {
    const l = lum(parse(fg));
    return (Math.max(l, bg) + 0.05) / (Math.min(l, bg) + 0.05);
  };
  return {
    placeholder: ratio(placeholder.color),
    text: ratio(style.color),
    fontStyle: placeholder.fontStyle,
    family: placeholder.fontFamily,
    textFamily: style.fontFamily,
  };
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_export_folder_placeholder_reads_as_an_example(
    new_page: PageFactory, clean_preferences: LiveServer, scheme: str
) -> None:
    page = open_settings(new_page, clean_preferences, scheme=scheme)
    folder = page.locator("#exports-form").get_by_label("Also save to folder")
    expect(folder).to_have_value("")
    expect(folder).to_have_attribute("placeholder", "e.g. /srv/genfactory/exports")
    looks = folder.evaluate(CONTRAST_JS)
    assert looks["fontStyle"] == "italic", looks
    assert looks["family"] != looks["textFamily"], looks  # prose, not the path's monospace
    # Lighter than a typed path, and still readable.
    assert 4.5 <= looks["placeholder"] < looks["text"] - 2, looks
