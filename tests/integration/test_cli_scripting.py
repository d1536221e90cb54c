"""The CLI's errors, exit codes and output for scripts, against a real server: local file
problems, refused option values, a --server that is not one, --json, following a job
through a dropped connection and Ctrl-C, and short image ids."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from genfactory.client import Client
from tests.integration.helpers import wait_for
from tests.integration.test_cli import cli
from tests.support.server import ServerProcess


def _completed_job(server: ServerProcess, prompt: str = "for scripts") -> dict[str, Any]:
    with Client(server.url) as client:
        job = client.create_job(prompt, size="256x256", steps=2)
        return wait_for(client, job["id"], {"completed"})


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr and "Cannot reach" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


# -- 2, 3: -o paths that cannot be written -----------------------------------------------


@pytest.mark.parametrize("command", ["jobs", "images"])
def test_an_output_path_that_cannot_be_written_is_one_line_and_exit_1(
    server: ServerProcess, tmp_path: Path, command: str
) -> None:
    job = _completed_job(server)
    with Client(server.url) as client:
        image_id = client.images(job["id"])[0]["id"]
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    cases = {
        tmp_path / "missing/dir/x": f"folder {tmp_path / 'missing/dir'} does not exist",
        a_file / "x": f"{a_file} is not a folder",
    }
    if os.geteuid() != 0:  # root writes anywhere
        cases[locked / "x"] = f"no permission to write in {locked}"
    for where, why in cases.items():
        if command == "jobs":
            target = where.with_suffix(".xlsx")
            args = ["jobs", "export", "--id", job["short_id"], "--no-images", "-o", str(target)]
        else:
            target = where.with_suffix(".zip")
            args = ["images", "export", image_id, "-o", str(target)]
        done = cli(server, *args)
        assert done.returncode == 1, done.stderr
        assert _one_error_line(done) == f"Cannot write {target}: {why}"
    # A typo in a path never makes folders.
    assert not (tmp_path / "missing").exists()


# -- 6: exit codes and --json ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["generate", "x", "--count", "0"], "--count"),
        (["generate", "x", "--steps", "500"], "--steps"),
        (["generate", "x", "--size", "13x13"], "--size"),
        (["generate", "x", "--provider", "nope"], "--provider"),
        (["jobs", "list", "--limit", "0"], "--limit"),
        (["jobs", "export", "--status", "bogus"], "--status"),
        (["jobs", "export", "--time-zone", "Mars/Base"], "--time-zone"),
    ],
)
def test_a_refused_option_value_is_a_usage_error_naming_the_option(
    server: ServerProcess, args: list[str], option: str
) -> None:
    done = cli(server, *args, columns=60)
    assert done.returncode == 2, done.stderr
    line = _one_error_line(done)  # one line, however narrow: never hard-wrapped
    assert line.startswith(f"Invalid value for {option}: "), line
    assert done.stdout == ""


def test_a_server_that_is_not_a_url_or_not_ours_is_said_so(server: ServerProcess) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "genfactory", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        )

    for before in (True, False):
        args = ["jobs", "list"]
        args = ["--server", "not-a-url", *args] if before else [*args, "--server", "not-a-url"]
        done = run(*args)
        assert done.returncode == 2, done.stderr
        assert "'not-a-url' is not an http(s) URL" in done.stderr
        assert "Cannot reach" not in done.stderr
    elsewhere = run("jobs", "list", "--server", f"{server.url}/not/the/root")
    assert elsewhere.returncode == 1
    assert "is this a Gen Image Factory server?" in elsewhere.stderr


def test_jobs_list_and_show_print_the_apis_json(server: ServerProcess) -> None:
    job = _completed_job(server, "json please")
    listed = cli(server, "jobs", "list", "--limit", "100", "--json", columns=40)
    assert listed.returncode == 0, listed.stderr
    page = json.loads(listed.stdout)
    assert job["id"] in [j["id"] for j in page["items"]] and page["total"] >= 1
    shown = cli(server, "jobs", "show", job["short_id"], "--json", columns=40)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == httpx.get(f"{server.url}/api/jobs/{job['id']}").json()


def test_the_exit_codes_are_documented() -> None:
    from genfactory._docs import render_cli

    page = render_cli()
    for code in (0, 1, 2, 3, 130):
        assert f"\n| {code} | " in page


# -- 9: jobs show names the configuration and the settings -------------------------------


def test_jobs_show_names_the_configuration_and_settings(server: ServerProcess) -> None:
    name = f"show me {time.time_ns()}"
    created = httpx.post(
        f"{server.url}/api/configurations",
        json={"name": name, "settings": {"provider": "procedural", "steps": 3}},
    )
    assert created.status_code == 201, created.text
    with Client(server.url) as client:
        job = client.create_job(
            "configured", configuration=name, size="256x256", seed=77, label="lab", style="noir"
        )
    shown = cli(server, "jobs", "show", job["id"])
    assert shown.returncode == 0, shown.stderr
    fields = {
        line.split(maxsplit=1)[0]: line.split(maxsplit=1)[1]
        for line in shown.stdout.splitlines()
        if len(line.split(maxsplit=1)) == 2
    }
    assert fields["configuration"] == f"{name} (v1)"
    assert fields["size"] == "256x256" and fields["steps"] == "3"
    assert fields["seed"] == "77" and fields["label"] == "lab" and fields["style"] == "noir"


# -- 4, 5, 7: following a job ------------------------------------------------------------

FOLLOW_A_FAILING_JOB = textwrap.dedent(
    """
    import sys
    from genfactory.cli import _follow
    from genfactory.client import Client

    with Client(sys.argv[1]) as client:
        job = client.create_job(
            "a refused castle", size="256x256", steps=2, faults={"reject": True}
        )
        print(_follow(client, job))
    """
)


def test_following_a_failed_job_puts_the_reasons_on_stderr(server: ServerProcess) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FOLLOW_A_FAILING_JOB, server.url],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "40", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "failed"
    failed = [line for line in done.stderr.splitlines() if line.startswith("failed (attempt")]
    assert failed, done.stderr
    # Not cut at 40 columns: a script can grep the whole reason.
    assert all(len(line) > 40 for line in failed), done.stderr
    # The live line's status word is whole even where the message is cut.
    assert "fai…" not in done.stdout and "que…" not in done.stdout


def test_follow_says_when_the_connection_drops_and_why_progress_starts_over(
    tmp_path: Path,
) -> None:
    server = ServerProcess(tmp_path / "data", env={"GENFACTORY_STEP_DELAY": "0.1"}).start()
    follower = subprocess.Popen(
        [sys.executable, "-m", "genfactory", "generate", "survive", "--size", "256x256",
         "--steps", "60", "--follow", "--server", server.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    try:
        with Client(server.url) as client:
            deadline = time.monotonic() + 30
            while not client.list_jobs(1, 0)["items"]:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            job = client.list_jobs(1, 0)["items"][0]
            wait_for(client, job["id"], {"running"})
            time.sleep(1)
        server.stop()  # the running attempt is queued again, to start over
        time.sleep(2)
        server.start()
        stdout, stderr = follower.communicate(timeout=120)
    finally:
        follower.kill()
        server.stop()
    assert follower.returncode == 0, stderr
    assert "Lost the connection to the server; reconnecting…" in stderr
    assert "Reconnected." in stderr
    assert stderr.index("Lost the connection") < stderr.index("Reconnected.")
    assert "queued again after attempt 1/3: " in stdout, stdout
    assert stdout.count("started attempt") >= 2, stdout
    assert stdout.splitlines()[-1] == "completed"


def test_ctrl_c_while_following_says_the_job_keeps_running(server: ServerProcess) -> None:
    follower = subprocess.Popen(
        [sys.executable, "-m", "genfactory", "generate", "ctrl c", "--size", "256x256",
         "--steps", "150", "--follow", "--server", server.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    try:
        assert follower.stdout is not None
        first = follower.stdout.readline()  # "job ID queued  URL"
        job_id = first.split()[1]
        with Client(server.url) as client:
            wait_for(client, job_id, {"running"})
        follower.send_signal(signal.SIGINT)
        _, stderr = follower.communicate(timeout=60)
    finally:
        follower.kill()
    assert follower.returncode == 130, stderr
    short = job_id[:8]
    assert (
        f"Stopped following job {short}; it keeps running on the server. "
        f"Cancel it with: genfactory jobs cancel {short}"
    ) in stderr
    assert "Traceback" not in stderr
    with Client(server.url) as client:
        assert client.get_job(job_id)["status"] in ("running", "uploading", "completed")
        client.cancel(job_id)


# -- 18: short image ids -----------------------------------------------------------------


def test_images_take_short_ids_and_say_when_given_a_job_id(
    server: ServerProcess, tmp_path: Path
) -> None:
    job = _completed_job(server, "short image ids")
    with Client(server.url) as client:
        image_id = client.images(job["id"])[0]["id"]
    target = tmp_path / "short.zip"
    exported = cli(server, "images", "export", image_id[:8], "-o", str(target))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("1 image → ") and target.is_file()
    # The image passed its checks, so the server's refusal shows the id was found.
    passed = cli(server, "images", "regenerate", image_id[:7])
    assert passed.returncode == 1 and "only a failed image" in passed.stderr, passed.stderr
    hint = f"list its images with: genfactory images list {job['short_id']}"
    for given in (job["short_id"], job["id"]):
        for args in (["regenerate", given], ["export", given, "-o", str(tmp_path / "j.zip")]):
            wrong = cli(server, "images", *args)
            assert wrong.returncode == 1, wrong.stderr
            assert "is a job id, not an image id" in wrong.stderr and hint in wrong.stderr
    unknown = cli(server, "images", "regenerate", "0000ffff")
    assert unknown.returncode == 1
    assert "No image with an id starting '0000ffff'" in unknown.stderr
    too_short = cli(server, "images", "regenerate", image_id[:4])
    assert too_short.returncode == 2 and "give at least 6 characters" in too_short.stderr
