"""changing the plan during the year: tasks added and withdrawn (with the decision), deadline
extensions kept as dated intervals, assignments ended when a lead changes, task versions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("added_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("withdrawal_decision", sa.String(length=200), server_default="",
                                      nullable=False))
        batch_op.add_column(sa.Column("withdrawal_decided_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("assignments", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("ended_on", sa.Date(), nullable=True))
    op.create_table(
        "task_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("deadline_text", sa.String(length=300), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("deadline_kind", sa.String(length=30), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("decision", sa.String(length=200), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_task_deadlines_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_task_deadlines_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_deadlines")),
    )
    op.create_index("ix_task_deadlines_as_of", "task_deadlines", ["task_id", "valid_from", "valid_to"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_task_deadlines_as_of", table_name="task_deadlines")
    op.drop_table("task_deadlines")
    with op.batch_alter_table("assignments", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("ended_on")
    with op.batch_alter_table("tasks", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("withdrawal_decided_on")
        batch_op.drop_column("withdrawal_decision")
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("withdrawn_on")
        batch_op.drop_column("added_on")
