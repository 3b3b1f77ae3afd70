"""task tallies: per top-level task, today's grouping of its parts, kept current by each commit
(models/tallies.py), filled here from the tables as they stand

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-07 18:00:00
"""
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# services.reporting.rollup.tally_query as of this revision (a migration does not import the app).
IN_FORCE = ("(t.added_on IS NULL OR t.added_on <= :day) AND (t.withdrawn_on IS NULL OR t.withdrawn_on > :day) "
            "AND (a.ended_on IS NULL OR a.ended_on > :day)")
NEXT = "coalesce(min(CASE WHEN {column} > :day THEN {column} END), :never)"
EARLIER = "CASE WHEN {a} < {b} THEN {a} ELSE {b} END"
FILL = f"""
INSERT INTO task_tallies (root_id, plan_id, parts, parts_done, parts_not_started, completed_on, last_update,
                          counted_on, changes_on)
SELECT t.root_id, t.plan_id,
       sum(CASE WHEN {IN_FORCE} THEN 1 ELSE 0 END),
       sum(CASE WHEN {IN_FORCE} AND a.status = 'done' AND a.review_state NOT IN ('returned', 'resubmitted')
                THEN 1 ELSE 0 END),
       sum(CASE WHEN {IN_FORCE} AND a.status = 'not_started' THEN 1 ELSE 0 END),
       max(CASE WHEN {IN_FORCE} THEN a.completed_on END), max(CASE WHEN {IN_FORCE} THEN a.updated_at END),
       :day,
       {EARLIER.format(a=EARLIER.format(a=NEXT.format(column="t.added_on"), b=NEXT.format(column="t.withdrawn_on")),
                       b=NEXT.format(column="a.ended_on"))}
FROM assignments a JOIN tasks t ON t.id = a.task_id
WHERE t.root_id IS NOT NULL
GROUP BY t.root_id, t.plan_id
"""


def upgrade() -> None:
    op.create_table(
        "task_tallies",
        sa.Column("root_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("parts_done", sa.Integer(), nullable=False),
        sa.Column("parts_not_started", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("last_update", sa.DateTime(), nullable=True),
        sa.Column("counted_on", sa.Date(), nullable=False),
        sa.Column("changes_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("root_id", name=op.f("pk_task_tallies")),
    )
    op.create_index(op.f("ix_task_tallies_plan_id"), "task_tallies", ["plan_id"])
    op.get_bind().execute(sa.text(FILL).bindparams(sa.bindparam("day", date.today(), sa.Date()),
                                                   sa.bindparam("never", date.max, sa.Date())))


def downgrade() -> None:
    op.drop_index(op.f("ix_task_tallies_plan_id"), table_name="task_tallies")
    op.drop_table("task_tallies")
