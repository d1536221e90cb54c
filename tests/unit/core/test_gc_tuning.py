"""The garbage collector is tuned in a server process once it has started, and only there:
``create_app(tune=True)`` (what ``genfactory serve`` builds) freezes what start-up made and
raises the thresholds; a plain ``create_app()`` (tests, embedders) leaves the collector as
it was. Each case runs in its own interpreter: freezing is for the whole process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from genfactory.core.runtime import GC_THRESHOLDS

SCRIPT = """
import gc, json, sys
from starlette.testclient import TestClient
from genfactory.api.app import create_app
from genfactory.settings import Settings

app = create_app(Settings(data_dir=sys.argv[1], workers=0), tune=sys.argv[2] == "tune")
with TestClient(app) as client:
    assert client.get("/api/jobs").status_code == 200
    print(json.dumps({"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def _collector_while_serving(tmp_path: Path, tune: bool) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), "tune" if tune else "plain"],
        env={k: v for k, v in os.environ.items() if not k.startswith("GENFACTORY_")},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_a_server_app_tunes_the_collector_once_started(tmp_path: Path) -> None:
    seen = _collector_while_serving(tmp_path, tune=True)
    assert tuple(seen["threshold"]) == GC_THRESHOLDS  # type: ignore[call-overload]
    assert int(seen["frozen"]) > 10_000  # type: ignore[call-overload]  # the app, SQLAlchemy…


def test_a_plain_app_leaves_the_collector_alone(tmp_path: Path) -> None:
    seen = _collector_while_serving(tmp_path, tune=False)
    assert tuple(seen["threshold"]) != GC_THRESHOLDS  # type: ignore[call-overload]
    assert seen["frozen"] == 0
