"""Configurations (`/configurations`): list, create, edit (a new version each save) with
the version history, duplicate, delete (refused while a job uses it), errors at the fields,
the empty / loading / error states, and starting a job from a configuration on `/`."""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from genfactory.qc.config import QCCheck, QCConfig, VisionQC
from tests.e2e.helpers import LiveServer, PageFactory, run_axe, screenshot

pytestmark = pytest.mark.e2e


def create_config(server: LiveServer, name: str, **settings: Any) -> Any:
    body = {"name": name, "settings": {"provider": "procedural", **settings}}
    response = server.api.post("/api/configurations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def versions(server: LiveServer, name: str) -> list[Any]:
    response = server.api.get(f"/api/configurations/by-name/{name}/versions")
    assert response.status_code == 200, response.text
    return list(response.json())


def open_configurations(
    new_page: PageFactory, server: LiveServer, query: str = "", **kw: str
) -> Page:
    page = new_page(**kw)
    page.goto(f"{server.url}/configurations{query}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return page


def row(page: Page, name: str) -> Any:
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')  # a CSS string
    return page.locator(f'#config-list tr[data-name="{quoted}"]')


def test_shell_has_meta_tags_nav_and_a_strict_csp(live_server: LiveServer) -> None:
    response = live_server.api.get("/configurations")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert "<title>Configurations</title>" in html
    assert 'property="og:title" content="Configurations · Gen Image Factory"' in html
    assert f'property="og:image" content="{live_server.url}/static/img/og-default.png"' in html
    assert "<script>" not in html and " style=" not in html
    assert re.search(r'href="/configurations"\s+aria-current="page"', html)
    assert 'href="/settings" aria-current' not in html


def module_graph(server: LiveServer, entry: str) -> set[str]:
    """Every module a page's entry module imports, directly or not (relative imports)."""
    graph: set[str] = set()
    todo = [entry]
    while todo:
        module = todo.pop()
        if module not in graph:
            graph.add(module)
            source = server.api.get(module).text
            for name in re.findall(r"from '(\.{1,2}/[^']+)'", source):
                todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(module), name)))
    return graph


@pytest.mark.parametrize("path", ["/", "/configurations", "/settings", "/jobs", "job"])
def test_every_module_of_the_page_is_preloaded(live_server: LiveServer, path: str) -> None:
    """No second round of module requests: the shell names the page module's whole graph."""
    if path == "job":
        job = live_server.api.post("/api/jobs", json={"prompt": "preload", "steps": 1}).json()
        path = f"/jobs/{job['id']}"
    html = live_server.api.get(path).text
    (entry,) = re.findall(r'<script type="module" src="([^"]+)"', html)
    preloaded = set(re.findall(r'rel="modulepreload" href="([^"]+)"', html))
    missing = module_graph(live_server, entry) - {entry} - preloaded
    assert not missing, sorted(missing)


def test_nav_marks_the_current_page(new_page: PageFactory, live_server: LiveServer) -> None:
    page = open_configurations(new_page, live_server)
    nav = page.get_by_role("navigation", name="Main")
    for name, href in [
        ("Generate", "/"),
        ("Jobs", "/jobs"),
        ("Configurations", "/configurations"),
        ("Settings", "/settings"),
        ("Docs", "/docs"),
    ]:
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_attribute("href", href)
    expect(nav.locator("[aria-current]")).to_have_count(1)
    expect(nav.get_by_role("link", name="Configurations")).to_have_attribute("aria-current", "page")


def test_quality_check_fields_come_from_the_model(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_configurations(new_page, live_server)
    page.get_by_role("button", name="New configuration").click()
    for check in QCCheck:
        box = page.locator(f"#cfg-check-{check.value}")
        expect(box).to_be_checked()  # QCConfig's default: every check
    for name, spec in QCConfig.model_json_schema()["properties"].items():
        if name in ("checks", "vision"):  # the vision check has its own fields (below)
            continue
        field = page.locator(f"#cfg-{name}")
        expect(field).to_have_value(f"{spec['default']:g}")
        if "maximum" in spec:
            expect(field).to_have_attribute("max", str(spec["maximum"]))
        # The description (without its "Blank check:" prefix) is the help text.
        words = spec["description"].split(": ", 1)[-1].split()[-6:]
        expect(page.locator(f"#cfg-{name}-help")).to_contain_text(" ".join(words))
        assert f"cfg-{name}-help" in (field.get_attribute("aria-describedby") or "")


def test_the_vision_check_is_offered_saved_and_loaded(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    """The optional OpenAI vision check: off by default, says it sends images to OpenAI and
    whether a key is set, validates, saves only what differs from VisionQC's defaults, and
    loads back into the form."""
    defaults = VisionQC()
    page = open_configurations(new_page, live_server, scheme="light")
    page.get_by_role("button", name="New configuration").click()
    toggle = page.get_by_label("Vision check with OpenAI")
    expect(toggle).not_to_be_checked()
    model = page.locator("#cfg-vision-model")
    for field in ("model", "detail", "min_score", "timeout", "instructions"):
        expect(page.locator(f"#cfg-vision-{field}")).to_be_disabled()
    expect(model).to_have_value(defaults.model)
    expect(page.locator("#cfg-vision-instructions")).to_have_value(defaults.instructions)
    expect(page.locator("#cfg-vision-min_score")).to_have_attribute("max", "1.0")
    notice = page.locator("#cfg-vision-notice")
    expect(notice).to_contain_text("Sends images to OpenAI")
    expect(notice).to_contain_text("billed by OpenAI")
    # Whether the server has a key comes from GET /api/settings (never the key itself).
    sources = {
        s["name"]: s["source"] for s in live_server.api.get("/api/settings").json()["secrets"]
    }
    key = page.locator("#cfg-vision-key")
    if sources["openai_api_key"] == "unset":
        expect(key).to_have_attribute("data-state", "unset")
        expect(key).to_contain_text("No OpenAI API key is set")
        expect(key.get_by_role("link", name="Add a key in Settings.")).to_have_attribute(
            "href", "/settings"
        )
    else:
        expect(key).to_have_attribute("data-state", "set")
        expect(key).to_contain_text("An OpenAI API key is set")

    page.get_by_label("Name", exact=True).fill("Checked by a model")
    toggle.check()
    expect(model).to_be_enabled()
    model.fill("gpt-4o")
    page.get_by_label("Minimum score").fill("1.5")
    page.locator("#cfg-vision-detail").select_option("high")
    page.get_by_role("button", name="Create configuration").click()
    expect(page.locator("#cfg-vision-min_score-error")).to_have_text(
        "Minimum score must be a number from 0 to 1."
    )
    expect(page.get_by_label("Minimum score")).to_be_focused()
    screenshot(page, "configurations-vision-light")
    page.get_by_label("Minimum score").fill("0.8")
    page.get_by_role("button", name="Create configuration").click()
    expect(page.locator("#toasts")).to_contain_text("Created “Checked by a model” (version 1).")
    (saved,) = versions(live_server, "Checked by a model")
    assert saved["settings"]["qc"] == {
        "vision": {"enabled": True, "model": "gpt-4o", "min_score": 0.8, "detail": "high"}
    }

    # The server's 422 for a vision field lands at that field.
    def bad_timeout(route: Route) -> None:
        if route.request.method != "POST":  # the history's GET of the same URL
            route.continue_()
            return
        body = json.loads(route.request.post_data or "{}")
        body["settings"]["qc"]["vision"]["timeout"] = 0
        route.continue_(post_data=json.dumps(body))

    page.route("**/api/configurations/by-name/*/versions", bad_timeout)
    page.get_by_label("Description").fill("a change, so that Save is offered")
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.locator("#cfg-vision-timeout-error")).to_have_text("Input should be greater than 0")
    expect(page.get_by_label("Timeout (seconds)")).to_be_focused()
    page.unroute("**/api/configurations/by-name/*/versions")

    # Loaded back into a fresh page, in the dark theme.
    page = open_configurations(
        new_page, live_server, query="?edit=Checked%20by%20a%20model", scheme="dark"
    )
    expect(page.get_by_label("Vision check with OpenAI")).to_be_checked()
    expect(page.locator("#cfg-vision-model")).to_have_value("gpt-4o")
    expect(page.locator("#cfg-vision-detail")).to_have_value("high")
    expect(page.get_by_label("Minimum score")).to_have_value("0.8")
    expect(page.locator("#cfg-vision-key")).not_to_have_attribute("data-state", "loading")
    page.locator(".qc-vision").scroll_into_view_if_needed()
    screenshot(page, "configurations-vision-dark")
    assert run_axe(page) == []

    # Switched off, the choices are kept (enabled: false) and nothing is sent to OpenAI.
    page.get_by_label("Vision check with OpenAI").uncheck()
    expect(page.locator("#cfg-vision-model")).to_be_disabled()
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.locator("#toasts")).to_contain_text("as version 2")
    assert versions(live_server, "Checked by a model")[0]["settings"]["qc"] == {
        "vision": {"enabled": False, "model": "gpt-4o", "min_score": 0.8, "detail": "high"}
    }


def test_empty_loading_and_error_states(new_page: PageFactory, live_server: LiveServer) -> None:
    # Loading: the list request is held, skeleton rows show.
    page = new_page()
    held: list[Route] = []
    page.route("**/api/configurations", lambda route: held.append(route))
    page.goto(f"{live_server.url}/configurations")
    expect(page.locator("#config-list")).to_have_attribute("aria-busy", "true")
    expect(page.locator("#config-list .skeleton").first).to_be_visible()
    screenshot(page, "configurations-loading-dark")
    page.wait_for_timeout(200)
    assert held
    held[0].fulfill(status=200, content_type="application/json", body="[]")

    # Empty.
    expect(page.get_by_text("No configurations yet.")).to_be_visible()
    expect(page.locator("#config-list")).to_have_attribute("aria-busy", "false")
    screenshot(page, "configurations-empty-dark")
    page.get_by_role("button", name="Create a configuration").click()
    expect(page.get_by_role("heading", name="New configuration")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_be_focused()

    # Server unavailable, then back.
    page2 = new_page(scheme="light")
    page2.route("**/api/configurations", lambda route: route.abort("connectionrefused"))
    page2.goto(f"{live_server.url}/configurations")
    expect(page2.locator("#config-server-error")).to_be_visible()
    expect(page2.get_by_text("Configurations could not be loaded.")).to_be_visible()
    screenshot(page2, "configurations-server-unavailable-light")
    page2.unroute("**/api/configurations")
    page2.locator("#config-server-retry").click()
    expect(page2.locator("#config-list")).not_to_contain_text("could not be loaded")


def test_create_shows_it_in_the_list(new_page: PageFactory, live_server: LiveServer) -> None:
    page = open_configurations(new_page, live_server)
    page.get_by_role("button", name="New configuration").click()
    page.get_by_label("Name", exact=True).fill("Portraits")
    page.get_by_label("Description").fill("Tall, moody portraits")
    page.get_by_label("Size", exact=True).select_option("512x768")
    page.get_by_label("Steps", exact=True).fill("30")
    page.get_by_label("Style", exact=True).select_option("noir")
    page.get_by_label("Count", exact=True).fill("2")
    page.get_by_label("Output format").select_option("webp")
    page.get_by_label("Near-duplicate").uncheck()
    expect(page.locator("#cfg-max_hash_distance")).to_be_disabled()
    page.get_by_label("Minimum detail").fill("5")
    screenshot(page, "configurations-editor-dark", full_page=True)
    page.get_by_role("button", name="Create configuration").click()

    expect(page.locator("#toasts")).to_contain_text("Created “Portraits” (version 1).")
    listed = row(page, "Portraits")
    expect(listed).to_be_visible()
    expect(listed).to_contain_text("v1")
    expect(listed).to_contain_text("512 × 768")
    expect(listed).to_contain_text("30")
    expect(listed).to_contain_text("Noir")
    expect(listed).to_contain_text("Tall, moody portraits")
    (saved,) = versions(live_server, "Portraits")
    assert saved["settings"] == {
        "size": "512x768",
        "steps": 30,
        "style": "noir",
        "count": 2,
        "output_format": "webp",
        "qc": {"checks": ["blank", "blur", "dimensions"], "min_detail": 5},
    }
    # The editor stays on what was saved: its next save would be version 2.
    expect(page.get_by_role("heading", name="Edit “Portraits”")).to_be_visible()
    expect(page.get_by_role("button", name="Save as version 2")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#config-workspace")).to_be_hidden()
    expect(page.get_by_role("button", name="New configuration")).to_be_focused()
    screenshot(page, "configurations-list-dark")


def test_edit_saves_version_2_and_shows_the_history(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    create_config(live_server, "Landscapes", size="768x512", steps=12)
    page = open_configurations(new_page, live_server, scheme="light")
    row(page, "Landscapes").get_by_role("button", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit “Landscapes”")).to_be_focused()
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("readonly", "")
    expect(page.get_by_label("Steps", exact=True)).to_have_value("12")
    page.get_by_label("Steps", exact=True).fill("40")
    page.get_by_role("button", name="Save as version 2").click()

    expect(page.locator("#toasts")).to_contain_text("Saved “Landscapes” as version 2.")
    history = page.locator("#config-versions li")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("Version 2")
    expect(history.nth(0)).to_contain_text("newest")
    expect(history.nth(0)).to_contain_text("40 steps")
    expect(history.nth(1)).to_contain_text("Version 1")
    expect(history.nth(1)).to_contain_text("12 steps")
    expect(row(page, "Landscapes")).to_contain_text("v2")
    assert [v["version"] for v in versions(live_server, "Landscapes")] == [2, 1]
    assert versions(live_server, "Landscapes")[0]["settings"]["steps"] == 40

    # An older version loads into the form; saving it would make version 3.
    history.nth(1).get_by_role("button", name="Load into form").click()
    expect(page.get_by_label("Steps", exact=True)).to_have_value("12")
    expect(page.locator("#config-editor-lead")).to_have_text(
        "The form shows version 1. Saving creates version 3."
    )
    expect(history.nth(1)).to_have_attribute("aria-current", "true")
    screenshot(page, "configurations-history-light")


def test_duplicate_makes_a_new_name_from_a_version(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    base = create_config(live_server, "Base", size="256x256", steps=7, style="pastel", count=3)
    page = open_configurations(new_page, live_server)
    row(page, "Base").get_by_role("button", name="Duplicate").click()
    expect(page.get_by_role("heading", name="Duplicate “Base” (version 1)")).to_be_visible()
    name = page.get_by_label("Name", exact=True)
    expect(name).to_be_focused()
    expect(name).to_have_value("Base copy")
    page.get_by_role("button", name="Create copy").click()
    expect(row(page, "Base copy")).to_be_visible()
    expect(row(page, "Base")).to_be_visible()
    (copy,) = versions(live_server, "Base copy")
    assert copy["settings"] == base["settings"]


def test_a_new_configuration_follows_the_providers_defaults(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    """Size, steps and style start on "Provider's default" (empty): a name alone saves no
    size or steps, so jobs take the provider's own defaults."""
    page = open_configurations(new_page, live_server, scheme="light")
    page.get_by_role("button", name="New configuration").click()
    size = page.get_by_label("Size", exact=True)
    steps = page.get_by_label("Steps", exact=True)
    expect(size).to_have_value("")
    expect(size.locator("option:checked")).to_have_text("Provider’s default")
    expect(steps).to_have_value("")
    expect(steps).to_have_attribute("placeholder", "20")
    expect(page.get_by_label("Style", exact=True)).to_have_value("")
    page.get_by_label("Name", exact=True).fill("Defaults only")
    page.get_by_role("button", name="Create configuration").click()
    expect(page.locator("#toasts")).to_contain_text("Created “Defaults only” (version 1).")
    (saved,) = versions(live_server, "Defaults only")
    assert saved["settings"] == {}
    expect(row(page, "Defaults only").locator("td").nth(2)).to_have_text("default")  # size
    expect(row(page, "Defaults only").locator("td").nth(3)).to_have_text("default")  # steps
    # Loaded back for editing, the fields stay empty.
    expect(size).to_have_value("")
    expect(steps).to_have_value("")

    # The same when the providers arrive after "New configuration" was clicked.
    page = new_page()
    held: list[Route] = []
    page.route("**/api/providers", lambda route: held.append(route))
    page.goto(f"{live_server.url}/configurations")
    page.get_by_role("button", name="New configuration").click()
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    page.wait_for_timeout(100)
    assert held
    held[0].continue_()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.get_by_label("Size", exact=True)).to_be_enabled()
    expect(page.get_by_label("Size", exact=True)).to_have_value("")
    expect(page.get_by_label("Steps", exact=True)).to_have_value("")
    # Another size, then back to the provider's default, survives a provider change.
    page.get_by_label("Size", exact=True).select_option("")
    page.get_by_label("Provider").dispatch_event("change")
    expect(page.get_by_label("Size", exact=True)).to_have_value("")


def test_unsaved_edits_are_not_discarded_without_asking(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    create_config(live_server, "Drafts", steps=6)
    second = live_server.api.post(
        "/api/configurations/by-name/Drafts/versions",
        json={"settings": {"provider": "procedural", "steps": 8}},
    )
    assert second.status_code == 201, second.text
    create_config(live_server, "Other", count=2)
    page = open_configurations(new_page, live_server, scheme="light")
    unloads: list[str] = []
    leave = {"answer": False}

    def on_dialog(dialog: Any) -> None:
        unloads.append(dialog.type)
        if leave["answer"]:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", on_dialog)
    count = page.get_by_label("Count", exact=True)
    description = page.get_by_label("Description")
    discard = page.get_by_role("dialog", name="Discard unsaved changes?")
    new_button = page.get_by_role("button", name="New configuration")

    # Nothing changed: other actions replace the form without asking, links just leave.
    row(page, "Drafts").get_by_role("button", name="Edit").click()
    expect(page.get_by_label("Steps", exact=True)).to_have_value("8")
    row(page, "Other").get_by_role("button", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit “Other”")).to_be_visible()
    expect(discard).to_be_hidden()

    # Edited: "New configuration" asks; "Keep editing" (and Escape) keep every edit.
    row(page, "Drafts").get_by_role("button", name="Edit").click()
    count.fill("3")
    description.fill("typed, not saved")
    new_button.click()
    expect(discard).to_be_visible()
    expect(discard.get_by_role("button", name="Keep editing")).to_be_focused()
    screenshot(page, "configurations-discard-dialog-light")
    assert run_axe(page) == []
    discard.get_by_role("button", name="Keep editing").click()
    expect(discard).to_be_hidden()
    expect(new_button).to_be_focused()
    expect(page.get_by_role("heading", name="Edit “Drafts”")).to_be_visible()
    expect(count).to_have_value("3")
    expect(description).to_have_value("typed, not saved")
    for action in (
        row(page, "Other").get_by_role("button", name="Edit"),
        row(page, "Other").get_by_role("button", name="Duplicate"),
        page.get_by_role("button", name="Cancel"),
    ):
        action.click()
        expect(discard).to_be_visible()
        page.keyboard.press("Escape")
        expect(discard).to_be_hidden()
        expect(page.get_by_role("heading", name="Edit “Drafts”")).to_be_visible()
        expect(count).to_have_value("3")

    # "Load into form" on another version asks too; "Discard changes" loads it.
    history = page.locator("#config-versions li")
    history.nth(1).get_by_role("button", name="Load into form").click()
    expect(discard).to_be_visible()
    discard.get_by_role("button", name="Discard changes").click()
    expect(page.get_by_label("Steps", exact=True)).to_have_value("6")
    expect(count).to_have_value("")
    expect(description).to_have_value("")
    expect(history.nth(1)).to_have_attribute("aria-current", "true")

    # Leaving the page with edits: the browser asks (and the page stays when told to).
    count.fill("4")
    assert not unloads
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.wait_for_timeout(300)
    assert unloads == ["beforeunload"]
    assert page.url.endswith("/configurations")
    expect(count).to_have_value("4")

    # Saved, nothing is left to lose: no question in the page or from the browser.
    page.get_by_role("button", name="Save as version 3").click()
    expect(page.locator("#toasts")).to_contain_text("Saved “Drafts” as version 3.")
    new_button.click()
    expect(discard).to_be_hidden()
    expect(page.get_by_role("heading", name="New configuration")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    page.wait_for_url(re.compile(r"/jobs$"))
    assert unloads == ["beforeunload"]

    # Edited again, and told to leave: the browser's question is answered "Leave".
    page.goto(f"{live_server.url}/configurations?edit=Other")
    expect(page.get_by_role("heading", name="Edit “Other”")).to_be_visible()
    page.get_by_label("Description").fill("left behind")
    leave["answer"] = True
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    page.wait_for_url(re.compile(r"/jobs$"))
    assert unloads == ["beforeunload", "beforeunload"]
    assert [v["version"] for v in versions(live_server, "Other")] == [1]


def test_save_is_disabled_until_the_form_differs_from_the_newest_version(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    """As on the Settings page: nothing to save, no Save (the server would refuse it with
    "Nothing changed")."""
    create_config(live_server, "Steady", steps=5, count=2)
    page = open_configurations(new_page, live_server, query="?edit=Steady")
    expect(page.locator("#config-versions li")).to_have_count(1)
    save = page.get_by_role("button", name="Save as version 2")
    expect(save).to_be_disabled()
    screenshot(page, "configurations-unchanged-dark")

    # A change, and changed back, is no change either; a real change is version 2.
    steps = page.get_by_label("Steps", exact=True)
    steps.fill("9")
    expect(save).to_be_enabled()
    steps.fill("5")
    expect(save).to_be_disabled()
    page.get_by_label("Description").fill("now described")
    expect(save).to_be_enabled()
    page.get_by_label("Description").fill("")
    page.get_by_label("Minimum detail").fill("7")  # not in the summary, a change all the same
    expect(save).to_be_enabled()
    page.get_by_label("Minimum detail").fill(
        page.get_by_label("Minimum detail").get_attribute("data-default") or ""
    )
    expect(save).to_be_disabled()
    steps.fill("9")
    save.click()
    expect(page.locator("#toasts")).to_contain_text("Saved “Steady” as version 2.")
    expect(page.get_by_role("button", name="Save as version 3")).to_be_disabled()
    # Version 1 loaded into the form differs from version 2: saving it is version 3.
    page.locator("#config-versions li").nth(1).get_by_role("button", name="Load into form").click()
    page.get_by_role("button", name="Save as version 3").click()
    expect(page.locator("#toasts")).to_contain_text("Saved “Steady” as version 3.")
    assert [v["version"] for v in versions(live_server, "Steady")] == [3, 2, 1]

    # Made through the API without a count or a provider: the form leaves Count empty and
    # the provider on "Server default", so untouched it has nothing to save.
    created = live_server.api.post(
        "/api/configurations", json={"name": "No count", "settings": {"steps": 5}}
    )
    assert created.status_code == 201
    page.goto(f"{live_server.url}/configurations?edit=No%20count")
    expect(page.get_by_label("Count", exact=True)).to_have_value("")
    # No "1" shown in it: on the Start page an empty count is the saved default's.
    expect(page.get_by_label("Count", exact=True)).not_to_have_attribute("placeholder", "1")
    expect(page.get_by_role("button", name="Save as version 2")).to_be_disabled()
    assert [v["version"] for v in versions(live_server, "No count")] == [1]


def test_a_configuration_without_a_provider_keeps_none_when_edited(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    created = live_server.api.post(
        "/api/configurations", json={"name": "back\\slash", "settings": {"steps": 5}}
    )
    assert created.status_code == 201, created.text
    page = open_configurations(new_page, live_server, scheme="light")
    row(page, "back\\slash").get_by_role("button", name="Edit").click()
    provider = page.get_by_label("Provider")
    expect(provider).to_have_value("")
    expect(provider.locator("option:checked")).to_have_text("Server default")
    # The server's default provider's choices are offered meanwhile.
    expect(page.get_by_label("Steps", exact=True)).to_have_attribute("placeholder", "20")
    page.get_by_label("Description").fill("only the description changed")
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.locator("#toasts")).to_contain_text("as version 2.")
    newest = versions(live_server, "back\\slash")[0]
    assert newest["settings"] == {"steps": 5}
    assert newest["description"] == "only the description changed"
    # A provider can still be chosen, and "Server default" chosen back.
    provider.select_option("procedural")
    expect(page.get_by_role("button", name="Save as version 3")).to_be_enabled()
    provider.select_option("")
    expect(page.get_by_role("button", name="Save as version 3")).to_be_disabled()


def test_delete_an_unused_configuration(new_page: PageFactory, live_server: LiveServer) -> None:
    create_config(live_server, "Scratch")
    page = open_configurations(new_page, live_server)
    delete = row(page, "Scratch").get_by_role("button", name="Delete")
    # Escape keeps it, and the keyboard returns to the button.
    delete.click()
    dialog = page.get_by_role("dialog", name="Delete “Scratch”?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Keep it")).to_be_focused()
    screenshot(page, "configurations-delete-dialog-dark")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(delete).to_be_focused()
    expect(row(page, "Scratch")).to_be_visible()

    delete.click()
    dialog.get_by_role("button", name="Delete").click()
    expect(row(page, "Scratch")).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text("Deleted “Scratch”.")
    assert live_server.api.get("/api/configurations/by-name/Scratch/versions").status_code == 404


def test_delete_a_used_configuration_shows_the_servers_refusal(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    create_config(live_server, "InUse", size="256x256", steps=2)
    live_server.create_job("a pebble", configuration="InUse")
    refusal = live_server.api.delete("/api/configurations/by-name/InUse")
    assert refusal.status_code == 409
    message = refusal.json()["detail"]["message"]

    page = open_configurations(new_page, live_server, scheme="light")
    expect(row(page, "InUse").locator("td").nth(6)).to_have_text("1")  # jobs column
    row(page, "InUse").get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("1 job used it")
    dialog.get_by_role("button", name="Delete").click()
    error = page.locator("#config-list-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("role", "alert")
    expect(error).to_contain_text("“InUse” was not deleted.")
    expect(error).to_contain_text(message)
    expect(error).to_be_focused()
    expect(row(page, "InUse")).to_be_visible()
    screenshot(page, "configurations-delete-refused-light")
    # The way forward: the jobs that use it, on the Jobs page filtered by it.
    link = error.get_by_role("link", name="Show the jobs using it")
    expect(link).to_have_attribute("href", "/jobs?config=InUse")


def test_a_refused_delete_names_the_configuration_as_typed(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    name = "back\\slash 'q'"
    create_config(live_server, name, steps=2)
    live_server.create_job("a pebble", configuration=name)
    page = open_configurations(new_page, live_server)
    row(page, name).get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    error = page.locator("#config-list-error")
    expect(error).to_contain_text(f"Configuration “{name}” is used by 1 job")
    expect(error).not_to_contain_text("\\\\")
    link = error.get_by_role("link", name="Show the jobs using it")
    link.click()
    page.wait_for_url("**/jobs?config=*")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    assert page.evaluate("new URLSearchParams(location.search).get('config')") == name


def test_errors_show_at_their_fields_and_keep_what_was_typed(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_configurations(new_page, live_server, scheme="light")
    page.get_by_role("button", name="New configuration").click()
    page.get_by_label("Name", exact=True).fill("Too many steps")
    page.get_by_label("Description").fill("typed by hand")
    page.get_by_label("Steps", exact=True).fill("999")
    page.get_by_label("Minimum colour spread").fill("500")
    page.get_by_role("button", name="Create configuration").click()
    steps = page.get_by_label("Steps", exact=True)
    expect(page.locator("#cfg-steps-error")).to_have_text(
        "Steps must be a whole number from 1 to 150."
    )
    expect(steps).to_have_attribute("aria-invalid", "true")
    expect(steps).to_be_focused()
    expect(page.locator("#cfg-min_colour_spread-error")).to_have_text(
        "Minimum colour spread must be a number from 0 to 128."
    )
    expect(page.locator("#cfg-form-error")).to_contain_text("2 fields need attention.")
    screenshot(page, "configurations-validation-light", full_page=True)
    assert live_server.api.get("/api/configurations/by-name/Too many steps/versions").is_error

    # The server's own 422 (detail[].loc/msg) lands at the field too: the request is
    # changed on its way out so that the browser's checks cannot catch it first.
    page.get_by_label("Minimum colour spread").fill("4")
    steps.fill("20")

    def too_many(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        body["settings"]["steps"] = 999
        route.continue_(post_data=json.dumps(body))

    page.route("**/api/configurations", too_many)
    page.get_by_role("button", name="Create configuration").click()
    expect(page.locator("#cfg-steps-error")).to_have_text(
        "Input should be less than or equal to 150"
    )
    page.unroute("**/api/configurations")

    def bad_threshold(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        body["settings"]["qc"] = {"min_detail": -1}
        route.continue_(post_data=json.dumps(body))

    page.route("**/api/configurations", bad_threshold)
    page.get_by_role("button", name="Create configuration").click()
    expect(page.locator("#cfg-min_detail-error")).to_have_text(
        "Input should be greater than or equal to 0"
    )
    expect(page.get_by_label("Minimum detail")).to_be_focused()
    page.unroute("**/api/configurations")
    # Nothing typed was lost.
    expect(page.get_by_label("Name", exact=True)).to_have_value("Too many steps")
    expect(page.get_by_label("Description")).to_have_value("typed by hand")
    expect(steps).to_have_value("20")

    # A name taken meanwhile: the server's 409 at the name field.
    create_config(live_server, "Too many steps")
    page.get_by_role("button", name="Create configuration").click()
    expect(page.locator("#cfg-name-error")).to_contain_text("exists")
    expect(page.get_by_label("Name", exact=True)).to_be_focused()


def test_unavailable_providers_are_disabled_with_their_reason(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    providers = {p["name"]: p for p in live_server.api.get("/api/providers").json()}
    page = open_configurations(new_page, live_server)
    page.get_by_role("button", name="New configuration").click()
    select = page.get_by_label("Provider")
    # A new configuration names no provider unless one is chosen.
    expect(select).to_have_value("")
    expect(select.locator("option:checked")).to_have_text("Server default")
    for name, info in providers.items():
        option = select.locator(f'option[value="{name}"]')
        if info["available"]:
            expect(option).to_be_enabled()
        else:
            expect(option).to_be_disabled()
            expect(option).to_contain_text("(unavailable)")
            expect(page.locator("#cfg-providers-note")).to_contain_text(info["unavailable_reason"])
    # Sizes and steps follow the chosen provider.
    sizes = page.locator("#cfg-size option").evaluate_all("os => os.map(o => o.value)")
    assert sizes == ["", *providers["procedural"]["sizes"]]
    expect(page.get_by_label("Steps", exact=True)).to_have_attribute(
        "max", str(providers["procedural"]["max_steps"])
    )


def test_start_a_job_from_a_configuration(new_page: PageFactory, live_server: LiveServer) -> None:
    settings = {
        "size": "256x256",
        "steps": 5,
        "style": "noir",
        "count": 2,
        "output_format": "webp",
        "qc": {"checks": ["blank"], "max_hash_distance": 3},
    }
    create_config(live_server, "Night", **settings)
    page = open_configurations(new_page, live_server)
    page.get_by_role("link", name="Start a job with configuration Night").click()
    page.wait_for_url(re.compile(r"/\?configuration=Night$"))
    notice = page.locator("#configuration-notice")
    expect(notice).to_contain_text("Using configuration “Night”, version 1.")
    expect(notice).to_contain_text("2 images")
    expect(page.locator("#size")).to_have_value("256x256")
    expect(page.locator("#steps")).to_have_value("5")
    expect(page.locator("#style")).to_have_value("noir")
    page.get_by_label("Prompt").fill("a harbour at night")
    screenshot(page, "configurations-start-page-dark")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]+$"))
    job = live_server.job(page.url.rsplit("/", 1)[1])
    assert job["configuration"]["name"] == "Night"
    assert job["configuration"]["version"] == 1
    for key, value in settings.items():
        assert job["params"][key] == value, key
    assert job["provider"] == "procedural"

    # An option changed on the Start page wins for that job only.
    page.goto(f"{live_server.url}/?configuration=Night")
    expect(page.locator("#steps")).to_have_value("5")
    page.get_by_label("Prompt").fill("a harbour at dawn")
    page.locator("#steps").fill("9")
    page.locator("#style").select_option("")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]+$"))
    job = live_server.job(page.url.rsplit("/", 1)[1])
    assert job["params"]["steps"] == 9
    assert job["params"]["style"] in (None, "none")
    assert job["params"]["count"] == 2 and job["configuration"]["name"] == "Night"

    # A link that spells the name in another case finds it and says its name as saved.
    page.goto(f"{live_server.url}/?configuration=NIGHT")
    expect(notice).to_contain_text("Using configuration “Night”, version 1.")

    # "Don't use a configuration" drops it (and the query parameter).
    page.goto(f"{live_server.url}/?configuration=Night")
    expect(notice).to_be_visible()
    page.get_by_role("button", name="Don’t use a configuration").click()
    expect(notice).to_be_hidden()
    assert "configuration" not in page.url
    page.get_by_label("Prompt").fill("a harbour at noon")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]+$"))
    job = live_server.job(page.url.rsplit("/", 1)[1])
    assert job["configuration"] is None
    assert job["params"]["count"] == 1

    # A configuration that does not exist is said so, and not sent.
    page.goto(f"{live_server.url}/?configuration=Nope")
    expect(notice).to_contain_text("Configuration “Nope” was not found.")
    expect(page.locator("#size")).to_be_enabled()


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_no_serious_accessibility_violations(
    new_page: PageFactory, live_server: LiveServer, scheme: str
) -> None:
    create_config(live_server, f"Axe {scheme}", size="512x512", steps=10)
    page = open_configurations(new_page, live_server, query=f"?edit=Axe%20{scheme}", scheme=scheme)
    expect(page.locator("#config-versions li")).to_have_count(1)
    assert run_axe(page) == []
    screenshot(page, f"configurations-{scheme}", full_page=True)
    row(page, f"Axe {scheme}").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert run_axe(page) == []
    page.keyboard.press("Escape")
    page.goto(f"{live_server.url}/?configuration=Axe%20{scheme}")
    expect(page.locator("#configuration-notice")).to_contain_text("version 1")
    assert run_axe(page) == []


def test_keyboard_only(new_page: PageFactory, live_server: LiveServer) -> None:
    page = open_configurations(new_page, live_server)
    # Tab reaches "New configuration" from the top of the page.
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.id") == "config-new":
            break
    expect(page.locator("#config-new")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.type("Typed only")
    page.keyboard.press("Enter")  # submits the form
    expect(row(page, "Typed only")).to_be_visible()
    expect(page.get_by_role("heading", name="Edit “Typed only”")).to_be_visible()

    # Its row's Delete: Enter opens the dialog, Tab reaches "Delete", Enter confirms.
    delete = row(page, "Typed only").get_by_role("button", name="Delete")
    delete.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Keep it")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#config-delete-confirm")).to_be_focused()
    page.keyboard.press("Tab")  # focus stays in the dialog
    expect(page.get_by_role("button", name="Keep it")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(row(page, "Typed only")).to_have_count(0)
    focused = page.evaluate("() => document.activeElement?.tagName")
    assert focused in ("BUTTON", "A")


# -- fixes of the QA pass: concurrent edits, server errors, narrow screens, long names ----


def test_a_save_on_top_of_a_version_saved_elsewhere_is_not_silent(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    """Two tabs edit the same configuration; the later save neither undoes the earlier one
    silently nor loses what was typed: it offers to load the newest or save anyway."""
    create_config(live_server, "Tabs", count=3)
    live_server.api.post(
        "/api/configurations/by-name/Tabs/versions",
        json={"settings": {"provider": "procedural", "count": 3, "steps": 10}},
    )
    tab_a = open_configurations(new_page, live_server, query="?edit=Tabs", scheme="light")
    tab_b = open_configurations(new_page, live_server, query="?edit=Tabs")
    for tab in (tab_a, tab_b):
        expect(tab.get_by_role("button", name="Save as version 3")).to_be_visible()

    tab_b.get_by_label("Count", exact=True).fill("5")
    tab_b.get_by_role("button", name="Save as version 3").click()
    expect(tab_b.locator("#toasts")).to_contain_text("Saved “Tabs” as version 3.")

    tab_a.get_by_label("Steps", exact=True).fill("45")
    tab_a.get_by_role("button", name="Save as version 3").click()
    error = tab_a.locator("#cfg-form-error")
    expect(error).to_contain_text("Not saved: someone else saved a newer version.")
    expect(error).to_contain_text(
        "“Tabs” changed since you opened it: version 3 was saved elsewhere. "
        "Load it, or save yours as a new version anyway."
    )
    expect(tab_a.get_by_role("button", name="Load the newest version")).to_be_focused()
    expect(tab_a.get_by_label("Steps", exact=True)).to_have_value("45")  # nothing lost
    expect(tab_a.locator("#config-versions li")).to_have_count(3)  # B's version shows
    expect(tab_a.get_by_role("button", name="Save as version 4")).to_be_visible()
    assert [v["version"] for v in versions(live_server, "Tabs")] == [3, 2, 1]
    screenshot(tab_a, "configurations-stale-light")

    # "Load the newest version" shows B's change; saving on top of it is not refused.
    tab_a.get_by_role("button", name="Load the newest version").click()
    expect(tab_a.get_by_label("Count", exact=True)).to_have_value("5")
    expect(tab_a.get_by_label("Steps", exact=True)).to_have_value("10")
    expect(error).to_be_hidden()
    tab_a.get_by_label("Steps", exact=True).fill("45")
    tab_a.get_by_role("button", name="Save as version 4").click()
    expect(tab_a.locator("#toasts")).to_contain_text("Saved “Tabs” as version 4.")
    newest = versions(live_server, "Tabs")[0]["settings"]
    assert (newest["count"], newest["steps"]) == (5, 45)

    # Tab B is now behind: "Save mine anyway" saves its form as the next version.
    tab_b.get_by_label("Steps", exact=True).fill("30")
    tab_b.get_by_role("button", name="Save as version 4").click()
    expect(tab_b.locator("#cfg-form-error")).to_contain_text("version 4 was saved elsewhere")
    tab_b.get_by_role("button", name="Save mine anyway").click()
    expect(tab_b.locator("#toasts")).to_contain_text("Saved “Tabs” as version 5.")
    assert versions(live_server, "Tabs")[0]["settings"]["steps"] == 30


def _server_error(route: Route) -> None:
    route.fulfill(
        status=500, content_type="application/json", body='{"detail":"Internal Server Error"}'
    )


def test_a_server_error_is_not_called_server_unavailable(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    create_config(live_server, "Faulty")
    page = new_page(scheme="light")
    page.route("**/api/configurations", _server_error)
    page.goto(f"{live_server.url}/configurations")
    expect(page.locator("#config-list")).to_contain_text("Configurations could not be loaded.")
    expect(page.locator("#config-list")).to_contain_text(
        "Gen Image Factory answered with an error (HTTP 500)."
    )
    expect(page.locator("#config-server-error")).to_be_hidden()
    page.unroute("**/api/configurations")
    page.locator("#config-list").get_by_role("button", name="Try again").click()
    expect(row(page, "Faulty")).to_be_visible()

    # The version history, and a save.
    page.route("**/api/configurations/by-name/Faulty/versions", _server_error)
    row(page, "Faulty").get_by_role("button", name="Edit").click()
    expect(page.locator("#config-versions")).to_contain_text("could not be loaded")
    page.get_by_label("Count", exact=True).fill("2")
    page.get_by_role("button", name="Save as version 2").click()
    error = page.locator("#cfg-form-error")
    expect(error).to_contain_text("The server ran into an error.")
    expect(error).to_contain_text("HTTP 500")
    expect(page.locator("#config-server-error")).to_be_hidden()
    expect(page.get_by_label("Count", exact=True)).to_have_value("2")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_width_has_no_sideways_scroll_and_every_action_is_reachable(
    new_page: PageFactory, live_server: LiveServer, scheme: str
) -> None:
    long_name = "W" * 100
    for name in ("Phone", long_name):
        if live_server.api.get(f"/api/configurations/by-name/{name}/versions").is_error:
            create_config(live_server, name, size="256x256")
    page = open_configurations(new_page, live_server, width=390, scheme=scheme)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for name in ("Phone", long_name):
        for action in ("Start a job", "Edit", "Duplicate", "Delete"):
            role = "link" if action == "Start a job" else "button"
            box = row(page, name).get_by_role(role, name=action).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, action, box)
    size_cell = row(page, "Phone").locator("td").nth(2)  # its column's name shows above it
    assert size_cell.evaluate("td => getComputedStyle(td, '::before').content") == '"Size"'

    screenshot(page, f"configurations-phone-{scheme}", full_page=True)

    row(page, long_name).get_by_role("button", name="Edit").click()
    expect(page.locator("#config-editor-title")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # One field a line: the size select shows its whole first choice.
    size = page.get_by_label("Size", exact=True)
    expect(size).to_have_value("256x256")
    assert page.evaluate(
        "s => s.clientWidth >= s.closest('form').clientWidth - 2", size.element_handle()
    )
    screenshot(page, f"configurations-phone-editor-{scheme}")


def test_a_long_name_without_spaces_stays_inside_its_card(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    long_name = "L" * 100
    create_config(live_server, long_name)
    page = open_configurations(new_page, live_server, query=f"?edit={long_name}")
    expect(page.locator("#config-editor-title")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    editor = page.locator(".editor").bounding_box()
    title = page.locator("#config-editor-title").bounding_box()
    assert editor and title and title["x"] + title["width"] <= editor["x"] + editor["width"]
    card = page.locator(".list-card").bounding_box()
    delete = row(page, long_name).get_by_role("button", name="Delete").bounding_box()
    assert card and delete and delete["x"] + delete["width"] <= card["x"] + card["width"]


def test_delete_while_the_server_is_down_keeps_the_list(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    create_config(live_server, "Offline")
    page = open_configurations(new_page, live_server)
    page.route(
        "**/api/configurations**",
        lambda route: (
            route.abort("connectionrefused")
            if route.request.method == "DELETE" or route.request.url.endswith("/api/configurations")
            else route.continue_()
        ),
    )
    row(page, "Offline").get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    error = page.locator("#config-list-error")
    expect(error).to_contain_text("“Offline” was not deleted.")
    expect(error).to_contain_text("Gen Image Factory did not answer.")
    expect(row(page, "Offline")).to_be_visible()
    expect(page.locator("#config-list")).not_to_contain_text("could not be loaded")


def test_deleting_one_already_deleted_elsewhere_says_it_is_gone(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    create_config(live_server, "Gone")
    page = open_configurations(new_page, live_server)
    assert live_server.api.delete("/api/configurations/by-name/Gone").status_code == 204
    row(page, "Gone").get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("#toasts")).to_contain_text("“Gone” was already deleted (elsewhere).")
    expect(row(page, "Gone")).to_have_count(0)
    expect(page.locator("#config-list-error")).to_be_hidden()


def test_edit_of_an_unknown_name_says_it_was_not_found(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_configurations(new_page, live_server, query="?edit=DoesNotExist")
    error = page.locator("#config-list-error")
    expect(error).to_contain_text("Configuration “DoesNotExist” was not found.")
    expect(error).to_be_focused()
    expect(page.locator("#config-workspace")).to_be_hidden()


def test_the_delete_dialog_says_when_it_is_the_default_for_new_jobs(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    create_config(live_server, "Default one")
    create_config(live_server, "Not default")
    saved = live_server.api.put(
        "/api/preferences/defaults",
        json={"configuration": "Default one", "provider": None, "count": 1},
    )
    assert saved.status_code == 200, saved.text
    try:
        page = open_configurations(new_page, live_server)
        row(page, "Default one").get_by_role("button", name="Delete").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text(
            "It is the default for new jobs; the Start page will no longer use it."
        )
        dialog.get_by_role("button", name="Keep it").click()
        row(page, "Not default").get_by_role("button", name="Delete").click()
        expect(dialog).to_be_visible()
        expect(page.locator("#config-delete-default")).to_be_hidden()
        dialog.get_by_role("button", name="Keep it").click()
    finally:
        live_server.api.put(
            "/api/preferences/defaults", json={"configuration": None, "provider": None, "count": 1}
        )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_long_names_never_push_the_actions_off_the_card(
    new_page: PageFactory, live_server: LiveServer, scheme: str
) -> None:
    """A 100-character name (the most allowed), with or without spaces: ellipsized on one
    line, the whole name in its tooltip; the table fits its card, every action visible."""
    names = ["N" * 100, ("Quarterly catalogue shoot " * 4)[:100]]
    for name in names:
        if live_server.api.get(f"/api/configurations/by-name/{name}/versions").is_error:
            create_config(live_server, name, size="256x256", steps=7, style="noir", count=3)
    page = open_configurations(new_page, live_server, scheme=scheme)
    wrap = page.locator("#config-list .table-wrap")
    fits = wrap.evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert fits[0] <= fits[1], fits
    edge = wrap.bounding_box()
    assert edge
    for name in names:
        title = row(page, name).locator(".config-table__title")
        expect(title).to_have_attribute("title", name)
        expect(title).to_have_text(name)  # the whole name is there, cut only on screen
        for action in ("Start a job", "Edit", "Duplicate", "Delete"):
            role = "link" if action == "Start a job" else "button"
            box = row(page, name).get_by_role(role, name=action).bounding_box()
            assert box and box["x"] + box["width"] <= edge["x"] + edge["width"], (action, box)


@pytest.mark.parametrize(("scheme", "width"), [("light", 390), ("dark", 1280)])
def test_the_history_says_what_changed_and_clamps_long_descriptions(
    new_page: PageFactory, live_server: LiveServer, scheme: str, width: int
) -> None:
    name = f"Compared {scheme} {width}"
    if live_server.api.get(f"/api/configurations/by-name/{name}/versions").is_error:
        create_config(live_server, name, steps=5)
        by_name = f"/api/configurations/by-name/{name}/versions"
        long_text = ("A wall of text about lighting and lenses. " * 50)[:2000]
        for body in (
            {"description": long_text, "settings": {"provider": "procedural", "steps": 7}},
            {
                "description": long_text,
                "settings": {"provider": "procedural", "steps": 7, "qc": {"min_detail": 5}},
            },
        ):
            assert live_server.api.post(by_name, json=body).status_code == 201
    page = open_configurations(new_page, live_server, scheme=scheme, width=width)
    row(page, name).get_by_role("button", name="Edit").click()
    history = page.locator("#config-versions li")
    expect(history).to_have_count(3)
    # Newest first; a QC threshold the summary line does not show is named all the same.
    expect(history.nth(0).locator(".history__changes")).to_have_text(
        "Changed: QC min detail default → 5"
    )
    expect(history.nth(1).locator(".history__changes")).to_have_text(
        "Changed: steps 5 → 7, description"
    )
    expect(history.nth(2).locator(".history__changes")).to_have_count(0)  # the first

    desc = history.nth(1).locator(".history__desc")
    more = history.nth(1).get_by_role("button", name="Show more")
    expect(more).to_have_attribute("aria-expanded", "false")
    clamped = desc.bounding_box()
    assert clamped and clamped["height"] < 80, clamped
    more.click()
    expect(history.nth(1).get_by_role("button", name="Show less")).to_have_attribute(
        "aria-expanded", "true"
    )
    opened = desc.bounding_box()
    assert opened and opened["height"] > 3 * clamped["height"], opened
    assert page.evaluate("document.documentElement.scrollWidth") <= width
