"""Start Generation (`/`): specs/realtime-progress.md, page 1, and the defaults saved on the
Settings page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.helpers import LiveServer, PageFactory, open_job, run_axe, screenshot

pytestmark = pytest.mark.e2e


def open_home(new_page: PageFactory, server: LiveServer, query: str = "", **kw: str) -> Page:
    page = new_page(**kw)
    page.goto(f"{server.url}/{query}")
    expect(page.locator("#size")).to_be_enabled()
    return page


def test_shell_has_meta_tags_and_a_strict_csp(live_server: LiveServer) -> None:
    response = live_server.api.get("/")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    for rule in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data: blob:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert rule in csp
    html = response.text
    assert "<title>Generate Images</title>" in html
    assert 'content="Start an image generation job and track it live."' in html
    assert f'property="og:image" content="{live_server.url}/static/img/og-default.png"' in html
    assert 'property="og:title"' in html
    assert "<script>" not in html and " style=" not in html  # nothing inline
    image = live_server.api.get("/static/img/og-default.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_layout_options_and_character_count(new_page: PageFactory, live_server: LiveServer) -> None:
    page = open_home(new_page, live_server)
    expect(page).to_have_title("Generate Images")
    expect(page.get_by_role("link", name="Docs")).to_have_attribute("href", "/docs")
    # Choices come from GET /api/providers.
    providers = live_server.api.get("/api/providers").json()
    sizes = page.locator("#size option").evaluate_all("os => os.map(o => o.value)")
    assert sizes == providers[0]["sizes"]
    styles = page.locator("#style option").evaluate_all("os => os.map(o => o.value)")
    assert set(styles) - {""} <= set(providers[0]["styles"])
    expect(page.locator("#steps")).to_have_value(str(providers[0]["default_steps"]))
    # Form 8 columns, tips + recent jobs 4 columns.
    form_box = page.locator(".prompt-card").bounding_box()
    aside_box = page.locator("aside").bounding_box()
    assert form_box and aside_box
    assert form_box["width"] > 1.8 * aside_box["width"]
    assert aside_box["x"] > form_box["x"] + form_box["width"]

    prompt = page.get_by_label("Prompt")
    expect(prompt).to_have_attribute("placeholder", re.compile("lighthouse"))
    prompt.fill("a red fox")
    expect(page.locator("#prompt-count")).to_have_text("9 / 2000")
    screenshot(page, "home-dark")


def test_the_provider_name_is_whole_and_the_nav_fits_a_phone(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_home(new_page, live_server, scheme="light")
    provider = page.locator("#provider")
    expect(provider).to_be_visible()
    # The select shows its chosen option's whole name: it is as wide as it needs.
    needed = provider.evaluate(
        """s => { const c = document.createElement('canvas').getContext('2d');
                  c.font = getComputedStyle(s).font;
                  return c.measureText(s.selectedOptions[0].text).width; }"""
    )
    assert provider.evaluate("s => s.clientWidth") > needed + 40  # + padding and the arrow

    phone = new_page(width=390, height=800)
    phone.goto(f"{live_server.url}/")
    nav = phone.get_by_role("navigation", name="Main")
    controls = {
        n: nav.get_by_role("link", name=n, exact=True) for n in ("Generate", "Jobs", "Docs")
    }
    controls |= {n: nav.get_by_role("link", name=n) for n in ("Configurations", "Settings")}
    controls["theme"] = nav.locator("#theme-toggle")
    for name, control in controls.items():
        bounds = control.bounding_box()
        assert bounds is not None, name
        assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= 390, (name, bounds)
    screenshot(phone, "home-phone-dark")


def test_validation_messages_at_the_field(new_page: PageFactory, live_server: LiveServer) -> None:
    page = open_home(new_page, live_server, scheme="light")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#prompt-error")).to_have_text(
        "Enter a prompt to describe the image you want."
    )
    expect(page.get_by_label("Prompt")).to_be_focused()
    expect(page.get_by_label("Prompt")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Prompt").fill("x" * 2001)
    expect(page.locator("#prompt-count")).to_have_text("2001 / 2000")
    expect(page.locator("#prompt-error")).to_contain_text("too long: 2001 of 2000")

    # A rule only the server knows (no control characters): its 422 shows at the field.
    page.get_by_label("Prompt").fill("a fox \u0007 in snow")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#prompt-error")).to_contain_text("control characters")
    expect(page).to_have_url(f"{live_server.url}/")
    screenshot(page, "home-validation-light")


def test_server_unavailable(new_page: PageFactory, live_server: LiveServer) -> None:
    page = open_home(new_page, live_server, scheme="light")
    page.route("**/api/jobs", lambda route: route.abort("connectionrefused"))
    page.get_by_label("Prompt").fill("a red fox in snow")
    page.get_by_role("button", name="Generate").click()
    error = page.locator("#server-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Server unavailable.")
    expect(page.get_by_role("button", name="Generate")).to_be_enabled()
    screenshot(page, "home-server-unavailable-light")

    # Back: a problem in the form is checked in the page, and the old callout goes once the
    # server answers again; it does not stand beside the field's error.
    page.unroute("**/api/jobs")
    page.get_by_label("Prompt").fill("a \u0007 fox")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#prompt-error")).to_contain_text("control characters")
    expect(error).to_be_hidden()
    # And when the server answers a submission (here: refuses it), the callout goes too.
    page.route("**/api/jobs", lambda route: route.abort("connectionrefused"))
    page.get_by_label("Prompt").fill("a red fox in snow")
    page.get_by_role("button", name="Generate").click()
    expect(error).to_be_visible()
    page.route(
        "**/api/jobs",
        lambda route: route.fulfill(
            status=422,
            json={"detail": [{"loc": ["body", "prompt"], "msg": "Refused.", "type": "x"}]},
        ),
    )
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#prompt-error")).to_contain_text("Refused.")
    expect(error).to_be_hidden()


def test_server_error_5xx_is_unavailable(new_page: PageFactory, live_server: LiveServer) -> None:
    page = open_home(new_page, live_server)

    def fail(route: Route) -> None:
        route.fulfill(status=503, json={"detail": "overloaded"})

    page.route("**/api/jobs", fail)
    page.get_by_label("Prompt").fill("a red fox in snow")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#server-error")).to_be_visible()


def test_a_server_error_says_the_server_answered(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_home(new_page, live_server, scheme="light")
    page.route("**/api/jobs", lambda route: route.fulfill(status=500, body="Internal error"))
    page.get_by_label("Prompt").fill("a red fox in snow")
    page.get_by_role("button", name="Generate").click()
    error = page.locator("#form-error")
    expect(error).to_contain_text("answered with an error (HTTP 500)")
    expect(error).to_contain_text("prompt and options are kept")
    expect(page.locator("#server-error")).to_be_hidden()
    expect(page.get_by_label("Prompt")).to_have_value("a red fox in snow")
    expect(page.get_by_role("button", name="Generate")).to_be_focused()
    screenshot(page, "home-server-error-light")


def test_prefill_from_query_and_clear(new_page: PageFactory, live_server: LiveServer) -> None:
    page = open_home(
        new_page, live_server, "?prompt=a%20misty%20forest&size=512x512&steps=33&style=pastel"
    )
    expect(page.get_by_label("Prompt")).to_have_value("a misty forest")
    expect(page.locator("#size")).to_have_value("512x512")
    expect(page.locator("#steps")).to_have_value("33")
    expect(page.locator("#style")).to_have_value("pastel")
    page.get_by_role("button", name="Clear").click()
    expect(page.get_by_label("Prompt")).to_have_value("")
    expect(page.locator("#steps")).to_have_value("20")
    expect(page.get_by_label("Prompt")).to_be_focused()


def test_edit_and_restart_keeps_the_seed_and_generate_sends_it(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job("a quiet mountain lake", size="256x256", steps=6, seed=1234)
    live_server.wait_for(job["id"], "completed")
    page = open_job(new_page, live_server, job["id"])
    page.locator("#job-banner").get_by_role("link", name="Edit prompt & restart").click()
    page.wait_for_url(re.compile(r"/\?prompt="))
    expect(page.locator("#size")).to_be_enabled()
    seed = page.get_by_label("Seed")
    expect(seed).to_have_value("1234")
    expect(seed).to_be_enabled()
    page.get_by_label("Prompt").fill("a quiet mountain lake at dawn")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    again = live_server.job(page.url.rsplit("/", 1)[1])
    assert again["prompt"] == "a quiet mountain lake at dawn"
    assert again["params"]["seed"] == 1234


def test_a_seed_out_of_range_is_refused_and_clear_empties_it(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_home(new_page, live_server, "?prompt=a%20red%20fox&seed=2147483648")
    seed = page.get_by_label("Seed")
    expect(seed).to_have_value("2147483648")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#seed-error")).to_have_text(
        "Seed must be a whole number from 0 to 2147483647, or empty for a random one."
    )
    expect(seed).to_be_focused()
    expect(seed).to_have_attribute("aria-invalid", "true")
    assert page.url.endswith("seed=2147483648"), "nothing was submitted"
    # Text a number field cannot read ("1e") is not taken for an empty, random seed.
    seed.fill("")
    seed.press_sequentially("1e")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#seed-error")).to_contain_text("Seed must be a whole number")
    assert page.url.endswith("seed=2147483648"), "nothing was submitted"
    page.get_by_role("button", name="Clear").click()
    expect(seed).to_have_value("")
    # Empty is a random seed: the job gets one of its own.
    page.get_by_label("Prompt").fill("a red fox")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    made = live_server.job(page.url.rsplit("/", 1)[1])
    assert isinstance(made["params"]["seed"], int)


def test_recent_jobs_lists_the_last_five(new_page: PageFactory, live_server: LiveServer) -> None:
    jobs = [live_server.create_job(f"recent job number {i}") for i in range(6)]
    page = open_home(new_page, live_server)
    items = page.locator("#recent-jobs li")
    expect(items).to_have_count(5)
    expect(items.first).to_contain_text("recent job number 5")
    expect(items.first.locator("a")).to_have_attribute("href", f"/jobs/{jobs[-1]['id']}")
    for job in jobs:
        live_server.wait_for(job["id"], "completed")


def test_generate_redirects_and_completes_then_downloads(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_home(new_page, live_server)
    page.get_by_label("Prompt").fill("a lighthouse on a rocky cliff at sunset")
    page.locator("#size").select_option("256x256")
    page.locator("#steps").fill("12")
    # An empty Images field, like an empty Steps, leaves the number to the defaults.
    page.locator("#count").fill("")
    generate = page.get_by_role("button", name="Generate")
    generate.click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    job_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#main")).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(page.locator("#job-banner")).to_contain_text("Generation completed.")
    download = page.locator("#download")
    expect(download).to_be_visible()
    href = download.get_attribute("href")
    assert href and href.startswith("/api/images/")
    response = page.request.get(f"{live_server.url}{href}")
    assert response.ok
    assert response.body().startswith(b"\x89PNG\r\n\x1a\n")
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename.endswith(".png")
    # The server kept what the form said.
    job = live_server.job(job_id)
    assert job["params"]["size"] == "256x256" and job["params"]["steps"] == 12
    assert job["params"]["count"] == 1


def test_generate_disables_and_shows_a_spinner(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_home(new_page, live_server)
    held: list[Route] = []
    page.route("**/api/jobs", lambda route: held.append(route))
    page.get_by_label("Prompt").fill("a paper crane on a desk")
    generate = page.locator("#generate")
    generate.click()
    expect(generate).to_be_disabled()
    expect(generate).to_have_attribute("aria-busy", "true")
    expect(generate).to_have_text("Generating…")
    expect(generate.locator(".spinner")).to_be_visible()
    screenshot(page, "home-submitting-dark")
    assert held
    held[0].continue_()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    job_id = page.url.rsplit("/", 1)[1]
    live_server.wait_for(job_id, "completed")


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_axe_home(new_page: PageFactory, live_server: LiveServer, scheme: str) -> None:
    page = open_home(new_page, live_server, scheme=scheme)
    page.get_by_label("Prompt").fill("a red fox")
    assert run_axe(page) == []
    if scheme == "light":
        screenshot(page, "home-light")


# -- the saved defaults (Settings) ------------------------------------------------------------

DEFAULT_PREFERENCES = {"configuration": None, "provider": None, "count": 1}


@pytest.fixture
def saved_defaults(live_server: LiveServer) -> Iterator[Callable[..., None]]:
    """Save defaults on the server (as the Settings page does); put them back afterwards."""

    def save(**defaults: object) -> None:
        response = live_server.api.put(
            "/api/preferences/defaults", json={**DEFAULT_PREFERENCES, **defaults}
        )
        assert response.status_code == 200, response.text

    yield save
    save()


def create_config(server: LiveServer, name: str, **settings: object) -> None:
    response = server.api.post("/api/configurations", json={"name": name, "settings": settings})
    assert response.status_code == 201, response.text


def test_the_page_opens_with_the_saved_defaults(
    new_page: PageFactory, live_server: LiveServer, saved_defaults: Callable[..., None]
) -> None:
    create_config(live_server, "House style", size="512x512", steps=7, style="pastel")
    saved_defaults(configuration="House style", provider="procedural", count=3)
    page = open_home(new_page, live_server)
    notice = page.locator("#configuration-notice")
    expect(notice).to_contain_text("Using configuration “House style”, version 1.")
    # The configuration has no count: the saved one fills the field, and the summary does not
    # claim it as the configuration's.
    expect(page.locator("#configuration-notice-summary")).not_to_contain_text("image")
    expect(page.locator("#configuration-notice-default")).to_be_visible()
    expect(page.locator("#configuration-notice-default")).to_have_text(
        "It is your default configuration (Settings)."
    )
    expect(page.locator("#size")).to_have_value("512x512")
    expect(page.locator("#steps")).to_have_value("7")
    expect(page.locator("#style")).to_have_value("pastel")
    expect(page.get_by_label("Images", exact=True)).to_have_value("3")
    expect(page.locator("#defaults-notice")).to_be_hidden()
    screenshot(page, "home-defaults-dark")
    page.get_by_label("Prompt").fill("a greenhouse in winter")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    job = live_server.job(page.url.rsplit("/", 1)[1])
    assert job["configuration"]["name"] == "House style"
    assert job["params"]["count"] == 3 and job["params"]["steps"] == 7
    live_server.wait_for(job["id"], "completed")

    # "Don't use a configuration" (this visit only): its options go, the defaults stay.
    page = open_home(new_page, live_server)
    page.get_by_role("button", name="Don’t use a configuration").click()
    expect(notice).to_be_hidden()
    expect(page.locator("#steps")).to_have_value("20")
    expect(page.get_by_label("Images", exact=True)).to_have_value("3")


def test_the_address_wins_over_the_defaults(
    new_page: PageFactory, live_server: LiveServer, saved_defaults: Callable[..., None]
) -> None:
    create_config(live_server, "Default one", steps=6)
    create_config(live_server, "Linked one", steps=11, count=2)
    saved_defaults(configuration="Default one", count=4)
    # "Edit prompt & restart": its options, no default configuration; the count default stays.
    page = open_home(new_page, live_server, "?prompt=a%20kite&size=256x256&steps=13")
    expect(page.locator("#steps")).to_have_value("13")
    expect(page.locator("#configuration-notice")).to_be_hidden()
    expect(page.get_by_label("Images", exact=True)).to_have_value("4")
    # A configuration link: that configuration, and its own count.
    page = open_home(new_page, live_server, "?configuration=Linked%20one")
    expect(page.locator("#configuration-notice")).to_contain_text("“Linked one”")
    expect(page.locator("#configuration-notice-default")).to_be_hidden()
    expect(page.locator("#steps")).to_have_value("11")
    expect(page.get_by_label("Images", exact=True)).to_have_value("2")
    # The count typed here wins and is checked here.
    page.get_by_label("Prompt").fill("a kite over the dunes")
    page.get_by_label("Images", exact=True).fill("17")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#count-error")).to_have_text("Images must be a whole number from 1 to 16.")
    expect(page.get_by_label("Images", exact=True)).to_be_focused()


def test_defaults_that_no_longer_apply_are_skipped_with_a_hint(
    new_page: PageFactory, live_server: LiveServer, saved_defaults: Callable[..., None]
) -> None:
    create_config(live_server, "Soon gone", steps=9)
    saved_defaults(configuration="Soon gone", provider="openai", count=2)
    assert live_server.api.delete("/api/configurations/by-name/Soon%20gone").status_code == 204
    page = open_home(new_page, live_server, scheme="light")
    hint = page.locator("#defaults-notice")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Your default configuration “Soon gone” no longer exists")
    expect(hint).to_contain_text("Your default provider OpenAI Images (gpt-image-1) is unavailable")
    expect(hint.get_by_role("link", name="Change your defaults")).to_have_attribute(
        "href", "/settings"
    )
    expect(page.locator("#configuration-notice")).to_be_hidden()
    # The form works: the provider that can run it, its own defaults, the saved count.
    expect(page.locator("#provider")).to_have_value("procedural")
    expect(page.locator("#steps")).to_have_value("20")
    expect(page.get_by_label("Images", exact=True)).to_have_value("2")
    assert run_axe(page) == []
    screenshot(page, "home-defaults-skipped-light")
    page.get_by_label("Prompt").fill("a lantern")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    job = live_server.job(page.url.rsplit("/", 1)[1])
    assert job["configuration"] is None and job["provider"] == "procedural"
    assert job["params"]["count"] == 2
    live_server.wait_for(job["id"], "completed")


def test_link_values_the_form_cannot_use_are_named(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = open_home(
        new_page,
        live_server,
        "?prompt=hello&size=999x1&steps=0&style=bogus&provider=nope&count=99",
        scheme="light",
    )
    note = page.locator("#link-notice")
    expect(note).to_be_visible()
    expect(note).to_have_text(
        "The link’s provider “nope”, size “999x1” and style “bogus” could not be used; "
        "the job will use the options below."
    )
    expect(note).to_have_class(re.compile(r"tone-warning"))
    # Steps and count are kept as given, and checked on submit.
    expect(page.locator("#steps")).to_have_value("0")
    expect(page.get_by_label("Images", exact=True)).to_have_value("99")
    assert run_axe(page) == []
    screenshot(page, "home-link-ignored-light")

    # A provider that cannot run jobs is named too, and not chosen.
    page = open_home(new_page, live_server, "?prompt=hi&provider=openai&size=512x512")
    note = page.locator("#link-notice")
    expect(note).to_have_text(
        "The link’s provider “openai” could not be used; the job will use the options below."
    )
    expect(page.locator("#provider")).to_have_value("procedural")
    expect(page.locator("#size")).to_have_value("512x512")
    page.get_by_role("button", name="Clear").click()
    expect(note).to_be_hidden()

    # Values the form can use: no note.
    page = open_home(new_page, live_server, "?prompt=hi&size=512x512&style=noir")
    expect(page.locator("#size")).to_have_value("512x512")
    expect(page.locator("#style")).to_have_value("noir")
    expect(page.locator("#link-notice")).to_be_hidden()
    page = open_home(new_page, live_server, "?prompt=hi&style=none")
    expect(page.locator("#link-notice")).to_be_hidden()
