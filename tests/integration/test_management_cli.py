"""``genfactory jobs export`` against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner, Result

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
    target.parent.mkdir()  # a missing folder is refused, not made (test_cli_scripting.py)
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
    assert bad.exit_code == 2 and "--status: Unknown status" in bad.output  # a usage error
    zone = runner.invoke(cli(), ["export", "--server", server.url, "--time-zone", "Mars/Olympus"])
    assert zone.exit_code == 2 and "--time-zone: Unknown time zone 'Mars/Olympus'" in zone.output
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


def test_a_configuration_no_job_has_is_named_and_nothing_is_exported(
    server: ServerProcess, tmp_path: Path
) -> None:
    """A --configuration no job has is almost always a typo (names are case-sensitive): the
    command names it, suggests the name jobs have, and writes no empty workbook."""
    word = tag()
    name = f"Export {word}"
    runner = CliRunner()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        created = http.post(
            "/api/configurations", json={"name": name, "settings": {"provider": "procedural"}}
        )
        assert created.status_code == 201, created.text
        job = submit(http, f"{word} from a configuration", configuration=name)
        wait_status(http, job["id"], {"completed"})

    def export(*args: str) -> tuple[Result, Path]:
        target = tmp_path / f"{uuid.uuid4().hex}.xlsx"
        result = runner.invoke(cli(), ["export", "--server", server.url, *args, "-o", str(target)])
        return result, target

    typo, target = export("--configuration", name.lower())
    assert typo.exit_code == 1, typo.output
    assert f"No job has the configuration {name.lower()!r}; did you mean {name!r}?" in one_line(
        typo.stderr
    )
    assert "Nothing was exported" in typo.stderr and not target.exists()

    unknown, target = export("--configuration", f"{word} nosuch")
    assert unknown.exit_code == 1 and f"No job has the configuration '{word} nosuch'" in (
        one_line(unknown.stderr)
    )
    assert "did you mean" not in unknown.stderr and not target.exists()

    # One name jobs have, one they do not: the export goes ahead, with a warning...
    mixed, target = export("--configuration", name, "--configuration", f"{word} nosuch")
    assert mixed.exit_code == 0, mixed.output
    assert mixed.stdout.startswith("1 job, 1 image row →") and target.exists()
    assert f"No job has the configuration '{word} nosuch'" in one_line(mixed.stderr)
    # ...unless it matched nothing: then the unknown name is the likely reason.
    nothing, target = export(
        "--configuration", name, "--configuration", f"{word} nosuch", "--status", "failed"
    )
    assert nothing.exit_code == 1 and "nothing was exported" in nothing.stderr
    assert not target.exists()

    # Names jobs have, but no job matches the rest of the filter: a valid, empty export.
    empty, target = export("--configuration", name, "--status", "failed")
    assert empty.exit_code == 0, empty.output
    assert empty.stdout.startswith("0 jobs, 0 image rows →") and target.exists()
    assert "No job matched the filter" in empty.stderr


def test_export_summary_reads_as_a_sentence(server: ServerProcess, tmp_path: Path) -> None:
    """No empty line left by the progress bar when piped, and counts agree with their noun."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        one = submit(http, f"{tag()} one image")
        two = submit(http, f"{tag()} two images", count=2)
        wait_status(http, one["id"], {"completed"})
        wait_status(http, two["id"], {"completed"})
    runner = CliRunner()
    result = runner.invoke(
        cli(), ["export", "--server", server.url, "--id", one["id"], "-o", str(tmp_path / "1.xlsx")]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1 job, 1 image row → "), repr(result.stdout)
    both = ["--id", one["id"], "--id", two["id"]]
    result = runner.invoke(
        cli(), ["export", "--server", server.url, *both, "-o", str(tmp_path / "3.xlsx")]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 jobs, 3 image rows → "), repr(result.stdout)


def one_line(text: str) -> str:
    """``text`` with the console's line wrapping undone."""
    return " ".join(text.split())
