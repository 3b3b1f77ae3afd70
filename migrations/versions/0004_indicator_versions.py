"""indicators: a row version (no lost updates on their settings) and an as-of index on values

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("indicator_values", schema=None) as batch_op:
        batch_op.create_index("ix_indicator_values_as_of", ["indicator_id", "period_end"], unique=False)
        batch_op.drop_index("ix_indicator_values_indicator_id")


def downgrade() -> None:
    with op.batch_alter_table("indicator_values", schema=None) as batch_op:
        batch_op.create_index("ix_indicator_values_indicator_id", ["indicator_id"], unique=False)
        batch_op.drop_index("ix_indicator_values_as_of")
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_column("version")
