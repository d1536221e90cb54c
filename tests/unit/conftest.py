"""Unit-level fixtures: a real SQLite file with the schema applied, and the core on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from genfactory.core.bus import EventBus
from genfactory.core.service import JobService
from genfactory.providers.procedural import ProceduralProvider
from genfactory.providers.registry import ProviderRegistry
from genfactory.settings import Settings
from genfactory.store.blobs import BlobStore
from genfactory.store.engine import Database
from genfactory.store.migrate import upgrade


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'unit.db'}")
    await upgrade(db)
    yield db
    await db.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, mode="test", retry_base_seconds=2, retry_max_seconds=60)


@pytest.fixture
def service(sqlite_db: Database, settings: Settings, tmp_path: Path) -> JobService:
    return JobService(
        sqlite_db,
        EventBus(),
        settings,
        ProviderRegistry([ProceduralProvider(step_delay=0)]),
        BlobStore(tmp_path / "blobs"),
    )
