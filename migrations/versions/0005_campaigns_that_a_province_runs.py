"""campaigns that a province runs: set up on screen, several open at once, closed when done;
the campaign each user works on; guardians of minors; one knock, a visit row per campaign

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:25:00.889658

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prior_doses', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('sex', sa.Enum('male', 'female', name='sex', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=False,
                                      server_default=sa.func.current_timestamp()))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
    # A campaign that was not active is closed, as of when it was made (nothing better known).
    op.execute("UPDATE campaigns SET closed_at = created_at WHERE NOT active")
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.alter_column('prior_doses', server_default=None)
        batch_op.alter_column('updated_at', server_default=None)
        batch_op.create_unique_constraint(batch_op.f('uq_campaigns_unit_id'), ['unit_id', 'name'])
        batch_op.create_foreign_key(batch_op.f('fk_campaigns_closed_by_id_users'), 'users', ['closed_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_campaigns_created_by_id_users'), 'users', ['created_by_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_column('active')

    with op.batch_alter_table('compliance_list_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('guardian_phone', sa.String(length=16), nullable=True))

    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('guardian_phone', sa.String(length=16), nullable=True))

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('guardian_phone', sa.String(length=16), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_campaign_id_campaigns'), 'campaigns', ['campaign_id'], ['id'], ondelete='SET NULL', use_alter=True)

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_visits_client_uuid'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_visits_client_uuid'), ['client_uuid', 'campaign_id'])
        batch_op.create_index(batch_op.f('ix_visits_client_uuid'), ['client_uuid'], unique=False)



def downgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_client_uuid'))
        batch_op.drop_constraint(batch_op.f('uq_visits_client_uuid'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_visits_client_uuid'), ['client_uuid'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_campaign_id_campaigns'), type_='foreignkey')
        batch_op.drop_column('campaign_id')

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('guardian_phone')
        batch_op.drop_column('guardian_name')

    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_column('guardian_phone')
        batch_op.drop_column('guardian_name')

    with op.batch_alter_table('compliance_list_rows', schema=None) as batch_op:
        batch_op.drop_column('guardian_phone')
        batch_op.drop_column('guardian_name')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.BOOLEAN(), nullable=False,
                                      server_default=sa.true()))
    op.execute("UPDATE campaigns SET active = (closed_at IS NULL)")
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.alter_column('active', server_default=None)
        batch_op.drop_constraint(batch_op.f('fk_campaigns_created_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_campaigns_closed_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_campaigns_unit_id'), type_='unique')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('sex')
        batch_op.drop_column('prior_doses')
