"""SQLite: event ids are never handed out twice

Revision ID: 0007
Revises: 0006

``job_events.id`` is the global stream's cursor. As a plain ``INTEGER PRIMARY KEY``, SQLite
gives a new row ``max(id) + 1``: after the jobs holding the newest events were deleted (their
events go with them), new events got ids a client had already passed, and it never saw
them. ``AUTOINCREMENT`` makes SQLite remember the largest id ever used (``sqlite_sequence``).
SQLite cannot add it to an existing table, so the table is rebuilt; copying the rows with
their ids also sets the sequence to the largest. PostgreSQL sequences never go back:
nothing to do there.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COLUMNS = "id, job_id, seq, type, created_at, data"


def _rebuild(autoincrement: bool) -> None:
    op.execute(
        f"""CREATE TABLE job_events_rebuilt (
            id INTEGER NOT NULL PRIMARY KEY{" AUTOINCREMENT" if autoincrement else ""},
            job_id VARCHAR(32) NOT NULL,
            seq INTEGER NOT NULL,
            type VARCHAR(16) NOT NULL,
            created_at FLOAT NOT NULL,
            data JSON NOT NULL,
            CONSTRAINT uq_job_events_job_seq UNIQUE (job_id, seq),
            CONSTRAINT fk_job_events_job_id_jobs FOREIGN KEY(job_id)
                REFERENCES jobs (id) ON DELETE CASCADE
        )"""
    )
    op.execute(
        f"INSERT INTO job_events_rebuilt ({_COLUMNS}) SELECT {_COLUMNS} FROM job_events ORDER BY id"
    )
    op.execute("DROP TABLE job_events")
    op.execute("ALTER TABLE job_events_rebuilt RENAME TO job_events")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=False)
