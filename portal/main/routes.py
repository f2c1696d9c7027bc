"""The home page each role lands on, /healthz, and the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user, login_required

from portal.campaigns.active import choose_campaign
from portal.extensions import csrf, db
from portal.ids import id_from
from portal.main import health
from portal.main.dashboard import home_context
from portal.rendering import render
from portal.security import referrer_path, safe_next

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    """Each role's own home page, filled with the figures of its scope."""
    user = current_user
    context = home_context(user)
    return render(f"main/home_{user.role.value}.html", **context)


@bp.route("/campaign", methods=["POST"])
@login_required
def choose():
    """Work on another of one's open campaigns; back to the page the choice was made on."""
    choose_campaign(current_user, id_from(request.form.get("campaign")) or 0)
    db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"))


@bp.route("/healthz")
@csrf.exempt
def healthz():
    """Liveness for load balancers, within HEALTH_CHECK_TIMEOUT: 200 while the database
    answers ("degraded" if Redis does not), 503 when it does not."""
    body, status = health.report(current_app)
    return jsonify(body), status


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch between Vietnamese and English; the choice outlives the session."""
    locale = request.form.get("locale", "vi")
    if locale not in ("vi", "en"):
        locale = "vi"
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    response = redirect(referrer_path() or url_for("main.home"))
    response.set_cookie(
        "locale", locale, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
        secure=request.is_secure,
    )
    return response
