"""report snapshots stored once per content; every non-admin user belongs to a province

Submissions used to carry their snapshot inline and the change log copied it twice per click
(275 MB for 100 clicks). Snapshots move to a table keyed by their SHA-256; a submission points to
one. Users other than admins without a province (a typo in `create-user --province`) get their
agency's province, or the only province when there is one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:00:00
"""
import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

snapshots = sa.table("report_snapshots", sa.column("id", sa.Integer), sa.column("digest", sa.String),
                     sa.column("body", sa.Text))
submissions = sa.table("report_submissions", sa.column("id", sa.Integer), sa.column("snapshot", sa.Text),
                       sa.column("snapshot_id", sa.Integer))


def upgrade() -> None:
    op.create_table(
        "report_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_snapshots")),
        sa.UniqueConstraint("digest", name=op.f("uq_report_snapshots_digest")),
    )
    with op.batch_alter_table("report_submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snapshot_id", sa.Integer(), nullable=True))

    connection = op.get_bind()
    stored: dict[str, int] = {}
    for submission_id, body in connection.execute(sa.select(submissions.c.id, submissions.c.snapshot)).all():
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        if digest not in stored:
            connection.execute(snapshots.insert().values(digest=digest, body=body))
            stored[digest] = connection.scalar(sa.select(snapshots.c.id).where(snapshots.c.digest == digest))
        connection.execute(submissions.update().where(submissions.c.id == submission_id)
                           .values(snapshot_id=stored[digest]))

    with op.batch_alter_table("report_submissions", schema=None) as batch_op:
        batch_op.alter_column("snapshot_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_report_submissions_snapshot_id_report_snapshots"),
                                    "report_snapshots", ["snapshot_id"], ["id"])
        batch_op.drop_column("snapshot")

    connection.execute(sa.text(
        "UPDATE users SET province_id = (SELECT agencies.province_id FROM agencies WHERE agencies.id = users.agency_id) "
        "WHERE province_id IS NULL AND agency_id IS NOT NULL"))
    if connection.scalar(sa.text("SELECT count(*) FROM provinces")) == 1:
        connection.execute(sa.text(
            "UPDATE users SET province_id = (SELECT id FROM provinces) WHERE province_id IS NULL AND role <> 'admin'"))


def downgrade() -> None:
    with op.batch_alter_table("report_submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snapshot", sa.Text(), nullable=True))
    op.get_bind().execute(sa.text(
        "UPDATE report_submissions SET snapshot = "
        "(SELECT body FROM report_snapshots WHERE report_snapshots.id = report_submissions.snapshot_id)"))
    with op.batch_alter_table("report_submissions", schema=None) as batch_op:
        batch_op.alter_column("snapshot", existing_type=sa.Text(), nullable=False)
        batch_op.drop_constraint("fk_report_submissions_snapshot_id_report_snapshots", type_="foreignkey")
        batch_op.drop_column("snapshot_id")
    op.drop_table("report_snapshots")
