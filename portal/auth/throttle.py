"""Failed logins slow a guesser down without handing anyone a way to lock the owner out.

Anyone can type anyone's user name, and a carrier's NAT puts a whole commune's phones behind
one address. So failures are counted three ways, in the limiter's storage (Redis when REDIS_URL
is set, so every worker sees the same counts):

- per account and address (LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS, 5 per 15 minutes): that
  address may not try that account for a while; the owner, elsewhere, is not stopped;
- per address (LOGIN_FAILURES_PER_ADDRESS, 300 per hour): high, for everyone behind it;
- per account from every address (LOGIN_FAILURES_PER_ACCOUNT, 10 per 15 minutes): past it the
  account is slowed, never locked: each failure makes the next try wait 2, 4, 8... seconds, up
  to LOGIN_SLOWDOWN_MAX_SECONDS; a browser the account has logged in from before does not wait.

Each refused try is logged, and the first of each window for the same key goes to the audit
trail, where admins see it: a flood of refused tries does not flood the trail.
"""

from __future__ import annotations

import enum
import logging
import math
import time

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse

from portal.audit.log import record
from portal.audit.models import AuditEvent
from portal.extensions import db, limiter
from portal.scope import in_scope

log = logging.getLogger(__name__)

THROTTLED = "login.throttled"  # the audit action
KNOWN_DEVICE_COOKIE = "known_device"
KNOWN_DEVICE_DAYS = 180
KNOWN_DEVICE_ACCOUNTS = 8  # a commune office's shared computer


class Throttle(enum.StrEnum):
    """Which count stopped a login."""

    ACCOUNT_AT_ADDRESS = "account_at_address"
    ADDRESS = "address"
    ACCOUNT = "account"


def account_name() -> str:
    """The account a login names, as typed, ignoring case and spaces around it."""
    return (request.form.get("username") or "").strip().lower()[:64]


def _address() -> str:
    return request.remote_addr or "unknown"


def account_at_address_key() -> str:
    """The limiter's key for one account tried from one address."""
    return f"login-account-address:{account_name()}|{_address()}"


def address_key() -> str:
    """The limiter's key for one address, whatever account it tries."""
    return "login-address:" + _address()


def failed(response) -> bool:
    """Only failed attempts count towards the limits (a wrong password answers 422)."""
    return response.status_code == 422


def _key(*parts: str) -> str:
    return "/".join((current_app.config["RATELIMIT_KEY_PREFIX"], *parts))


def _storage():
    """The limiter's current storage (its in-memory fallback, if it has switched to that)."""
    return limiter.limiter.storage


def _account_limit() -> tuple[int, int]:
    """Failures of one account before it is slowed, and the window they are counted in."""
    item = parse(current_app.config["LOGIN_FAILURES_PER_ACCOUNT"])
    return item.amount, item.get_expiry()


def wait_before_trying(user) -> int:
    """Seconds this try must still wait before its password is checked: 0 unless the account
    is slowed and this browser has not logged in to it before. A wait is noted."""
    if user is not None and user.id in known_accounts():
        return 0
    storage = _storage()
    key = _key("login-wait", account_name())
    if not storage.get(key):
        return 0
    wait = max(1, math.ceil(storage.get_expiry(key) - time.time()))
    note(Throttle.ACCOUNT, account_name(), _account_limit()[1], user)
    return wait


def count_failure() -> None:
    """A wrong password for the account: past its limit, the next try waits, longer each time."""
    limit, window = _account_limit()
    storage = _storage()
    failures = storage.incr(_key("login-failures", account_name()), window)
    if failures > limit:
        wait = min(current_app.config["LOGIN_SLOWDOWN_MAX_SECONDS"], 2 ** min(failures - limit, 16))
        storage.incr(_key("login-wait", account_name()), wait)


def note(kind: Throttle, key: str, window: int, user) -> None:
    """Log a refused try; the first of the window for this key is audited too (commits)."""
    log.warning("login throttled (%s) for %r from %s", kind.value, account_name(), _address())
    if _storage().incr(_key("login-noted", kind.value, key), window) != 1:
        return
    record(THROTTLED, "user", user.id if user else None, unit_id=user.unit_id if user else None,
           after={"account": account_name(), "throttle": kind.value})
    db.session.commit()


def recent_throttles(viewer, limit: int = 10) -> list[AuditEvent]:
    """The latest throttled logins within the viewer's scope, newest first."""
    statement = in_scope(viewer, AuditEvent).where(AuditEvent.action == THROTTLED)
    return list(db.session.scalars(statement.order_by(AuditEvent.id.desc()).limit(limit)))


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="known-device")


def known_accounts() -> list[int]:
    """The accounts this browser has logged in to (a signed cookie, so it cannot be made up)."""
    try:
        ids = _devices().loads(request.cookies.get(KNOWN_DEVICE_COOKIE, ""),
                               max_age=KNOWN_DEVICE_DAYS * 24 * 3600)
    except BadSignature:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def remember_device(response, user) -> None:
    """Mark this browser as one the account logs in from: it does not wait when the account is
    slowed by someone else's failures."""
    ids = [user.id, *(i for i in known_accounts() if i != user.id)][:KNOWN_DEVICE_ACCOUNTS]
    response.set_cookie(KNOWN_DEVICE_COOKIE, _devices().dumps(ids),
                        max_age=KNOWN_DEVICE_DAYS * 24 * 3600, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
