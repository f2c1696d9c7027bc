"""The baselines: the portal plus /bare, the screener's home page from frozen data, and
/bare-file, a stored list file read with one statement.

gunicorn serves it as `bench.bare_app:app`. The app is the portal's own (same templates,
Jinja set-up, Babel, CSRF, hooks), so the only work /bare skips is what the home page adds
on top of rendering: reading the session, loading the user and querying the figures.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import Flask, has_request_context, request
from sqlalchemy import event, select

from portal import create_app
from portal.auth.models import User
from portal.extensions import db
from portal.campaigns.active import CampaignChoice, campaign_choice, chosen_campaign
from portal.rendering import render
from portal.timeutil import today_local
from portal.visits.progress import HamletProgress, hamlet_progress

TEMPLATE = "main/home_screener.html"
SCREENER = "screener"


def frozen_screener_context(app: Flask) -> dict:
    """The screener's home page context, computed once, as plain objects no query can hide behind."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == SCREENER))
        if user is None:
            raise RuntimeError(f"no {SCREENER!r} account in the database: seed the demo first")
        campaign = chosen_campaign(user)
        hamlets = hamlet_progress(user, campaign)
        # Plain copies rather than ORM objects: a lazy load at render time would be a query.
        context = {
            "current_user": SimpleNamespace(
                is_authenticated=True, full_name=user.full_name, role=user.role,
                unit=SimpleNamespace(name=user.unit.name),
            ),
            "campaign": (
                SimpleNamespace(name=campaign.name, deadline=campaign.deadline)
                if campaign is not None else None
            ),
            "hamlets": [
                HamletProgress(
                    SimpleNamespace(id=row.hamlet.id, name=row.hamlet.name), residents=row.residents,
                    visited=row.visited,
                )
                for row in hamlets
            ],
        }
        choice = campaign_choice(user, today_local())
        plain = {c.id: SimpleNamespace(id=c.id, name=c.name, deadline=c.deadline)
                 for c in choice.campaigns}
        frozen_choice = CampaignChoice(plain.get(choice.chosen.id) if choice.chosen else None,
                                       list(plain.values()), choice.deadline)
        # The campaign chooser every home page includes asks for the user's campaigns.
        context["campaigns_of_user"] = lambda: frozen_choice
        db.session.remove()
        db.engine.dispose()  # the worker keeps no connection it does not use
    return context


def forbid_queries_in_bare(app: Flask) -> None:
    """Fail any /bare request that reaches the database: the baseline must not query."""
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _no_queries(conn, cursor, statement, parameters, context, executemany):
        if has_request_context() and request.endpoint == "bare":
            raise RuntimeError(f"/bare ran a query: {statement}")


def create_bare_app() -> Flask:
    """The portal app with the /bare route added."""
    app = create_app()
    context = frozen_screener_context(app)
    forbid_queries_in_bare(app)

    def bare():
        """The screener's home page from the frozen context: no login, no session, no query."""
        return render(TEMPLATE, **context)

    def bare_file(file_id: int):
        """A stored list file's bytes, read with one statement: the download's baseline."""
        from flask import Response
        from sqlalchemy import text

        with db.engine.connect() as connection:
            content = connection.scalar(text("SELECT content FROM list_files WHERE id = :id"),
                                        {"id": file_id})
        return Response(bytes(content), mimetype="application/pdf")

    app.add_url_rule("/bare", endpoint="bare", view_func=bare)
    app.add_url_rule("/bare-file/<int:file_id>", endpoint="bare_file", view_func=bare_file)
    return app


app = create_bare_app()
