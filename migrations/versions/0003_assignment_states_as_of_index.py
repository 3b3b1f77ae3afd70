"""assignment states: a covering index for the as-of rollup (it replaces the assignment_id index)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 02:00:00
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ["assignment_id", "valid_from", "valid_to", "status", "completed_on", "review_state"]


def upgrade() -> None:
    with op.batch_alter_table("assignment_states", schema=None) as batch_op:
        batch_op.create_index("ix_assignment_states_as_of", COLUMNS, unique=False)
        batch_op.drop_index("ix_assignment_states_assignment_id")


def downgrade() -> None:
    with op.batch_alter_table("assignment_states", schema=None) as batch_op:
        batch_op.create_index("ix_assignment_states_assignment_id", ["assignment_id"], unique=False)
        batch_op.drop_index("ix_assignment_states_as_of")
