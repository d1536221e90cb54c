"""Generation Progress (`/jobs/{id}`) and the images' quality checks: each thumbnail's QC
badge, the selected image's verdict and reason, a completed banner that counts the failed
images, and a regeneration that keeps the images and the selection while the job runs
again — in both themes, at desktop and phone widths."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import LiveServer, PageFactory, expect_status, run_axe, screenshot

pytestmark = pytest.mark.e2e


def strict_configuration(server: LiveServer) -> str:
    """A configuration whose blur check no image can pass."""
    name = f"strict blur {uuid.uuid4().hex[:6]}"
    created = server.api.post(
        "/api/configurations",
        json={"name": name, "settings": {"qc": {"checks": ["blur"], "min_detail": 1000}}},
    )
    assert created.status_code == 201, created.text
    return name


def open_page(new_page: PageFactory, server: LiveServer, job_id: str, **kw: Any) -> Page:
    page = new_page(reduced_motion="reduce", **kw)
    page.goto(f"{server.url}/jobs/{job_id}")
    expect(page.locator("#main")).to_have_attribute("data-view", "ready")
    return page


@pytest.mark.parametrize(("scheme", "width"), [("light", 1280), ("dark", 390)])
def test_each_image_shows_its_quality_check_and_the_banner_counts_failures(
    new_page: PageFactory, live_server: LiveServer, scheme: str, width: int
) -> None:
    config = strict_configuration(live_server)
    job = live_server.create_job(
        f"a field of sunflowers ({scheme})", count=3, size="256x256", configuration=config
    )
    live_server.wait_for(job["id"], "completed", timeout=60)
    images = live_server.api.get(f"/api/jobs/{job['id']}/images").json()
    assert [i["qc_status"] for i in images] == ["failed"] * 3

    page = open_page(new_page, live_server, job["id"], scheme=scheme, width=width)
    expect_status(page, "completed")
    banner = page.locator("#job-banner")
    expect(banner).to_contain_text("3 images ready · 3 failed quality checks.")
    thumbs = page.locator("#thumbs button")
    expect(thumbs).to_have_count(3)
    badges = page.locator("#thumbs .qc-badge")
    expect(badges).to_have_text(["Failed", "Failed", "Failed"])
    expect(thumbs.nth(0)).to_have_accessible_name("Show image 1")
    expect(thumbs.nth(0)).to_have_accessible_description("Failed")
    verdict = page.locator("#result-qc")
    expect(verdict).to_contain_text("Image 1 failed quality checks: Image is blurry")
    assert not run_axe(page)
    screenshot(page, f"progress-qc-failed-{scheme}-{width}", full_page=True)

    # The selected image's verdict follows the selection.
    thumbs.nth(1).click()
    expect(verdict).to_contain_text("Image 2 failed quality checks")

    # A reviewer approves image 2 in another tab: badge, verdict and banner follow.
    reviewed = live_server.api.post(f"/api/images/{images[1]['id']}/qc", json={"status": "passed"})
    assert reviewed.status_code == 200, reviewed.text
    expect(badges.nth(1)).to_have_text("Passed")
    expect(page.locator("#thumbs .thumbs__item").nth(1)).to_have_attribute("data-qc", "passed")
    expect(verdict).to_have_text("PassedImage 2 passed quality checks. Reviewed by hand.")
    expect(banner).to_contain_text("3 images ready · 2 failed quality checks.")
    expect(thumbs.nth(1)).to_have_attribute("aria-pressed", "true")


@pytest.mark.parametrize(("scheme", "width"), [("dark", 1280), ("light", 390)])
def test_regenerating_an_image_keeps_the_images_and_the_selection(
    new_page: PageFactory, live_server: LiveServer, scheme: str, width: int
) -> None:
    # Slow enough (30 steps x 0.12 s) to look at the page while the regeneration runs.
    job = live_server.create_job(
        f"a windmill by a canal ({scheme})",
        count=4,
        size="256x256",
        steps=30,
        faults={"step_delay": 0.12},
    )
    live_server.wait_for(job["id"], "completed", timeout=60)
    images = live_server.api.get(f"/api/jobs/{job['id']}/images").json()
    rejected = live_server.api.post(
        f"/api/images/{images[1]['id']}/qc", json={"status": "failed", "reason": "Horizon tilted"}
    )
    assert rejected.status_code == 200, rejected.text

    page = open_page(new_page, live_server, job["id"], scheme=scheme, width=width)
    expect_status(page, "completed")
    thumbs = page.locator("#thumbs button")
    expect(thumbs).to_have_count(4)
    thumbs.nth(3).click()
    expect(thumbs.nth(3)).to_have_attribute("aria-pressed", "true")
    download = page.locator("#download")
    expect(download).to_have_attribute("href", images[3]["url"])

    # Image 2 is regenerated from another tab (the API): the job runs again.
    queued = live_server.api.post(f"/api/images/{images[1]['id']}/regenerate", json={"seed": 4242})
    assert queued.status_code == 202, queued.text
    expect(page.locator("#main")).to_have_attribute(
        "data-status", re.compile("queued|running|uploading")
    )
    placeholder = page.locator('#thumbs [data-role="regenerating"]')
    expect(placeholder).to_contain_text("New image for #2")
    expect(page.locator("#results")).to_be_visible()
    expect(thumbs).to_have_count(4)
    expect(thumbs.nth(3)).to_have_attribute("aria-pressed", "true")
    expect(download).to_have_attribute("href", images[3]["url"])
    expect(page.locator("#preview-stage img.preview__layer").last).to_have_attribute(
        "src", images[3]["url"]
    )
    assert live_server.job(job["id"])["status"] != "completed", "too fast to look at"
    screenshot(page, f"progress-qc-regenerating-{scheme}-{width}", full_page=True)

    # Done: the new image joins the others; image 4 stays selected; image 2 is replaced.
    expect_status(page, "completed", timeout=30_000)
    expect(thumbs).to_have_count(5)
    expect(placeholder).to_have_count(0)
    expect(thumbs.nth(3)).to_have_attribute("aria-pressed", "true")
    expect(download).to_have_attribute("href", images[3]["url"])
    items = page.locator("#thumbs .thumbs__item")
    expect(items.nth(1).locator(".qc-badge")).to_have_text("Replaced")
    # Four images count: the replaced one is not ready any more.
    expect(page.locator("#job-banner")).to_contain_text("4 images ready · 1 replaced.")
    thumbs.nth(1).click()
    expect(page.locator("#result-qc")).to_contain_text(
        "Image 2 failed quality checks: Horizon tilted. Reviewed by hand. Replaced by #5."
    )
    thumbs.nth(4).click()
    expect(page.locator("#result-qc")).to_contain_text("Regenerated from #2.")
    assert not run_axe(page)
    screenshot(page, f"progress-qc-regenerated-{scheme}-{width}", full_page=True)
