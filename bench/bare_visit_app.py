"""The bare-insert baseline of the visit save: plain Flask and Flask-SQLAlchemy, one INSERT.

gunicorn serves it as `bench.bare_visit_app:app`. POST /bare-visits/<resident_id> inserts the
same visit row the portal's endpoint would (the same table, columns and values) and commits:
no session, login, CSRF, scope check, validation, idempotency lookup, audit row or rendering.
The database set-up is the portal's own (URL handling and SQLite pragmas), so both sides write
to the same kind of file or server with the same durability.
"""

from __future__ import annotations

import os
import uuid

from flask import Flask, request
from sqlalchemy import event, insert, select

from portal import set_sqlite_pragmas
from portal.auth.models import User
from portal.campaigns.models import Campaign
from portal.config import normalise_database_url
from portal.extensions import db
from portal.timeutil import utcnow
from portal.visits.models import Outcome, Visit


def create_bare_visit_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", set_sqlite_pragmas)
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.is_open))
        user_id = db.session.scalar(select(User.id).where(User.username == "screener"))
        db.session.remove()

    @app.post("/bare-visits/<int:resident_id>")
    def bare_visit(resident_id: int):
        now = utcnow()
        db.session.execute(insert(Visit).values(
            client_uuid=request.form.get("client_uuid") or str(uuid.uuid4()),
            campaign_id=campaign_id, resident_id=resident_id, user_id=user_id, visited_at=now,
            outcome=Outcome(request.form["outcome"]), note=request.form.get("note"),
            created_at=now,
        ))
        db.session.commit()
        return "ok"

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


app = create_bare_visit_app()
