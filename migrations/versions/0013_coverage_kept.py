"""coverage kept as it changes: each targeted resident's standing in each campaign, and the
sums by hamlet (and commune), age band, sex and risk group (portal/coverage)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'campaign_standings',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('resident_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('hamlet_id', sa.Integer(), nullable=False),
        sa.Column('commune_id', sa.Integer(), nullable=False),
        sa.Column('band', sa.Integer(), nullable=False),
        sa.Column('sex', sa.String(length=8), nullable=False),
        sa.Column('risk', sa.Integer(), nullable=False),
        sa.Column('up_to_date', sa.Boolean(), nullable=False),
        sa.Column('up_to_date_on', sa.Date(), nullable=True),
        sa.Column('outcome', sa.String(length=24), nullable=True),
        sa.Column('screening_category', sa.String(length=24), nullable=True),
        sa.Column('deferred_until', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', 'resident_id'),
    )
    op.create_index('ix_campaign_standings_hamlet', 'campaign_standings',
                    ['campaign_id', 'hamlet_id'])
    op.create_index('ix_campaign_standings_resident', 'campaign_standings', ['resident_id'])
    op.create_table(
        'coverage_counts',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('hamlet_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('band', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('sex', sa.String(length=8), nullable=False),
        sa.Column('risk', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('up_to_date', sa.Boolean(), nullable=False),
        sa.Column('outcome', sa.String(length=24), nullable=False),
        sa.Column('screening_category', sa.String(length=24), nullable=False),
        sa.Column('deferred_until', sa.Date(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', 'hamlet_id', 'band', 'sex', 'risk', 'up_to_date',
                                'outcome', 'screening_category', 'deferred_until'),
    )
    op.create_table(
        'coverage_commune_counts',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('commune_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('band', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('sex', sa.String(length=8), nullable=False),
        sa.Column('risk', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('up_to_date', sa.Boolean(), nullable=False),
        sa.Column('outcome', sa.String(length=24), nullable=False),
        sa.Column('screening_category', sa.String(length=24), nullable=False),
        sa.Column('deferred_until', sa.Date(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', 'commune_id', 'band', 'sex', 'risk',
                                'up_to_date', 'outcome', 'screening_category', 'deferred_until'),
    )
    op.create_table(
        'coverage_days',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('hamlet_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', 'hamlet_id', 'day'),
    )
    # A database that already holds people gets its figures now (portal.coverage.summary's
    # rebuild, which needs the app: `flask coverage rebuild` does the same by hand).
    from portal.coverage.summary import rebuild_on
    rebuild_on(op.get_bind())


def downgrade():
    op.drop_table('coverage_days')
    op.drop_table('coverage_commune_counts')
    op.drop_table('coverage_counts')
    op.drop_index('ix_campaign_standings_resident', table_name='campaign_standings')
    op.drop_index('ix_campaign_standings_hamlet', table_name='campaign_standings')
    op.drop_table('campaign_standings')
