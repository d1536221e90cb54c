"""Tables, as SQLAlchemy Core. Times are UNIX epoch seconds (float) on both databases so
comparisons and ordering are identical on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    func,
    literal_column,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = JSON().with_variant(JSONB(), "postgresql")
#: SQLite only autoincrements INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

configurations = Table(
    "configurations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("settings", Json, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("name", "version", name="uq_configurations_name_version"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_changed_at", Float, nullable=False),
    Column("prompt", Text, nullable=False),
    Column("label", String(200), nullable=True),
    Column("provider", String(64), nullable=False),
    # The settings the job runs with (never secrets): size, steps, style, count, seed, ...
    Column("params", Json, nullable=False),
    Column(
        "configuration_id",
        String(32),
        ForeignKey("configurations.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("configuration_name", String(100), nullable=True),
    Column("configuration_version", Integer, nullable=True),
    Column("rerun_of", String(32), nullable=True),
    Column("attempt", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("run_after", Float, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expires_at", Float, nullable=True),
    Column("started_at", Float, nullable=True),
    Column("attempt_started_at", Float, nullable=True),
    Column("finished_at", Float, nullable=True),
    Column("last_seq", Integer, nullable=False, default=0),
    Column("stage", String(16), nullable=False, default="queued"),
    Column("percent", Float, nullable=False, default=0.0),
    Column("step", Integer, nullable=True),
    Column("total_steps", Integer, nullable=True),
    Column("progress_message", Text, nullable=False, default=""),
    Column("error", Json, nullable=True),
    Column("image_count", Integer, nullable=False, default=0),
    Index("ix_jobs_claim", "status", "run_after", "created_at"),
    Index("ix_jobs_created", "created_at", "id"),
    Index("ix_jobs_lease", "lease_expires_at"),
    Index("ix_jobs_rerun_of", "rerun_of"),
    Index("ix_jobs_configuration_name", "configuration_name"),
)

job_events = Table(
    "job_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("data", Json, nullable=False),
    UniqueConstraint("job_id", "seq", name="uq_job_events_job_seq"),
    # Ids are cursors of the global stream: SQLite must never hand out an id again after
    # the newest events were deleted with their jobs (migration 0007).
    sqlite_autoincrement=True,
)

images = Table(
    "images",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("job_id", String(32), ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("index", Integer, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("format", String(8), nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("thumb_sha256", String(64), nullable=False),
    Column("qc_status", String(16), nullable=False, default="pending"),
    Column("qc_reason", Text, nullable=True),
    Column("qc_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("job_id", "index", name="uq_images_job_index"),
    Index("ix_images_sha256", "sha256"),
)

# Only the newest preview of each job is kept, in the database, so any API node serves it.
previews = Table(
    "previews",
    metadata,
    Column("job_id", String(32), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
)

# One row per live worker process (heartbeat), for /api/health across nodes.
workers = Table(
    "workers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("hostname", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("slots", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
)

# -- job management (issue 4; migration 0003) ----------------------------------------------
#
# Sort keys that are expressions. The list queries must use these very objects: an
# expression index is only used for an ORDER BY that repeats its expression exactly, and
# the constants are inlined (``literal_column``) because a bound parameter would not match.

#: Labels sort case-insensitively, unlabelled jobs as the empty string (both databases agree
#: on where they go, unlike NULLs).
LABEL_SORT_KEY = func.lower(func.coalesce(jobs.c.label, literal_column("''")))
#: Seconds from the first start to the end of the run; -1 for jobs that have not finished
#: (or never started), so they sort as the shortest on both databases.
DURATION_SORT_KEY = func.coalesce(jobs.c.finished_at - jobs.c.started_at, literal_column("-1"))

#: The job list's status order: the lifecycle (Pending, Running, Uploading, then Completed,
#: Failed, Stopped), not the alphabet. Literal values (no bound parameters), so that the
#: query's expression is the index's and the databases can walk it (migration 0009).
STATUS_ORDER = ("queued", "running", "uploading", "completed", "failed", "cancelled")
STATUS_SORT_KEY = case(
    {literal_column(f"'{s}'"): literal_column(str(n)) for n, s in enumerate(STATUS_ORDER)},
    value=jobs.c.status,
    else_=literal_column(str(len(STATUS_ORDER))),
)
#: The same expression as SQL, for the migration's CREATE INDEX.
STATUS_SORT_SQL = (
    "CASE status "
    + " ".join(f"WHEN '{s}' THEN {n}" for n, s in enumerate(STATUS_ORDER))
    + f" ELSE {len(STATUS_ORDER)} END"
)

Index("ix_jobs_status_created", jobs.c.status, jobs.c.created_at, jobs.c.id)
Index("ix_jobs_status_sort", STATUS_SORT_KEY, jobs.c.created_at, jobs.c.id)
Index("ix_jobs_config_created", jobs.c.configuration_name, jobs.c.created_at, jobs.c.id)
Index("ix_jobs_image_count_sort", jobs.c.image_count, jobs.c.created_at, jobs.c.id)
Index("ix_jobs_label_sort", LABEL_SORT_KEY, jobs.c.created_at, jobs.c.id)
Index("ix_jobs_duration_sort", DURATION_SORT_KEY, jobs.c.created_at, jobs.c.id)
# Deleting jobs removes an image file only when no remaining row refers to it (either name).
Index("ix_images_thumb_sha256", images.c.thumb_sha256)

# Jobs per UTC day, status and configuration name ('' for none), kept in step with ``jobs``
# by triggers (migration 0003), so totals and statistics over any filter without a search
# read a few hundred rows instead of counting a million.
job_counts = Table(
    "job_counts",
    metadata,
    Column("day", Integer, primary_key=True, autoincrement=False),
    Column("status", String(16), primary_key=True),
    Column("configuration_name", String(100), primary_key=True),
    Column("jobs", Integer, nullable=False),
)

# Jobs per status and configuration over all time (migration 0004): counts without a date
# range — the most common ones — read a few dozen rows.
job_totals = Table(
    "job_totals",
    metadata,
    Column("status", String(16), primary_key=True),
    Column("configuration_name", String(100), primary_key=True),
    Column("jobs", Integer, nullable=False),
)

# Long bulk operations (export, rerun of many jobs): progress, outcome and result.
operations = Table(
    "operations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False),
    # What was asked: the ids or the filter, and the options.
    Column("params", Json, nullable=False),
    Column("result", Json, nullable=True),
    Column("error", Text, nullable=True),
    # The API process running it; it renews ``updated_at`` while it runs.
    Column("owner", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float, nullable=True),
    Column("updated_at", Float, nullable=False),
    Column("finished_at", Float, nullable=True),
    Index("ix_operations_created", "created_at"),
    Index("ix_operations_status", "status"),
)

# Named filters of the job list, shared by everyone using this server.
filter_presets = Table(
    "filter_presets",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("filter", Json, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("name", name="uq_filter_presets_name"),
)

# Manual approve / reject of an image: the image row holds the current verdict, this table
# the history (so a manual verdict is told apart from an automatic one).
image_reviews = Table(
    "image_reviews",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("image_id", String(32), ForeignKey("images.id", ondelete="CASCADE"), nullable=False),
    Column("job_id", String(32), ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Index("ix_image_reviews_image", "image_id", "created_at"),
    Index("ix_image_reviews_job", "job_id"),
)

# Server-side preferences (migration 0005): one JSON object per group, e.g. "defaults",
# "exports". Never secrets.
preferences = Table(
    "preferences",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Json, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Regenerations of failed images (migration 0006): the job goes back to the queue and its
# worker makes one new image with ``seed``; the row says which image it replaces, how it
# ended and which image it made. A job has at most one ``pending`` row (it is queued or
# running for it).
image_regenerations = Table(
    "image_regenerations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("job_id", String(32), ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column(
        "source_image_id",
        String(32),
        ForeignKey("images.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("source_index", Integer, nullable=False),
    Column("seed", BigInteger, nullable=False),
    # pending, completed, failed (the provider gave up) or cancelled
    Column("status", String(16), nullable=False),
    Column("image_id", String(32), ForeignKey("images.id", ondelete="SET NULL"), nullable=True),
    Column("image_index", Integer, nullable=True),
    Column("qc_status", String(16), nullable=True),
    Column("error", Json, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float, nullable=True),
    Index("ix_image_regenerations_job", "job_id", "status"),
    Index("ix_image_regenerations_source", "source_image_id"),
    Index("ix_image_regenerations_image", "image_id"),
)
