"""Shared pieces of the benchmarks: scratch databases, gunicorn, wrk, medians and the table."""

from __future__ import annotations

import atexit
import functools
import itertools
import json
import os
import platform
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The venv's `flask` and `gunicorn` sit beside the python that runs the harness.
BIN = Path(sys.executable).parent
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
RESULTS = Path(__file__).resolve().parent / "results"

SQLITE = "SQLite"
POSTGRESQL = "PostgreSQL"
# Every scratch database on PostgreSQL is named with this prefix; nothing else is ever dropped.
SCRATCH_PREFIX = "tungnha_bench_"
# The test suite's database: never written into, even if a URL names it.
PROTECTED_DATABASES = {"test", "postgres", "template0", "template1"}
DEMO_PASSWORD = "tungnha-demo"


class BenchError(RuntimeError):
    """A benchmark could not produce a trustworthy figure; the message says why."""


def note(message: str) -> None:
    """Progress on stderr, so stdout carries only the report."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def tail(text: str, lines: int = 15) -> str:
    """The end of a long output, which is where tracebacks and errors are."""
    return "\n".join(text.strip().splitlines()[-lines:])


# --- settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How long and how often to measure, from BENCH_QUICK and BENCH_DURATION."""

    quick: bool
    wrk_seconds: int

    @classmethod
    def from_environment(cls) -> Settings:
        """Read the environment; a bad BENCH_DURATION stops the run before anything starts."""
        quick = os.environ.get("BENCH_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}
        raw = os.environ.get("BENCH_DURATION", "").strip()
        if not raw:
            return cls(quick=quick, wrk_seconds=2 if quick else 10)
        if not raw.isdigit() or int(raw) < 1:
            raise BenchError(f"BENCH_DURATION must be a whole number of seconds, not {raw!r}")
        return cls(quick=quick, wrk_seconds=int(raw))


# --- databases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """A database engine to run rows on: SQLite always, PostgreSQL when a URL is given."""

    name: str
    version: str = ""
    server_url: str | None = None  # PostgreSQL: any URL on the server; we use its `postgres` db
    skip_reason: str | None = None  # not asked for: the rows are marked skipped
    error: str | None = None  # asked for but unusable: the rows are marked failed

    @property
    def label(self) -> str:
        """What the table's database column shows."""
        return f"{self.name} {self.version}".strip()


def postgres_url_from_environment() -> tuple[str | None, str | None]:
    """The PostgreSQL server URL and the variable it came from, or (None, None)."""
    # TUNGNHA_TEST_DATABASE_URL is what tests/conftest.py reads; accept it as well.
    for variable in ("BENCH_DATABASE_URL", "TEST_DATABASE_URL", "TUNGNHA_TEST_DATABASE_URL"):
        value = os.environ.get(variable, "").strip()
        if value:
            return value, variable
    return None, None


def url_for_database(server_url: str, database: str, *, driver: str) -> str:
    """The server URL pointed at another database, as psycopg ("postgresql") or SQLAlchemy wants."""
    from sqlalchemy.engine import make_url

    url = make_url(server_url).set(drivername=driver, database=database)
    return url.render_as_string(hide_password=False)


def maintenance_connection(backend: Backend):
    """An autocommit psycopg connection to the server's `postgres` database (CREATE/DROP DATABASE)."""
    import psycopg

    url = url_for_database(backend.server_url, "postgres", driver="postgresql")
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


def available_backends() -> list[Backend]:
    """SQLite, and PostgreSQL when a URL is set (skipped otherwise, failed if unreachable)."""
    backends = [Backend(SQLITE, sqlite3.sqlite_version)]
    url, variable = postgres_url_from_environment()
    if url is None:
        backends.append(Backend(POSTGRESQL, skip_reason="skipped: BENCH_DATABASE_URL is not set"))
        return backends
    if not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        backends.append(Backend(POSTGRESQL, error=f"{variable} is not a postgresql:// URL"))
        return backends
    backend = Backend(POSTGRESQL, server_url=url)
    try:
        with maintenance_connection(backend) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    except Exception as error:  # any failure to connect makes every PostgreSQL row unusable
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        backends.append(Backend(POSTGRESQL, error=f"cannot connect ({variable}): {first_line}"))
        return backends
    backends.append(Backend(POSTGRESQL, version=version, server_url=url))
    return backends


# Scratch databases and servers still alive, so that atexit can clean up after a crash
# that skipped a `finally` (each context manager removes its own entry when it cleans up).
_leftovers: dict[int, Callable[[], None]] = {}
_leftover_keys = itertools.count()


def _clean_leftovers() -> None:
    """Run every cleanup that has not run yet, newest first."""
    for key in sorted(_leftovers, reverse=True):
        cleanup = _leftovers.pop(key, None)
        if cleanup is not None:
            try:
                cleanup()
            except Exception as error:  # cleanup must go on with the others
                note(f"cleanup failed: {error}")


atexit.register(_clean_leftovers)


@contextmanager
def _cleaned_up(cleanup: Callable[[], None]) -> Iterator[None]:
    """Run cleanup on leaving the block, or at exit if the block is never left normally."""
    key = next(_leftover_keys)
    _leftovers[key] = cleanup
    try:
        yield
    finally:
        if _leftovers.pop(key, None) is not None:
            cleanup()


def install_signal_handlers() -> None:
    """Turn SIGTERM and SIGHUP into SystemExit, so every `finally` and atexit cleanup runs."""

    def _exit(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGHUP, _exit)


_scratch_numbers = itertools.count(1)


@contextmanager
def scratch_database(backend: Backend) -> Iterator[str]:
    """A new empty database, removed afterwards whatever happens; yields its SQLAlchemy URL."""
    if backend.name == SQLITE:
        folder = tempfile.mkdtemp(prefix="tungnha-bench-")
        with _cleaned_up(lambda: shutil.rmtree(folder, ignore_errors=True)):
            yield "sqlite:///" + os.path.join(folder, "bench.sqlite3")
        return

    from psycopg import sql

    name = f"{SCRATCH_PREFIX}{os.getpid()}_{next(_scratch_numbers)}"
    assert name.startswith(SCRATCH_PREFIX) and name not in PROTECTED_DATABASES

    def drop() -> None:
        with maintenance_connection(backend) as conn:
            # FORCE ends sessions a killed server may have left behind (PostgreSQL 13+).
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    with maintenance_connection(backend) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with _cleaned_up(drop):
        yield url_for_database(backend.server_url, name, driver="postgresql+psycopg")


# --- the portal's commands -----------------------------------------------------------------


@functools.cache
def bench_secret_key() -> str:
    """One random SECRET_KEY per run, shared by every process that must read the same cookies."""
    return secrets.token_hex(32)


def app_environment(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a `flask` or `gunicorn` subprocess working on database_url, with
    extra variables on top (REDIS_URL, say)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=bench_secret_key(),
        # Not "production": it marks the session cookie Secure, and neither requests nor wrk
        # would send it back over the plain http of the loopback.
        TUNGNHA_ENV="development",
        FLASK_DEBUG="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def flask_command(database_url: str, *args: str, timeout: float) -> tuple[float, str]:
    """Run `flask --app wsgi ARGS` on database_url; its wall time in seconds, and its output."""
    command = [str(BIN / "flask"), "--app", "wsgi", *args]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=app_environment(database_url), capture_output=True,
            text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"`flask {' '.join(args)}` took more than {timeout:.0f} s") from error
    elapsed = time.perf_counter() - started
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise BenchError(f"`flask {' '.join(args)}` failed: {tail(output, 6)}")
    return elapsed, output


def migrate(database_url: str) -> None:
    """Bring a scratch database to the head of the migrations, as `flask db upgrade` does."""
    flask_command(database_url, "db", "upgrade", timeout=300)


def seed_demo(database_url: str, residents: int) -> tuple[float, str]:
    """`flask seed-demo --residents N`: wall time in seconds and what it printed."""
    return flask_command(database_url, "seed-demo", "--residents", str(residents), timeout=1800)


# --- servers and load ----------------------------------------------------------------------


def free_port() -> int:
    """A TCP port free on the loopback right now."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """Stop a server we started: gracefully first, then its whole process group by force."""
    if process.poll() is None:
        process.terminate()  # gunicorn's master stops its workers on SIGTERM
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    # The group id is the master's pid (start_new_session): it holds only this server's workers.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait(timeout=15)


def _wait_for_health(base_url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    """Poll /healthz until it answers 200; fail early if the server dies or never answers."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited ({process.returncode}): {tail(log_path.read_text())}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
        except OSError as error:
            last = str(error)
        time.sleep(0.2)
    raise BenchError(f"{base_url}/healthz not ready after {timeout:.0f} s ({last}): "
                     f"{tail(log_path.read_text())}")


@dataclass(frozen=True)
class Server:
    """A gunicorn we started: its URL, its master's pid (the workers are its children), and its
    log (gone once the server stops)."""

    url: str
    pid: int
    log: Path


@contextmanager
def gunicorn_server(app_spec: str, database_url: str, *, workers: int = 2,
                    env: dict[str, str] | None = None, args: Sequence[str] = ()) -> Iterator[Server]:
    """Serve app_spec with gunicorn on a free loopback port until the block ends, with env added
    to the app's environment and args to gunicorn's (a --config); yields the server."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_dir = Path(tempfile.mkdtemp(prefix="tungnha-bench-gunicorn-"))
    log_path = log_dir / "gunicorn.log"
    command = [
        str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
        "--chdir", str(ROOT), "--graceful-timeout", "5", "--error-logfile", "-", *args, app_spec,
    ]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=app_environment(database_url, env), stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )

    def stop() -> None:
        _stop(process)
        shutil.rmtree(log_dir, ignore_errors=True)

    with _cleaned_up(stop):
        _wait_for_health(base_url, process, log_path, timeout=60)
        note(f"gunicorn {app_spec} up at {base_url} (pid {process.pid})")
        yield Server(url=base_url, pid=process.pid, log=log_path)


@contextmanager
def gunicorn(app_spec: str, database_url: str, *, workers: int = 2,
             env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve app_spec with gunicorn on a free loopback port until the block ends; yields its URL."""
    with gunicorn_server(app_spec, database_url, workers=workers, env=env) as server:
        yield server.url


def worker_pids(master_pid: int) -> set[int]:
    """The live children of a process (gunicorn's workers): by psutil when it is installed, else
    from /proc. A killed worker not yet reaped by its master (a zombie) is not counted."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return {child.pid for child in psutil.Process(master_pid).children()
                    if child.status() != psutil.STATUS_ZOMBIE}
        except psutil.NoSuchProcess:
            return set()
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (name) state ppid ...": the name may hold spaces or parentheses, so read after
        # the last ")".
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if int(ppid) == master_pid and state != "Z":
            children.add(int(entry.name))
    return children


@dataclass(frozen=True)
class WrkRun:
    """What one wrk run measured."""

    rps: float
    p50_ms: float
    p95_ms: float
    requests: int


def run_wrk(url: str, *, seconds: int, headers: Sequence[str] = (), threads: int = 2,
            connections: int = 8, script: Path = WRK_SCRIPT,
            environment: dict[str, str] | None = None) -> WrkRun:
    """Load url with wrk for `seconds`; refuse the figure if any request failed.

    A script other than wrk_report.lua must load it (BENCH_REPORT_LUA) for the figures.
    """
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(script),
    ]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60,
            env={**os.environ, "BENCH_REPORT_LUA": str(WRK_SCRIPT), **(environment or {})},
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk did not finish within {seconds + 60} s") from error
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON ")]
    if done.returncode != 0 or not lines:
        raise BenchError(f"wrk failed: {tail(done.stdout + done.stderr, 6)}")
    report = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    if report["requests"] == 0:
        raise BenchError(f"wrk made no request to {url}")
    # A 4xx/5xx (a lost session, a crash) or a timeout would make the figure lie.
    bad = report["errors_status"] + report["errors_timeout"]
    sockets = report["errors_connect"] + report["errors_read"] + report["errors_write"]
    if bad or sockets > 0.01 * report["requests"]:
        raise BenchError(f"wrk saw errors on {url}: " + json.dumps(
            {k: v for k, v in report.items() if k.startswith("errors_")}))
    return WrkRun(
        rps=report["rps"], p50_ms=report["p50_us"] / 1000, p95_ms=report["p95_us"] / 1000,
        requests=report["requests"],
    )


def wrk_version() -> str | None:
    """wrk's version string, or None when wrk is not installed."""
    if shutil.which("wrk") is None:
        return None
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    words = (done.stdout + done.stderr).split()
    return words[1] if len(words) > 1 else "unknown version"


# --- figures and the table -----------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    """The median: on a noisy 2-core machine it shrugs off the one run a neighbour disturbed."""
    if not values:
        raise BenchError("no measurement to take the median of")
    return statistics.median(values)


@dataclass
class Row:
    """One line of the table."""

    benchmark: str
    database: str
    figure: str = ""
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    runs: str = ""
    failed: bool = False


COLUMNS = ("benchmark", "database", "figure", "baseline", "ratio", "target", "runs")


def markdown_table(rows: Sequence[Row]) -> str:
    """The rows as one markdown table."""

    def cell(text: str) -> str:
        return " ".join(str(text).split()).replace("|", "\\|")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join(cell(getattr(row, c)) for c in COLUMNS) + " |")
    return "\n".join(lines)


def git_commit() -> str:
    """The short commit of the work tree, marked when it has uncommitted changes (read-only git)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return "unknown"
        # diff-index only reads: unlike `git status` it never rewrites the index.
        dirty = subprocess.run(["git", "diff-index", "--quiet", "HEAD", "--"], cwd=ROOT,
                               capture_output=True, timeout=10).returncode != 0
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return commit.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def environment_line(backends: Sequence[Backend], settings: Settings) -> str:
    """Where and when the figures were measured: they mean little without it."""
    now = datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    databases = ", ".join(b.label for b in backends if not (b.skip_reason or b.error))
    mode = "quick smoke run" if settings.quick else "full run"
    # The load at the start says whether something else was already competing for the CPUs.
    load = os.getloadavg()[0]
    return (f"{now} · commit {git_commit()} · {os.cpu_count()} CPUs (load {load:.2f}) · "
            f"Python {platform.python_version()} · {databases} · wrk {wrk_version()} · "
            f"{mode}, wrk {settings.wrk_seconds} s per run")
