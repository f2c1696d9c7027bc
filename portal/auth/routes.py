"""Logging in and out, and an entry kept across a login."""

from __future__ import annotations

import functools
import logging
import secrets
import time

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from portal.audit.log import record
from portal.auth import throttle
from portal.auth.forms import LoginForm
from portal.auth.models import User
from portal.auth.passwords import hash_password, verify_password
from portal.auth.resume import confirmation_url, forget_kept, put_back, take_kept
from portal.auth.session import end_session, open_session
from portal.auth.throttle import Throttle
from portal.extensions import db, limiter
from portal.rendering import render
from portal.security import safe_next
from portal.timeutil import utcnow

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked against when the user name is unknown, so both failures take as long."""
    return hash_password(secrets.token_urlsafe(16), method)


def find_user(username: str) -> User | None:
    """The account with that user name, ignoring case."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def _refused(message: str):
    """The login page again with the reason, nothing checked: status 429."""
    form = LoginForm(formdata=None)
    form.form_errors.append(message)
    return render("auth/login.html", form=form, status=429)


def _paused(kind: Throttle):
    """What a breached pause answers: noted, and the login page saying for how long."""

    def on_breach(limit):
        throttle.note(kind, limit.key, limit.limit.get_expiry(), find_user(throttle.account_name()))
        minutes = max(1, round((limit.reset_at - time.time()) / 60))
        return _refused(_(
            "Too many failed logins. For your safety, logging in is paused for %(minutes)s minutes.",
            minutes=minutes))

    return on_breach


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"],
               key_func=throttle.account_at_address_key, methods=["POST"],
               deduct_when=throttle.failed, on_breach=_paused(Throttle.ACCOUNT_AT_ADDRESS))
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"],
               key_func=throttle.address_key, methods=["POST"], deduct_when=throttle.failed,
               on_breach=_paused(Throttle.ADDRESS))
def login():
    """Show the login form; on success send each role to its home page."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
        return render("auth/login.html", form=form)
    if not form.validate_on_submit():
        return render("auth/login.html", form=form, status=422)
    user = find_user(form.username.data.strip())
    wait = throttle.wait_before_trying(user)
    if wait:
        return _refused(_("Many failed logins for this account. For your safety, wait "
                          "%(seconds)s seconds and try again.", seconds=wait))
    stored = user.password_hash if user else _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])
    password_ok = verify_password(stored, form.password.data)
    if user is None or not password_ok:
        log.warning("failed login for %r from %s", form.username.data, request.remote_addr)
        throttle.count_failure()
        form.form_errors.append(_("Wrong user name or password."))
        return render("auth/login.html", form=form, status=422)
    if not user.is_active:
        form.form_errors.append(_("This account has been deactivated. Ask your administrator."))
        return render("auth/login.html", form=form, status=422)
    _start_session(user)
    # An entry that was on its way when the session ran out comes first.
    landing = confirmation_url() or url_for("main.home")
    response = redirect(safe_next(form.next.data) or landing)
    throttle.remember_device(response, user)
    return response


def _start_session(user: User) -> None:
    """A fresh session for the user (no fixation), recorded on the server; commits."""
    kept = take_kept()  # an entry kept when the last session ran out
    session.clear()
    put_back(kept)
    login_user(user)
    open_session(user)
    session.permanent = True
    if user.locale:
        session["locale"] = user.locale
    user.last_login_at = utcnow()
    record("user.login", "user", user.id, unit_id=user.unit_id, user=user)
    db.session.commit()


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End this session, on the server too, so a copy of its cookie is refused (POST only, so
    no link on another site can log a user out). The account's other devices stay logged in."""
    record("user.logout", "user", current_user.id, unit_id=current_user.unit_id)
    end_session("logout")
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/resume/discard", methods=["POST"])
@login_required
def discard_kept():
    """Drop the entry kept from a session that ran out."""
    forget_kept()
    return redirect(url_for("main.home"))
