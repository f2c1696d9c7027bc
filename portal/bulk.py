"""Many rows into a table at once, inside the session's transaction: COPY on PostgreSQL,
one executemany elsewhere. For the demo's generator and the imports, where a row costs
microseconds or nothing gets done."""

from __future__ import annotations

from collections.abc import Sequence

from portal.extensions import db


def bulk_insert(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows (tuples in the order of columns; plain values: str, int, date, None)."""
    if not rows:
        return
    connection = db.session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.close()
        return
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}[connection.dialect.paramstyle]
    values = ", ".join([marker] * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({values})", rows)
