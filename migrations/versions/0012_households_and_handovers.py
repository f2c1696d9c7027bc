"""a person handed over to another commune of the portal, received there

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'resident_handovers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('resident_id', sa.Integer(), nullable=False),
        sa.Column('from_commune_id', sa.Integer(), nullable=False),
        sa.Column('to_commune_id', sa.Integer(), nullable=False),
        sa.Column('handed_by_id', sa.Integer(), nullable=True),
        sa.Column('handed_at', sa.DateTime(), nullable=False),
        sa.Column('received_by_id', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['from_commune_id'], ['administrative_units.id'],
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['to_commune_id'], ['administrative_units.id'],
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['handed_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['received_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_resident_handovers_to', 'resident_handovers',
                    ['to_commune_id', 'received_at'])


def downgrade():
    op.drop_index('ix_resident_handovers_to', table_name='resident_handovers')
    op.drop_table('resident_handovers')
