"""Faults fail fast and say so: a database that hangs or is locked, Redis out of reach."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from fixtures.database import CsrfClient
from helpers import HX, accounts_locked
from portal import create_app
from portal.demo import DEMO_PASSWORD
from portal.extensions import db, limiter

UNAVAILABLE = "tạm thời không kết nối được cơ sở dữ liệu"
FELL_BACK = "falling back to in-memory storage"


def answered_within(seconds: float, call: Callable):
    """call()'s answer and how long it took; the test fails if none has come within seconds
    (the call is left to end in its thread: a hang fails the test instead of stalling it)."""
    outcome = {}

    def run():
        try:
            outcome["answer"] = call()
        except BaseException as error:  # noqa: BLE001 (raised again below, in the test)
            outcome["error"] = error

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"no answer within {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["answer"], time.monotonic() - started


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts every connection and never answers: a database
    that has stopped answering."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                self.accepted.append(self.socket.accept()[0])

    def close(self):
        self._stop.set()
        self._thread.join()
        for connection in self.accepted:
            connection.close()
        self.socket.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def hung_app(silent_server):
    """The portal on a PostgreSQL that accepts connections and never answers, whatever the
    database under test; its sessions are signed as the `app` fixture's are."""
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI":
            f"postgresql+psycopg://postgres@127.0.0.1:{silent_server.port}/tungnha",
        "DATABASE_CONNECT_TIMEOUT": 2,
    })
    assert silent_server.accepted == []  # made without touching the database
    app.test_client_class = CsrfClient
    return app


def test_healthz_answers_503_within_two_seconds_when_the_database_hangs(hung_app):
    client = hung_app.test_client()
    # A connection waits two seconds at least before it gives up: the second and third ask
    # while the first check still hangs, and wait on it rather than start another.
    for _ in range(3):
        response, took = answered_within(10, lambda: client.get("/healthz"))
        assert response.status_code == 503 and took < 2, took
        assert response.get_json() == {"status": "error", "database": "unreachable"}
    assert [thread.name for thread in threading.enumerate()].count("healthz-database") <= 1


def test_a_page_answers_the_vietnamese_503_when_the_database_hangs(hung_app):
    client = hung_app.test_client()
    form = {"username": "screener", "password": DEMO_PASSWORD, "csrf_token": client.csrf_token()}
    response, took = answered_within(10, lambda: client.post("/login", data=form))
    assert response.status_code == 503 and took < 2 + 3, took  # the connect timeout, and some
    page = response.get_data(as_text=True)
    assert UNAVAILABLE in page and "<html" in page
    # HTMX gets the error's block alone, as for every error.
    response, _ = answered_within(10, lambda: client.post("/login", data=form, headers=HX))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 503 and UNAVAILABLE in fragment and "<html" not in fragment
    assert client.post("/login", data=form, headers={"Accept": "application/json"}
                       ).get_json()["status"] == 503


def test_a_signed_in_page_answers_the_vietnamese_503_when_the_database_hangs(
    client, users, hung_app
):
    assert client.login("screener").status_code == 302
    hung = hung_app.test_client()
    hung.set_cookie("session", client.get_cookie("session").value)
    response, took = answered_within(10, lambda: hung.get("/"))
    assert response.status_code == 503 and took < 2 + 3, took
    page = response.get_data(as_text=True)
    # Who is signed in cannot be read: the page says what it can without it.
    assert UNAVAILABLE in page and "Cán bộ screener" not in page and 'lang="vi"' in page
    # ...and has not signed them out: their session still opens the portal that answers.
    client.set_cookie("session", hung.get_cookie("session").value)
    assert client.get("/").status_code == 200


@pytest.fixture
def impatient_app(app, database_url):
    """The portal on the database under test (the `app` fixture's), waiting half a second
    for a lock."""
    impatient = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                            "SQLALCHEMY_DATABASE_URI": database_url,
                            "DATABASE_LOCK_TIMEOUT": 0.5})
    impatient.test_client_class = CsrfClient
    yield impatient
    with impatient.app_context():
        db.engine.dispose()


def test_a_page_waiting_on_a_lock_answers_the_vietnamese_503(
    app, users, impatient_app, database_url
):
    client = impatient_app.test_client()
    form = {"username": "screener", "password": DEMO_PASSWORD, "csrf_token": client.csrf_token()}
    with accounts_locked(app, database_url):
        response, took = answered_within(10, lambda: client.post("/login", data=form))
    assert response.status_code == 503 and took < 0.5 + 3, took
    assert UNAVAILABLE in response.get_data(as_text=True)
    # As if it had not come: no one is signed in by a login that could not be recorded, and
    # once the lock is gone, the same form goes through.
    assert client.get("/").status_code == 302
    assert client.post("/login", data=form).status_code == 302


def _slow_statement(seconds_on_postgresql: float) -> str:
    """A statement that keeps the database busy: a sleep on PostgreSQL; on SQLite a count to
    a number that takes seconds (it has no sleep)."""
    if db.engine.dialect.name == "postgresql":
        return f"SELECT pg_sleep({seconds_on_postgresql})"
    upto = int(seconds_on_postgresql * 4_000_000)
    return (f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {upto}) "
            "SELECT count(*) FROM c")


def test_a_request_gives_up_on_a_slow_statement_and_a_job_does_not(app):
    app.config["DATABASE_STATEMENT_TIMEOUT"] = 0.2
    with app.test_request_context():
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout|interrupted"):
            db.session.execute(text(_slow_statement(3)))
        assert time.monotonic() - started < 1.5
        db.session.rollback()
    # A job (an app context, no request) on the same pooled connection: no limit left on it.
    with app.app_context():
        db.session.execute(text(_slow_statement(0.4)))
        if db.engine.dialect.name == "postgresql":
            assert db.session.scalar(text("SHOW statement_timeout")) == "0"
        db.session.rollback()


def _closed_port() -> int:
    """A port of 127.0.0.1 nobody listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_unreachable(app) -> str:
    """REDIS_URL at a closed port, for the limiter and /healthz, as a Redis that went down."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    app.config.update(REDIS_URL=url, RATELIMIT_STORAGE_URI=url)
    limiter.init_app(app)  # bind the storage the config now names
    assert "redis" in type(limiter.storage).__name__.lower()
    return url


def test_login_works_with_redis_unreachable(app, client, users, redis_unreachable, caplog):
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        assert client.login("screener").status_code == 302
        client.post_form("/logout")
        # Failed logins are still counted, in this process's memory.
        for _ in range(5):
            assert client.login("clerk", "wrong-password-1").status_code == 422
        assert client.login("clerk").status_code == 429
        assert client.login("commune_lead").status_code == 302
    assert [record.getMessage() for record in caplog.records].count(
        "Rate limit storage unreachable - " + FELL_BACK) == 1


def test_healthz_says_redis_is_degraded_when_unreachable(client, redis_unreachable):
    response, took = answered_within(10, lambda: client.get("/healthz"))
    assert response.status_code == 200 and took < 2
    assert response.get_json() == {"status": "degraded", "database": "ok", "redis": "unreachable"}
