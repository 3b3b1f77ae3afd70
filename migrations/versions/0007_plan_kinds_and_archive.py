"""several plans per province: a plan has a kind (annual, programme, project, other) and can be
archived (read-only, still reportable)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="annual", nullable=False))
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("archived_at")
        batch_op.drop_column("kind")
