"""The Single Job View gallery in the browser: regenerate a failed image (busy button and
placeholder while the job runs again, the new image when it is done, the server's refusal
when there is one) and Export Selected as ONE ZIP download — in both themes, with axe."""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.helpers import LiveServer, PageFactory, run_axe, screenshot
from tests.e2e.test_jobs_page import open_jobs, row

pytestmark = pytest.mark.e2e


def job_with_a_rejected_image(server: LiveServer, prompt: str, **body: Any) -> dict[str, Any]:
    """A completed job of three images whose second one a reviewer rejected."""
    job = server.create_job(prompt, count=3, size="256x256", **body)
    job = server.wait_for(job["id"], "completed", timeout=60)
    image = server.api.get(f"/api/jobs/{job['id']}/images").json()[1]
    reviewed = server.api.post(
        f"/api/images/{image['id']}/qc", json={"status": "failed", "reason": "Horizon tilted"}
    )
    assert reviewed.status_code == 200
    reviewed_job: dict[str, Any] = server.job(job["id"])
    return reviewed_job


def open_modal(page: Page, job_id: str) -> None:
    row(page, job_id).locator(".job-id").click()
    expect(page.locator("#job-modal")).to_be_visible()
    expect(page.locator("#gallery-grid .gallery__item[data-id]")).to_have_count(3)


def assert_no_violations(page: Page, where: str) -> None:
    violations = run_axe(page)
    assert not violations, f"{where}: {violations}"


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_regenerate_a_failed_image_from_the_gallery(
    new_page: PageFactory, live_server: LiveServer, scheme: str
) -> None:
    # The new image gets a random seed, and the procedural renderer draws the same prompt
    # alike: about 1 seed in 40 lands within the default near-duplicate distance (6 bits)
    # of an earlier image. Flag identical hashes only, so the new image passes for sure.
    config = f"identical only {scheme} {uuid.uuid4().hex[:6]}"
    created = live_server.api.post(
        "/api/configurations", json={"name": config, "settings": {"qc": {"max_hash_distance": 0}}}
    )
    assert created.status_code == 201, created.text
    # Slow enough (12 steps x 0.12 s) to see the regeneration running.
    job = job_with_a_rejected_image(
        live_server,
        f"a windmill in a tulip field ({scheme})",
        steps=12,
        faults={"step_delay": 0.12},
        configuration=config,
    )
    page = open_jobs(new_page, live_server, scheme=scheme, reduced_motion="reduce")
    open_modal(page, job["id"])
    grid = page.locator("#gallery-grid")
    info = page.locator("#modal-info")
    expect(info).to_contain_text("3 generated, 2 passed, 1 failed")

    # Only the failed image offers Regenerate.
    expect(page.get_by_role("button", name=re.compile(r"^Regenerate image"))).to_have_count(1)
    button = page.get_by_role("button", name="Regenerate image 2")
    button.focus()
    page.keyboard.press("Enter")

    busy = page.get_by_role("button", name="Regenerating image 2")
    expect(busy).to_have_attribute("aria-busy", "true")
    expect(busy).to_be_focused()
    placeholder = grid.locator('[data-role="regenerating"]')
    expect(placeholder).to_be_visible()
    expect(placeholder).to_contain_text("New image for #2")
    expect(page.locator("#gallery-status")).to_contain_text("Regenerating image 2 with seed")
    expect(info.locator(".pill")).to_have_text(re.compile("Queued|Running|Uploading"))
    assert_no_violations(page, "regenerating")
    screenshot(page, f"jobs-gallery-regenerating-{scheme}")

    # Done: the new image is the job's fourth, the failed one stays and says so.
    tiles = grid.locator(".gallery__item[data-id]")
    expect(tiles).to_have_count(4, timeout=30_000)
    expect(placeholder).to_have_count(0)
    expect(info).to_contain_text("4 generated, 3 passed, 1 failed")
    expect(info.locator(".pill")).to_have_text("Completed")
    expect(tiles.nth(1)).to_contain_text("Replaced by #4")
    expect(tiles.nth(3)).to_contain_text("Regenerated from #2")
    expect(tiles.nth(3).locator(".qc-badge")).to_have_text(re.compile("Passed"))
    expect(page.locator("#gallery-status")).to_have_text(
        "Image 2 regenerated as image 4: passed its checks."
    )
    # Image 2 is replaced: its replacement is what can be regenerated now, not it again.
    expect(page.get_by_role("button", name="Regenerate image 2")).to_have_count(0)
    expect(page.get_by_role("button", name="Approve image 2")).to_be_focused()
    expect(page.locator("#modal-log-body")).to_contain_text("Regenerating image 2 with seed")
    expect(page.locator("#modal-log-body")).to_contain_text("Image 2 regenerated as image 4")
    images = live_server.api.get(f"/api/jobs/{job['id']}/images").json()
    assert [i["index"] for i in images] == [0, 1, 2, 3]
    assert live_server.job(job["id"])["image_count"] == 4
    expect(tiles.nth(3)).to_have_attribute("data-id", images[3]["id"])
    assert_no_violations(page, "regenerated")
    page.locator("#modal-body").evaluate(
        "b => { b.scrollTop = document.querySelector('#gallery-grid').offsetTop - 80; }"
    )
    screenshot(page, f"jobs-gallery-regenerated-{scheme}")


def test_a_refused_regeneration_shows_the_servers_message(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = job_with_a_rejected_image(live_server, "a lighthouse in fog", steps=1)
    page = open_jobs(new_page, live_server)
    open_modal(page, job["id"])
    expect(page.get_by_role("button", name="Regenerate image 2")).to_be_visible()
    image = live_server.api.get(f"/api/jobs/{job['id']}/images").json()[1]

    def approved_elsewhere_first(route: Route) -> None:
        # Someone approves the image just before the click's request arrives: the server
        # refuses it (an approval seen earlier would already have removed the button).
        live_server.api.post(f"/api/images/{image['id']}/qc", json={"status": "passed"})
        route.continue_()

    page.route("**/api/images/*/regenerate", approved_elsewhere_first)
    page.get_by_role("button", name="Regenerate image 2").click()
    message = "Could not regenerate: Image 2 has QC status passed; only a failed image"
    expect(page.locator("#toasts")).to_contain_text(message)
    # The approval then arrives live: the image passes and offers no Regenerate.
    expect(page.get_by_role("button", name="Regenerate image 2")).to_have_count(0)
    assert live_server.job(job["id"])["status"] == "completed"
    assert live_server.api.get(f"/api/jobs/{job['id']}/regenerations").json() == []


def test_export_selected_downloads_one_zip(
    new_page: PageFactory, live_server: LiveServer, tmp_path: Path
) -> None:
    job = job_with_a_rejected_image(live_server, "a row of beach huts", steps=1)
    images = live_server.api.get(f"/api/jobs/{job['id']}/images").json()
    page = open_jobs(new_page, live_server, scheme="light")
    open_modal(page, job["id"])
    page.get_by_label("Select image 1").check()
    page.get_by_label("Select image 3").check()
    export = page.get_by_role("button", name="Export selected (2)")
    downloads: list[str] = []
    page.on("download", lambda d: downloads.append(d.suggested_filename))
    with page.expect_download() as download:
        export.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert re.fullmatch(r"images-\d{8}-\d{6}\.zip", saved.name)
    with zipfile.ZipFile(saved) as archive:
        names = sorted(archive.namelist())
        manifest = list(
            csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig")))
        )
        first = archive.read(f"images/{job['id']}/1.png")
    assert names == sorted(
        [f"images/{job['id']}/1.png", f"images/{job['id']}/3.png", "manifest.csv"]
    )
    assert [r["image_id"] for r in manifest] == [images[0]["id"], images[2]["id"]]
    assert first == live_server.api.get(images[0]["url"]).content
    expect(page.locator("#gallery-status")).to_have_text("ZIP of 2 images downloaded.")
    expect(export).to_be_enabled()
    expect(export).to_have_attribute("aria-busy", "false")
    page.wait_for_timeout(500)
    assert downloads == [saved.name], "one download, not one per image"
    screenshot(page, "jobs-gallery-export-light")


def test_a_finished_job_without_images_says_none_were_generated(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    failed = live_server.create_job(f"refused {uuid.uuid4().hex[:6]}", faults={"reject": True})
    live_server.wait_for(failed["id"], "failed")
    page = open_jobs(new_page, live_server)
    row(page, failed["id"]).locator(".job-id").click()
    expect(page.locator("#job-modal")).to_be_visible()
    note = page.locator("#gallery-grid .gallery__note")
    expect(note).to_have_text("No images were generated: the job failed before its first image.")
    expect(note).not_to_contain_text("yet")
    screenshot(page, "jobs-modal-gallery-none-generated-dark")


def test_a_job_deleted_elsewhere_leaves_only_the_notice(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = live_server.create_job(f"deleted elsewhere {uuid.uuid4().hex[:6]}", steps=2)
    live_server.wait_for(job["id"], "completed")
    page = open_jobs(new_page, live_server, scheme="light")
    row(page, job["id"]).locator(".job-id").click()
    expect(page.locator("#gallery-grid .gallery__item[data-id]")).to_have_count(1)
    page.get_by_label("Select image 1").check()
    expect(page.locator("#gallery-export")).to_be_enabled()
    page.locator("#modal-delete").focus()
    deleted = live_server.api.post("/api/jobs/bulk/delete", json={"ids": [job["id"]]})
    assert deleted.status_code == 200, deleted.text
    expect(page.locator("#modal-error")).to_contain_text("This job was deleted.", timeout=15_000)
    for button in ("#modal-export", "#modal-rerun", "#modal-delete"):
        expect(page.locator(button)).to_be_disabled()
    expect(page.locator("#modal-details")).to_be_hidden()
    expect(page.locator("#modal-body .job-modal__section").first).to_be_hidden()
    # The focused Delete is disabled now: the notice takes the focus, not the page's body.
    expect(page.locator("#modal-error")).to_be_focused()
    expect(page.locator("#gallery-export")).to_be_disabled()
    expect(page.locator("#gallery-export")).to_have_text("Export selected")
    assert_no_violations(page, "deleted job view")


def blob_of(server: LiveServer, image: dict[str, Any]) -> Path:
    """The file in the data folder that holds an image."""
    data = server.api.get(image["url"]).content
    [path] = [p for p in (server.data_dir / "blobs").rglob("*.png") if p.read_bytes() == data]
    return path


def test_tiles_have_short_alt_texts(new_page: PageFactory, live_server: LiveServer) -> None:
    prompt = "a very long prompt about a harbour at dawn, " * 10
    job = job_with_a_rejected_image(live_server, prompt, steps=1)
    page = open_jobs(new_page, live_server)
    open_modal(page, job["id"])
    alts = page.locator("#gallery-grid img.gallery__img").evaluate_all("i => i.map(x => x.alt)")
    assert alts == [
        "Image 1 of 3, passed quality checks",
        "Image 2 of 3, failed quality checks",
        "Image 3 of 3, passed quality checks",
    ]


def test_export_says_when_files_are_missing(new_page: PageFactory, live_server: LiveServer) -> None:
    job = job_with_a_rejected_image(live_server, f"a lost file {uuid.uuid4().hex[:6]}", steps=1)
    images = live_server.api.get(f"/api/jobs/{job['id']}/images").json()
    blob_of(live_server, images[0]).unlink()
    page = open_jobs(new_page, live_server, scheme="light")
    open_modal(page, job["id"])
    page.get_by_label("Select image 1").check()
    export = page.get_by_role("button", name="Export selected (1)")
    export.focus()
    with page.expect_download():
        page.keyboard.press("Enter")
    status = page.locator("#gallery-status")
    expect(status).to_have_text(
        "No image was exported: its file is missing from the data folder "
        "(manifest.csv in the ZIP says so)."
    )
    # Busy, the button kept the keyboard's place; done, it still has it.
    expect(export).to_be_focused()
    page.get_by_label("Select image 2").check()
    page.get_by_role("button", name="Export selected (2)").focus()
    with page.expect_download():
        page.keyboard.press("Enter")
    expect(status).to_have_text(
        "ZIP of 1 image downloaded. 1 image could not be exported (file missing or image "
        "deleted); manifest.csv in the ZIP lists it."
    )
    expect(page.get_by_role("button", name="Export selected (2)")).to_be_focused()


def test_try_again_after_a_failed_load(new_page: PageFactory, live_server: LiveServer) -> None:
    job = job_with_a_rejected_image(live_server, f"a flaky load {uuid.uuid4().hex[:6]}", steps=1)
    page = open_jobs(new_page, live_server, scheme="light")
    pattern = f"**/api/jobs/{job['id']}"
    page.route(pattern, lambda route: route.fulfill(status=500, body="{}"))
    row(page, job["id"]).locator(".job-id").click()
    error = page.locator("#modal-error")
    expect(error).to_contain_text("This job could not be loaded.")
    # Nothing to act on: no filter, sort, selection or job action; no "No events yet."
    for control in ("#gallery-qc", "#gallery-sort", "#gallery-select-all", "#gallery-export"):
        expect(page.locator(control)).to_be_disabled()
    for button in ("#modal-export", "#modal-rerun", "#modal-delete"):
        expect(page.locator(button)).to_be_disabled()
    expect(page.locator("#modal-log-summary")).not_to_contain_text("No events yet")
    expect(page.locator("#modal-log-body")).to_contain_text("The timeline is not available")
    screenshot(page, "jobs-modal-load-error-light")

    page.unroute(pattern)
    page.get_by_role("button", name="Try again").click()
    expect(page.locator("#gallery-grid .gallery__item[data-id]")).to_have_count(3)
    expect(error).to_be_hidden()
    for control in ("#gallery-qc", "#gallery-sort", "#modal-export", "#modal-delete"):
        expect(page.locator(control)).to_be_enabled()
    assert page.evaluate("document.activeElement.id") == "modal-close"


def test_the_images_can_be_loaded_again(new_page: PageFactory, live_server: LiveServer) -> None:
    job = job_with_a_rejected_image(live_server, f"flaky images {uuid.uuid4().hex[:6]}", steps=1)
    page = open_jobs(new_page, live_server)
    pattern = f"**/api/jobs/{job['id']}/images*"
    page.route(pattern, lambda route: route.abort())
    row(page, job["id"]).locator(".job-id").click()
    note = page.locator("#gallery-grid .gallery__note")
    expect(note).to_contain_text("The images could not be loaded.")
    page.unroute(pattern)
    retry = note.get_by_role("button", name="Try again")
    retry.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#gallery-grid .gallery__item[data-id]")).to_have_count(3)
    expect(page.get_by_label("Select image 1")).to_be_focused()


def test_reject_with_a_reason(new_page: PageFactory, live_server: LiveServer) -> None:
    job = job_with_a_rejected_image(live_server, f"a reasoned no {uuid.uuid4().hex[:6]}", steps=1)
    images = live_server.api.get(f"/api/jobs/{job['id']}/images").json()
    page = open_jobs(new_page, live_server, scheme="dark")
    open_modal(page, job["id"])

    page.get_by_role("button", name="Reject image 1", exact=True).click()
    reason = page.get_by_label("Reason for rejecting image 1 (optional)")
    expect(reason).to_be_focused()
    screenshot(page, "jobs-gallery-reject-reason-dark")
    reason.fill("Too dark")
    page.keyboard.press("Enter")
    expect(reason).to_have_count(0)
    tile = page.locator(f'#gallery-grid .gallery__item[data-id="{images[0]["id"]}"]')
    expect(tile).to_have_attribute("data-qc", "failed")
    expect(tile.locator(".gallery__reason")).to_have_text("Too dark")
    expect(page.get_by_role("button", name="Reject image 1", exact=True)).to_be_focused()
    saved = live_server.api.get(f"/api/jobs/{job['id']}/images").json()[0]
    assert (saved["qc_status"], saved["qc_reason"]) == ("failed", "Too dark")

    # Escape cancels the reason, not the whole view; nothing is saved.
    page.get_by_role("button", name="Reject image 3", exact=True).click()
    page.get_by_label("Reason for rejecting image 3 (optional)").fill("never mind")
    page.keyboard.press("Escape")
    expect(page.locator("#job-modal")).to_be_visible()
    expect(page.get_by_label("Reason for rejecting image 3 (optional)")).to_have_count(0)
    expect(page.get_by_role("button", name="Reject image 3", exact=True)).to_be_focused()
    assert live_server.api.get(f"/api/jobs/{job['id']}/images").json()[2]["qc_status"] == "passed"

    # No answer at all: a readable message, not "Failed to fetch".
    page.route("**/api/images/*/qc", lambda route: route.abort())
    page.get_by_role("button", name="Approve image 3").click()
    expect(page.locator("#gallery-status")).to_have_text(
        "The verdict was not saved: the server did not answer. "
        "Check that it is running and try again."
    )


def test_approving_under_the_failed_filter_keeps_the_focus(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    job = job_with_a_rejected_image(live_server, f"filtered {uuid.uuid4().hex[:6]}", steps=1)
    page = open_jobs(new_page, live_server)
    open_modal(page, job["id"])
    page.locator("#gallery-qc").select_option("failed")
    expect(page.locator("#gallery-grid .gallery__item[data-id]")).to_have_count(1)
    page.get_by_role("button", name="Approve image 2").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#gallery-grid .gallery__note")).to_have_text(
        "No images with this QC status."
    )
    expect(page.locator("#gallery-qc")).to_be_focused()


def test_delete_in_the_view_focuses_the_next_row(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    tag = uuid.uuid4().hex[:6]
    jobs = [live_server.create_job(f"to delete {tag} {n}", steps=1) for n in range(3)]
    for job in jobs:
        live_server.wait_for(job["id"], "completed")
    page = open_jobs(new_page, live_server, query=f"?q={tag}")
    expect(page.locator("#jobs-body tr.jrow[data-id]")).to_have_count(3)
    ids = page.locator("#jobs-body tr.jrow[data-id]").evaluate_all(
        "rs => rs.map(r => r.dataset.id)"
    )
    row(page, ids[1]).locator(".job-id").click()
    expect(page.locator("#job-modal")).to_be_visible()
    page.locator("#modal-delete").click()
    page.get_by_role("button", name="Delete 1 job").click()
    expect(page.locator("#job-modal")).to_be_hidden()
    expect(row(page, ids[1])).to_have_count(0)
    expect(row(page, ids[2])).to_be_focused()
