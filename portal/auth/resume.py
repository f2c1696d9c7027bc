"""An entry whose session ran out is kept for after login, for any view that marks itself so.

A form posted to a resumable view without a session (or with a CSRF token of a session that
has ended) is kept in the new session: its endpoint, the arguments of its URL and its fields.
After login the user lands on the view's confirmation page, which shows the entry; only when
they confirm is it posted again, fields and client id as they were, so a visit that did reach
the server before is not saved twice. A kept entry could have been planted by another site:
it is never saved on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, session, url_for

KEPT_KEY = "kept_entry"


def resumable(confirm: str):
    """View decorator: keep a form sent here after the session ran out; after login send the
    user to the endpoint `confirm`, the page where they check it and send it again."""

    def decorator(view):
        view.resume_confirm = confirm
        return view

    return decorator


@dataclass(frozen=True)
class KeptEntry:
    """A form kept across a login."""

    endpoint: str
    args: dict
    form: dict

    @property
    def url(self) -> str:
        """Where the entry was going, to post it again."""
        return url_for(self.endpoint, **self.args)


def keep_for_after_login() -> str | None:
    """Keep this request's form if it was posted to a resumable view; where to resume, or None."""
    if request.method != "POST" or request.endpoint is None:
        return None
    confirm = getattr(current_app.view_functions.get(request.endpoint), "resume_confirm", None)
    if confirm is None:
        return None
    session[KEPT_KEY] = {
        "endpoint": request.endpoint, "args": dict(request.view_args or {}),
        "form": {name: value for name, value in request.form.items() if name != "csrf_token"},
    }
    return url_for(confirm)


def kept_entry(endpoint: str) -> KeptEntry | None:
    """The entry kept for this endpoint, if there is one."""
    kept = session.get(KEPT_KEY)
    if not kept or kept.get("endpoint") != endpoint:
        return None
    return KeptEntry(kept["endpoint"], kept.get("args", {}), kept.get("form", {}))


def confirmation_url() -> str | None:
    """The confirmation page of the entry kept in this session, if any."""
    kept = session.get(KEPT_KEY)
    view = current_app.view_functions.get(kept["endpoint"]) if kept else None
    confirm = getattr(view, "resume_confirm", None)
    return url_for(confirm) if confirm else None


def take_kept() -> dict | None:
    """The kept entry as stored, to carry it over a fresh session (login clears the old one)."""
    return session.get(KEPT_KEY)


def put_back(kept: dict | None) -> None:
    """Carry a kept entry into the new session."""
    if kept:
        session[KEPT_KEY] = kept


def forget_kept() -> None:
    """Drop the kept entry (sent again, or discarded)."""
    if KEPT_KEY in session:  # popping a missing key would still rewrite the cookie
        session.pop(KEPT_KEY)


def register(app: Flask) -> None:
    """Forget a kept entry once it has been sent again and accepted."""

    @app.after_request
    def _forget_when_sent(response):
        kept = session.get(KEPT_KEY) if request.method == "POST" else None
        if (kept and response.status_code < 400 and request.endpoint == kept.get("endpoint")
                and dict(request.view_args or {}) == kept.get("args")):
            forget_kept()
        return response
