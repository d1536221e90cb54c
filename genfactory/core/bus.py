"""In-process fan-out of committed events to live subscribers.

The bus is only a fast path: the event log in the database is the truth. A subscriber
whose queue overflows (a slow consumer) is flagged and refills from the log, so nothing
is lost; see :mod:`genfactory.core.streams`.

Notices (:class:`~genfactory.domain.events.Notice`: jobs deleted) are not in the log, so
they travel only here: to every global subscriber, and as "gone" to the subscribers of
each deleted job.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque

from genfactory.domain.events import Event, Notice

DEFAULT_QUEUE_SIZE = 2048
#: Notices a global subscriber may have waiting; past that they merge into one
#: "reload" notice (ids unknown), which says the same to a client.
MAX_PENDING_NOTICES = 32


class Subscription:
    """One live listener. ``overflowed`` means events were dropped: refill from the log."""

    def __init__(self, maxsize: int = DEFAULT_QUEUE_SIZE) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.overflowed = False
        self.wakeup = asyncio.Event()
        self.notices: deque[Notice] = deque()
        #: Per-job subscribers: the job was deleted (the stream says so and ends).
        self.gone = False

    def offer(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
        self.wakeup.set()

    def notify(self, notice: Notice) -> None:
        if len(self.notices) >= MAX_PENDING_NOTICES:
            merged = sum(n.count for n in self.notices) + notice.count
            self.notices.clear()
            notice = Notice(notice.type, notice.time, None, merged)
        self.notices.append(notice)
        self.wakeup.set()

    def mark_gone(self) -> None:
        self.gone = True
        self.wakeup.set()

    def take_notices(self) -> list[Notice]:
        items = list(self.notices)
        self.notices.clear()
        return items

    def drain(self) -> list[Event]:
        items: list[Event] = []
        while True:
            try:
                items.append(self.queue.get_nowait())
            except asyncio.QueueEmpty:
                return items


class EventBus:
    def __init__(self) -> None:
        self._by_job: dict[str, set[Subscription]] = defaultdict(set)
        self._global: set[Subscription] = set()

    def subscribe_job(self, job_id: str, maxsize: int = DEFAULT_QUEUE_SIZE) -> Subscription:
        sub = Subscription(maxsize)
        self._by_job[job_id].add(sub)
        return sub

    def unsubscribe_job(self, job_id: str, sub: Subscription) -> None:
        subs = self._by_job.get(job_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._by_job[job_id]

    def subscribe_global(self) -> Subscription:
        # Global listeners only need a wake-up: they read the log in id order.
        sub = Subscription(maxsize=1)
        self._global.add(sub)
        return sub

    def unsubscribe_global(self, sub: Subscription) -> None:
        self._global.discard(sub)

    def subscriber_count(self, job_id: str) -> int:
        return len(self._by_job.get(job_id, ()))

    def watched_jobs(self) -> list[str]:
        """The jobs someone follows here (to find which of them a notice deleted)."""
        return list(self._by_job)

    def publish_notice(self, notice: Notice, gone: list[str] | None = None) -> None:
        """Hand a notice to every global subscriber; tell the subscribers of each job in
        ``gone`` (default: the notice's ids) that their job was deleted."""
        for sub in tuple(self._global):
            sub.notify(notice)
        for job_id in gone if gone is not None else notice.job_ids or ():
            for sub in tuple(self._by_job.get(job_id, ())):
                sub.mark_gone()

    async def publish(self, events: list[Event]) -> None:
        wake_global = False
        for event in events:
            for sub in tuple(self._by_job.get(event.job_id, ())):
                sub.offer(event)
            wake_global = wake_global or event.is_global
        if wake_global:
            for sub in tuple(self._global):
                sub.wakeup.set()
