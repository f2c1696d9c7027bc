"""The suite's fixtures live in tests/fixtures/, one module per area; this file loads them."""

from __future__ import annotations

pytest_plugins = ["fixtures.database", "fixtures.places", "fixtures.people", "fixtures.browser",
                  "fixtures.served"]


def pytest_report_header(config):
    from fixtures.database import POSTGRES_URL

    return f"database under test: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite'}"
