"""The CLI against a real server: generate --follow, jobs list/show/cancel/retry/rerun."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from genfactory.client import Client
from tests.integration.helpers import wait_for
from tests.support.server import ServerProcess


def cli(
    server: ServerProcess, *args: str, timeout: float = 60, columns: int = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "genfactory", *args, "--server", server.url],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"COLUMNS": str(columns), "PATH": "/usr/bin:/bin"},
    )


def test_generate_follow_shows_progress_and_exits_zero(server: ServerProcess) -> None:
    done = cli(
        server, "generate", "a quiet harbour", "--size", "256x256", "--steps", "5", "--follow"
    )
    assert done.returncode == 0, done.stderr
    assert "completed" in done.stdout
    assert "/api/images/" in done.stdout


def test_generate_takes_a_provider_and_a_configuration(server: ServerProcess) -> None:
    name = f"cli config {uuid.uuid4().hex[:6]}"
    created = httpx.post(
        f"{server.url}/api/configurations",
        json={"name": name, "settings": {"provider": "procedural", "steps": 3, "count": 2}},
    )
    assert created.status_code == 201, created.text
    done = cli(server, "generate", "from a configuration", "--configuration", name)
    assert done.returncode == 0, done.stderr
    job_id = done.stdout.split()[1]
    with Client(server.url) as client:
        job = client.get_job(job_id)
    # What the command leaves out comes from the configuration (count 2), not a default 1.
    assert job["configuration"]["name"] == name
    assert job["params"]["count"] == 2 and job["params"]["steps"] == 3
    chosen = cli(server, "generate", "one image", "--provider", "procedural", "--count", "1")
    assert chosen.returncode == 0, chosen.stderr
    unknown = cli(server, "generate", "x", "--provider", "nope")
    # A value the server refuses is a usage error (exit 2) naming the option.
    assert unknown.returncode == 2 and "--provider: Unknown provider" in unknown.stderr


def test_generate_follow_exits_non_zero_on_failure(server: ServerProcess) -> None:
    with Client(server.url) as client:
        job = client.create_job("nope", size="256x256", steps=2, faults={"reject": True})
        wait_for(client, job["id"], {"failed"})
    shown = cli(server, "jobs", "show", job["id"])
    assert shown.returncode == 0 and "rejected" in shown.stdout
    refused = cli(server, "jobs", "retry", job["id"])
    assert refused.returncode == 1 and "409" in refused.stderr


def test_jobs_commands(server: ServerProcess) -> None:
    with Client(server.url) as client:
        job = client.create_job("cli job", size="256x256", steps=2)
        wait_for(client, job["id"], {"completed"})
    listed = cli(server, "jobs", "list", "--limit", "50")
    assert listed.returncode == 0 and job["short_id"] in listed.stdout
    rerun = cli(server, "jobs", "rerun", job["id"])
    assert rerun.returncode == 0 and job["id"] in rerun.stdout  # rerun_of
    # Empty fields are left out, not shown as Python's None; no line ends in a blank.
    shown = cli(server, "jobs", "show", job["id"])
    assert shown.returncode == 0, shown.stderr
    for out in (rerun.stdout, shown.stdout):
        assert "None" not in out and all(line == line.rstrip() for line in out.splitlines())
    assert "rerun_of" not in shown.stdout and "label" not in shown.stdout
    assert "finished_at" in shown.stdout and "finished_at" not in rerun.stdout
    cancelled = cli(server, "jobs", "cancel", job["id"])
    assert cancelled.returncode == 1 and "already completed" in cancelled.stderr


def test_ids_and_urls_stay_whole_in_a_narrow_terminal(server: ServerProcess) -> None:
    """Piped or narrow output never breaks an id or a URL, so either can be copied."""
    prompt = "a long prompt about a lighthouse on a cliff at dusk, waves and gulls " * 3
    done = cli(server, "generate", prompt, "--size", "256x256", "--steps", "2", "--follow",
               "--count", "2", columns=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Client(server.url) as client:
        job = client.list_jobs(1, 0)["items"][0]
        images = client.images(job["id"])
    lines = done.stdout.splitlines()
    assert f"{server.url}/jobs/{job['id']}" in lines[0]
    for image in images:
        assert f"  image {image['index'] + 1}: {server.url}{image['url']}" in lines

    listed = cli(server, "jobs", "list", "--limit", "5", columns=70)
    row = next(line for line in listed.stdout.splitlines() if job["short_id"] in line)
    assert "completed" in row and "1/3" in row and "…" in row  # only the prompt is cut
    assert max(len(line) for line in listed.stdout.splitlines()) <= 70

    shown = cli(server, "images", "list", job["short_id"], columns=70)
    for image in images:
        assert image["id"] in shown.stdout


def test_unreachable_server_is_a_clear_error() -> None:
    gone = subprocess.run(
        [sys.executable, "-m", "genfactory", "jobs", "list", "--server", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert gone.returncode == 3
    assert "Cannot reach the server at http://127.0.0.1:9/api/jobs" in gone.stderr


def test_server_and_token_may_come_before_the_command(server: ServerProcess) -> None:
    """`genfactory --server URL jobs list`, as the README puts it; a command's own
    --server wins over it, and it wins over GENFACTORY_SERVER."""

    def genfactory(
        *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "genfactory", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={"COLUMNS": "120", "PATH": "/usr/bin:/bin", **(env or {})},
        )

    gone = "http://127.0.0.1:9"
    listed = genfactory("--server", server.url, "jobs", "list")
    assert listed.returncode == 0 and " jobs" in listed.stdout, listed.stderr
    own = genfactory("--server", gone, "jobs", "list", "--server", server.url)
    assert own.returncode == 0, own.stderr
    over_env = genfactory("--server", server.url, "jobs", "list", env={"GENFACTORY_SERVER": gone})
    assert over_env.returncode == 0, over_env.stderr
    from_env = genfactory("jobs", "list", env={"GENFACTORY_SERVER": gone})
    assert from_env.returncode == 3 and "Cannot reach the server" in from_env.stderr


def test_a_token_before_the_command_is_sent(tmp_path: Path) -> None:
    guarded = ServerProcess(tmp_path / "guarded", env={"GENFACTORY_API_TOKEN": "s3cret"}).start()
    try:

        def run(*before: str, after: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "genfactory", *before, "jobs", "list", *after],
                capture_output=True,
                text=True,
                timeout=60,
                env={"PATH": "/usr/bin:/bin", "GENFACTORY_SERVER": guarded.url, "COLUMNS": "200"},
            )

        def jobs_list(*before: str, after: tuple[str, ...] = ()) -> int:
            return run(*before, after=after).returncode

        refused = run()
        assert refused.returncode == 1  # 401
        assert "--token or GENFACTORY_API_TOKEN" in refused.stderr
        assert jobs_list("--token", "s3cret") == 0
        assert jobs_list("--token", "wrong", after=("--token", "s3cret")) == 0
    finally:
        guarded.stop()


def test_serve_refuses_a_public_bind_without_a_token(tmp_path: object) -> None:
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "genfactory",
            "serve",
            "--host",
            "0.0.0.0",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert refused.returncode == 2
    assert "needs an API token" in refused.stderr


def test_the_short_ids_shown_are_accepted(server: ServerProcess) -> None:
    """`jobs list` and the pages show 8 characters of an id: the CLI and the job page take
    them back (an unknown one is a clear 404)."""
    with Client(server.url) as client:
        job = client.create_job("short id job", size="256x256", steps=2)
        wait_for(client, job["id"], {"completed"})
    short = job["short_id"]
    assert len(short) == 8 and job["id"].startswith(short)
    shown = cli(server, "jobs", "show", short)
    assert shown.returncode == 0 and job["id"] in shown.stdout, shown.stderr
    images = cli(server, "images", "list", short)
    assert images.returncode == 0 and "passed" in images.stdout, images.stderr
    unknown = cli(server, "jobs", "show", "ffffff00")
    assert unknown.returncode == 1 and "No job with an id starting" in unknown.stderr
    # Too short to look up: said so, never a "no such job" that may not be true.
    too_short = cli(server, "jobs", "show", short[:4])
    assert too_short.returncode == 2, too_short.stdout  # a usage error
    assert "give at least 6 characters" in too_short.stderr and "No job" not in too_short.stderr
    page = httpx.get(f"{server.url}/jobs/{short}", follow_redirects=False)
    assert page.status_code == 307 and page.headers["location"] == f"/jobs/{job['id']}"
    assert httpx.get(f"{server.url}/jobs/ffffff00").status_code == 404


@pytest.mark.parametrize(
    ("command", "url", "says"),
    [
        (["db", "upgrade"], "postgresql+asyncpg://postgres@127.0.0.1:1/x", "ConnectionRefused"),
        (["worker"], "postgresql+asyncpg://postgres@127.0.0.1:1/x", "ConnectionRefused"),
        (["serve", "--port", "1"], "postgresql+asyncpg://postgres@127.0.0.1:1/x", "Connect"),
        (["db", "upgrade"], "bogus://x", "Can't load plugin"),
        # SQLAlchemy's own "The asyncio extension requires an async driver" names no fix.
        (
            ["db", "upgrade"],
            "sqlite:////nonexistent/x.db",
            "use sqlite+aiosqlite:////nonexistent/x.db",
        ),
        (["worker"], "postgresql://postgres@127.0.0.1:1/x", "use postgresql+asyncpg://postgres@"),
    ],
)
def test_an_unusable_database_is_one_line_and_exit_3(
    command: list[str], url: str, says: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "genfactory", *command, "--database-url", url],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "300"},
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith("Cannot use the database ") and says in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) <= 2


def test_db_upgrade_says_what_it_did_and_where(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from genfactory.store.migrate import alembic_config, head_revision

    def upgrade(url: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "genfactory", "db", "upgrade", "--database-url", url],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "COLUMNS": "300"},
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    head = head_revision()
    # A relative path (three slashes) lands under the working folder: the message shows where.
    made = tmp_path / "var/typo.db"
    made.parent.mkdir()
    assert upgrade("sqlite+aiosqlite:///var/typo.db") == (
        f"created a new database at {made}, at revision {head}"
    )
    assert upgrade(f"sqlite+aiosqlite:///{made}") == f"database {made} already at revision {head}"

    older = tmp_path / "older.db"
    with create_engine(f"sqlite:///{older}").begin() as connection:
        command.upgrade(alembic_config(connection), "0007")
    assert upgrade(f"sqlite+aiosqlite:///{older}") == (
        f"upgraded database {older} from revision 0007 to {head}"
    )


def test_serve_on_a_port_in_use_says_so_before_any_banner(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "genfactory", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "COLUMNS": "300", "GENFACTORY_DATA_DIR": str(tmp_path)},
        )
    assert done.returncode == 1, done.stderr
    assert f"Port {port} on 127.0.0.1 is already in use" in done.stderr
    assert f"--port {port + 1} or GENFACTORY_PORT={port + 1}" in done.stderr
    assert "Gen Image Factory" not in done.stdout  # no banner saying it is on that port
