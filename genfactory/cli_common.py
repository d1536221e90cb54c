"""What every command shares: how a command group is made, the server and token options,
the client, and turning API and connection errors into a message and an exit code."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Annotated, Any, NoReturn
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.markup import escape

#: Standard output and error of every command. ``soft_wrap``: a line is never broken by the
#: CLI, so ids, URLs and messages stay whole when copied, piped or grepped (a terminal
#: wraps them for display).
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

#: Exit codes of the commands that call the API (docs/cli.md lists them).
EXIT_CODES = {
    0: "Done (with --follow: the job completed).",
    1: "The job failed or was cancelled, or the server refused the operation, or a local "
    "file could not be written.",
    2: "Usage error: a bad option or argument, including values the server refuses (422) "
    "and a --server that is not an http(s) URL.",
    3: "The server (or, for serve/worker/db, the database) cannot be reached.",
    130: "Interrupted (Ctrl-C); a followed job keeps running on the server.",
}

DEFAULT_SERVER = "http://127.0.0.1:8000"


def command_group(help: str) -> typer.Typer:
    """A ``typer.Typer`` for the root or a group of commands. Help is Typer's plain layout:
    its Rich panels (Typer 0.29) give every flag a value type (``--help <bool>``,
    ``--follow --no-follow <bool>``), as if it took one; the plain layout shows
    ``--follow / --no-follow`` and no type, as Click always did."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)


def _given_before_the_command(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """A command's ``--server``/``--token``: its own when given on its command line, else
    the one given before the command (``genfactory --server URL jobs list``), else the
    environment variable's, else the default."""
    name = param.name or ""
    root = ctx.find_root()
    if not _from_command_line(ctx, name) and root is not ctx and _from_command_line(root, name):
        value = root.params[name]
    if name == "server":
        _check_server_url(value)
    return value


def _check_server_url(url: str) -> None:
    """A usage error (exit 2) unless ``url`` is an http(s) URL with a host: anything else
    would only fail later as a connection error."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise typer.BadParameter(
            f"{url!r} is not an http(s) URL; for example {DEFAULT_SERVER}",
            param_hint="'--server'",
        )


def _from_command_line(ctx: Any, name: str) -> bool:  # a Click context
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


#: Positional arguments, named in capitals in ``--help``'s usage line like the options'
#: values (``genfactory jobs show JOB_ID``), not Typer's ``{job_id}``.
JobIdArg = Annotated[
    str,
    typer.Argument(metavar="JOB_ID", help="A job's id, or its first 6 or more characters."),
]
ImageIdArg = Annotated[
    str,
    typer.Argument(metavar="IMAGE_ID", help="An image's id, or its first 6 or more characters."),
]

ServerOpt = Annotated[
    str,
    typer.Option(
        "--server",
        metavar="URL",
        envvar="GENFACTORY_SERVER",
        help="API base URL.",
        callback=_given_before_the_command,
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        metavar="TOKEN",
        envvar="GENFACTORY_API_TOKEN",
        help="API token.",
        callback=_given_before_the_command,
    ),
]
#: The root's ``--server``/``--token``, for every command that calls the API.
GlobalServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server",
        metavar="URL",
        help="API base URL for the commands that call the API (a command's own --server "
        f"wins; else $GENFACTORY_SERVER, else {DEFAULT_SERVER}).",
        show_default=False,
    ),
]
GlobalTokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        metavar="TOKEN",
        help="API token for the commands that call the API (else $GENFACTORY_API_TOKEN).",
        show_default=False,
    ),
]


def api_client(server: str, token: str | None) -> Any:
    from genfactory.client import Client

    return Client(server, token=token)


def api_call(fn: Any) -> Any:
    """``fn()``; an API refusal exits 1 with its message (a refused option value: 2, as a
    usage error), an unreachable server exits 3. Other errors are not the network's and
    are left to the caller."""
    import httpx

    from genfactory.client import ApiError

    try:
        return fn()
    except ApiError as exc:
        refused(exc)
    except httpx.TransportError as exc:  # connection refused, timed out, dropped
        err.print(f"[red]{escape(unreachable(exc))}[/]")
        raise typer.Exit(3) from None


def refused(exc: Any) -> NoReturn:
    """Say why the server refused (an ``ApiError``) and exit: 2 for option values it finds
    invalid (422, named by their option), else 1."""
    if exc.status == 422 and isinstance(exc.detail, list):
        for error in exc.detail:
            err.print(f"[red]Invalid value for {escape(_option_error(error))}[/]")
        raise typer.Exit(2)
    from genfactory.client import problem_message

    if exc.status == 422:
        err.print(f"[red]{escape(problem_message(exc.detail))}[/]")
        raise typer.Exit(2)
    err.print(f"[red]{escape(str(exc))}[/]")
    if exc.status == 401:
        err.print("Give the server's API token with --token or GENFACTORY_API_TOKEN.")
    if exc.status == 404 and not isinstance(exc.detail, dict) and exc.url:
        # Our API answers 404 with a problem (code and message); a bare "Not Found" is
        # another service's, or a URL with a path that is not the API's root.
        err.print(f"Nothing answers {exc.url}: is this a Gen Image Factory server?")
    raise typer.Exit(1)


#: API fields whose option is not simply ``--field-name``.
_OPTIONS = {"prompt": "PROMPT", "ids": "the ids", "q": "--search"}


def _option_error(error: Any) -> str:
    """One validation error as "--option: message" (the API names its field)."""
    if not isinstance(error, dict):
        return str(error)
    where = [str(p) for p in error.get("loc", [])[1:] if not isinstance(p, int)]
    if where[:1] == ["filter"]:  # jobs export's filter fields are options of their own
        where = where[1:]
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if not where:
        return message
    field = where[0]
    return f"{_OPTIONS.get(field, '--' + field.replace('_', '-'))}: {message}"


def cannot_write(target: Path, exc: OSError | None = None) -> NoReturn:
    """ "Cannot write PATH: why" and exit 1, for a local file problem (a missing folder,
    a file where a folder should be, no permission): never a traceback, never "cannot
    reach the server"."""
    err.print(
        f"[red]Cannot write {escape(str(target))}: {escape(why_not_writable(target, exc))}[/]"
    )
    raise typer.Exit(1)


def why_not_writable(target: Path, exc: OSError | None = None) -> str:
    """Why ``target`` cannot be written (its folder is checked first, then ``exc``)."""
    folder = target.parent
    for above in (folder, *folder.parents):
        if above.exists():
            if not above.is_dir():
                return f"{above} is not a folder"
            if above != folder:
                return f"folder {folder} does not exist"
            break
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        return f"no permission to write in {folder}"
    if target.is_dir():
        return "it is a folder"
    if exc is not None:
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "permission denied"
        return exc.strerror or str(exc)
    return "unknown reason"


def check_writable(target: Path) -> None:
    """Exit with :func:`cannot_write` unless ``target``'s folder exists and can be written
    in (missing folders are not made: a typo in a path must not make a tree of them)."""
    folder = target.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK) or target.is_dir():
        cannot_write(target)


def unreachable(exc: Exception) -> str:
    """ "Cannot reach the server at URL: why" (the address helps: the default is port 8000,
    while the server may run on another)."""
    try:
        where = f" at {exc.request.url.copy_with(query=None)}"  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):  # httpx raises RuntimeError without a request
        where = ""
    return f"Cannot reach the server{where}: {exc}"
