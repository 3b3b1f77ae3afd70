"""login hardening: a throttle table (failed logins per account and address, writes per user)
replaces the users' own failure counters; users get must_change_password

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle")),
    )
    # A lock in force moves to the throttle table, so an upgrade unlocks nobody early.
    op.execute(
        "INSERT INTO throttle (key, hits, window_start, locked_until) "
        "SELECT 'login-user:' || username, 0, locked_until, locked_until FROM users WHERE locked_until IS NOT NULL")
    # In place, also on SQLite (3.35+ drops plain columns): rebuilding `users` would trip the foreign
    # keys that point at it (the app's connections keep them on).
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_column("must_change_password")
    op.execute(
        "UPDATE users SET locked_until = (SELECT throttle.locked_until FROM throttle "
        "WHERE throttle.key = 'login-user:' || users.username)")
    op.drop_table("throttle")
