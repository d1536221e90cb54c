"""Job statuses and the rules for moving between them.

Every status change in the system is checked against :data:`TRANSITIONS` by
:func:`check_transition`; the store applies the change and appends the event in
the same transaction (``genfactory.store.jobs.transition``).

A completed job goes back to the queue only to regenerate a failed image
(``genfactory.core.regenerate``); such a run always ends ``completed`` again, whether it
succeeds, gives up or is cancelled, because the job's other images are still good. The
commands, not this table, make sure the ``→ completed`` shortcuts (from ``queued`` or
``running``) are taken only by a regeneration.
"""

from __future__ import annotations

from enum import StrEnum

from genfactory.domain.errors import TransitionError


class JobStatus(StrEnum):
    """Where a job is now. The values are the strings stored in the database."""

    QUEUED = "queued"
    RUNNING = "running"
    UPLOADING = "uploading"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL

    @property
    def is_active(self) -> bool:
        """Running or uploading: a worker holds the job's lease."""
        return self in ACTIVE


TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
ACTIVE = frozenset({JobStatus.RUNNING, JobStatus.UPLOADING})

#: Allowed moves, and why each exists.
TRANSITIONS: dict[JobStatus, dict[JobStatus, str]] = {
    JobStatus.QUEUED: {
        JobStatus.RUNNING: "a worker claimed the job",
        JobStatus.CANCELLED: "cancelled before it started",
        JobStatus.FAILED: "it can never run (for example its provider is unknown)",
        JobStatus.COMPLETED: "a queued regeneration was cancelled: the job keeps its images",
    },
    JobStatus.RUNNING: {
        JobStatus.UPLOADING: "the provider returned its images",
        JobStatus.QUEUED: "a retryable error or a lost worker: a new attempt is queued",
        JobStatus.FAILED: "a non-retryable error, or the attempts ran out",
        JobStatus.CANCELLED: "cancelled while generating",
        JobStatus.COMPLETED: "a regeneration was cancelled or gave up: the job keeps its images",
    },
    JobStatus.UPLOADING: {
        JobStatus.COMPLETED: "images stored and checked",
        JobStatus.QUEUED: "a lost worker or a retryable storage error",
        JobStatus.FAILED: "storing the images failed for good",
        JobStatus.CANCELLED: "cancelled while storing",
    },
    JobStatus.FAILED: {
        JobStatus.QUEUED: "a manual retry starts a new attempt",
    },
    JobStatus.CANCELLED: {
        JobStatus.QUEUED: "a manual retry starts a new attempt",
    },
    JobStatus.COMPLETED: {
        JobStatus.QUEUED: "a failed image is regenerated: the job runs again for one new image",
    },
}

_REFUSALS: dict[tuple[JobStatus, JobStatus], str] = {
    (JobStatus.COMPLETED, JobStatus.CANCELLED): "the job has already completed",
    (JobStatus.FAILED, JobStatus.CANCELLED): "the job has already failed",
    (JobStatus.CANCELLED, JobStatus.CANCELLED): "the job is already cancelled",
    (JobStatus.QUEUED, JobStatus.QUEUED): "the job is already queued",
    (JobStatus.RUNNING, JobStatus.RUNNING): "the job is already running",
}


def check_transition(current: JobStatus, target: JobStatus) -> str:
    """Return why ``current → target`` is allowed, or raise :class:`TransitionError`."""
    allowed = TRANSITIONS[current]
    if target in allowed:
        return allowed[target]
    reason = _REFUSALS.get((current, target))
    if reason is None:
        reason = f"a {current.value} job cannot become {target.value}"
    raise TransitionError(current.value, target.value, reason)


#: A person may start a new attempt only of a job that has stopped without success.
MANUALLY_RETRYABLE = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})


def check_manual_retry(current: JobStatus) -> None:
    """``running → queued`` is allowed for the engine (retryable errors, lost workers) but
    never on request: a running job would be interrupted."""
    if current not in MANUALLY_RETRYABLE:
        reason = {
            JobStatus.COMPLETED: "a completed job cannot be retried; rerun it instead",
            JobStatus.QUEUED: "the job is already queued",
        }.get(current, f"the job is {current.value}; only failed or cancelled jobs can be retried")
        raise TransitionError(current.value, JobStatus.QUEUED.value, reason)
