"""Event types of the per-job append-only log.

Every event travels in one envelope on every transport (WebSocket, SSE, polling)::

    {"job_id": "…", "seq": 7, "id": 1234, "type": "progress", "time": "…Z", "data": {…}}

``seq`` is gap-free and increasing per job; ``id`` is the position in the global
stream (all jobs), increasing but with gaps for events the global stream leaves out.
The payload models below document ``data`` for each type; ``docs/events.md`` is
generated from them and a test keeps the two in step.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, Field


class EventType(StrEnum):
    STATUS = "status"
    PROGRESS = "progress"
    PREVIEW = "preview"
    IMAGE = "image"
    LOG = "log"
    ERROR = "error"
    LABEL = "label"
    QC = "qc"


#: Types carried by the global stream: what a list of all jobs shows (status, progress,
#: images and their quality-check counts, errors, labels).
GLOBAL_TYPES = frozenset(
    {
        EventType.STATUS,
        EventType.PROGRESS,
        EventType.IMAGE,
        EventType.ERROR,
        EventType.LABEL,
        EventType.QC,
    }
)


class StatusData(BaseModel):
    """The job changed status. ``reason`` says why, in words a person can read.

    Every job that completes passes through ``uploading`` (storing its images, thumbnails
    and quality checks). When that takes under a quarter of a second, the ``uploading``
    event is written in the same transaction as ``completed`` (their times a few
    milliseconds apart); when it takes longer,
    ``uploading`` comes once the quarter second has passed, then ``progress`` events as the
    images are stored."""

    status: str
    previous: str | None = None
    attempt: int
    max_attempts: int
    reason: str = ""
    run_after: str | None = Field(
        default=None, description="When a re-queued attempt may start (ISO 8601)."
    )
    error: dict[str, Any] | None = Field(
        default=None, description="The typed error when the change was caused by one."
    )


class ProgressData(BaseModel):
    """How far the current attempt has come."""

    stage: str = Field(description="queued, running or uploading")
    percent: float = Field(ge=0, le=100)
    step: int | None = None
    total: int | None = None
    message: str = ""


class PreviewData(BaseModel):
    """A new preview image exists; fetch it from ``url`` (immutable, versioned)."""

    url: str
    version: int
    step: int | None = None
    width: int
    height: int


class ImageData(BaseModel):
    """A final image was stored."""

    image_id: str
    index: int
    url: str
    thumbnail_url: str
    width: int
    height: int
    bytes: int
    seed: int
    qc_status: str = Field(default="pending", description="passed, failed or pending")
    qc_reason: str | None = Field(default=None, description="Why the checks failed it.")


class LogData(BaseModel):
    """A line of the job's log."""

    level: str = "info"
    message: str


class ErrorData(BaseModel):
    """An attempt failed with a typed error (a ``status`` event follows)."""

    code: str
    message: str
    retryable: bool
    retry_after: float | None = None
    attempt: int


class LabelData(BaseModel):
    """The job was renamed (the timeline shows this event: "Renamed to …")."""

    label: str = Field(description="The new label.")
    previous: str | None = Field(description="The label before (null: it had none).")


class QCData(BaseModel):
    """A person approved or rejected an image, and the job's counts after it."""

    image_id: str
    index: int = Field(description="The image's position in the job (from 0).")
    qc_status: str = Field(description="passed or failed")
    previous: str = Field(description="The image's QC status before: passed, failed or pending.")
    reason: str | None = Field(default=None, description="The reviewer's reason, if given.")
    source: str = Field(default="manual", description="Who decided: manual (a person).")
    passed: int = Field(description="The job's images that pass now.")
    failed: int = Field(description="The job's images that fail now.")
    pending: int = Field(description="The job's images still awaiting the checks.")


PAYLOADS: dict[EventType, type[BaseModel]] = {
    EventType.STATUS: StatusData,
    EventType.PROGRESS: ProgressData,
    EventType.PREVIEW: PreviewData,
    EventType.IMAGE: ImageData,
    EventType.LOG: LogData,
    EventType.ERROR: ErrorData,
    EventType.LABEL: LabelData,
    EventType.QC: QCData,
}


class EventEnvelope(BaseModel):
    """One event as every transport sends it."""

    job_id: str
    seq: int = Field(description="Gap-free, increasing position in the job's log (from 1).")
    id: int = Field(description="Position in the global stream of all jobs.")
    type: EventType
    time: str = Field(description="When the event was appended (ISO 8601, UTC).")
    data: dict[str, Any]


def iso_time(epoch: float) -> str:
    """Epoch seconds → ``2026-11-21T23:59:01.123456Z``."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="microseconds")[:-6] + "Z"


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Event:
    """One appended event (the in-memory form of :class:`EventEnvelope`)."""

    job_id: str
    seq: int
    id: int
    type: str
    time: float
    data: dict[str, Any]
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def envelope(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "seq": self.seq,
            "id": self.id,
            "type": self.type,
            "time": iso_time(self.time),
            "data": self.data,
        }

    def to_json(self) -> str:
        """The envelope as JSON, encoded once however many subscribers send it."""
        return self.memo("json", lambda event: json.dumps(event.envelope(), separators=(",", ":")))

    def memo(self, key: str, make: Callable[[Event], _T]) -> _T:
        """``make(self)``, made once per event however many subscribers send it."""
        try:
            value: _T = self._memo[key]
        except KeyError:
            value = self._memo[key] = make(self)
        return value

    @property
    def is_global(self) -> bool:
        return self.type in GLOBAL_TYPES


# -- notices ------------------------------------------------------------------------------


class NoticeType(StrEnum):
    JOBS_DELETED = "jobs_deleted"


#: The most job ids a notice names on the wire; past it ``job_ids`` is null ("refetch").
#: 200 ids fit a PostgreSQL NOTIFY payload (under 8,000 bytes) with room to spare.
MAX_NOTICE_IDS = 200


class JobsDeletedData(BaseModel):
    """Jobs were deleted (their events went with them, so no event can say so)."""

    job_ids: list[str] | None = Field(
        description=f"The deleted jobs; null when more than {MAX_NOTICE_IDS} were deleted "
        "at once (reload what you show)."
    )
    count: int = Field(description="How many jobs were deleted.")


NOTICE_PAYLOADS: dict[NoticeType, type[BaseModel]] = {NoticeType.JOBS_DELETED: JobsDeletedData}


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for every live view of all jobs that is not part of any job's log: it
    has no ``seq`` or ``id``, is not stored and is not resumable (a client that was away
    reloads what it shows). In this process it names every deleted job; on the wire at
    most :data:`MAX_NOTICE_IDS`."""

    type: str
    time: float
    job_ids: tuple[str, ...] | None
    count: int

    @classmethod
    def jobs_deleted(cls, job_ids: list[str] | tuple[str, ...], *, now: float) -> Notice:
        return cls(NoticeType.JOBS_DELETED.value, now, tuple(job_ids), len(job_ids))

    def data(self) -> dict[str, Any]:
        ids = self.job_ids
        listed = list(ids) if ids is not None and len(ids) <= MAX_NOTICE_IDS else None
        return {"job_ids": listed, "count": self.count}

    def body(self) -> dict[str, Any]:
        """The notice as the SSE ``notice`` event carries it (WebSocket adds ``control``)."""
        return {"type": self.type, "time": iso_time(self.time), "data": self.data()}
