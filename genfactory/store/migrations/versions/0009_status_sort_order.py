"""sort the job list by status in lifecycle order

Revision ID: 0009
Revises: 0008

Sorting by status ordered the stored names alphabetically: cancelled, completed, failed,
queued, running, uploading. The list now sorts by the lifecycle (Pending, Running,
Uploading, Completed, Failed, Stopped), ``tables.STATUS_SORT_KEY``, and this index on that
expression lets both databases walk the sort as they do for the other keys. The
``status, created_at, id`` index stays: filters by status use it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: ``tables.STATUS_SORT_SQL`` as of this revision (a migration does not change with the code).
STATUS_SORT_SQL = (
    "CASE status WHEN 'queued' THEN 0 WHEN 'running' THEN 1 WHEN 'uploading' THEN 2 "
    "WHEN 'completed' THEN 3 WHEN 'failed' THEN 4 WHEN 'cancelled' THEN 5 ELSE 6 END"
)


def upgrade() -> None:
    # In parentheses: PostgreSQL takes an index expression other than a call only so.
    expression = sa.text(f"({STATUS_SORT_SQL})")
    op.create_index("ix_jobs_status_sort", "jobs", [expression, "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_status_sort", table_name="jobs")
