"""The ``genfactory`` command."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import os
import signal
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from genfactory import __version__
from genfactory.cli_common import (
    DEFAULT_SERVER,
    GlobalServerOpt,
    GlobalTokenOpt,
    JobIdArg,
    ServerOpt,
    TokenOpt,
    api_call,
    api_client,
    command_group,
    err,
)
from genfactory.cli_common import out as console
from genfactory.cli_export import export_jobs
from genfactory.cli_images import images_app
from genfactory.settings import Mode, Settings

#: WebSocket settings of the server (``bench/stream.py`` runs its servers with them too).
#: No per-message deflate: the frames are small JSON, and compressing each one for each
#: subscriber costs more CPU than it saves bytes.
UVICORN_WEBSOCKETS: dict[str, Any] = {"ws_ping_interval": 20, "ws_per_message_deflate": False}

app = command_group("Gen Image Factory: image-generation jobs with live progress.")
jobs_app = command_group("Inspect and act on jobs (through the API).")
db_app = command_group("Database maintenance.")
app.add_typer(jobs_app, name="jobs")
jobs_app.command("export")(export_jobs)
app.add_typer(images_app, name="images")
app.add_typer(db_app, name="db")


@app.callback()
def _root(server: GlobalServerOpt = None, token: GlobalTokenOpt = None) -> None:
    """Gen Image Factory: image-generation jobs with live progress."""
    # --server and --token given here reach each command through its own options' callback.


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[int | None, typer.Option(help="In-process workers (default 2).")] = None,
    no_workers: Annotated[bool, typer.Option("--no-workers", help="API only.")] = False,
    data_dir: Annotated[str | None, typer.Option(help="Data folder.")] = None,
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL.")] = None,
    mode: Annotated[Mode | None, typer.Option(help="production, dev or test.")] = None,
) -> None:
    """Run the API, the web UI and (unless --no-workers) the workers."""
    import uvicorn

    from genfactory.api.app import create_app

    settings = _settings(
        host=host,
        port=port,
        workers=0 if no_workers else workers,
        data_dir=data_dir,
        database_url=database_url,
        mode=mode,
    )
    if not is_loopback(settings.host) and not settings.api_token:
        err.print(
            f"[red]Refusing to bind {settings.host}: "
            "a non-loopback address needs an API token.[/]\n"
            "Set GENFACTORY_API_TOKEN (clients send it as 'Authorization: Bearer …')."
        )
        raise typer.Exit(2)
    _with_database(settings, lambda: _check_database(settings))
    listener = _listen(settings.host, settings.port)
    url = f"http://{settings.host}:{settings.port}"
    console.print(f"Gen Image Factory {__version__} on [bold]{url}[/]")
    console.print(
        f"  database: {settings.resolved_database_url.split('@')[-1]}  "
        f"workers: {settings.workers}  mode: {settings.mode.value}  "
        f"API token: {'required' if settings.api_token else 'none (loopback only)'}"
    )
    config = uvicorn.Config(
        create_app(settings, tune=True),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=5,
        **UVICORN_WEBSOCKETS,
    )
    uvicorn.Server(config).run(sockets=[listener])


def _listen(host: str, port: int) -> socket.socket:
    """The server's listening socket, bound before the start-up banner: a port that is
    taken is said plainly, with what to do, instead of after a banner that says the
    server is on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            err.print(
                f"[red]Port {port} on {host} is already in use[/] (another Gen Image Factory, "
                "or another program).\nStop it, or choose another port: "
                f"--port {port + 1} or GENFACTORY_PORT={port + 1}."
            )
        else:
            err.print(f"[red]Cannot listen on {host}:{port}: {exc.strerror or exc}.[/]")
        raise typer.Exit(1) from None
    sock.set_inheritable(True)
    return sock


@app.command()
def worker(
    slots: Annotated[int, typer.Option(help="Concurrent jobs.")] = 2,
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL.")] = None,
    data_dir: Annotated[str | None, typer.Option(help="Data folder.")] = None,
) -> None:
    """Run workers only, against the same database as the API servers."""
    from genfactory.core.runtime import Runtime, tune_gc

    settings = _settings(database_url=database_url, data_dir=data_dir, workers=slots)

    async def run() -> None:
        runtime = Runtime(settings, role="worker")
        await runtime.start()
        tune_gc()
        assert runtime.pool is not None
        console.print(f"worker {runtime.pool.owner} running {slots} slot(s); Ctrl-C stops")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runtime.stop()

    _with_database(settings, run)


@db_app.command("upgrade")
def db_upgrade(
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL.")] = None,
    data_dir: Annotated[str | None, typer.Option(help="Data folder.")] = None,
) -> None:
    """Apply the database migrations (the server also does this on start). Says whether it
    created a new database, upgraded one or found it current, so a mistyped path shows."""
    from sqlalchemy.engine import make_url

    from genfactory.store.engine import Database
    from genfactory.store.migrate import current_revision, upgrade

    settings = _settings(database_url=database_url, data_dir=data_dir)
    url = make_url(settings.resolved_database_url)
    where = url.render_as_string(hide_password=True)
    new_file = False
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        sqlite_file = Path(url.database or "").resolve()  # a relative path shows where it went
        where, new_file = str(sqlite_file), not sqlite_file.exists()

    async def run() -> tuple[str | None, str | None]:
        db = Database(settings.resolved_database_url)
        try:
            before = await current_revision(db)
            await upgrade(db)
            return before, await current_revision(db)
        finally:
            await db.dispose()

    before, after = _with_database(settings, run)
    if new_file:
        console.print(f"created a new database at {where}, at revision {after}")
    elif before is None:
        console.print(f"created the tables in {where}, at revision {after}")
    elif before == after:
        console.print(f"database {where} already at revision {after}")
    else:
        console.print(f"upgraded database {where} from revision {before} to {after}")


T = TypeVar("T")


async def _check_database(settings: Settings) -> None:
    from sqlalchemy import text

    from genfactory.store.engine import Database

    db = Database(settings.resolved_database_url)
    try:
        async with db.read() as conn:
            await conn.execute(text("SELECT 1"))
    finally:
        await db.dispose()


def _with_database(settings: Settings, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``work()`` run to its end; a database that cannot be reached or a bad URL is one
    line on stderr and exit code 3, like an unreachable server for the API commands, not a
    page of traceback."""
    try:
        return asyncio.run(work())
    except Exception as exc:  # the driver's, SQLAlchemy's or the OS's: all mean the same here
        instead = _async_driver_url(settings.resolved_database_url, exc)
        if instead:
            err.print(f"[red]Cannot use the database {instead}")
            raise typer.Exit(3) from None
        where = settings.resolved_database_url.split("@")[-1]
        err.print(f"[red]Cannot use the database {where}:[/] {type(exc).__name__}: {exc}")
        raise typer.Exit(3) from None


#: The asyncio driver of each database we run on.
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def _async_driver_url(database_url: str, exc: Exception) -> str | None:
    """What to say (after "Cannot use the database ") when ``exc`` is SQLAlchemy refusing
    a driver that is not an asyncio one (``sqlite:///x.db`` loads pysqlite), or that
    driver not being installed (``postgresql://``): the URL to use instead. None for any
    other failure."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import InvalidRequestError

    if not isinstance(exc, InvalidRequestError | ImportError):
        return None
    try:
        url = make_url(database_url)
        if url.get_dialect().is_async:
            return None
    except Exception:  # not a URL SQLAlchemy can load: the error says so as it is
        return None
    where = url.render_as_string(hide_password=True)
    needs = f"{where}:[/] it needs an asyncio driver, not {url.get_driver_name()}"
    driver = _ASYNC_DRIVERS.get(url.get_backend_name())
    if driver is None:
        return f"{needs} (sqlite+aiosqlite:// or postgresql+asyncpg://)."
    return f"{needs}; use {url.set(drivername=driver).render_as_string(hide_password=True)}"


@app.command()
def generate(
    prompt: Annotated[
        str, typer.Argument(metavar="PROMPT", help="What to draw (1–2,000 characters).")
    ],
    provider: Annotated[
        str | None, typer.Option(help="procedural, openai, comfyui or diffusers.")
    ] = None,
    configuration: Annotated[
        str | None,
        typer.Option(help="A configuration's name (its newest version) or version id."),
    ] = None,
    size: Annotated[str | None, typer.Option(help="For example 512x512.")] = None,
    steps: Annotated[int | None, typer.Option()] = None,
    count: Annotated[int | None, typer.Option(help="Images, 1–16 (default 1).")] = None,
    style: Annotated[str | None, typer.Option()] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    label: Annotated[str | None, typer.Option()] = None,
    follow: Annotated[
        bool, typer.Option("--follow/--no-follow", help="Show live progress.")
    ] = False,
    server: ServerOpt = DEFAULT_SERVER,
    token: TokenOpt = None,
) -> None:
    """Submit a job; with --follow, show its progress live and exit non-zero on failure.
    Options left out come from the configuration, if one is named, then from the provider."""
    with api_client(server, token) as client:
        job = api_call(
            lambda: client.create_job(
                prompt,
                provider=provider,
                configuration=configuration,
                size=size,
                steps=steps,
                count=count,
                style=style,
                seed=seed,
                label=label,
            )
        )
        console.print(f"job [bold]{job['id']}[/] queued  {server}{job['links']['page']}")
        if not follow:
            return
        final = _follow(client, job)
    if final != "completed":
        raise typer.Exit(1)


def _follow(client: Any, job: dict[str, Any]) -> str:
    """Show the job's progress live until it ends; its final status. Ctrl-C stops following
    (exit 130) and says the job goes on, and how to cancel it."""
    try:
        return _show_progress(client, job)
    except KeyboardInterrupt:
        short = job["id"][:8]
        err.print(
            f"Stopped following job {short}; it keeps running on the server. "
            f"Cancel it with: genfactory jobs cancel {short}"
        )
        raise typer.Exit(130) from None


def _show_progress(client: Any, job: dict[str, Any]) -> str:
    status = job["status"]
    # The status word is never cut: only the message gives way on a narrow line.
    with Progress(
        TextColumn(
            "[bold]{task.fields[status]:<10}", table_column=Column(no_wrap=True, min_width=10)
        ),
        BarColumn(bar_width=None, table_column=Column(ratio=1, min_width=10, max_width=40)),
        TextColumn("{task.percentage:>5.1f}%", table_column=Column(no_wrap=True)),
        TextColumn(
            "{task.fields[message]}",
            table_column=Column(no_wrap=True, overflow="ellipsis", ratio=2),
        ),
        TimeElapsedColumn(table_column=Column(no_wrap=True)),
        console=console,
    ) as progress:
        task = progress.add_task("job", total=100, status=status, message="")

        def lost(_exc: Exception) -> None:
            err.print("[yellow]Lost the connection to the server; reconnecting…[/]")

        def back() -> None:
            err.print("[green]Reconnected.[/]")

        events = client.follow(job["id"], after=job["last_seq"], on_lost=lost, on_back=back)
        for event in _guarded(events):
            data = event["data"]
            if event["type"] == "progress":
                progress.update(task, completed=data["percent"], message=data.get("message", ""))
            elif event["type"] == "status":
                status = data["status"]
                _say_status(data)
                progress.update(
                    task,
                    status=status,
                    message=data.get("reason", ""),
                    completed=100 if status == "completed" else None,
                )
            elif event["type"] == "error":
                err.print(f"[red]{escape(data['code'])}[/]: {escape(data['message'])}")
    images = api_call(lambda: client.images(job["id"])) if status == "completed" else []
    for image in images:
        console.print(f"  image {image['index'] + 1}: {client.base_url}{image['url']}")
    colour = {"completed": "green", "failed": "red"}.get(status, "yellow")
    console.print(f"[{colour}]{status}[/]")
    return str(status)


def _say_status(data: dict[str, Any]) -> None:
    """A status change worth a line above the bar: a new attempt starting, the job queued
    again (and why: progress starts over), cancelled, or failed (on stderr, with why)."""
    status, reason = data["status"], data.get("reason") or ""
    attempt = f"attempt {data.get('attempt')}/{data.get('max_attempts')}"
    why = f": {escape(reason)}" if reason else ""
    if status == "running" and data.get("previous") != "running":
        console.print(f"started {attempt}")
    elif status == "queued" and data.get("previous") not in (None, "queued"):
        console.print(f"[yellow]queued again[/] after {attempt}{why}")
    elif status == "failed":
        err.print(f"[red]failed[/] ({attempt}){why}")
    elif status == "cancelled":
        console.print(f"[yellow]cancelled[/]{why}")


def _guarded(events: Any) -> Any:
    """``events`` with a refusal or an unreachable server met while reading them said and
    exited on as :func:`api_call` does (it only guards the call that makes them)."""
    while (event := api_call(lambda: next(events, None))) is not None:
        yield event


JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print the API's JSON instead (for scripts)."),
]


def _print_json(value: Any) -> None:
    """``value`` as JSON on stdout, plain (no colour, no wrapping), for scripts."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


@jobs_app.command("list")
def jobs_list(
    limit: Annotated[int, typer.Option()] = 25,
    offset: Annotated[int, typer.Option()] = 0,
    as_json: JsonOpt = False,
    server: ServerOpt = DEFAULT_SERVER,
    token: TokenOpt = None,
) -> None:
    """Newest jobs first."""
    with api_client(server, token) as client:
        page = api_call(lambda: client.list_jobs(limit, offset))
    if as_json:
        _print_json(page)
        return
    # Only the prompt gives way on a narrow terminal; the rest is never cut.
    table = Table(
        Column("id", min_width=8),
        Column("status", min_width=9),
        Column("attempt", min_width=7),
        Column("images", min_width=6, justify="right"),
        Column("created (UTC)", min_width=16),
        Column("prompt", no_wrap=True, overflow="ellipsis", ratio=1),
        expand=True,
    )
    for j in page["items"]:
        table.add_row(
            j["short_id"],
            j["status"],
            f"{j['attempt']}/{j['max_attempts']}",
            str(j["image_count"]),
            j["created_at"][:16].replace("T", " "),
            j["prompt"][:80],
        )
    console.print(table)
    console.print(f"{len(page['items'])} of {page['total']} jobs")


#: The fields ``jobs show`` (and cancel, retry, rerun) print, in order; one with no value
#: (no label, not finished, not a rerun) is left out. ``configuration`` and the settings
#: (size to seed) are read from the job's ``configuration`` and ``params``.
_SHOWN = (
    "id",
    "status",
    "prompt",
    "label",
    "provider",
    "configuration",
    "size",
    "steps",
    "style",
    "seed",
    "attempt",
    "max_attempts",
    "created_at",
    "finished_at",
    "image_count",
    "last_seq",
    "rerun_of",
)


def _show(job: dict[str, Any]) -> None:
    params = job.get("params") or {}
    configuration = job.get("configuration")
    shown = {
        **{key: params.get(key) for key in ("size", "steps", "style", "seed")},
        **job,
        "configuration": (
            f"{configuration['name']} (v{configuration['version']})" if configuration else None
        ),
    }
    for key in _SHOWN:
        value = shown.get(key)
        if value is not None and value != "":
            console.print(f"[bold]{key:>13}[/] {escape(str(value))}")
    progress = job["progress"]
    percent = f"{progress['percent']}%"
    message = progress.get("message") or ""
    console.print(f"[bold]{'progress':>13}[/] {f'{percent} {message}' if message else percent}")
    if job.get("error"):
        console.print(
            f"[bold]{'error':>13}[/] [red]{job['error']['code']}[/] {job['error']['message']}"
        )


@jobs_app.command("show")
def jobs_show(
    job_id: JobIdArg,
    as_json: JsonOpt = False,
    server: ServerOpt = DEFAULT_SERVER,
    token: TokenOpt = None,
) -> None:
    """One job's snapshot: its status, prompt, configuration and settings, progress."""
    with api_client(server, token) as client:
        job = api_call(lambda: client.get_job(client.resolve_job_id(job_id)))
    if as_json:
        _print_json(job)
    else:
        _show(job)


@jobs_app.command("cancel")
def jobs_cancel(
    job_id: JobIdArg, server: ServerOpt = DEFAULT_SERVER, token: TokenOpt = None
) -> None:
    """Cancel a queued or running job."""
    with api_client(server, token) as client:
        _show(api_call(lambda: client.cancel(client.resolve_job_id(job_id))))


@jobs_app.command("retry")
def jobs_retry(
    job_id: JobIdArg, server: ServerOpt = DEFAULT_SERVER, token: TokenOpt = None
) -> None:
    """Start a new attempt of a failed or cancelled job."""
    with api_client(server, token) as client:
        _show(api_call(lambda: client.retry(client.resolve_job_id(job_id))))


@jobs_app.command("rerun")
def jobs_rerun(
    job_id: JobIdArg, server: ServerOpt = DEFAULT_SERVER, token: TokenOpt = None
) -> None:
    """Create a new job from this job's settings."""
    with api_client(server, token) as client:
        _show(api_call(lambda: client.rerun(client.resolve_job_id(job_id))))


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
