"""``genfactory images``: a job's images with their QC verdicts, regenerating a failed one
and downloading images as a ZIP, through the API (what the gallery of the Single Job View
does, for scripts and terminals)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich import box
from rich.measure import Measurement
from rich.table import Column, Table

from genfactory.cli_common import (
    DEFAULT_SERVER,
    ImageIdArg,
    JobIdArg,
    ServerOpt,
    TokenOpt,
    api_call,
    api_client,
    cannot_write,
    check_writable,
    command_group,
    err,
)
from genfactory.cli_common import out as console

images_app = command_group(
    "A job's images: list them, regenerate a failed one, download them as a ZIP."
)

_QC_COLOURS = {"passed": "green", "failed": "red", "pending": "yellow"}


@images_app.command("list")
def images_list(
    job_id: JobIdArg,
    qc: Annotated[
        Literal["passed", "failed", "pending"] | None,
        typer.Option("--qc", help="Only images with this QC status."),
    ] = None,
    server: ServerOpt = DEFAULT_SERVER,
    token: TokenOpt = None,
) -> None:
    """A job's images in order, with their QC status and reason."""
    with api_client(server, token) as client:
        images = api_call(lambda: client.images(client.resolve_job_id(job_id), qc_status=qc))
    # Ids and seeds are copied from here (to `images regenerate`, `--seed`), so they are
    # never cut: only the reason wraps, and columns are set apart by spaces, not lines, so
    # the table fits 80 columns. A narrower terminal gets lines wider than itself (it wraps
    # them for display) rather than a cut seed.
    table = Table(
        Column("#", no_wrap=True),
        Column("image id", no_wrap=True, min_width=32),
        Column("seed", no_wrap=True),
        Column("size", no_wrap=True),
        Column("QC", no_wrap=True),
        Column("reason", ratio=1),
        box=box.HORIZONTALS,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    for image in images:
        status = image["qc_status"]
        table.add_row(
            str(image["index"] + 1),
            image["id"],
            str(image["seed"]),
            f"{image['width']}×{image['height']}",
            f"[{_QC_COLOURS.get(status, 'white')}]{status}[/]",
            image.get("qc_reason") or "",
        )
    needed = Measurement.get(console, console.options.update_width(10_000), table).minimum
    if needed > console.width:
        table.width = needed
    console.print(table)
    console.print(f"{len(images)} image{'s' if len(images) != 1 else ''}")


@images_app.command("regenerate")
def images_regenerate(
    image_id: ImageIdArg,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the new image (default: a random one).")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow/--no-follow", help="Show the job's progress live.")
    ] = False,
    server: ServerOpt = DEFAULT_SERVER,
    token: TokenOpt = None,
) -> None:
    """Make a new image in place of a failed one (same job and settings, a new seed).
    The job is queued again; with --follow, exit non-zero unless the new image passes."""
    from genfactory.cli import _follow

    with api_client(server, token) as client:
        queued = api_call(lambda: client.regenerate(client.resolve_image_id(image_id), seed))
        regeneration, job = queued["regeneration"], queued["job"]
        console.print(
            f"image {regeneration['source_index'] + 1} of job [bold]{job['id']}[/] is being "
            f"regenerated with seed {regeneration['seed']}  {server}{job['links']['page']}"
        )
        if not follow:
            return
        _follow(client, job)
        done = next(
            (
                r
                for r in api_call(lambda: client.regenerations(job["id"]))
                if r["id"] == regeneration["id"]
            ),
            None,
        )
    if done is None or done["status"] != "completed":
        why = (done or {}).get("error") or {}
        err.print(
            f"[red]regeneration {done['status'] if done else 'lost'}[/] {why.get('message', '')}"
        )
        raise typer.Exit(1)
    colour = _QC_COLOURS.get(done["qc_status"], "white")
    console.print(
        f"new image {done['image_index'] + 1} ({done['image_id']}): "
        f"[{colour}]{done['qc_status']}[/]"
    )
    if done["qc_status"] != "passed":
        raise typer.Exit(1)


@images_app.command("export")
def images_export(
    image_ids: Annotated[
        list[str], typer.Argument(metavar="IMAGE_ID", help="Image ids (1 to 10,000).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The ZIP to write.")] = Path(
        "images.zip"
    ),
    server: ServerOpt = DEFAULT_SERVER,
    token: TokenOpt = None,
) -> None:
    """Download images as one ZIP, with a manifest.csv of what is in it.

    Each image is stored as images/JOB_ID/NUMBER.EXT; an unknown id gets a manifest row
    saying so. An id may be the first 6 or more characters of one."""
    from genfactory.client import JOB_ID_LENGTH

    if output.is_dir():
        output = output / "images.zip"
    check_writable(output)
    with api_client(server, token) as client:
        # Whole ids go as they are (up to 10,000: no look-up each); short ones are made whole.
        whole = [
            one
            if len(one) >= JOB_ID_LENGTH
            else api_call(lambda one=one: _whole_image_id(client, one))
            for one in image_ids
        ]
        try:
            size = api_call(lambda: _export(client, whole, output))
        except OSError as exc:
            cannot_write(output, exc)
    with zipfile.ZipFile(output) as archive:
        found = sum(1 for name in archive.namelist() if name.startswith("images/"))
    console.print(f"{found} image{'s' if found != 1 else ''} → [bold]{output}[/] ({size:,} bytes)")
    missing = len(set(whole)) - found
    if missing > 0:
        err.print(
            f"[yellow]{missing} id{'s' if missing != 1 else ''} matched no image[/] "
            "(see manifest.csv in the ZIP)"
        )


def _export(client: Any, ids: list[str], output: Path) -> int:
    """The ZIP of ``ids`` written to ``output``; its size. When no id names an image, a
    job's id among the first few is said to be one (with where its images are listed)."""
    from genfactory.client import ApiError

    try:
        return int(client.export_images(ids, output))
    except ApiError as exc:
        if exc.status == 404:
            for one in ids[:5]:
                client.resolve_image_id(one)  # JobIdNotImageId for a job's id
        raise


def _whole_image_id(client: Any, given: str) -> str:
    """``given`` made whole when it starts exactly one image's id; an unknown or too
    short one as it is (the ZIP's manifest notes it). A job's id, or one that starts
    several images' ids, stops the command."""
    from genfactory.client import ApiError, JobIdNotImageId

    try:
        return str(client.resolve_image_id(given))
    except JobIdNotImageId:
        raise
    except ApiError as exc:
        if exc.status in (404, 422):
            return given
        raise
