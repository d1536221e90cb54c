"""Reference docs generated from the code: ``python -m genfactory._docs`` rewrites them;
``tests/unit/test_docs.py`` fails when they drift."""

from __future__ import annotations

import enum
import inspect
import json
import sys
from pathlib import Path

from pydantic.fields import FieldInfo

from genfactory.domain.events import GLOBAL_TYPES, PAYLOADS
from genfactory.providers.secrets import ENVIRONMENT
from genfactory.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _type_name(field: FieldInfo) -> str:
    annotation = field.annotation
    name = getattr(annotation, "__name__", None) or str(annotation)
    return name.replace("typing.", "").replace("NoneType", "null").replace("|", "\\|")


def render_events() -> str:
    lines = [
        "# Event types",
        "",
        "Generated from `genfactory/domain/events.py` by `python -m genfactory._docs`.",
        "Every event travels in the envelope described in [streams.md](streams.md).",
        "",
    ]
    for event_type, model in PAYLOADS.items():
        scope = "job and global stream" if event_type in GLOBAL_TYPES else "job stream only"
        lines += [
            f"## `{event_type.value}` ({scope})",
            "",
            inspect.cleandoc(model.__doc__ or ""),
            "",
        ]
        lines += ["| field | type | required | meaning |", "| --- | --- | --- | --- |"]
        for name, field in model.model_fields.items():
            required = "yes" if field.is_required() else "no"
            lines.append(
                f"| `{name}` | {_type_name(field)} | {required} | {field.description or ''} |"
            )
        lines.append("")
    return "\n".join(lines)


def render_settings() -> str:
    lines = [
        "# Settings",
        "",
        "Generated from `genfactory/settings.py` by `python -m genfactory._docs`. Each is an",
        "environment variable; `genfactory serve` also takes the common ones as flags.",
        "",
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        lines.append(
            f"| `GENFACTORY_{name.upper()}` | {_default(name, field)} | {field.description or ''} |"
        )
    lines += [
        "",
        "## Provider secrets",
        "",
        "Read from the OS keyring when it has one (the Settings page stores them there), else",
        "from these environment variables, the first one set winning. Never stored in the",
        "database, logs, exports or job snapshots.",
        "",
        "| secret | environment variables |",
        "| --- | --- |",
    ]
    for secret, names in ENVIRONMENT.items():
        lines.append(f"| `{secret}` | {', '.join(f'`{n}`' for n in names)} |")
    lines += [
        "",
        "## The command line client",
        "",
        "The commands that call a server (`generate`, `jobs`, `images`) read",
        "`GENFACTORY_SERVER` (default `http://127.0.0.1:8000`) and `GENFACTORY_API_TOKEN` when",
        "`--server` / `--token` are not given. The server's own `GENFACTORY_PORT` does not",
        "change where the client looks.",
    ]
    return "\n".join(lines) + "\n"


def _default(name: str, field: FieldInfo) -> str:
    """A default as a person would type it: ``production``, not ``<Mode.PRODUCTION: …>``."""
    if name == "data_dir":
        return "`~/.local/share/genfactory` (Linux; the platform's user data folder)"
    value = field.get_default(call_default_factory=True, validated_data={})
    if value is None:
        return "—"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, (dict, list)):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def render_cli() -> str:
    import typer

    from genfactory.cli import app

    lines = [
        "# Command line",
        "",
        "Generated from `genfactory/cli.py` by `python -m genfactory._docs`.",
        "Each command's options: `genfactory COMMAND --help`.",
        "",
        "| command | what it does |",
        "| --- | --- |",
    ]

    def walk(group: typer.Typer, prefix: str) -> None:
        for command in group.registered_commands:
            callback = command.callback
            assert callback is not None
            name = command.name or callback.__name__.replace("_", "-")
            # The docstring's first paragraph, on one line (a table cell).
            summary = " ".join((callback.__doc__ or "").strip().split("\n\n")[0].split())
            lines.append(f"| `{prefix} {name}` | {summary} |")
        for sub in group.registered_groups:
            assert sub.typer_instance is not None
            walk(sub.typer_instance, f"{prefix} {sub.name}")

    walk(app, "genfactory")
    from genfactory.cli_common import EXIT_CODES

    lines += [
        "",
        "## Exit codes",
        "",
        "Errors go to standard error, results to standard output; neither is wrapped when",
        "it is not a terminal. `jobs list --json` and `jobs show --json` print the API's JSON.",
        "",
        "| code | meaning |",
        "| --- | --- |",
    ]
    lines += [f"| {code} | {meaning} |" for code, meaning in EXIT_CODES.items()]
    return "\n".join(lines) + "\n"


GENERATED = {
    "events.md": render_events,
    "settings.md": render_settings,
    "cli.md": render_cli,
}


def main() -> None:
    for name, render in GENERATED.items():
        (DOCS / name).write_text(render())
        print(f"wrote docs/{name}", file=sys.stderr)


if __name__ == "__main__":
    main()
