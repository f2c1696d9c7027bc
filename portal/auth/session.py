"""Flask-Login wiring: loading the user from the cookie, and where anonymous users go."""

from __future__ import annotations

from flask import jsonify, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from portal.auth.models import User
from portal.auth.resume import keep_for_after_login
from portal.extensions import db


def load_user(user_id: str) -> User | None:
    """The account named by the cookie, if its session token is still current and it is active."""
    account_id, _, token = user_id.partition(":")
    if not account_id.isdigit():
        return None
    user = db.session.get(User, int(account_id))
    if user is None or user.session_token != token or not user.is_active:
        return None
    return user


def unauthorized(next_url: str | None = None):
    """Send anonymous users to the login page; HTMX is told to navigate there itself."""
    if next_url is None:
        next_url = keep_for_after_login() or request.full_path.rstrip("?")
    login_url = url_for("auth.login", next=next_url)
    if getattr(request, "htmx", False):
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
