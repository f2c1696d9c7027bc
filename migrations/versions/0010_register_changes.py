"""the register's corrections keep their history: a row for each field changed, before and
after, by whom and when, by hand or by an import; a resident's status has the day it took
effect; an import counts the hand corrections it did not overwrite

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'register_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('change_id', sa.String(length=36), nullable=False),
        sa.Column('resident_id', sa.Integer(), nullable=True),
        sa.Column('household_id', sa.Integer(), nullable=True),
        sa.Column('field', sa.String(length=32), nullable=False),
        sa.Column('before', sa.Text(), nullable=True),
        sa.Column('after', sa.Text(), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('user_name', sa.String(length=120), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['household_id'], ['households.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['import_id'], ['imports.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_register_changes_resident', 'register_changes',
                    ['resident_id', 'changed_at'])
    op.create_index('ix_register_changes_household', 'register_changes',
                    ['household_id', 'changed_at'])
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_since', sa.Date(), nullable=True))
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conflicts', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.drop_column('conflicts')
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('status_since')
    op.drop_index('ix_register_changes_household', table_name='register_changes')
    op.drop_index('ix_register_changes_resident', table_name='register_changes')
    op.drop_table('register_changes')
