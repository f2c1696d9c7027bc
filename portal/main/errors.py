"""Error pages that answer HTML or JSON, as the client asks."""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask_login import current_user
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.auth.resume import keep_for_after_login
from portal.auth.session import unauthorized
from portal.extensions import db
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

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_response(500)
