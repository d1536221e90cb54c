"""``genfactory jobs export`` against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from tests.integration.management_support import submit, tag, wait_status
from tests.support.server import ServerProcess


def cli() -> typer.Typer:
    """The real `genfactory jobs` group."""
    from genfactory.cli import jobs_app

    return jobs_app


def test_export_by_filter_and_by_id_to_a_path(server: ServerProcess, tmp_path: Path) -> None:
    word = tag()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        job = submit(http, f"{word} for the command line", count=2)
        wait_status(http, job["id"], {"completed"})
    runner = CliRunner()
    target = tmp_path / "out" / "jobs.xlsx"
    result = runner.invoke(
        cli(),
        ["export", "--server", server.url, "-q", word, "--status", "completed", "-o", str(target)],
    )
    assert result.exit_code == 0, result.output
    assert "1 job" in result.output
    with zipfile.ZipFile(target) as book:
        assert "xl/workbook.xml" in book.namelist()

    archive = tmp_path / "one.zip"
    result = runner.invoke(
        cli(), ["export", "--server", server.url, "--id", job["id"], "--images", "-o", str(archive)]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(archive) as z:
        assert f"images/{job['id']}/2.png" in z.namelist() and "jobs.xlsx" in z.namelist()

    unknown = "f" * 32
    result = runner.invoke(
        cli(),
        ["export", "--server", server.url, "--id", job["id"], "--id", unknown, "-o", str(target)],
    )
    assert result.exit_code == 0, result.output
    assert "1 job" in result.output and "1 id matched no job" in result.output

    # The 8-character ids `jobs list` shows work here too, as in the other job commands.
    short = tmp_path / "short.xlsx"
    in_auckland = ["--time-zone", "Pacific/Auckland"]
    result = runner.invoke(
        cli(),
        ["export", "--server", server.url, "--id", job["id"][:8], "-o", str(short), *in_auckland],
    )
    assert result.exit_code == 0, result.output
    assert "1 job" in result.output and "matched no job" not in result.output
    assert "Created (Pacific/Auckland)" in jobs_sheet(short)
    # Ids that match nothing export nothing: an error, and no empty file.
    nothing = tmp_path / "nothing.xlsx"
    result = runner.invoke(
        cli(), ["export", "--server", server.url, "--id", unknown, "-o", str(nothing)]
    )
    assert result.exit_code == 1 and "No job matched the given ids" in result.output
    assert not nothing.exists()


def test_export_is_on_this_machines_clock_by_default(
    server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        job = submit(http, f"{tag()} local clock")
        wait_status(http, job["id"], {"completed"})
    target = tmp_path / "local.xlsx"
    for zone in ("Europe/Paris", "America/Sao_Paulo"):
        monkeypatch.setenv("TZ", zone)
        result = CliRunner().invoke(
            cli(), ["export", "--server", server.url, "--id", job["id"], "-o", str(target)]
        )
        assert result.exit_code == 0, result.output
        assert f"Created ({zone})" in jobs_sheet(target)


def jobs_sheet(path: Path) -> str:
    """The Jobs sheet's XML (its strings are inline)."""
    with zipfile.ZipFile(path) as book:
        return book.read("xl/worksheets/sheet1.xml").decode()


def test_export_explains_bad_input_and_unreachable_servers(
    server: ServerProcess, tmp_path: Path
) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli(), ["export", "--server", server.url, "--status", "exploded"])
    assert bad.exit_code == 1 and "Unknown status" in bad.output
    zone = runner.invoke(cli(), ["export", "--server", server.url, "--time-zone", "Mars/Olympus"])
    assert zone.exit_code == 1 and "Unknown time zone 'Mars/Olympus'" in zone.output
    down = runner.invoke(
        cli(), ["export", "--server", "http://127.0.0.1:9", "-o", str(tmp_path / "x.xlsx")]
    )
    assert down.exit_code == 3 and "Cannot reach" in down.output


def test_export_follows_the_include_images_preference_unless_a_flag_says(
    server: ServerProcess, tmp_path: Path
) -> None:
    runner = CliRunner()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        job = submit(http, f"{tag()} preferred images", count=2)
        wait_status(http, job["id"], {"completed"})
        saved = http.put("/api/preferences/exports", json={"include_images": True, "folder": None})
        assert saved.status_code == 200, saved.text
        try:
            # No flag: the server's preference (images) decides; the name follows it.
            result = runner.invoke(
                cli(),
                [
                    "export",
                    "--server",
                    server.url,
                    "--id",
                    job["id"],
                    "-o",
                    str(tmp_path / "a.xlsx"),
                ],
            )
            assert result.exit_code == 0, result.output
            assert "export preference" in result.output
            assert not (tmp_path / "a.xlsx").exists()
            with zipfile.ZipFile(tmp_path / "a.zip") as z:
                assert f"images/{job['id']}/2.png" in z.namelist()

            # --no-images wins over the preference.
            book = tmp_path / "b.xlsx"
            result = runner.invoke(
                cli(),
                [
                    "export",
                    "--server",
                    server.url,
                    "--id",
                    job["id"],
                    "--no-images",
                    "-o",
                    str(book),
                ],
            )
            assert result.exit_code == 0, result.output
            with zipfile.ZipFile(book) as z:
                assert "xl/workbook.xml" in z.namelist()

            # --images asked for a ZIP: the note names the flag, not the preference.
            zipped = str(tmp_path / "c.xlsx")
            result = runner.invoke(
                cli(),
                ["export", "--server", server.url, "--id", job["id"], "--images", "-o", zipped],
            )
            assert result.exit_code == 0, result.output
            assert "ZIP file (--images)" in result.output
            assert "preference" not in result.output
        finally:
            # The server is shared: other tests expect plain Excel exports by default.
            http.put("/api/preferences/exports", json={"include_images": False, "folder": None})
