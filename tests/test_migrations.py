"""The schema comes from Alembic: an empty database goes up to head and back down, and
the migrations match the models."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import (
    JSON, Boolean, Date, DateTime, Integer, MetaData, String, Table, create_engine, inspect, text,
)

from portal import create_app
from portal.extensions import db

EXPECTED_TABLES = {
    "administrative_units", "households", "residents", "doses", "campaigns", "visits",
    "compliance_lists", "compliance_list_rows", "users", "user_hamlets", "audit_events",
}


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A brand-new empty database of the kind under test, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield "sqlite:///" + str(tmp_path / "empty.sqlite3")
        return
    name = f"tungnha_migrations_{uuid.uuid4().hex[:10]}"
    server = database_url.rsplit("/", 1)[0]
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _tables(app) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def test_empty_database_upgrades_to_head_and_back_down(empty_database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "SECRET_KEY": "test"})
    try:
        assert _tables(app) == set()
        with app.app_context():
            upgrade()
        assert EXPECTED_TABLES <= _tables(app)
        with app.app_context():
            downgrade(revision="base")
        assert _tables(app) - {"alembic_version"} == set()
        with app.app_context():
            upgrade()  # and up again: the downgrade left nothing behind that blocks it
        assert EXPECTED_TABLES <= _tables(app)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def _insert(conn, table_name: str, **values) -> int:
    """A row of a table as the database stands (reflected), its required columns filled."""
    table = Table(table_name, MetaData(), autoload_with=conn)
    filler = {Integer: 0, Boolean: False, String: "x", DateTime: datetime(2022, 7, 8),
              Date: date(2022, 7, 8), JSON: []}
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        values[column.name] = next(value for kind, value in filler.items()
                                   if isinstance(column.type, kind))
    return conn.execute(table.insert().values(**values)).inserted_primary_key[0]


def test_stored_id_numbers_and_phones_are_rewritten_in_ascii_digits_and_a_clash_is_logged(
        empty_database_url, capsys):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "SECRET_KEY": "test"})
    try:
        with app.app_context():
            upgrade(revision="0007")
            with db.engine.begin() as conn:
                unit = _insert(conn, "administrative_units", code="31117-01", name="Khu vực 1",
                               level="hamlet", path="/1/", depth=0)
                household = _insert(conn, "households", hamlet_id=unit,
                                    guardian_phone="０９０１ ２３４ ５６７")
                person = {"hamlet_id": unit, "household_id": household, "sex": "male",
                          "status": "present", "source": "register"}
                fullwidth = _insert(conn, "residents", **person, full_name="Lê Văn Một",
                                    id_number="０９２０６０００１２３４", phone="٠٩١٢٣٤٥٦٧٨",
                                    guardian_phone="+84 387 654 321")
                ascii_first = _insert(conn, "residents", **person, full_name="Lê Văn Hai",
                                      id_number="123456789")
                clash = _insert(conn, "residents", **person, full_name="Lê Văn Ba",
                                id_number="１２３４５６７８９", phone="0912345678")
                upload = _insert(conn, "imports", kind="doses", commune_id=unit,
                                 state="done", sha256="0" * 64, headers=[], sample=[],
                                 mapping={})
                waiting = _insert(conn, "unmatched_doses", import_id=upload, commune_id=unit,
                                  id_number="١٢٣٤٥٦٧٨٩", phone="＋８４ ９１２ ３４５ ６７８",
                                  kind="dose_1")
            capsys.readouterr()
            upgrade(revision="0008")
            # alembic.ini sends the migrations' log to stderr (and takes over the root logger).
            log = capsys.readouterr().err
            with db.engine.connect() as conn:
                def row(table, row_id, *columns):
                    return tuple(conn.execute(text(
                        f"SELECT {', '.join(columns)} FROM {table} WHERE id = {row_id}")).one())

                assert row("residents", fullwidth, "id_number", "phone", "guardian_phone") == (
                    "092060001234", "0912345678", "0387654321")
                assert row("residents", ascii_first, "id_number") == ("123456789",)
                # Two people with one number: the second keeps it as typed, and is named.
                assert row("residents", clash, "id_number", "phone") == ("１２３４５６７８９",
                                                                          "0912345678")
                assert row("households", household, "guardian_phone") == ("0901234567",)
                assert row("unmatched_doses", waiting, "id_number", "phone") == (
                    "123456789", "0912345678")
        warnings = [line for line in log.splitlines() if line.startswith("WARN")]
        assert len(warnings) == 1, log
        assert f"residents {ascii_first} and {clash}" in warnings[0]
        assert "123456789" not in warnings[0] and "6789" in warnings[0]  # masked in the log
    finally:
        with app.app_context():
            db.engine.dispose()
