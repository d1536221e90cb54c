"""The job's snapshot settings reach the provider: the runner passes every setting that is
not a request field in ``GenerationRequest.options``."""

from __future__ import annotations

import time
from pathlib import Path

from genfactory.core.bus import EventBus
from genfactory.core.service import JobService
from genfactory.domain.statuses import JobStatus
from genfactory.providers.base import CancelToken, GeneratedImage, GenerationRequest, Reporter
from genfactory.providers.procedural import ProceduralProvider
from genfactory.providers.registry import ProviderRegistry
from genfactory.settings import Settings
from genfactory.store import jobs as job_store
from genfactory.store.blobs import BlobStore
from genfactory.store.engine import Database
from genfactory.workers.runner import run_job


class RecordingProvider:
    """The procedural renderer, keeping every request it was given."""

    def __init__(self) -> None:
        self.inner = ProceduralProvider(step_delay=0)
        self.info = self.inner.info
        self.requests: list[GenerationRequest] = []

    async def generate(
        self, request: GenerationRequest, reporter: Reporter, cancel: CancelToken
    ) -> list[GeneratedImage]:
        self.requests.append(request)
        return await self.inner.generate(request, reporter, cancel)


async def test_snapshot_settings_reach_the_provider(sqlite_db: Database, tmp_path: Path) -> None:
    provider = RecordingProvider()
    service = JobService(
        sqlite_db,
        EventBus(),
        Settings(data_dir=tmp_path, mode="test"),
        ProviderRegistry([provider]),
        BlobStore(tmp_path / "blobs"),
    )
    params = {
        "size": "256x256",
        "width": 256,
        "height": 256,
        "steps": 1,
        "count": 1,
        "style": None,
        "seed": 5,
        "qc": {"min_detail": 0},
        "model": "sdxl-turbo",
        "negative_prompt": "blurry, text",
        "quality": "high",
        "output_format": "png",
    }
    async with service.db.write() as tx:
        job = await job_store.create_job(
            tx, prompt="a kite", provider=provider.info.name, params=params, max_attempts=1
        )
        claimed = await job_store.claim_next_job(tx, "w1", 30, now=time.time() + 10)
    assert claimed is not None and claimed.id == job.id
    await run_job(service, claimed, "w1", CancelToken())
    [request] = provider.requests
    assert request.options == {
        "model": "sdxl-turbo",
        "negative_prompt": "blurry, text",
        "quality": "high",
        "output_format": "png",
    }
    assert (request.seed, request.count, request.width) == (5, 1, 256)
    async with service.db.read() as conn:
        assert (await job_store.get_job(conn, job.id)).status is JobStatus.COMPLETED
