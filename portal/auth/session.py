"""Flask-Login wiring: loading the user from the cookie, the server's record of each login
(ended by logout, idle time or age), and where anonymous users go."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, jsonify, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from sqlalchemy import select, update

from portal.auth.models import User, UserSession
from portal.auth.resume import keep_for_after_login
from portal.extensions import db
from portal.timeutil import utcnow

# Where the cookie names this browser's login (a UserSession's id).
SESSION_KEY = "session_id"
# "Last seen" is written at most this often: idle time is known to a minute, and an ordinary
# request writes nothing.
LAST_SEEN_EVERY = timedelta(minutes=1)


def load_user(user_id: str) -> User | None:
    """The account named by the cookie, if its session token is still current, it is active,
    and this browser's login is still open on the server."""
    account_id, _, token = user_id.partition(":")
    if not account_id.isdigit():
        return None
    user = db.session.get(User, int(account_id))
    if user is None or user.session_token != token or not user.is_active:
        return None
    if not session_is_open(user):
        return None
    return user


def open_session(user: User) -> UserSession:
    """Record a new login of the user and name it in the cookie; flushes, never commits.

    The user's sessions that are over (ended, or older than the lifetime) are dropped here, so
    the table holds about one row per device in use.
    """
    _drop_sessions_over(user, utcnow())
    login = UserSession(user_id=user.id)
    db.session.add(login)
    db.session.flush()
    session[SESSION_KEY] = login.id
    return login


def end_session(reason: str = "logout") -> None:
    """End this browser's login on the server: the cookie, or any copy of it, is refused from
    now on, while the account's other devices stay logged in. Flushes with the caller's commit."""
    session_id = session.get(SESSION_KEY)
    login = db.session.get(UserSession, session_id) if session_id else None
    if login is not None and login.ended_at is None:
        login.ended_at = utcnow()
        login.end_reason = reason


def session_is_open(user: User) -> bool:
    """True when the cookie names an open login of this user: not ended, used within the idle
    timeout, begun within the session lifetime. Notes the time it was seen, once a minute."""
    session_id = session.get(SESSION_KEY)
    login = db.session.get(UserSession, session_id) if session_id else None
    if login is None or login.user_id != user.id:
        return False
    now = utcnow()
    if not _still_open(login, now):
        return False
    if now - login.last_seen_at >= LAST_SEEN_EVERY:
        _note_seen(login.id, now)
    return True


def _still_open(login: UserSession, now) -> bool:
    """The one rule of when a login is over: ended, idle too long, or too old."""
    idle = timedelta(seconds=current_app.config["IDLE_TIMEOUT"])
    return (login.ended_at is None and now - login.last_seen_at < idle
            and now - login.created_at < current_app.permanent_session_lifetime)


def _note_seen(session_id: str, now) -> None:
    """Write "last seen" in a transaction of its own: the request's own work (or a GET, which
    never commits) must not decide whether it is kept."""
    with db.engine.begin() as connection:
        connection.execute(update(UserSession).where(UserSession.id == session_id,
                                                     UserSession.ended_at.is_(None))
                           .values(last_seen_at=now))


def _drop_sessions_over(user: User, now) -> None:
    """Delete the user's logins that can never be used again (by the rule of _still_open)."""
    for login in db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)):
        if not _still_open(login, now):
            db.session.delete(login)


def unauthorized(next_url: str | None = None):
    """Send anonymous users to the login page; HTMX is told to navigate there itself."""
    if next_url is None:
        next_url = keep_for_after_login() or request.full_path.rstrip("?")
    login_url = url_for("auth.login", next=next_url)
    # HTMX, and the phone's outbox and copy (which ask for JSON), are told, not redirected.
    if getattr(request, "htmx", False) or request.accept_mimetypes.best == "application/json":
        response = jsonify(error="login required")
        response.status_code = 401
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


def configure_login(manager: LoginManager) -> None:
    """Register the loader and the handler for requests without a login."""
    manager.user_loader(load_user)
    manager.unauthorized_handler(unauthorized)
    manager.login_message = _l("Please log in to continue.")
    manager.session_protection = "basic"
