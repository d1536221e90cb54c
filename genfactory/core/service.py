"""The commands on jobs: submit, cancel, retry, rerun, and the outcomes workers report.

Every status change goes through :func:`genfactory.store.jobs.transition`; this module
decides *which* change a command means (the policies: back-off, attempt budgets).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from genfactory.core import regenerate
from genfactory.core.bus import EventBus
from genfactory.core.submits import SubmitQueue
from genfactory.domain.errors import Conflict, ErrorCode, LeaseLost, NotFound, ProviderError
from genfactory.domain.events import Event
from genfactory.domain.statuses import JobStatus, check_manual_retry
from genfactory.providers.base import CancelToken, parse_size
from genfactory.providers.registry import ProviderRegistry
from genfactory.settings import Settings
from genfactory.store import configurations as config_store
from genfactory.store import jobs as job_store
from genfactory.store import regenerations as regen_store
from genfactory.store.blobs import BlobStore
from genfactory.store.configurations import ConfigurationRecord
from genfactory.store.engine import Database
from genfactory.store.jobs import JobRecord, NewJob

MAX_SEED = 2**31 - 1
#: Configuration settings copied into a job's snapshot besides the job fields.
SNAPSHOT_EXTRAS = ("qc", "model", "output_format")


#: Statuses that stop a job running here. ``completed`` is among them because a cancelled
#: regeneration ends the job completed; after a normal completion the token is unused.
_STOPS_THE_WORKER = frozenset(
    {JobStatus.CANCELLED.value, JobStatus.FAILED.value, JobStatus.COMPLETED.value}
)


class InvalidRequest(Exception):
    """A request the rules refuse, with the field it concerns (HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class JobSpec:
    """A validated request for a new job."""

    prompt: str
    size: str | None = None
    steps: int | None = None
    count: int = 1
    style: str | None = None
    seed: int | None = None
    label: str | None = None
    provider: str | None = None
    faults: dict[str, Any] | None = None
    configuration: str | None = None  # a configuration id (exact version) or name (newest)
    count_given: bool = True


def wait_text(seconds: float) -> str:
    """A wait as people say it: "40 s", "16 min 40 s", "2 h 5 min"."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


class JobService:
    """The core. One per process; the API, the CLI (through the API) and the workers use it."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        settings: Settings,
        providers: ProviderRegistry,
        blobs: BlobStore,
    ) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.providers = providers
        self.blobs = blobs
        self.work_available = asyncio.Event()
        self._cancel_tokens: dict[str, CancelToken] = {}
        self._submits = SubmitQueue(db)
        db.set_publisher(self.dispatch)

    async def dispatch(self, events: list[Event]) -> None:
        """Hand committed events (this process's or, via the log tailer, another's) to
        live subscribers, wake idle workers and stop cancelled jobs running here."""
        await self.bus.publish(events)
        for event in events:
            if event.type == "status":
                status = event.data.get("status")
                if status == JobStatus.QUEUED.value:
                    self.work_available.set()
                elif status in _STOPS_THE_WORKER:
                    token = self._cancel_tokens.get(event.job_id)
                    if token is not None:
                        token.cancel(event.data.get("reason") or status)

    # -- cancellation tokens of jobs running in this process --------------------------

    def register_token(self, job_id: str, token: CancelToken) -> None:
        self._cancel_tokens[job_id] = token

    def unregister_token(self, job_id: str) -> None:
        self._cancel_tokens.pop(job_id, None)

    # -- commands ---------------------------------------------------------------------

    def params_for(self, spec: JobSpec) -> tuple[str, dict[str, Any]]:
        """Check ``spec`` against its provider; return the provider name and the snapshot."""
        provider_name = spec.provider or self.providers.default
        if provider_name not in self.providers:
            raise InvalidRequest("provider", f"Unknown provider {provider_name!r}.")
        info = self.providers.get(provider_name).info
        if not info.available:
            raise InvalidRequest(
                "provider", f"Provider {provider_name!r} is unavailable: {info.unavailable_reason}"
            )
        size = spec.size or info.sizes[0]
        if size not in info.sizes:
            raise InvalidRequest(
                "size", f"Size {size!r} is not offered; choose one of {', '.join(info.sizes)}."
            )
        steps = spec.steps if spec.steps is not None else info.default_steps
        if not info.min_steps <= steps <= info.max_steps:
            raise InvalidRequest(
                "steps", f"Steps must be between {info.min_steps} and {info.max_steps}."
            )
        if spec.style is not None and info.styles and spec.style not in info.styles:
            raise InvalidRequest(
                "style",
                f"Style {spec.style!r} is not offered; choose one of {', '.join(info.styles)}.",
            )
        if spec.faults is not None and not self.settings.faults_allowed:
            raise InvalidRequest(
                "faults",
                "Fault injection is only available when the server runs in dev or test mode.",
            )
        if spec.faults is not None:
            from pydantic import ValidationError

            from genfactory.providers.faults import FaultPlan

            try:
                FaultPlan.model_validate(spec.faults)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])  # empty: the plan as a whole
                message = str(first["msg"]).removeprefix("Value error, ")
                raise InvalidRequest(
                    "faults", f"Invalid fault plan: {f'{where}: ' if where else ''}{message}"
                ) from None
        width, height = parse_size(size)
        params: dict[str, Any] = {
            "size": size,
            "width": width,
            "height": height,
            "steps": steps,
            "count": spec.count,
            "style": spec.style,
            "seed": spec.seed if spec.seed is not None else random.randint(0, MAX_SEED),
        }
        if spec.faults is not None:
            params["faults"] = spec.faults
        return provider_name, params

    async def resolve_configuration(self, ref: str) -> ConfigurationRecord:
        async with self.db.read() as conn:
            try:
                return await config_store.get_configuration(conn, ref)
            except NotFound:
                try:
                    return await config_store.latest_by_name(conn, ref)
                except NotFound:
                    raise InvalidRequest(
                        "configuration", f"No configuration with id or name “{ref}”."
                    ) from None

    async def submit(self, spec: JobSpec) -> JobRecord:
        """Queue a new job. Fields not given come from the configuration (if any), then from
        the provider's defaults; the job keeps the resulting snapshot."""
        config = None
        if spec.configuration is not None:
            config = await self.resolve_configuration(spec.configuration)
            defaults = config.settings
            spec = replace(
                spec,
                provider=spec.provider or defaults.get("provider"),
                size=spec.size or defaults.get("size"),
                steps=spec.steps if spec.steps is not None else defaults.get("steps"),
                style=spec.style if spec.style is not None else defaults.get("style"),
                count=spec.count if spec.count_given else int(defaults.get("count", spec.count)),
            )
        provider, params = self.params_for(spec)
        if config is not None:
            # Settings that shape the output but are not job fields travel in the snapshot.
            params.update(
                {k: config.settings[k] for k in SNAPSHOT_EXTRAS if config.settings.get(k)}
            )
        return await self._submits.submit(
            NewJob(
                prompt=spec.prompt,
                provider=provider,
                params=params,
                label=spec.label,
                max_attempts=self.settings.max_attempts,
                configuration=(config.id, config.name, config.version) if config else None,
            )
        )

    async def cancel(self, job_id: str) -> JobRecord:
        """Stop the job. A job queued or running to regenerate an image returns to
        ``completed`` instead (its other images are fine; see ``core.regenerate``)."""
        async with self.db.write() as tx:
            job = await job_store.get_job(tx.conn, job_id, for_update=True)
            if not job.status.is_terminal:
                regeneration = await regen_store.pending_for_job(tx.conn, job_id)
                if regeneration is not None:
                    return await regenerate.cancel_regeneration(tx, job, regeneration)
            return await job_store.transition(
                tx, job_id, JobStatus.CANCELLED, reason="cancelled by request"
            )

    async def retry(self, job_id: str) -> JobRecord:
        """A new attempt of a failed or cancelled job, with a fresh budget of automatic retries."""
        async with self.db.write() as tx:
            job = await job_store.get_job(tx.conn, job_id, for_update=True)
            check_manual_retry(job.status)
            if job.status is JobStatus.FAILED and (job.error or {}).get("code") == "rejected":
                raise Conflict(
                    "The provider rejected this prompt; retrying it unchanged would fail the "
                    "same way. Edit the prompt and start a new job."
                )
            return await job_store.queue_new_attempt(
                tx,
                job,
                budget=self.settings.max_attempts,
                reason=f"retry requested: attempt {job.attempt + 1} queued",
            )

    async def rerun(self, job_id: str) -> JobRecord:
        """A new job from an old one's snapshot (same settings and seed), linked by ``rerun_of``."""
        async with self.db.read() as conn:
            source = await job_store.get_job(conn, job_id)
        params = dict(source.params)
        if "faults" in params and not self.settings.faults_allowed:
            params.pop("faults")
        async with self.db.write() as tx:
            return await job_store.create_job(
                tx,
                prompt=source.prompt,
                provider=source.provider,
                params=params,
                label=source.label,
                max_attempts=self.settings.max_attempts,
                configuration=(
                    (
                        source.configuration_id,
                        source.configuration_name or "",
                        source.configuration_version or 1,
                    )
                    if source.configuration_id
                    else None
                ),
                rerun_of=source.id,
                reason=f"rerun of job {source.id[:8]}",
            )

    # -- outcomes reported by workers -------------------------------------------------

    def retry_delay(self, attempt: int, retry_after: float | None) -> float:
        """Our exponential back-off after the ``attempt``-th attempt of a run, capped at
        ``retry_max_seconds``; a provider's own ``retry_after`` wins even when longer (a
        retry before it would be refused again and spend an attempt for nothing)."""
        backoff = self.settings.retry_base_seconds * 2 ** (attempt - 1)
        return float(max(retry_after or 0.0, min(self.settings.retry_max_seconds, backoff)))

    def attempt_of_run(self, job: JobRecord) -> int:
        """Which attempt of its current run ``job`` is on: a manual retry or a regeneration
        starts a new run of ``max_attempts`` attempts (attempt 4 of 6 is the first of the
        second run), and its back-off starts over, as the first run's did."""
        first = job.max_attempts - self.settings.max_attempts + 1
        return max(1, min(job.attempt, job.attempt - first + 1))

    async def attempt_failed(self, job_id: str, owner: str, error: ProviderError) -> JobRecord:
        """Re-queue with back-off if the error is retryable and attempts remain, else fail."""
        async with self.db.write() as tx:
            job = await job_store.get_job(tx.conn, job_id, for_update=True)
            if job.lease_owner != owner or not job.status.is_active:
                raise LeaseLost(job_id)
            err = error.to_dict()
            if error.retryable and job.attempt < job.max_attempts:
                delay = self.retry_delay(self.attempt_of_run(job), error.retry_after)
                nxt = job.attempt + 1
                return await job_store.transition(
                    tx,
                    job_id,
                    JobStatus.QUEUED,
                    owner=owner,
                    reason=f"{error.message} — attempt {nxt}/{job.max_attempts} "
                    f"in {wait_text(delay)}",
                    values={"attempt": nxt, "run_after": time.time() + delay},
                    error=err,
                )
            reason = error.message
            if error.retryable:
                reason = f"{error.message} — no attempts left ({job.attempt}/{job.max_attempts})"
            regeneration = await regen_store.pending_for_job(tx.conn, job_id)
            if regeneration is not None:
                return await regenerate.end_unsuccessfully(
                    tx,
                    job,
                    regeneration,
                    reason=regenerate.gave_up_reason(regeneration, reason, job.image_count),
                    error=err,
                    owner=owner,
                )
            return await job_store.transition(
                tx, job_id, JobStatus.FAILED, owner=owner, reason=reason, error=err
            )

    async def recover_expired_leases(self, dead_owners: Collection[str] = ()) -> list[str]:
        """Jobs whose worker stopped heart-beating get a new attempt (or fail when none are
        left), as do the jobs of ``dead_owners`` (workers known to be gone, whose leases
        have not run out yet). Returns the ids recovered."""
        now = time.time()
        async with self.db.read() as conn:
            candidates = await job_store.expired_lease_ids(conn, now, dead_owners)
        recovered = []
        for job_id in candidates:
            async with self.db.write() as tx:
                try:
                    job = await job_store.get_job(tx.conn, job_id, for_update=True)
                except NotFound:
                    continue
                expired = job.lease_expires_at is None or job.lease_expires_at < now
                gone = job.lease_owner is not None and job.lease_owner in dead_owners
                if not (job.status.is_active and (expired or gone)):
                    continue
                err = ProviderError(
                    ErrorCode.INTERNAL,
                    "The server process running this job stopped."
                    if gone  # known, whether or not its lease has run out meanwhile
                    else "The worker running this job stopped responding (lease expired).",
                    retryable=True,
                ).to_dict()
                if job.attempt < job.max_attempts:
                    nxt = job.attempt + 1
                    await job_store.transition(
                        tx,
                        job_id,
                        JobStatus.QUEUED,
                        reason=f"worker lost; attempt {nxt}/{job.max_attempts} queued",
                        values={"attempt": nxt, "run_after": now},
                        error=err,
                    )
                elif regeneration := await regen_store.pending_for_job(tx.conn, job_id):
                    await regenerate.end_unsuccessfully(
                        tx,
                        job,
                        regeneration,
                        reason=regenerate.gave_up_reason(
                            regeneration, "worker lost; no attempts left", job.image_count
                        ),
                        error=err,
                    )
                else:
                    await job_store.transition(
                        tx,
                        job_id,
                        JobStatus.FAILED,
                        reason="worker lost; no attempts left",
                        error=err,
                    )
                recovered.append(job_id)
        return recovered
