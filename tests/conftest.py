"""Shared fixtures. Integration tests run against a real server on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import create_database, drop_database, postgres_available
from tests.support.server import ServerProcess

IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run (dropped at the end)."""
    why = postgres_available()
    if why is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {why}")
        pytest.skip(f"PostgreSQL unreachable: {why}")
    name, url = create_database()
    yield url
    drop_database(name)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return None  # the server's default: a SQLite file in its data folder


@pytest.fixture(scope="session")
def server(
    database_url: str | None, tmp_path_factory: pytest.TempPathFactory, backend: str
) -> Iterator[ServerProcess]:
    """One running server per backend, shared by the integration tests."""
    proc = ServerProcess(tmp_path_factory.mktemp(f"server-{backend}"), database_url).start()
    yield proc
    proc.stop()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main
    thread for the rest of the session, which asyncio-based tests cannot share."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
