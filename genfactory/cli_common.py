"""What every API-calling command shares: the server and token options, the client, and
turning API and connection errors into a message and an exit code."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

#: Standard output of every command. ``soft_wrap``: a line is never broken by the CLI, so
#: ids and URLs stay whole when copied or piped (the terminal wraps them for display).
out = Console(soft_wrap=True)
err = Console(stderr=True)

ServerOpt = Annotated[
    str, typer.Option("--server", envvar="GENFACTORY_SERVER", help="API base URL.")
]
TokenOpt = Annotated[
    str | None, typer.Option("--token", envvar="GENFACTORY_API_TOKEN", help="API token.")
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
        raise typer.Exit(1) from None
    except Exception as exc:  # connection refused and the like
        err.print(f"[red]Cannot reach the server: {exc}[/]")
        raise typer.Exit(3) from None
