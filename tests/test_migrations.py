"""The schema comes from Alembic: an empty database goes up to head and back down, and
the migrations match the models."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

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
