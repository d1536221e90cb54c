"""Wire schemas, named by role (``JobCreate``, ``JobPublic``, …)."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from genfactory.api.filters import JobFilterBody
from genfactory.domain.events import EventEnvelope, iso_time
from genfactory.exports.xlsx import parse_time_zone
from genfactory.store.images import ImageRecord
from genfactory.store.jobs import JobRecord

PROMPT_MAX = 2000
LABEL_MAX = 200


def _no_control_characters(value: str, field: str, *, single_line: bool = False) -> str:
    """``value``, refused if it holds a control or format character; tabs and line breaks
    are allowed unless ``single_line`` (a label or a name: one line in tables and files)."""
    for ch in value:
        category = unicodedata.category(ch)
        if single_line and (ch in "\n\r\t" or category in ("Zl", "Zp")):
            raise ValueError(
                f"{field} must be one line, without tabs or line breaks (found U+{ord(ch):04X})."
            )
        if ch in "\n\t":
            continue
        if category == "Cf" and ch != "\u200d":  # the zero-width joiner holds emoji together
            name = unicodedata.name(ch, "")
            raise ValueError(
                f"{field} must not contain invisible formatting characters "
                f"(found U+{ord(ch):04X}{f' {name}' if name else ''})."
            )
        if category in ("Cc", "Cs"):  # Cs: a lone surrogate
            found = f"U+{ord(ch):04X}"
            raise ValueError(f"{field} must not contain control characters (found {found}).")
    return value


class JobCreate(BaseModel):
    """A new job. Only ``prompt`` is required; the rest default from the provider."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(
        description="1–2000 characters after trimming. Line breaks and tabs are allowed; other "
        "control characters and invisible formatting characters (such as U+200B) are not."
    )
    size: str | None = Field(default=None, description="One of the provider's sizes.")
    # Strict: a JSON number, never `true` or "20" taken for one.
    steps: int | None = Field(default=None, ge=1, le=150, strict=True)
    count: int = Field(default=1, ge=1, le=16, strict=True, description="Images to generate.")
    style: str | None = Field(
        default=None, max_length=64, description="One of the provider's styles; empty: none."
    )
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1, strict=True)
    label: str | None = Field(
        default=None,
        description="Up to 200 characters after trimming, one line; empty or blank: no label.",
    )
    provider: str | None = Field(default=None, max_length=64)
    faults: dict[str, Any] | None = Field(
        default=None, description="Fault injection plan (dev/test mode only)."
    )
    configuration: str | None = Field(
        default=None,
        max_length=100,
        description="A configuration id (that exact version) or name (its newest version).",
    )

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Prompt must not be empty.")
        if len(value) > PROMPT_MAX:
            raise ValueError(f"Prompt must be at most {PROMPT_MAX} characters (got {len(value)}).")
        return _no_control_characters(value, "Prompt")

    @field_validator("label")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if len(value) > LABEL_MAX:  # after trimming, as a rename counts it
            raise ValueError(f"Label must be at most {LABEL_MAX} characters (got {len(value)}).")
        return _no_control_characters(value, "Label", single_line=True) or None

    @field_validator("size", "style")
    @classmethod
    def _blank_is_default(cls, value: str | None) -> str | None:
        """An empty size or style (a form's empty choice) means the provider's default."""
        return value if value is None or value.strip() else None


class ProgressPublic(BaseModel):
    stage: str = Field(
        description="queued, running or uploading while the job runs (as the progress events "
        "say); once it has ended, its final status: completed, failed or cancelled."
    )
    percent: float
    step: int | None
    total: int | None
    message: str


class ErrorPublic(BaseModel):
    code: str
    message: str
    retryable: bool
    retry_after: float | None = None


class ConfigurationRef(BaseModel):
    id: str
    name: str
    version: int


class JobLinks(BaseModel):
    self: str
    page: str
    events: str
    events_stream: str
    events_ws: str
    images: str
    preview: str | None


class JobPublic(BaseModel):
    """A job snapshot. Subscribe to its events with ``after=last_seq`` for an exact view."""

    id: str
    short_id: str
    status: str
    prompt: str
    label: str | None
    provider: str
    params: dict[str, Any]
    configuration: ConfigurationRef | None
    rerun_of: str | None
    attempt: int
    max_attempts: int
    created_at: str
    updated_at: str
    status_changed_at: str
    started_at: str | None
    finished_at: str | None
    run_after: str | None
    duration_seconds: float | None
    last_seq: int
    progress: ProgressPublic
    error: ErrorPublic | None
    image_count: int
    images_passed: int | None = Field(
        default=None, description="Images that passed the quality checks."
    )
    images_failed: int | None = Field(
        default=None, description="Images that failed the quality checks."
    )
    queue_position: int | None = Field(description="1 = next to run; only while queued.")
    eta_seconds: float | None = Field(description="Estimated time left; only while running.")
    preview_version: int | None
    links: JobLinks

    @classmethod
    def build(
        cls,
        job: JobRecord,
        *,
        queue_position: int | None = None,
        preview_version: int | None = None,
        qc: dict[str, int] | None = None,
        now: float,
    ) -> JobPublic:
        eta = None
        if job.status.is_active and job.attempt_started_at and job.percent > 0:
            elapsed = now - job.attempt_started_at
            eta = round(elapsed * (100 - job.percent) / job.percent, 1)
        end = job.finished_at or (now if job.started_at else None)
        base = f"/api/jobs/{job.id}"
        return cls(
            id=job.id,
            short_id=job.id[:8],
            status=job.status.value,
            prompt=job.prompt,
            label=job.label,
            provider=job.provider,
            params={k: v for k, v in job.params.items()},
            configuration=(
                ConfigurationRef(
                    id=job.configuration_id,
                    name=job.configuration_name or "",
                    version=job.configuration_version or 1,
                )
                if job.configuration_id
                else None
            ),
            rerun_of=job.rerun_of,
            attempt=job.attempt,
            max_attempts=job.max_attempts,
            created_at=iso_time(job.created_at),
            updated_at=iso_time(job.updated_at),
            status_changed_at=iso_time(job.status_changed_at),
            started_at=iso_time(job.started_at) if job.started_at else None,
            finished_at=iso_time(job.finished_at) if job.finished_at else None,
            run_after=(
                iso_time(job.run_after)
                if job.status.value == "queued" and job.run_after > now
                else None
            ),
            duration_seconds=(
                round(end - job.started_at, 3) if job.started_at and end is not None else None
            ),
            last_seq=job.last_seq,
            progress=ProgressPublic(
                stage=job.stage,
                percent=job.percent,
                step=job.step,
                total=job.total_steps,
                message=job.progress_message,
            ),
            error=ErrorPublic(**job.error) if job.error else None,
            image_count=job.image_count,
            images_passed=qc["passed"] if qc else None,
            images_failed=qc["failed"] if qc else None,
            queue_position=queue_position,
            eta_seconds=eta,
            preview_version=preview_version,
            links=JobLinks(
                self=base,
                page=f"/jobs/{job.id}",
                events=f"{base}/events",
                events_stream=f"{base}/events/stream",
                events_ws=f"{base}/events/ws",
                images=f"{base}/images",
                preview=f"{base}/preview/{preview_version}" if preview_version else None,
            ),
        )


class JobPage(BaseModel):
    items: list[JobPublic]
    total: int
    limit: int
    offset: int
    page: int | None = Field(
        default=None, description="1-based page number (= offset / limit + 1)."
    )
    page_size: int | None = Field(default=None, description="Same as limit.")
    pages: int | None = Field(default=None, description="Pages in all (0 when nothing matches).")
    highlights: dict[str, dict[str, list[list[int]]]] | None = Field(
        default=None,
        description="With a search: per job id, where the words occur — "
        '{"label": [[start, end], …], "prompt": […], "id": […]}, end exclusive, in UTF-16 '
        "code units (JavaScript string indices). Only fields with a match are present.",
    )
    as_of: str = Field(
        description="The moment this answer lists the jobs as of (ISO 8601 UTC): the request's "
        "`as_of`, or the server's time when none was given. Jobs created after it are left "
        "out; send it with the next pages so they do not shift while new jobs arrive.",
        examples=["2026-11-22T01:05:48.471566Z"],
    )


class ImagePublic(BaseModel):
    id: str
    job_id: str
    index: int
    seed: int
    width: int
    height: int
    format: str
    bytes: int
    sha256: str
    qc_status: str
    qc_reason: str | None
    url: str
    thumbnail_url: str
    created_at: str

    @classmethod
    def build(cls, image: ImageRecord) -> ImagePublic:
        return cls(
            id=image.id,
            job_id=image.job_id,
            index=image.index,
            seed=image.seed,
            width=image.width,
            height=image.height,
            format=image.format,
            bytes=image.bytes,
            sha256=image.sha256,
            qc_status=image.qc_status,
            qc_reason=image.qc_reason,
            url=f"/api/images/{image.id}/file",
            thumbnail_url=f"/api/images/{image.id}/thumbnail",
            created_at=iso_time(image.created_at),
        )


class EventPage(BaseModel):
    """Events of one job after the cursor (polling)."""

    job_id: str
    events: list[EventEnvelope]
    last_seq: int
    status: str


class GlobalEventPage(BaseModel):
    events: list[EventEnvelope]
    last_id: int


class ProblemDetail(BaseModel):
    code: str = Field(description="not_found, illegal_transition, conflict, cursor_ahead, …")
    message: str
    last_seq: int | None = None
    status: str | None = None


class Problem(BaseModel):
    """Body of every 404 / 409 (and other non-validation) error."""

    detail: ProblemDetail


class ProviderPublic(BaseModel):
    name: str
    title: str
    description: str
    available: bool
    unavailable_reason: str | None
    sizes: list[str]
    styles: list[str]
    min_steps: int
    max_steps: int
    default_steps: int
    streams_previews: bool
    supports_seed: bool
    supports_cancel: bool


class Health(BaseModel):
    status: str = Field(description="ok or degraded")
    version: str
    database: bool
    database_backend: str
    schema_revision: str | None
    workers: dict[str, Any]
    mode: str


class ConfigurationSettings(BaseModel):
    """Defaults a job takes from a configuration; fields given on the job win."""

    model_config = ConfigDict(extra="forbid")

    provider: str | None = Field(default=None, max_length=64)
    size: str | None = Field(default=None, max_length=32)
    steps: int | None = Field(default=None, ge=1, le=150)
    style: str | None = Field(default=None, max_length=64)
    count: int | None = Field(default=None, ge=1, le=16)
    model: str | None = Field(default=None, max_length=200, description="Provider model name.")
    output_format: str | None = Field(default=None, pattern="^(png|webp|jpeg)$")
    qc: dict[str, Any] | None = Field(default=None, description="Quality-check settings.")


def _config_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("Name must not be empty.")
    if "/" in value or value in (".", ".."):
        # The name is a path segment of the by-name routes.
        raise ValueError("Name must not contain '/' or be '.' or '..'.")
    return _no_control_characters(value, "Name", single_line=True)


class ConfigurationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    settings: ConfigurationSettings

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _config_name(value)


class ConfigurationVersionCreate(BaseModel):
    """A new version of an existing configuration (versions are never edited)."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", max_length=2000)
    settings: ConfigurationSettings
    base_version: int | None = Field(
        default=None,
        ge=1,
        description="The newest version when the client loaded the form: the save is refused "
        "(409 stale_version) if another version was saved since. Omitted: saved regardless.",
    )


class ConfigurationPublic(BaseModel):
    id: str
    name: str
    version: int
    description: str
    settings: dict[str, Any]
    created_at: str
    jobs: int | None = Field(default=None, description="Jobs that used any version (lists).")


# -- job management (issue 4) ---------------------------------------------------------------


class JobUpdate(BaseModel):
    """A change to a job's editable fields (only the label, for now)."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(
        description="1–200 characters after trimming; one line: no tabs, line breaks or other "
        "control characters."
    )

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Label must not be empty (1–200 characters after trimming).")
        if len(value) > LABEL_MAX:
            raise ValueError(f"Label must be at most {LABEL_MAX} characters (got {len(value)}).")
        return _no_control_characters(value, "Label", single_line=True)


class TrendPublic(BaseModel):
    """Jobs created in the current period against the previous period of equal length."""

    basis: str = Field(description="range (the filter's date range) or last_7_days")
    current: int
    previous: int
    change: int
    change_percent: float | None = Field(description="None when the previous period had none.")
    current_from: str
    current_to: str
    previous_from: str
    previous_to: str


class StatCard(BaseModel):
    count: int
    rate: float | None = Field(
        default=None,
        description="Share of the finished jobs (completed + failed + cancelled), 0–1; "
        "None when none finished.",
    )
    statuses: list[str] = Field(description="Filter the list by these statuses for this card.")


class PendingCard(StatCard):
    runnable: int = Field(description="Queued and runnable now.")
    waiting: int = Field(description="Queued but waiting for a retry back-off.")
    next_run_at: str | None = Field(description="When the first waiting job becomes runnable.")


class TotalCard(StatCard):
    trend: TrendPublic


class JobStats(BaseModel):
    """The five cards of the statistics bar, for the jobs the filter matches."""

    total: TotalCard
    completed: StatCard
    failed: StatCard
    running: StatCard = Field(description="running + uploading")
    pending: PendingCard = Field(description="queued")
    cancelled: StatCard
    by_status: dict[str, int]
    generated_at: str


class Selection(BaseModel):
    """Which jobs a bulk operation acts on: a list of ids, or every job a filter matches
    ("select all N matching")."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,64}$")]] | None = Field(
        default=None, max_length=10_000, description="Up to 10,000 job ids."
    )
    filter: JobFilterBody | None = None
    expected_count: int | None = Field(
        default=None,
        ge=0,
        description="With a filter, for delete and rerun: how many jobs the person saw "
        "matching. If the filter now matches a different number, nothing is done (409).",
    )

    @model_validator(mode="after")
    def _one_of(self) -> Selection:
        if (self.ids is None) == (self.filter is None):
            raise ValueError("Give either 'ids' or 'filter' (one of them).")
        return self


class SkippedJob(BaseModel):
    id: str
    status: str | None
    reason: str


class BulkDeleteResult(BaseModel):
    deleted: int
    deleted_ids: list[str]
    skipped: list[SkippedJob] = Field(
        description="Jobs not deleted: unknown ids, and jobs a worker holds (running, "
        "uploading) — cancel those first."
    )
    files_removed: int = Field(description="Image files no remaining image refers to.")


class OperationPublic(BaseModel):
    """A long bulk operation (export, rerun) and its progress."""

    id: str
    kind: str = Field(description="export or rerun")
    status: str = Field(description="queued, running, completed, failed or cancelled")
    total: int
    done: int
    percent: float
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    links: dict[str, str]


class RerunQueued(BaseModel):
    source_id: str
    job_id: str
    queue_position: int | None = Field(description="1 = next to run, when it was queued.")


class BulkRerunResult(BaseModel):
    """Reruns are queued in the order of the selection (created in that order, so claimed in
    that order). Up to 100 jobs are created before the response (``jobs`` lists them);
    more run as a tracked operation: follow ``operation``."""

    operation: OperationPublic
    jobs: list[RerunQueued] | None
    skipped: list[SkippedJob]


class ExportCreate(Selection):
    """An Excel export of the selected jobs (optionally a ZIP with their images too)."""

    include_images: bool | None = Field(
        default=None,
        description="A ZIP holding the .xlsx and every image file. Not given: the export "
        "preference (Settings).",
    )
    time_zone: str | None = Field(
        default=None,
        max_length=64,
        description="The IANA time zone the workbook's times are written in (Excel has "
        "none; each time column's header names it), e.g. `Europe/Berlin`. Not given: UTC.",
        examples=["Europe/Berlin"],
    )

    selected_from: JobFilterBody | None = Field(
        default=None,
        description="With `ids`: the filters the jobs were picked under (the page's filters "
        "at the time). Recorded on the workbook's Filters sheet next to the number of ids; "
        "it does not choose the jobs.",
    )

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str | None) -> str | None:
        return None if value is None else parse_time_zone(value).key

    @field_validator("selected_from")
    @classmethod
    def _selected_from(cls, value: JobFilterBody | None) -> JobFilterBody | None:
        if value is not None:
            value.check()  # the same checks as a filter's, so the sheet records sense
        return value

    @model_validator(mode="after")
    def _selected_from_with_ids(self) -> ExportCreate:
        if self.selected_from is not None and self.ids is None:
            raise ValueError(
                "'selected_from' goes with 'ids'; an export by 'filter' records that filter."
            )
        return self


class ImageQCUpdate(BaseModel):
    """A person's verdict on an image."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["passed", "failed"]
    reason: str | None = Field(default=None, max_length=500)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return _no_control_characters(value.strip(), "Reason") or None


class ImageDetail(ImagePublic):
    qc_at: str | None = Field(default=None, description="When the current verdict was given.")
    qc_source: str | None = Field(
        default=None, description="manual (a person) or auto (the checks); None while pending."
    )


class PresetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    filter: JobFilterBody

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _config_name(value)

    @field_validator("filter")
    @classmethod
    def _timeless(cls, value: JobFilterBody) -> JobFilterBody:
        if value.as_of is not None:
            raise ValueError("A preset is a filter for any time: leave out 'as_of'.")
        return value


class PresetPublic(BaseModel):
    id: str
    name: str
    filter: dict[str, Any]
    created_at: str
    updated_at: str
