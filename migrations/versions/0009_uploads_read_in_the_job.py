"""uploads read in a job, not the request: an import waits while its file is read, and a file
refused by the reading keeps the reason

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # The new states ("reading", "refused") need nothing: the state is a VARCHAR(32).
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refusal', sa.String(length=40), nullable=True))


def downgrade():
    # Imports still being read, or refused, have no state the older code knows: failed.
    op.execute("UPDATE imports SET state = 'failed' WHERE state IN ('reading', 'refused')")
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.drop_column('refusal')
