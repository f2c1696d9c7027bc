"""identity values normalised: ID numbers and phones stored in ASCII digits, as now typed

Before 0006 an ID number typed in fullwidth (１２３４５６７８９) or Arabic-Indic digits was
stored as typed, beside the same number in ASCII digits. This rewrites the ID numbers and the
phones already stored as the portal now stores them (portal.residents.identity: identity_digits,
clean_phone): residents (ID number, phone, guardian's phone), households (guardian's phone)
and doses waiting to be matched (ID number, phone).

Two residents whose ID numbers become the same (the column is unique): the first to hold the
number keeps it (the one already in ASCII digits, else the lower id); the other keeps its
number as typed, and a warning names both ids (the number masked) for someone to merge them.
Nothing is deleted and the migration does not fail on them.

The rows of compliance lists are not touched: a submitted list is a frozen record, and what
was approved never changes. There is nothing to go back to on downgrade: the numbers are the
same numbers, now written one way.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:00:00

"""
import logging

from alembic import op
import sqlalchemy as sa

from portal.residents.identity import InvalidValue, clean_phone, identity_digits, mask_id_number


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Under alembic's logger, so the lines show with its own; a child, which its configuration
# (alembic.ini, read again on every run) leaves as it is.
log = logging.getLogger("alembic.runtime.migration.identity")

PHONES = {"residents": ("phone", "guardian_phone"), "households": ("guardian_phone",),
          "unmatched_doses": ("phone",)}
ID_NUMBERS = ("residents", "unmatched_doses")
# residents.id_number is unique; the numbers of doses waiting to be matched are not.
UNIQUE_ID_NUMBERS = {"residents"}


def _not_ascii_digits(column: str) -> str:
    """SQL true for a value that is not ASCII digits alone: the only ones that can change."""
    if op.get_bind().dialect.name == "postgresql":
        return f"{column} !~ '^[0-9]+$'"
    return f"{column} GLOB '*[^0-9]*'"


def _stored(table: str, column: str) -> list[tuple[int, str]]:
    return op.get_bind().execute(sa.text(
        f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL AND "
        f"{_not_ascii_digits(column)} ORDER BY id")).all()


def _set(table: str, column: str, row_id: int, value: str) -> None:
    op.get_bind().execute(sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                          {"value": value, "id": row_id})


def _phone(value: str) -> str:
    """The phone as clean_phone stores it; one it refuses, at least in ASCII digits."""
    try:
        return clean_phone(value) or value
    except InvalidValue:
        return identity_digits(value)


def _holder(table: str, id_number: str) -> int | None:
    return op.get_bind().execute(sa.text(
        f"SELECT id FROM {table} WHERE id_number = :number"), {"number": id_number}).scalar()


def _normalise_id_numbers(table: str) -> int:
    changed = 0
    for row_id, typed in _stored(table, "id_number"):
        number = identity_digits(typed)
        if number == typed:
            continue
        holder = _holder(table, number) if table in UNIQUE_ID_NUMBERS else None
        if holder is not None:
            log.warning("%s %s and %s have the same ID number (%s) once written in ASCII "
                        "digits: %s keeps it as typed, for someone to merge the two",
                        table, holder, row_id, mask_id_number(number), row_id)
            continue
        _set(table, "id_number", row_id, number)
        changed += 1
    return changed


def upgrade():
    for table in ID_NUMBERS:
        changed = _normalise_id_numbers(table)
        if changed:
            log.info("%s: %d ID numbers written in ASCII digits", table, changed)
    for table, columns in PHONES.items():
        for column in columns:
            changed = 0
            for row_id, typed in _stored(table, column):
                phone = _phone(typed)
                if phone != typed:
                    _set(table, column, row_id, phone)
                    changed += 1
            if changed:
                log.info("%s.%s: %d phones written in ASCII digits", table, column, changed)


def downgrade():
    pass
