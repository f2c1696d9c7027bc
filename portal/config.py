"""Settings read from environment variables, with defaults that run on a fresh machine."""

import os
from pathlib import Path

from portal.auth.passwords import DEFAULT_METHOD
from portal.timeutil import VIETNAM


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def sqlite_url(instance_path: str) -> str:
    """The embedded database a fresh clone runs on: a file under instance/."""
    return "sqlite:///" + str(Path(instance_path) / "tungnha.sqlite3")


def normalise_database_url(url: str) -> str:
    """Point plain postgres:// URLs at psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def from_environment(instance_path: str) -> dict:
    """Build the Flask config mapping from the process environment."""
    env = os.environ.get("TUNGNHA_ENV", "development")
    database_url = os.environ.get("DATABASE_URL") or sqlite_url(instance_path)
    return {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-not-secret"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        # How long the database may keep us waiting (portal/database.py), in seconds: all under
        # gunicorn's 30, so that a request says "try again" before its worker is killed.
        "DATABASE_CONNECT_TIMEOUT": _seconds("DATABASE_CONNECT_TIMEOUT", 5),
        "DATABASE_POOL_TIMEOUT": _seconds("DATABASE_POOL_TIMEOUT", 5),
        "DATABASE_STATEMENT_TIMEOUT": _seconds("DATABASE_STATEMENT_TIMEOUT", 20),
        "DATABASE_LOCK_TIMEOUT": _seconds("DATABASE_LOCK_TIMEOUT", 5),
        # /healthz answers within this, whatever the database and Redis do.
        "HEALTH_CHECK_TIMEOUT": _seconds("HEALTH_CHECK_TIMEOUT", 1),
        "PASSWORD_HASH_METHOD": DEFAULT_METHOD,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": VIETNAM.key,  # pages show times in Vietnam's hour
        "LANGUAGES": ("vi", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("SESSION_LIFETIME_SECONDS", 8 * 3600)),
        # A login with no request for this long ends, besides the lifetime above (from its start).
        "IDLE_TIMEOUT": int(os.environ.get("IDLE_TIMEOUT_SECONDS", 2 * 3600)),
        # A phone's copy of its user's hamlets is dropped after this many hours (unsent visits
        # are kept until sent or discarded).
        "OFFLINE_COPY_HOURS": int(os.environ.get("OFFLINE_COPY_HOURS", 24)),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", 16 * 1024 * 1024)),
        "DEBUG": _bool("FLASK_DEBUG"),
        # Reverse proxies in front (nginx: 1): their X-Forwarded-For gives the client's address.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", 0)),
        # Jobs (list files, imports) go to RQ on this Redis; without it, to a thread.
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Local copies of the stored list files, read by downloads (portal/lists/files.py).
        "LIST_FILE_COPIES": os.environ.get("LIST_FILE_COPIES")
        or str(Path(instance_path) / "list-files"),
        # An unfinished job older than this is taken for dead and may be started again.
        "JOB_TIMEOUT": int(os.environ.get("JOB_TIMEOUT_SECONDS", 30 * 60)),
        # Connecting to Redis, and each command, gives up after this many seconds.
        "REDIS_TIMEOUT": _seconds("REDIS_TIMEOUT", 1),
        # Login throttling counts failures here: shared by every worker on Redis. With Redis
        # out of reach, each process counts in its own memory until it answers again (logged
        # once, by the "flask-limiter" logger), rather than refusing every login.
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_STORAGE_OPTIONS": {
            "socket_connect_timeout": _seconds("REDIS_TIMEOUT", 1),
            "socket_timeout": _seconds("REDIS_TIMEOUT", 1),
        },
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Redis lost between a login's check and its count: the count is lost, not the login.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_KEY_PREFIX": "tungnha",
        "RATELIMIT_HEADERS_ENABLED": False,
        # Failed logins: see portal/auth/throttle.py for what each count does.
        "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS": os.environ.get(
            "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", "5 per 15 minutes"),
        "LOGIN_FAILURES_PER_ADDRESS": os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "300 per hour"),
        "LOGIN_FAILURES_PER_ACCOUNT": os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "10 per 15 minutes"),
        "LOGIN_SLOWDOWN_MAX_SECONDS": int(os.environ.get("LOGIN_SLOWDOWN_MAX_SECONDS", 60)),
        # Batches of visits a phone's outbox may send in a minute (50 visits each): a phone
        # back in signal sends its day's work in a few; a runaway script is stopped.
        "VISIT_BATCHES_PER_MINUTE": os.environ.get("VISIT_BATCHES_PER_MINUTE", "30 per minute"),
        # Searches by a whole ID number a user may make in an hour (portal/residents/search.py):
        # a day's work at the door needs a few, guessing a masked number needs thousands.
        "ID_SEARCHES_PER_HOUR": int(os.environ.get("ID_SEARCHES_PER_HOUR", 20)),
        # Years after a campaign closes before `flask campaigns purge` removes what it no
        # longer needs (docs/privacy.md): the province sets it.
        "RETENTION_YEARS": int(os.environ.get("RETENTION_YEARS", 5)),
    }
