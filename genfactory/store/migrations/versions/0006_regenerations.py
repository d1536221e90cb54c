"""regenerations of failed images

Revision ID: 0006
Revises: 0005

One row per request to regenerate a failed image: the job it belongs to, the image it
replaces, the new seed, how it ended and the image it made (the old image stays).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "image_regenerations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("source_image_id", sa.String(length=32), nullable=False),
        sa.Column("source_index", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("image_id", sa.String(length=32), nullable=True),
        sa.Column("image_index", sa.Integer(), nullable=True),
        sa.Column("qc_status", sa.String(length=16), nullable=True),
        sa.Column("error", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_image_regenerations_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_image_id"],
            ["images.id"],
            name=op.f("fk_image_regenerations_source_image_id_images"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["images.id"],
            name=op.f("fk_image_regenerations_image_id_images"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_image_regenerations")),
    )
    op.create_index("ix_image_regenerations_job", "image_regenerations", ["job_id", "status"])
    op.create_index("ix_image_regenerations_source", "image_regenerations", ["source_image_id"])
    op.create_index("ix_image_regenerations_image", "image_regenerations", ["image_id"])


def downgrade() -> None:
    op.drop_table("image_regenerations")
