"""server-side preferences (defaults, export preferences)

Revision ID: 0005
Revises: 0004

One row per preference group (``key``), its value a JSON object validated by the API.
Preferences are shared by every browser and the CLI, which is why they live in the
database and not in a browser's local storage. Secrets never go here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "preferences",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_preferences")),
    )


def downgrade() -> None:
    op.drop_table("preferences")
