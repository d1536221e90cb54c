"""job totals per status and configuration (no date), kept by triggers

Revision ID: 0004
Revises: 0003

``job_counts`` (0003) answers counts over any date range by summing days: a year of use is
tens of thousands of rows to add up. Most counts have no date range at all (the list's
total, status and configuration filters, the statistics bar), and ``job_totals`` answers
those from a few dozen rows. Same triggers as ``job_counts``, without the day.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _sqlite_count(row: str, delta: str) -> str:
    if delta == "+1":
        return (
            "INSERT INTO job_totals (status, configuration_name, jobs) "
            f"VALUES ({row}.status, coalesce({row}.configuration_name, ''), 1) "
            "ON CONFLICT (status, configuration_name) DO UPDATE SET jobs = jobs + 1;"
        )
    return (
        f"UPDATE job_totals SET jobs = jobs - 1 WHERE status = {row}.status "
        f"AND configuration_name = coalesce({row}.configuration_name, '');"
    )


SQLITE = [
    f"""CREATE TRIGGER jobs_totals_insert AFTER INSERT ON jobs BEGIN
        {_sqlite_count("new", "+1")}
    END""",
    f"""CREATE TRIGGER jobs_totals_delete AFTER DELETE ON jobs BEGIN
        {_sqlite_count("old", "-1")}
    END""",
    f"""CREATE TRIGGER jobs_totals_update AFTER UPDATE OF status, configuration_name ON jobs
        WHEN old.status IS NOT new.status
             OR old.configuration_name IS NOT new.configuration_name
    BEGIN
        {_sqlite_count("old", "-1")}
        {_sqlite_count("new", "+1")}
    END""",
]

PG = [
    """CREATE FUNCTION genfactory_job_totals_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO job_totals AS t (status, configuration_name, jobs)
        SELECT n.status, coalesce(n.configuration_name, ''), count(*)
        FROM added_jobs AS n GROUP BY 1, 2
        ON CONFLICT (status, configuration_name) DO UPDATE SET jobs = t.jobs + excluded.jobs;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION genfactory_job_totals_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE job_totals AS t SET jobs = t.jobs - r.n
        FROM (
            SELECT o.status, coalesce(o.configuration_name, '') AS configuration_name,
                   count(*) AS n
            FROM removed_jobs AS o GROUP BY 1, 2
        ) AS r
        WHERE t.status = r.status AND t.configuration_name = r.configuration_name;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION genfactory_job_totals_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE job_totals SET jobs = jobs - 1
        WHERE status = OLD.status AND configuration_name = coalesce(OLD.configuration_name, '');
        INSERT INTO job_totals AS t (status, configuration_name, jobs)
        VALUES (NEW.status, coalesce(NEW.configuration_name, ''), 1)
        ON CONFLICT (status, configuration_name) DO UPDATE SET jobs = t.jobs + 1;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER jobs_totals_insert AFTER INSERT ON jobs
        REFERENCING NEW TABLE AS added_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION genfactory_job_totals_added()""",
    """CREATE TRIGGER jobs_totals_delete AFTER DELETE ON jobs
        REFERENCING OLD TABLE AS removed_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION genfactory_job_totals_removed()""",
    """CREATE TRIGGER jobs_totals_update AFTER UPDATE OF status, configuration_name
        ON jobs FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status
              OR OLD.configuration_name IS DISTINCT FROM NEW.configuration_name)
        EXECUTE FUNCTION genfactory_job_totals_changed()""",
]

BACKFILL = """INSERT INTO job_totals (status, configuration_name, jobs)
    SELECT status, coalesce(configuration_name, ''), count(*) FROM jobs GROUP BY 1, 2"""


def upgrade() -> None:
    op.create_table(
        "job_totals",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("configuration_name", sa.String(length=100), nullable=False),
        sa.Column("jobs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("status", "configuration_name", name=op.f("pk_job_totals")),
    )
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else PG:
        op.execute(statement)
    op.execute(BACKFILL)


def downgrade() -> None:
    for name in ("jobs_totals_insert", "jobs_totals_delete", "jobs_totals_update"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON jobs")
    if op.get_bind().dialect.name != "sqlite":
        for name in ("added", "removed", "changed"):
            op.execute(f"DROP FUNCTION IF EXISTS genfactory_job_totals_{name}()")
    op.drop_table("job_totals")
