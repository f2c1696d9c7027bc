"""vaccination sites, their sessions (for which campaigns), appointments, and a dose's lot

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OPEN = sa.text("state = 'booked'")


def upgrade():
    op.create_table(
        'vaccination_sites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('commune_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=160), nullable=False),
        sa.Column('kind', sa.Enum('fixed', 'mobile', name='sitekind', native_enum=False,
                                  length=32), nullable=False),
        sa.Column('address', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['commune_id'], ['administrative_units.id'],
                                name=op.f('fk_vaccination_sites_commune_id_administrative_units'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_vaccination_sites_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_sites')),
        sa.UniqueConstraint('commune_id', 'name', name=op.f('uq_vaccination_sites_commune_id')),
    )
    op.create_index(op.f('ix_vaccination_sites_commune_id'), 'vaccination_sites', ['commune_id'])
    op.create_table(
        'vaccination_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('starts_at', sa.String(length=5), nullable=False),
        sa.Column('ends_at', sa.String(length=5), nullable=True),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('cancelled_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['vaccination_sites.id'],
                                name=op.f('fk_vaccination_sessions_site_id_vaccination_sites'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_vaccination_sessions_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_sessions')),
    )
    op.create_index('ix_vaccination_sessions_site_day', 'vaccination_sessions',
                    ['site_id', 'day'])
    op.create_table(
        'session_campaigns',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['vaccination_sessions.id'],
                                name=op.f('fk_session_campaigns_session_id_vaccination_sessions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_session_campaigns_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('session_id', 'campaign_id', name=op.f('pk_session_campaigns')),
    )
    op.create_table(
        'appointments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('resident_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.Enum('booked', 'vaccinated', 'missed', 'deferred', 'cancelled',
                                   name='appointmentstate', native_enum=False, length=32),
                  nullable=False),
        sa.Column('dose_id', sa.Integer(), nullable=True),
        sa.Column('visit_id', sa.Integer(), nullable=True),
        sa.Column('booked_by_id', sa.Integer(), nullable=True),
        sa.Column('booked_at', sa.DateTime(), nullable=False),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['session_id'], ['vaccination_sessions.id'],
                                name=op.f('fk_appointments_session_id_vaccination_sessions'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['resident_id'], ['residents.id'],
                                name=op.f('fk_appointments_resident_id_residents'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_appointments_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['dose_id'], ['doses.id'],
                                name=op.f('fk_appointments_dose_id_doses'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'],
                                name=op.f('fk_appointments_visit_id_visits'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'],
                                name=op.f('fk_appointments_booked_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'],
                                name=op.f('fk_appointments_closed_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    )
    op.create_index(op.f('ix_appointments_session_id'), 'appointments', ['session_id'])
    op.create_index('ix_appointments_resident', 'appointments', ['resident_id', 'campaign_id'])
    op.create_index('uq_appointments_open', 'appointments', ['resident_id', 'campaign_id'],
                    unique=True, sqlite_where=OPEN, postgresql_where=OPEN)
    with op.batch_alter_table('doses') as batch_op:
        batch_op.add_column(sa.Column('lot', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('doses') as batch_op:
        batch_op.drop_column('lot')
    op.drop_index('uq_appointments_open', table_name='appointments')
    op.drop_index('ix_appointments_resident', table_name='appointments')
    op.drop_index(op.f('ix_appointments_session_id'), table_name='appointments')
    op.drop_table('appointments')
    op.drop_table('session_campaigns')
    op.drop_index('ix_vaccination_sessions_site_day', table_name='vaccination_sessions')
    op.drop_table('vaccination_sessions')
    op.drop_index(op.f('ix_vaccination_sites_commune_id'), table_name='vaccination_sites')
    op.drop_table('vaccination_sites')
