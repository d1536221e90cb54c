"""``genfactory --help`` reads like any command's help."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from genfactory.cli import app


@pytest.mark.parametrize(
    "command",
    [[], ["generate"], ["jobs"], ["jobs", "show"], ["jobs", "export"], ["images", "regenerate"]],
)
def test_help_gives_no_value_type_to_flags(command: list[str]) -> None:
    """Typer's Rich help showed `--help <bool>` and `--follow --no-follow <bool>`."""
    shown = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
    assert shown.exit_code == 0, shown.output
    assert "<bool>" not in shown.output
    help_line = next(line for line in shown.output.splitlines() if "--help" in line)
    assert help_line.split() == ["--help", "Show", "this", "message", "and", "exit."]


def test_help_pairs_a_flag_with_its_negation() -> None:
    shown = CliRunner().invoke(app, ["generate", "--help"], env={"COLUMNS": "120"})
    assert "--follow / --no-follow  Show live progress." in shown.output


def test_the_root_takes_server_and_token() -> None:
    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "120"})
    assert "--server URL" in shown.output and "--token TOKEN" in shown.output


@pytest.mark.parametrize(
    ("command", "usage", "argument"),
    [
        (["generate"], "{PROMPT}", "What to draw"),
        (["jobs", "show"], "{JOB_ID}", "its first 6 or more characters"),
        (
            ["images", "regenerate"],
            "{IMAGE_ID}",
            "An image's id, or its first 6 or more characters.",
        ),
        (["images", "export"], "{IMAGE_ID}...", "Image ids (1 to 10,000)."),
    ],
)
def test_arguments_are_named_and_explained(command: list[str], usage: str, argument: str) -> None:
    """Typer's default usage line read `generate [OPTIONS] {prompt}` with no help for it."""
    shown = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
    first = shown.output.splitlines()[0]
    assert first.endswith(f"[OPTIONS] {usage}"), first
    assert argument in shown.output
