"""weekly reporting: a plan's week settings, agency indicators with their annex tables, values and
entries, and the secretariat's notes of the weekly report (models/weekly.py)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:21:32
"""
import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agency_indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('stt', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('formula', sa.String(length=12), nullable=False),
    sa.Column('decimals', sa.Integer(), nullable=False),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['agency_indicators.id'], name=op.f('fk_agency_indicators_parent_id_agency_indicators')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_agency_indicators_plan_id_plans')),
    sa.ForeignKeyConstraint(['reporter_id'], ['agencies.id'], name=op.f('fk_agency_indicators_reporter_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_indicators'))
    )
    with op.batch_alter_table('agency_indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_indicators_plan_id'), ['plan_id'], unique=False)

    op.create_table('annex_tables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('entry_column', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_annex_tables_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annex_tables'))
    )
    with op.batch_alter_table('annex_tables', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annex_tables_plan_id'), ['plan_id'], unique=False)

    op.create_table('agency_indicator_terms',
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['agency_indicators.id'], name=op.f('fk_agency_indicator_terms_indicator_id_agency_indicators')),
    sa.ForeignKeyConstraint(['term_id'], ['agency_indicators.id'], name=op.f('fk_agency_indicator_terms_term_id_agency_indicators')),
    sa.PrimaryKeyConstraint('indicator_id', 'term_id', 'role', name=op.f('pk_agency_indicator_terms'))
    )
    op.create_table('agency_indicator_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('value_text', sa.String(length=60), nullable=False),
    sa.Column('not_applicable', sa.Boolean(), nullable=False),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('number', sa.Float(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_indicator_values_agency_id_agencies')),
    sa.ForeignKeyConstraint(['indicator_id'], ['agency_indicators.id'], name=op.f('fk_agency_indicator_values_indicator_id_agency_indicators')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_agency_indicator_values_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_indicator_values')),
    sa.UniqueConstraint('indicator_id', 'agency_id', 'period', name=op.f('uq_agency_indicator_values_indicator_id_agency_id_period'))
    )
    with op.batch_alter_table('agency_indicator_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_indicator_values_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('ix_agency_indicator_values_period', ['period', 'indicator_id'], unique=False)

    op.create_table('agency_period_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_period_entries_agency_id_agencies')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_agency_period_entries_entered_by_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_agency_period_entries_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_period_entries')),
    sa.UniqueConstraint('plan_id', 'agency_id', 'period', name=op.f('uq_agency_period_entries_plan_id_agency_id_period'))
    )
    with op.batch_alter_table('agency_period_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_period_entries_plan_id'), ['plan_id'], unique=False)

    op.create_table('annex_columns',
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('header', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['agency_indicators.id'], name=op.f('fk_annex_columns_indicator_id_agency_indicators')),
    sa.ForeignKeyConstraint(['table_id'], ['annex_tables.id'], name=op.f('fk_annex_columns_table_id_annex_tables')),
    sa.PrimaryKeyConstraint('table_id', 'indicator_id', name=op.f('pk_annex_columns'))
    )
    op.create_table('annex_rows',
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('stt', sa.String(length=20), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('enters', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_annex_rows_agency_id_agencies')),
    sa.ForeignKeyConstraint(['table_id'], ['annex_tables.id'], name=op.f('fk_annex_rows_table_id_annex_tables')),
    sa.PrimaryKeyConstraint('table_id', 'agency_id', name=op.f('pk_annex_rows'))
    )
    with op.batch_alter_table('annex_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annex_rows_agency_id'), ['agency_id'], unique=False)

    op.create_table('weekly_report_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('key_tasks', sa.Text(), nullable=False),
    sa.Column('highlights', sa.Text(), nullable=False),
    sa.Column('next_tasks', sa.Text(), nullable=False),
    sa.Column('proposals', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_weekly_report_notes_plan_id_plans')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_weekly_report_notes_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_report_notes')),
    sa.UniqueConstraint('plan_id', 'period', name=op.f('uq_weekly_report_notes_plan_id_period'))
    )
    with op.batch_alter_table('plans', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('week_start', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('week_numbering', sa.String(length=20), server_default='majority', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('plans', schema=None, recreate="never") as batch_op:
        batch_op.drop_column('week_numbering')
        batch_op.drop_column('week_start')

    op.drop_table('weekly_report_notes')
    with op.batch_alter_table('annex_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annex_rows_agency_id'))

    op.drop_table('annex_rows')
    op.drop_table('annex_columns')
    with op.batch_alter_table('agency_period_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_period_entries_plan_id'))

    op.drop_table('agency_period_entries')
    with op.batch_alter_table('agency_indicator_values', schema=None) as batch_op:
        batch_op.drop_index('ix_agency_indicator_values_period')
        batch_op.drop_index(batch_op.f('ix_agency_indicator_values_agency_id'))

    op.drop_table('agency_indicator_values')
    op.drop_table('agency_indicator_terms')
    with op.batch_alter_table('annex_tables', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annex_tables_plan_id'))

    op.drop_table('annex_tables')
    with op.batch_alter_table('agency_indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_indicators_plan_id'))

    op.drop_table('agency_indicators')
