"""the audit trail is append-only in the database itself: triggers refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL) on audit_events, whoever asks, the application or psql

The application refused such changes already (portal/audit/models.py), but only for writes
through its ORM; these triggers refuse them from any connection. Only the table's owner can
switch them off (ALTER TABLE ... DISABLE TRIGGER), which is why the portal should run as a
role that does not own its tables (docs/privacy.md). A foreign key's ON DELETE SET NULL is an
UPDATE too: deleting an account or a unit named in the trail is refused, as it should be.

On SQLite a later batch_alter_table of audit_events rebuilds the table without its triggers:
such a migration must create them again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

MESSAGE = "audit_events is append-only"

POSTGRESQL_UP = [
    f"""
    CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    # Row triggers do not fire on TRUNCATE: a statement trigger refuses it.
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER audit_events_no_truncate ON audit_events",
    "DROP TRIGGER audit_events_append_only ON audit_events",
    "DROP FUNCTION audit_events_append_only()",
]
SQLITE_UP = [
    f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {verb} refused'); END"
    for verb in ("UPDATE", "DELETE")
]
SQLITE_DOWN = ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"]


def _statements(up: bool) -> list[str]:
    if op.get_bind().dialect.name == "postgresql":
        return POSTGRESQL_UP if up else POSTGRESQL_DOWN
    return SQLITE_UP if up else SQLITE_DOWN


def upgrade():
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade():
    for statement in _statements(up=False):
        op.execute(statement)
