"""stored figures: a per-plan change counter (figure_versions) and past days' rollups
(figure_snapshots), kept by the session hooks in models/figures.py

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "figure_versions",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_figure_versions_plan_id_plans")),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_figure_versions")),
    )
    op.create_table(
        "figure_snapshots",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_figure_snapshots_plan_id_plans")),
        sa.PrimaryKeyConstraint("plan_id", "family", "day", "kind", name=op.f("pk_figure_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("figure_snapshots")
    op.drop_table("figure_versions")
