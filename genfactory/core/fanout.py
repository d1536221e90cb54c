"""Events appended by *other* processes reach this one's subscribers.

A separate ``genfactory worker``, or another API node, appends events to the shared log;
this process learns of them by tailing the log in ``id`` order (ids become visible in
increasing order: SQLite writes are serial, PostgreSQL appends take an ordering lock). On
PostgreSQL a ``NOTIFY`` sent by every appending transaction wakes the tailer at once;
otherwise it looks every ``interval`` seconds. Events this process published itself are
skipped, so local subscribers never see an event twice from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from genfactory.domain.events import Event
from genfactory.store.engine import NOTIFY_CHANNEL, Database
from genfactory.store.events import last_global_id, read_all_after

log = logging.getLogger(__name__)

Handler = Callable[[list[Event]], Awaitable[None]]


class LogTailer:
    def __init__(self, db: Database, handler: Handler, interval: float = 0.25) -> None:
        self.db = db
        self.handler = handler
        self.interval = interval
        self.cursor = 0
        self._local: set[int] = set()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: Any = None

    def mark_local(self, events: list[Event]) -> None:
        """Events this process already published (called on every local commit)."""
        for event in events:
            if event.id > self.cursor:
                self._local.add(event.id)

    async def start(self) -> None:
        async with self.db.read() as conn:
            self.cursor = await last_global_id(conn)
        if not self.db.is_sqlite:
            await self._listen()
        self._task = asyncio.create_task(self._run(), name="log-tailer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()

    async def _listen(self) -> None:
        """A dedicated asyncpg connection LISTENing for appends on any node."""
        import asyncpg

        url = self.db.url.replace("postgresql+asyncpg://", "postgresql://")
        try:
            self._listener = await asyncpg.connect(url)
            await self._listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._wakeup.set())
        except Exception:
            log.warning("LISTEN unavailable; tailing the event log by polling", exc_info=True)
            self._listener = None

    async def _run(self) -> None:
        interval = self.interval if self._listener is None else max(self.interval, 2.0)
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._wakeup.wait()
            self._wakeup.clear()
            try:
                await self.poll()
            except Exception:
                log.exception("tailing the event log failed")

    async def poll(self) -> int:
        """Publish what other processes appended since the last look; return how many."""
        published = 0
        while True:
            async with self.db.read() as conn:
                batch = await read_all_after(conn, self.cursor, 1000)
            if not batch:
                break
            remote = [e for e in batch if e.id not in self._local]
            self._local.difference_update(e.id for e in batch)
            self.cursor = batch[-1].id
            if remote:
                await self.handler(remote)
                published += len(remote)
            if len(batch) < 1000:
                break
        # Ids of local events whose rows vanished (deleted jobs) must not pile up.
        self._local = {i for i in self._local if i > self.cursor}
        return published
