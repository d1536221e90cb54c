"""What every command shares: how a command group is made, the server and token options,
the client, and turning API and connection errors into a message and an exit code."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

#: Standard output of every command. ``soft_wrap``: a line is never broken by the CLI, so
#: ids and URLs stay whole when copied or piped (the terminal wraps them for display).
out = Console(soft_wrap=True)
err = Console(stderr=True)

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
    if _from_command_line(ctx, name):
        return value
    root = ctx.find_root()
    if root is not ctx and _from_command_line(root, name):
        return root.params[name]
    return value


def _from_command_line(ctx: Any, name: str) -> bool:  # a Click context
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


#: Positional arguments, named in capitals in ``--help``'s usage line like the options'
#: values (``genfactory jobs show JOB_ID``), not Typer's ``{job_id}``.
JobIdArg = Annotated[
    str,
    typer.Argument(metavar="JOB_ID", help="A job's id, or its first 6 or more characters."),
]
ImageIdArg = Annotated[str, typer.Argument(metavar="IMAGE_ID", help="An image's id.")]

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
    """``fn()``; an API refusal exits 1 with its message, an unreachable server exits 3."""
    from genfactory.client import ApiError

    try:
        return fn()
    except ApiError as exc:
        err.print(f"[red]{exc}[/]")
        if exc.status == 401:
            err.print("Give the server's API token with --token or GENFACTORY_API_TOKEN.")
        raise typer.Exit(1) from None
    except Exception as exc:  # connection refused and the like
        err.print(f"[red]{unreachable(exc)}[/]")
        raise typer.Exit(3) from None


def unreachable(exc: Exception) -> str:
    """ "Cannot reach the server at URL: why" (the address helps: the default is port 8000,
    while the server may run on another)."""
    try:
        where = f" at {exc.request.url.copy_with(query=None)}"  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):  # httpx raises RuntimeError without a request
        where = ""
    return f"Cannot reach the server{where}: {exc}"
