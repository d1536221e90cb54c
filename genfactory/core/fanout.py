"""Events appended by *other* processes reach this one's subscribers.

A separate ``genfactory worker``, or another API node, appends events to the shared log;
this process learns of them by tailing the log in ``id`` order (ids become visible in
increasing order: SQLite writes are serial, PostgreSQL appends take an ordering lock). On
PostgreSQL a ``NOTIFY`` sent by every appending transaction wakes the tailer at once;
otherwise it looks every ``interval`` seconds. Events this process published itself are
skipped, so local subscribers never see an event twice from here.

Notices (jobs deleted) are not in the log. On PostgreSQL the deleting transaction sends
one on :data:`NOTICE_CHANNEL` (delivered only if it commits) and every other process's
tailer hands it to its bus. On SQLite the API is one process (workers may be others, but
they delete nothing), so the bus alone carries them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select

from genfactory.core.bus import EventBus
from genfactory.domain.events import MAX_NOTICE_IDS, Event, Notice, NoticeType
from genfactory.store.engine import NOTIFY_CHANNEL, Database, WriteTx
from genfactory.store.events import last_global_id, read_all_after
from genfactory.store.job_edits import existing_jobs

log = logging.getLogger(__name__)

Handler = Callable[[list[Event]], Awaitable[None]]

#: PostgreSQL channel of notices (payload: JSON, see :func:`send_notice`).
NOTICE_CHANNEL = "genfactory_notices"
_PROCESS = uuid.uuid4().hex[:12]


def notice_origin(db: Database) -> str:
    """Who sent a notice: this process and database handle (its own are skipped)."""
    return f"{_PROCESS}-{id(db):x}"


async def send_notice(tx: WriteTx, db: Database, notice: Notice) -> None:
    """Tell the other processes when ``tx`` commits (PostgreSQL ``NOTIFY`` is
    transactional: a rolled-back delete says nothing). SQLite: nothing to do."""
    if db.is_sqlite:
        return
    ids = notice.job_ids
    payload = {
        "origin": notice_origin(db),
        "type": notice.type,
        "time": notice.time,
        "job_ids": list(ids) if ids is not None and len(ids) <= MAX_NOTICE_IDS else None,
        "count": notice.count,
    }
    await tx.conn.execute(select(func.pg_notify(NOTICE_CHANNEL, json.dumps(payload))))


def _parse_notice(payload: str) -> tuple[str, Notice] | None:
    try:
        body = json.loads(payload)
        ids = body["job_ids"]
        notice = Notice(
            str(NoticeType(body["type"])),
            float(body["time"]),
            tuple(str(i) for i in ids) if ids is not None else None,
            int(body["count"]),
        )
        return str(body["origin"]), notice
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring a malformed notice: %.200s", payload)
        return None


async def deliver_notice(db: Database, bus: EventBus, notice: Notice) -> None:
    """Hand a notice to this process's subscribers. A deletion too large to name its jobs
    still ends the per-job streams of the deleted ones: those still followed here are
    looked up."""
    gone: list[str] | None = None
    if notice.job_ids is None and notice.type == NoticeType.JOBS_DELETED:
        watched = bus.watched_jobs()
        if watched:
            async with db.read() as conn:
                left = await existing_jobs(conn, watched)
            gone = [job_id for job_id in watched if job_id not in left]
    bus.publish_notice(notice, gone)


class LogTailer:
    def __init__(
        self,
        db: Database,
        handler: Handler,
        interval: float = 0.25,
        *,
        bus: EventBus | None = None,
    ) -> None:
        self.db = db
        self.handler = handler
        self.interval = interval
        #: Where other processes' notices go (none: they are dropped).
        self.bus = bus
        self.cursor = 0
        self._local: set[int] = set()
        self._notices: deque[Notice] = deque(maxlen=256)
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
            await self._listener.add_listener(NOTICE_CHANNEL, self._on_notice)
        except Exception:
            log.warning("LISTEN unavailable; tailing the event log by polling", exc_info=True)
            self._listener = None

    def _on_notice(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        parsed = _parse_notice(payload)
        if parsed is None or parsed[0] == notice_origin(self.db):
            return  # this process published its own already
        self._notices.append(parsed[1])
        self._wakeup.set()

    async def _run(self) -> None:
        interval = self.interval if self._listener is None else max(self.interval, 2.0)
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._wakeup.wait()
            self._wakeup.clear()
            try:
                await self.deliver_notices()
                await self.poll()
            except Exception:
                log.exception("tailing the event log failed")

    async def deliver_notices(self) -> int:
        """Hand other processes' notices to this one's bus; return how many."""
        delivered = 0
        while self._notices:
            notice = self._notices.popleft()
            if self.bus is not None:
                await deliver_notice(self.db, self.bus, notice)
                delivered += 1
        return delivered

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
