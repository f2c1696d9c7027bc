"""likely duplicates: a pair judged not to be one is remembered; a merge keeps what it moved
and the merged person's record, so that an admin can undo it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'not_duplicates',
        sa.Column('first_id', sa.Integer(), nullable=False),
        sa.Column('second_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['first_id'], ['residents.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['second_id'], ['residents.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('first_id', 'second_id'),
    )
    op.create_table(
        'resident_merges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survivor_id', sa.Integer(), nullable=True),
        sa.Column('merged_id', sa.Integer(), nullable=False),
        sa.Column('commune_id', sa.Integer(), nullable=False),
        sa.Column('merged_record', sa.JSON(), nullable=False),
        sa.Column('moved', sa.JSON(), nullable=False),
        sa.Column('filled', sa.JSON(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('merged_at', sa.DateTime(), nullable=False),
        sa.Column('undone_by_id', sa.Integer(), nullable=True),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['survivor_id'], ['residents.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['commune_id'], ['administrative_units.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_resident_merges_commune', 'resident_merges', ['commune_id', 'merged_at'])


def downgrade():
    op.drop_index('ix_resident_merges_commune', table_name='resident_merges')
    op.drop_table('resident_merges')
    op.drop_table('not_duplicates')
