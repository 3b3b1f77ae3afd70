"""DTI rankings: a province's yearly ranking decision, its groups and each agency's score

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07 17:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dti_rankings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["province_id"], ["provinces.id"], name=op.f("fk_dti_rankings_province_id_provinces")),
        sa.ForeignKeyConstraint(["imported_by_id"], ["users.id"], name=op.f("fk_dti_rankings_imported_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dti_rankings")),
        sa.UniqueConstraint("province_id", "year", name=op.f("uq_dti_rankings_province_id_year")),
    )
    op.create_table(
        "dti_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ranking_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("average_hundredths", sa.Integer(), nullable=False),
        sa.Column("printed_average", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["ranking_id"], ["dti_rankings.id"],
                                name=op.f("fk_dti_groups_ranking_id_dti_rankings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dti_groups")),
    )
    op.create_index(op.f("ix_dti_groups_ranking_id"), "dti_groups", ["ranking_id"])
    op.create_table(
        "dti_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("printed_name", sa.Text(), nullable=False),
        sa.Column("score_hundredths", sa.Integer(), nullable=False),
        sa.Column("maximum_hundredths", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("printed_rank", sa.String(length=20), nullable=False),
        sa.Column("printed_percent", sa.String(length=40), nullable=False),
        sa.Column("printed_level", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["dti_groups.id"], name=op.f("fk_dti_scores_group_id_dti_groups")),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_dti_scores_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dti_scores")),
        sa.UniqueConstraint("group_id", "agency_id", name=op.f("uq_dti_scores_group_id_agency_id")),
    )
    op.create_index(op.f("ix_dti_scores_group_id"), "dti_scores", ["group_id"])
    op.create_index(op.f("ix_dti_scores_agency_id"), "dti_scores", ["agency_id"])


def downgrade() -> None:
    op.drop_table("dti_scores")
    op.drop_table("dti_groups")
    op.drop_table("dti_rankings")
