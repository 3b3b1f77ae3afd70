"""publication: the secretariat's review of reported completions (comment, who, when) and closed
periods with their published figures

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

AS_OF_COLUMNS = ["assignment_id", "valid_from", "valid_to", "status", "completed_on", "review_state"]


def upgrade() -> None:
    # SQLite adds a foreign key only by copying the table (batch mode does it); PostgreSQL alters it.
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_comment", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_assignments_reviewed_by_id_users"), "users", ["reviewed_by_id"], ["id"])
    # A state row split by a review keeps its report's time; the as-of index carries it, so the
    # rollup still reads states without touching the table.
    with op.batch_alter_table("assignment_states", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("reported_at", sa.DateTime(), nullable=True))
        batch_op.drop_index("ix_assignment_states_as_of")
        batch_op.create_index("ix_assignment_states_as_of", AS_OF_COLUMNS + ["reported_at"], unique=False)
    op.create_table(
        "period_closes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=False),
        sa.Column("reopened_at", sa.DateTime(), nullable=True),
        sa.Column("reopened_by_id", sa.Integer(), nullable=True),
        sa.Column("reopen_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["closed_by_id"], ["users.id"], name=op.f("fk_period_closes_closed_by_id_users")),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_period_closes_plan_id_plans")),
        sa.ForeignKeyConstraint(["reopened_by_id"], ["users.id"], name=op.f("fk_period_closes_reopened_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_closes")),
    )
    op.create_index(op.f("ix_period_closes_plan_id"), "period_closes", ["plan_id"], unique=False)
    op.create_index("uq_period_closes_open", "period_closes", ["plan_id", "period"], unique=True,
                    sqlite_where=sa.text("reopened_at IS NULL"), postgresql_where=sa.text("reopened_at IS NULL"))


def downgrade() -> None:
    op.drop_index("uq_period_closes_open", table_name="period_closes")
    op.drop_index(op.f("ix_period_closes_plan_id"), table_name="period_closes")
    op.drop_table("period_closes")
    with op.batch_alter_table("assignment_states", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_assignment_states_as_of")
        batch_op.create_index("ix_assignment_states_as_of", AS_OF_COLUMNS, unique=False)
        batch_op.drop_column("reported_at")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_assignments_reviewed_by_id_users"), type_="foreignkey")
        batch_op.drop_column("reviewed_by_id")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("review_comment")
