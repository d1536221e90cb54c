"""Everything one process runs, started and stopped together: the database (migrated),
the bus, the job service, the log tailer and, optionally, a worker pool. Used by
``genfactory serve``, ``genfactory worker`` and the benchmarks."""

from __future__ import annotations

import asyncio
import gc

from genfactory.core.bus import EventBus
from genfactory.core.fanout import LogTailer
from genfactory.core.service import JobService
from genfactory.domain.events import Event
from genfactory.providers.registry import ProviderRegistry, default_registry
from genfactory.settings import Settings
from genfactory.store.blobs import BlobStore
from genfactory.store.engine import Database
from genfactory.store.migrate import current_revision, upgrade
from genfactory.workers.pool import WorkerPool

#: Collect the youngest generation after this many net allocations of tracked objects
#: (CPython's default is 700), the older two after 20 collections of the one below.
GC_THRESHOLDS = (50_000, 20, 20)


def tune_gc() -> None:
    """For a long-running server or worker process, once it has started.

    With CPython's defaults a server streaming to hundreds of clients spends a large share
    of its CPU in the garbage collector, and each full collection walks every object the
    process holds (the app, SQLAlchemy's and pydantic's structures): ~145 ms pauses, several
    a minute, which every subscriber sees as a late event (``bench/stream.py``, SSE p99 at
    100 subscribers: 113 → 30 ms; see docs/benchmarks.md). Freezing what start-up
    built moves it out of the collector's sight for good, and rarer young collections leave
    the short-lived objects of each message to reference counting. Not called in-process by
    tests or embedders: frozen objects are never collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class Runtime:
    def __init__(
        self,
        settings: Settings,
        providers: ProviderRegistry | None = None,
        *,
        workers: int | None = None,
        role: str = "server",
    ) -> None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self.db = Database(settings.resolved_database_url)
        self.bus = EventBus()
        self.service = JobService(
            self.db,
            self.bus,
            settings,
            providers or default_registry(settings),
            BlobStore(settings.blobs_dir),
        )
        self.tailer = LogTailer(
            self.db, self.service.dispatch, settings.tail_interval, bus=self.bus
        )
        self.db.set_publisher(self._publish_local)
        slots = settings.workers if workers is None else workers
        self.pool = WorkerPool(self.service, slots, role=role) if slots > 0 else None
        self.schema_revision: str | None = None
        self._checks: asyncio.Task[None] | None = None

    async def _publish_local(self, events: list[Event]) -> None:
        self.tailer.mark_local(events)
        await self.service.dispatch(events)

    async def start(self) -> None:
        await upgrade(self.db)
        self.schema_revision = await current_revision(self.db)
        await self.tailer.start()
        # Providers that can check themselves (a ComfyUI server answering?) do so in the
        # background: start-up never waits on the network.
        self._checks = asyncio.create_task(self.service.providers.check_all())
        if self.pool is not None:
            await self.pool.start()

    async def stop(self) -> None:
        if self._checks is not None and not self._checks.done():
            self._checks.cancel()
        if self.pool is not None:
            await self.pool.stop()
        await self.tailer.stop()
        await self.db.dispose()
