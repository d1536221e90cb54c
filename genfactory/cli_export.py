"""``genfactory jobs export``: export jobs to an Excel file (or a ZIP with the images)
through the API, following the export's progress, and save it to a path.

Mounted on the ``jobs`` group of :mod:`genfactory.cli` with::

    jobs_app.command("export")(export_jobs)
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from genfactory.cli_common import (
    DEFAULT_SERVER,
    ServerOpt,
    TokenOpt,
    api_call,
    api_client,
    cannot_write,
    check_writable,
    err,
    refused,
    unreachable,
    why_not_writable,
)
from genfactory.cli_common import out as console

_FINAL = {"completed", "failed", "cancelled"}


def export_jobs(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write the file (default: the server's file name, here).",
        ),
    ] = None,
    job_id: Annotated[
        list[str] | None, typer.Option("--id", help="A job id (repeat for several).")
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(help="Status (repeat): queued/pending, running, completed, failed, …"),
    ] = None,
    created_from: Annotated[
        str | None, typer.Option("--from", help="Created at or after (ISO 8601 date/time).")
    ] = None,
    created_to: Annotated[
        str | None, typer.Option("--to", help="Created before (a date alone: that whole day).")
    ] = None,
    configuration: Annotated[
        list[str] | None, typer.Option(help="Configuration name (repeat for several).")
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Words in the label or prompt.")
    ] = None,
    images: Annotated[
        bool | None,
        typer.Option(
            "--images/--no-images",
            help="A ZIP with the image files too (default: the server's export preference).",
            show_default=False,
        ),
    ] = None,
    time_zone: Annotated[
        str | None,
        typer.Option(
            "--time-zone",
            help="IANA time zone the workbook's times are written in, e.g. Europe/Berlin "
            "(default: this machine's, else UTC).",
            show_default=False,
        ),
    ] = None,
    server: ServerOpt = DEFAULT_SERVER,
    token: TokenOpt = None,
) -> None:
    """Export jobs (by id, or every job a filter matches) to Excel; --images adds a ZIP.
    Without --images/--no-images the server's export preference (Settings) decides."""
    import httpx

    if output is not None and not output.is_dir():
        check_writable(output)  # before the server makes the export, not after
    body: dict[str, Any] = {} if images is None else {"include_images": images}
    zone = time_zone or local_time_zone()
    if zone:
        body["time_zone"] = zone
    unused: list[str] = []  # --configuration names no job has (a typo, usually)
    if job_id:
        body["ids"] = _whole_ids(server, token, job_id)
    else:
        unused = _configurations_without_jobs(server, token, configuration or [])
        selection: dict[str, Any] = {
            "status": status or [],
            "configuration": configuration or [],
        }
        if created_from:
            selection["from"] = created_from
        if created_to:
            selection["to"] = created_to
        if search:
            selection["q"] = search
        body["filter"] = selection
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=60) as http:
            operation = _check(http.post("/api/exports", json=body))
            operation = _follow(http, operation)
            if operation["status"] != "completed":
                err.print(f"[red]Export {operation['status']}[/]: {operation.get('error') or ''}")
                raise typer.Exit(1)
            result = operation["result"]
            if job_id and result["jobs"] == 0:
                err.print("[red]No job matched the given ids[/]; nothing was exported.")
                raise typer.Exit(1)
            if unused and result["jobs"] == 0:
                err.print("[red]No job matched the filter[/]; nothing was exported.")
                raise typer.Exit(1)
            target = _target(output, result["filename"], images)
            try:
                _download(http, result["download_url"], target)
            except OSError as exc:
                if result.get("saved_to"):
                    err.print(f"The server kept its copy at [bold]{result['saved_to']}[/].")
                cannot_write(target, exc)
    except httpx.TransportError as exc:
        err.print(f"[red]{unreachable(exc)}[/]")
        raise typer.Exit(3) from None
    console.print(
        f"[green]{_count(result['jobs'], 'job')}[/], {_count(result['images'], 'image row')} "
        f"→ [bold]{target}[/] ({result['bytes']:,} bytes)"
    )
    if result["jobs"] == 0:
        err.print("[yellow]No job matched the filter[/], so the workbook has its headers only.")
    if result.get("saved_to"):
        console.print(f"The server also saved it to [bold]{result['saved_to']}[/].")
    elif result.get("save_error"):
        err.print(f"[yellow]{result['save_error']}[/]")
    missing = len(set(job_id or [])) - result["jobs"]
    if job_id and missing > 0:
        err.print(f"[yellow]{missing} id{'s' if missing != 1 else ''} matched no job[/]")


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'' if n == 1 else 's'}"


def _configurations_without_jobs(server: str, token: str | None, names: list[str]) -> list[str]:
    """The ``--configuration`` names no job has, each said on stderr with the name in
    another case that jobs do have, if there is one (names are case-sensitive). When no
    name has a job the export could only be empty: the command stops here, before the
    server makes it (or saves it to its export folder)."""
    wanted = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    if not wanted:
        return []
    with api_client(server, token) as client:

        def has_jobs(name: str) -> bool:
            page = api_call(lambda: client.list_jobs(1, 0, configuration=[name]))
            return bool(page["total"])

        unused = [name for name in wanted if not has_jobs(name)]
        configurations = api_call(client.configurations) if unused else []
    used = [c["name"] for c in configurations if c.get("jobs")]
    every = len(unused) == len(wanted)
    colour = "red" if every else "yellow"
    for name in unused:
        other = [u for u in used if u.casefold() == name.casefold()]
        hint = (
            f"; did you mean {' or '.join(repr(o) for o in other)}? (names are case-sensitive)"
            if other
            else ""
        )
        err.print(f"[{colour}]No job has the configuration {name!r}[/]{hint}")
    if every:
        err.print("Nothing was exported.")
        raise typer.Exit(1)
    return unused


def local_time_zone() -> str | None:
    """This machine's IANA time zone: ``TZ`` when set (None if it is not an IANA name, such
    as a POSIX rule), else where ``/etc/localtime`` points; None if unknown (the export is
    then in UTC)."""
    from zoneinfo import ZoneInfo

    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        with contextlib.suppress(OSError):
            target = os.readlink("/etc/localtime")
            name = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
    if name and not name.startswith("/"):
        with contextlib.suppress(ValueError, KeyError, OSError):
            return ZoneInfo(name).key
    return None


def _whole_ids(server: str, token: str | None, given: list[str]) -> list[str]:
    """The ids, each short one (as ``jobs list`` shows them) made whole like the other job
    commands do. One that starts several jobs' ids stops the command; one that starts none
    is passed on, to be counted with the ids that matched no job."""
    from genfactory.client import ApiError

    def resolve(client: Any, one: str) -> str:
        try:
            return str(client.resolve_job_id(one))
        except ApiError as exc:
            if exc.status == 404:
                return one
            raise

    with api_client(server, token) as client:
        return [api_call(lambda one=one: resolve(client, one)) for one in given]


def _target(output: Path | None, filename: str, images: bool | None) -> Path:
    """Where the download goes: ``--output`` (a folder gets the server's file name), else
    the server's file name here. An ``.xlsx``/``.zip`` name that does not match what the
    server made (the export preference chose) takes the right suffix."""
    if output is None:
        return Path(filename)
    if output.is_dir():
        return output / filename
    made = Path(filename).suffix
    if output.suffix.lower() in (".xlsx", ".zip") and output.suffix.lower() != made:
        corrected = output.with_suffix(made)
        why = (
            "the server's export preference"
            if images is None
            else ("--images" if images else "--no-images")
        )
        err.print(
            f"[yellow]The export is a {made[1:].upper()} file ({why}); saving it as {corrected}.[/]"
        )
        return corrected
    return output


def _check(response: Any) -> dict[str, Any]:
    """The answer's JSON; a refusal is said as the other commands say it, and exits."""
    from genfactory.client import ApiError

    if response.status_code >= 400:
        try:
            detail = response.json().get("detail")
        except (ValueError, AttributeError):
            detail = response.text
        url = str(response.request.url.copy_with(query=None))
        refused(ApiError(response.status_code, detail, url))
    body: dict[str, Any] = response.json()
    return body


def _follow(http: Any, operation: dict[str, Any]) -> dict[str, Any]:
    # Shown on a terminal only: piped, a transient bar leaves an empty line behind.
    with Progress(
        TextColumn("[bold]{task.fields[status]:<10}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} jobs"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("export", total=max(operation["total"], 1), status="queued")
        while operation["status"] not in _FINAL:
            time.sleep(0.25)
            operation = _check(http.get(f"/api/operations/{operation['id']}"))
            progress.update(
                task,
                completed=operation["done"],
                total=max(operation["total"], 1),
                status=operation["status"],
            )
    return operation


def _download(http: Any, url: str, target: Path) -> None:
    """Stream ``url`` into ``target`` (whole or not at all). Its folder must exist: one is
    never made, so a typo in a path does not leave a tree of folders behind."""
    if not target.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, why_not_writable(target), str(target))
    partial = target.with_name(target.name + ".part")
    try:
        with http.stream("GET", url) as response:
            if response.status_code >= 400:
                response.read()
                _check(response)
            with partial.open("wb") as fh:
                for chunk in response.iter_bytes(1 << 16):
                    fh.write(chunk)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
