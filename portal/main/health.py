"""What /healthz reports: whether the database and Redis answer, told within a deadline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from portal.database import connect_args


class Probe:
    """A check of one service, run in a thread of its own so that whoever asks can stop
    waiting at a deadline, whatever the service does.

    While a check hangs, those who ask meanwhile wait on that one rather than start another:
    one thread and one connection at most per service and process, however long it hangs.
    """

    def __init__(self, name: str, check: Callable[[], object]):
        self.name = name
        self._check = check
        self._lock = threading.Lock()
        self._current: _Run | None = None

    def start(self) -> _Run:
        """The check under way, or a new one."""
        with self._lock:
            if self._current is None or self._current.done.is_set():
                self._current = _Run()
                threading.Thread(target=self._current.run, args=(self._check,),
                                 name=f"healthz-{self.name}", daemon=True).start()
            return self._current


class _Run:
    """One run of a check: whether it has ended, and whether it passed."""

    def __init__(self):
        self.done = threading.Event()
        self.passed = False

    def run(self, check: Callable[[], object]) -> None:
        try:
            check()
            self.passed = True
        except Exception:  # noqa: BLE001 (any failure to answer means "not healthy")
            pass
        finally:
            self.done.set()

    def passed_by(self, deadline: float) -> bool:
        """Whether it passed by the deadline (a time.monotonic() value)."""
        return self.done.wait(max(0.0, deadline - time.monotonic())) and self.passed


def database_check(app: Flask) -> Callable[[], object]:
    """SELECT 1 on a new connection of its own, not one of the pool, which requests stuck on
    the database may all hold: it answers whether the database answers now. It gives up soon
    after the deadline (psycopg waits two seconds at least to connect), so that its thread
    ends."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    deadline = app.config["HEALTH_CHECK_TIMEOUT"]
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args(
        url, connect_timeout=deadline, lock_timeout=deadline, statement_timeout=deadline))

    def check():
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return check


def redis_check(app: Flask) -> Callable[[], object]:
    """PING on a new connection to REDIS_URL, each step given the deadline at most."""
    from redis import Redis

    url = app.config["REDIS_URL"]
    timeout = min(app.config["REDIS_TIMEOUT"], app.config["HEALTH_CHECK_TIMEOUT"])

    def check():
        client = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            return client.ping()
        finally:
            client.close()

    return check


def _probes(app: Flask) -> dict[str, Probe]:
    """This app's probes, made on first use: the database's, and Redis's when it has one."""
    probes = app.extensions.get("tungnha.health")
    if probes is None:
        probes = {"database": Probe("database", database_check(app))}
        if app.config.get("REDIS_URL"):
            probes["redis"] = Probe("redis", redis_check(app))
        probes = app.extensions.setdefault("tungnha.health", probes)
    return probes


def report(app: Flask) -> tuple[dict, int]:
    """The health of the portal as /healthz answers it, within HEALTH_CHECK_TIMEOUT.

    503 with status "error" when the database does not answer in time: this process can do
    nothing. 200 with status "degraded" when only Redis does not: logins are then throttled
    in each process's memory and jobs cannot be queued, but pages work, and a load balancer
    that took every process out (they share the one Redis) would stop them all.
    """
    deadline = time.monotonic() + app.config["HEALTH_CHECK_TIMEOUT"]
    runs = {name: probe.start() for name, probe in _probes(app).items()}
    answered = {name: run.passed_by(deadline) for name, run in runs.items()}
    services = {name: "ok" if ok else "unreachable" for name, ok in answered.items()}
    if not answered["database"]:
        return {"status": "error", **services}, 503
    return {"status": "ok" if all(answered.values()) else "degraded", **services}, 200
