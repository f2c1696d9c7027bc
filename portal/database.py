"""How long the portal waits on its database before it gives up and says so.

A database that accepts connections and never answers, or a statement stuck behind a lock,
would otherwise hold a request until gunicorn kills its worker (30 s) and the user sees
nothing. Every wait has an end instead: connecting, taking a connection from the pool, and,
in a request, each statement and each wait for a lock. When one fires, the request answers a
503 (portal/main/errors.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from flask import current_app, has_request_context
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url


def backend(url: str) -> str:
    """'postgresql' or 'sqlite': the database a URL names."""
    return make_url(url).get_backend_name()


def connect_args(url: str, *, connect_timeout: float, lock_timeout: float,
                 statement_timeout: float | None = None) -> dict:
    """The driver's arguments for a connection that gives up in time.

    PostgreSQL: connecting gives up after connect_timeout (whole seconds, two at least:
    psycopg's rule, as libpq's), every statement after statement_timeout if given. SQLite: a
    write waits lock_timeout for another to finish (its busy timeout), then fails.
    """
    kind = backend(url)
    if kind == "postgresql":
        args = {"connect_timeout": max(2, math.ceil(connect_timeout))}
        if statement_timeout is not None:
            args["options"] = f"-c statement_timeout={_ms(statement_timeout)}"
        return args
    if kind == "sqlite":
        return {"timeout": lock_timeout}
    return {}


def engine_options(config: Mapping) -> dict:
    """SQLAlchemy's engine options for the portal's database, from the DATABASE_* settings.

    A connection found dead in the pool is replaced (pre-ping); a request waits at most
    DATABASE_POOL_TIMEOUT for a connection when all are taken. Statements are limited per
    request (limit_request_statements), not here: jobs, commands and migrations may rightly
    run longer ones on the same engine.
    """
    url = config["SQLALCHEMY_DATABASE_URI"]
    options = {
        "pool_pre_ping": True,
        "connect_args": connect_args(url, connect_timeout=config["DATABASE_CONNECT_TIMEOUT"],
                                     lock_timeout=config["DATABASE_LOCK_TIMEOUT"]),
    }
    if backend(url) == "postgresql":
        # SQLite's pool (one file, no server) has nothing to wait for.
        options["pool_timeout"] = config["DATABASE_POOL_TIMEOUT"]
    return options


def limit_request_statements(session, transaction, connection) -> None:
    """In a request on PostgreSQL, each statement of the transaction gives up after
    DATABASE_STATEMENT_TIMEOUT and each wait for a lock after DATABASE_LOCK_TIMEOUT.

    Both under gunicorn's 30 s, so that the user is told (a 503) before the worker is killed.
    SET LOCAL (set_config(..., true)) ends with the transaction: the connection goes back to
    the pool without them, and a job's or a command's transactions, outside any request, are
    not limited. SQLite has no statement timeout: limit_sqlite_statement does it there.
    """
    if not has_request_context() or connection.dialect.name != "postgresql":
        return
    config = current_app.config
    connection.execute(
        text("SELECT set_config('statement_timeout', :statement, true), "
             "set_config('lock_timeout', :lock, true)"),
        {"statement": f"{_ms(config['DATABASE_STATEMENT_TIMEOUT'])}ms",
         "lock": f"{_ms(config['DATABASE_LOCK_TIMEOUT'])}ms"},
    )


# How often (in SQLite's virtual machine instructions) a running statement asks the clock.
_SQLITE_CHECK_EVERY = 20_000


def limit_sqlite_statement(connection, cursor, statement, parameters, context, executemany):
    """In a request on SQLite, a statement gives up after DATABASE_STATEMENT_TIMEOUT, as
    PostgreSQL's statement_timeout does: SQLite's progress handler interrupts it (an
    OperationalError, "interrupted", answered as a 503). Taken off again after the statement
    (release_sqlite_statement), so that jobs and commands on the same connection run freely."""
    if connection.dialect.name != "sqlite" or not has_request_context():
        return
    deadline = time.monotonic() + current_app.config["DATABASE_STATEMENT_TIMEOUT"]
    connection.connection.driver_connection.set_progress_handler(
        lambda: time.monotonic() > deadline, _SQLITE_CHECK_EVERY)


def release_sqlite_statement(connection, cursor, statement, parameters, context, executemany):
    if connection.dialect.name == "sqlite":
        connection.connection.driver_connection.set_progress_handler(None, 0)


def register() -> None:
    """Limit the statements of every request (one listener for every app: they share the
    session class and the engine class)."""
    from portal.extensions import db

    listeners = ((db.session, "after_begin", limit_request_statements),
                 (Engine, "before_cursor_execute", limit_sqlite_statement),
                 (Engine, "after_cursor_execute", release_sqlite_statement),
                 (Engine, "handle_error", _release_after_error))
    for target, name, listener in listeners:
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)


def _release_after_error(context) -> None:
    """A statement that failed (interrupted, say) takes its limit off its connection too."""
    connection = context.connection
    if connection is not None and connection.dialect.name == "sqlite" and not connection.closed:
        connection.connection.driver_connection.set_progress_handler(None, 0)


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
