"""Error pages that answer HTML or JSON, as the client asks."""

from __future__ import annotations

from flask import Flask, current_app, g, jsonify, request, session
from flask_login import current_user
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from portal import select_locale
from portal.auth.resume import keep_for_after_login
from portal.auth.session import unauthorized
from portal.extensions import db, login_manager
from portal.rendering import render


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You do not have permission to do this."),
        404: _("This page does not exist, or you cannot see it."),
        405: _("This action is not allowed here."),
        413: _("The file or form is too large."),
        422: _("Some of the data entered is not valid."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Your data has not been changed."),
        503: _("The portal cannot reach its database at the moment. Please try again in a "
               "few minutes."),
    }


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and not getattr(request, "htmx", False)


def error_response(code: int, message: str | None = None):
    """The error page (or JSON body) for an HTTP status code."""
    message = message or _messages().get(code, _("Error"))
    if _wants_json():
        return jsonify(error=message, status=code), code
    return render("errors/error.html", block="content", status=code, code=code, message=message)


def database_unavailable():
    """The 503 answered when the database is out of reach or a timeout fired: at once, and as
    if the request had not come, so that trying again is safe.

    Its transaction is rolled back and its session is the one it came with (a login that
    failed at its commit has not logged anyone in). The page needs nothing from the database:
    it is rendered as for a visitor, since who is signed in cannot be read (Flask-Login would
    load them for every template), without signing them out.
    """
    db.session.rollback()
    if session.modified:
        came_with = current_app.session_interface.open_session(current_app, request) or {}
        session.clear()
        session.update(came_with)
    login_manager._update_request_context_with_user()  # Flask-Login's own: no user, a visitor
    if "locale" not in g:  # the request failed before its language was chosen
        g.locale = select_locale()
    return error_response(503)


def _reason(error: Exception) -> str:
    """The driver's first line (what fired), without the statement and its parameters, which
    may hold personal data."""
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        # A session that ran out while a visit form was open: keep the entry for after login.
        if not current_user.is_authenticated:
            resume = keep_for_after_login()
            if resume:
                return unauthorized(next_url=resume)
        return error_response(
            400, _("Your form has expired or was sent from another page. Reload and try again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.response is not None:  # the raiser made its own answer (login throttling)
            return error.response
        return error_response(error.code or 500)

    @app.errorhandler(OperationalError)  # a timeout (statement, lock, connect), a lost server
    @app.errorhandler(PoolTimeoutError)  # every connection of the pool taken, for too long
    def database_error(error):
        app.logger.warning("database unavailable for %s %s: %s: %s", request.method,
                           request.path, type(getattr(error, "orig", None) or error).__name__,
                           _reason(error))
        return database_unavailable()

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_response(500)
