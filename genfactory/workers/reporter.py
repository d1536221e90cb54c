"""Turns what a provider observes into events, throttled so a fast provider cannot
flood the log: at most ~10 progress events and one preview per ``preview_interval``
per second per job (the last step always gets through)."""

from __future__ import annotations

import time

from genfactory.core.service import JobService
from genfactory.domain.events import EventType
from genfactory.store import images as image_store
from genfactory.store import jobs as job_store
from genfactory.store.events import append_event

PROGRESS_INTERVAL = 0.1
#: Share of the job's percent covered by generation; uploading covers the rest.
RUNNING_SHARE = 90.0

_CONTENT_TYPES = {b"RIFF": "image/webp", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png"}


def sniff_content_type(data: bytes) -> str:
    for magic, content_type in _CONTENT_TYPES.items():
        if data.startswith(magic):
            return content_type
    return "application/octet-stream"


class JobReporter:
    """The :class:`~genfactory.providers.base.Reporter` a worker hands a provider."""

    def __init__(self, service: JobService, job_id: str, owner: str, count: int) -> None:
        self.service = service
        self.job_id = job_id
        self.owner = owner
        self.count = max(1, count)
        self._last_progress = 0.0
        self._last_preview = 0.0

    async def progress(
        self, step: int, total: int, message: str = "", *, image_index: int = 0
    ) -> None:
        now = time.monotonic()
        last_step = step >= total and image_index >= self.count - 1
        if not last_step and now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        done = (image_index * total + step) / (self.count * max(1, total))
        data = {
            "stage": "running",
            "percent": round(RUNNING_SHARE * min(1.0, done), 2),
            "step": step,
            "total": total,
            "message": message or f"Step {step}/{total}",
        }
        async with self.service.db.write() as tx:
            await job_store.record_progress(tx, self.job_id, self.owner, data)

    def wants_preview(self) -> bool:
        return time.monotonic() - self._last_preview >= self.service.settings.preview_interval

    async def preview(self, image: bytes, *, width: int, height: int, step: int) -> None:
        if not self.wants_preview():
            return
        self._last_preview = time.monotonic()
        async with self.service.db.write() as tx:
            await job_store.assert_owner(tx.conn, self.job_id, self.owner)
            version = await image_store.put_preview(
                tx, self.job_id, image, sniff_content_type(image), width, height
            )
            await append_event(
                tx,
                self.job_id,
                EventType.PREVIEW,
                {
                    "url": f"/api/jobs/{self.job_id}/preview/{version}",
                    "version": version,
                    "step": step,
                    "width": width,
                    "height": height,
                },
            )

    async def log(self, message: str, level: str = "info") -> None:
        async with self.service.db.write() as tx:
            await job_store.assert_owner(tx.conn, self.job_id, self.owner)
            await append_event(tx, self.job_id, EventType.LOG, {"level": level, "message": message})
