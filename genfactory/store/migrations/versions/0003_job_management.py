"""job management: list indexes, full-text search, daily counts, operations, presets, reviews

Revision ID: 0003
Revises: 0002

Besides plain tables and indexes (mirrored in ``tables.py``) this migration creates objects
that only one database has, which ``tables.py`` cannot describe:

* SQLite: ``jobs_fts``, an FTS5 *external-content* table over ``jobs.label`` and
  ``jobs.prompt`` keyed by the jobs' rowid, and the triggers that keep it in step.
  ``jobs`` has no INTEGER PRIMARY KEY, so its rowids are only stable while the table is not
  rebuilt: after ``VACUUM`` or a batch migration that copies ``jobs``, run
  ``INSERT INTO jobs_fts(jobs_fts) VALUES('rebuild')`` and re-create the triggers (a batch
  copy drops them).
* PostgreSQL: ``jobs.search_vector``, a stored generated ``tsvector`` column (computed
  when a job is inserted or its label/prompt change, not on other updates), and
  ``ix_jobs_search``, a GIN index on it. Core PostgreSQL, no extension needed. A stored
  column rather than an expression index because the list walks its sort index and tests
  each row's search match: evaluating ``to_tsvector`` per row there costs ~20 µs, reading
  the stored value ~1 µs. Adding the column rewrites ``jobs`` once. ``tables.py`` leaves the
  column out (nothing in the code reads it directly; ``SELECT`` lists name their columns).
* Both: triggers that keep ``job_counts`` (jobs per UTC day, status, configuration) in step.

The expressions are copied here on purpose: a migration must not change when the code does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

#: PostgreSQL: the searchable text of a job (label and prompt), with everything that is not a
#: letter or digit turned into a space so words split the same way as SQLite's unicode61.
PG_SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, regexp_replace("
    "coalesce(label, '') || ' ' || prompt, '[^[:alnum:]]+', ' ', 'g'))"
)

SQLITE_FTS = [
    """CREATE VIRTUAL TABLE jobs_fts USING fts5(
        label, prompt,
        content='jobs', content_rowid='rowid',
        tokenize='unicode61 remove_diacritics 2',
        prefix='2 3'
    )""",
    """CREATE TRIGGER jobs_fts_insert AFTER INSERT ON jobs BEGIN
        INSERT INTO jobs_fts(rowid, label, prompt) VALUES (new.rowid, new.label, new.prompt);
    END""",
    """CREATE TRIGGER jobs_fts_delete AFTER DELETE ON jobs BEGIN
        INSERT INTO jobs_fts(jobs_fts, rowid, label, prompt)
        VALUES ('delete', old.rowid, old.label, old.prompt);
    END""",
    """CREATE TRIGGER jobs_fts_update AFTER UPDATE OF label, prompt ON jobs BEGIN
        INSERT INTO jobs_fts(jobs_fts, rowid, label, prompt)
        VALUES ('delete', old.rowid, old.label, old.prompt);
        INSERT INTO jobs_fts(rowid, label, prompt) VALUES (new.rowid, new.label, new.prompt);
    END""",
    "INSERT INTO jobs_fts(jobs_fts) VALUES ('rebuild')",
]

# Whole seconds divided as integers: exact, so a day bucket starts exactly at midnight UTC.
_SQLITE_DAY = "(CAST({row}.created_at AS INTEGER) / 86400)"


def _sqlite_count(row: str, delta: str) -> str:
    day = _SQLITE_DAY.format(row=row)
    if delta == "+1":
        return (
            "INSERT INTO job_counts (day, status, configuration_name, jobs) "
            f"VALUES ({day}, {row}.status, coalesce({row}.configuration_name, ''), 1) "
            "ON CONFLICT (day, status, configuration_name) DO UPDATE SET jobs = jobs + 1;"
        )
    return (
        "UPDATE job_counts SET jobs = jobs - 1 "
        f"WHERE day = {day} AND status = {row}.status "
        f"AND configuration_name = coalesce({row}.configuration_name, '');"
    )


SQLITE_COUNTS = [
    f"""CREATE TRIGGER jobs_counts_insert AFTER INSERT ON jobs BEGIN
        {_sqlite_count("new", "+1")}
    END""",
    f"""CREATE TRIGGER jobs_counts_delete AFTER DELETE ON jobs BEGIN
        {_sqlite_count("old", "-1")}
    END""",
    f"""CREATE TRIGGER jobs_counts_update AFTER UPDATE OF status, created_at, configuration_name
        ON jobs
        WHEN old.status IS NOT new.status OR old.created_at IS NOT new.created_at
             OR old.configuration_name IS NOT new.configuration_name
    BEGIN
        {_sqlite_count("old", "-1")}
        {_sqlite_count("new", "+1")}
    END""",
    f"""INSERT INTO job_counts (day, status, configuration_name, jobs)
        SELECT {_SQLITE_DAY.format(row="jobs")}, status, coalesce(configuration_name, ''), count(*)
        FROM jobs GROUP BY 1, 2, 3""",
]

_PG_DAY = "(floor({row}.created_at)::bigint / 86400)::integer"

# Inserts and deletes are counted per statement from the transition table (a bulk delete or
# a COPY is one aggregate upsert); a status change is counted per row, and only when the
# status (or the bucket) really changed.
PG_COUNTS = [
    f"""CREATE FUNCTION genfactory_job_counts_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO job_counts AS c (day, status, configuration_name, jobs)
        SELECT {_PG_DAY.format(row="n")}, n.status, coalesce(n.configuration_name, ''), count(*)
        FROM added_jobs AS n GROUP BY 1, 2, 3
        ON CONFLICT (day, status, configuration_name) DO UPDATE SET jobs = c.jobs + excluded.jobs;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION genfactory_job_counts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE job_counts AS c SET jobs = c.jobs - r.n
        FROM (
            SELECT {_PG_DAY.format(row="o")} AS day, o.status,
                   coalesce(o.configuration_name, '') AS configuration_name, count(*) AS n
            FROM removed_jobs AS o GROUP BY 1, 2, 3
        ) AS r
        WHERE c.day = r.day AND c.status = r.status
          AND c.configuration_name = r.configuration_name;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION genfactory_job_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE job_counts SET jobs = jobs - 1
        WHERE day = {_PG_DAY.format(row="OLD")} AND status = OLD.status
          AND configuration_name = coalesce(OLD.configuration_name, '');
        INSERT INTO job_counts AS c (day, status, configuration_name, jobs)
        VALUES ({_PG_DAY.format(row="NEW")}, NEW.status, coalesce(NEW.configuration_name, ''), 1)
        ON CONFLICT (day, status, configuration_name) DO UPDATE SET jobs = c.jobs + 1;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER jobs_counts_insert AFTER INSERT ON jobs
        REFERENCING NEW TABLE AS added_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION genfactory_job_counts_added()""",
    """CREATE TRIGGER jobs_counts_delete AFTER DELETE ON jobs
        REFERENCING OLD TABLE AS removed_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION genfactory_job_counts_removed()""",
    """CREATE TRIGGER jobs_counts_update AFTER UPDATE OF status, created_at, configuration_name
        ON jobs FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status
              OR OLD.created_at IS DISTINCT FROM NEW.created_at
              OR OLD.configuration_name IS DISTINCT FROM NEW.configuration_name)
        EXECUTE FUNCTION genfactory_job_counts_changed()""",
    f"""INSERT INTO job_counts (day, status, configuration_name, jobs)
        SELECT {_PG_DAY.format(row="jobs")}, status, coalesce(configuration_name, ''), count(*)
        FROM jobs GROUP BY 1, 2, 3""",
]


def upgrade() -> None:
    op.create_table(
        "job_counts",
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("configuration_name", sa.String(length=100), nullable=False),
        sa.Column("jobs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "status", "configuration_name", name=op.f("pk_job_counts")),
    )
    op.create_table(
        "operations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("params", Json, nullable=False),
        sa.Column("result", Json, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
    )
    with op.batch_alter_table("operations") as batch_op:
        batch_op.create_index("ix_operations_created", ["created_at"], unique=False)
        batch_op.create_index("ix_operations_status", ["status"], unique=False)
    op.create_table(
        "filter_presets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("filter", Json, nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filter_presets")),
        sa.UniqueConstraint("name", name="uq_filter_presets_name"),
    )
    op.create_table(
        "image_reviews",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("image_id", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["images.id"],
            name=op.f("fk_image_reviews_image_id_images"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_image_reviews_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_image_reviews")),
    )
    with op.batch_alter_table("image_reviews") as batch_op:
        batch_op.create_index("ix_image_reviews_image", ["image_id", "created_at"], unique=False)
        batch_op.create_index("ix_image_reviews_job", ["job_id"], unique=False)

    # Plain CREATE INDEX statements (no table copy on SQLite, so rowids and triggers survive).
    op.create_index("ix_jobs_status_created", "jobs", ["status", "created_at", "id"])
    op.create_index("ix_jobs_config_created", "jobs", ["configuration_name", "created_at", "id"])
    op.create_index("ix_jobs_image_count_sort", "jobs", ["image_count", "created_at", "id"])
    op.create_index(
        "ix_jobs_label_sort",
        "jobs",
        [sa.text("lower(coalesce(label, ''))"), "created_at", "id"],
    )
    op.create_index(
        "ix_jobs_duration_sort",
        "jobs",
        [sa.text("coalesce(finished_at - started_at, -1)"), "created_at", "id"],
    )
    op.create_index("ix_images_thumb_sha256", "images", ["thumb_sha256"])

    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS + SQLITE_COUNTS:
            op.execute(statement)
    else:
        op.execute(
            "ALTER TABLE jobs ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({PG_SEARCH_DOCUMENT}) STORED"
        )
        op.execute("CREATE INDEX ix_jobs_search ON jobs USING gin (search_vector)")
        for statement in PG_COUNTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("jobs_fts_insert", "jobs_fts_delete", "jobs_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS jobs_fts")
        for name in ("jobs_counts_insert", "jobs_counts_delete", "jobs_counts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name in ("jobs_counts_insert", "jobs_counts_delete", "jobs_counts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON jobs")
        for name in ("added", "removed", "changed"):
            op.execute(f"DROP FUNCTION IF EXISTS genfactory_job_counts_{name}()")
        op.execute("DROP INDEX IF EXISTS ix_jobs_search")
        op.execute("ALTER TABLE jobs DROP COLUMN IF EXISTS search_vector")
    op.drop_index("ix_images_thumb_sha256", table_name="images")
    for name in (
        "ix_jobs_duration_sort",
        "ix_jobs_label_sort",
        "ix_jobs_image_count_sort",
        "ix_jobs_config_created",
        "ix_jobs_status_created",
    ):
        op.drop_index(name, table_name="jobs")
    op.drop_table("image_reviews")
    op.drop_table("filter_presets")
    op.drop_table("operations")
    op.drop_table("job_counts")
