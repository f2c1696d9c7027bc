"""What a phone needs to keep working with no signal: the service worker (served from the root
so that it may answer for every page), the manifest that makes the portal installable, the
copy of the user's own hamlets, and the shell page that shows that copy offline."""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from flask import Blueprint, current_app, jsonify, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from portal.access import Action, can, requires
from portal.audit import log as audit
from portal.campaigns.active import open_campaigns
from portal.extensions import db
from portal.labels import DOSE, FOLLOW_UP, OUTCOME, STANDING
from portal.rendering import render
from portal.scope import hamlet_in_scope_or_404
from portal.timeutil import today_local
from portal.visits.forms import VisitForm
from portal.visits.offline import hamlet_copy, offline_hamlets

bp = Blueprint("offline", __name__)

# What the service worker keeps from the first visit on, to draw any page with no network.
ASSETS = ("css/portal.css", "js/portal.js", "js/outbox.js", "js/offline.js",
          "vendor/htmx.min.js", "favicon.svg", "icons/icon.svg", "vendor/icons/icon-192.png",
          "vendor/icons/icon-512.png")


@lru_cache(maxsize=1)
def _worker(static_folder: str) -> tuple[str, str]:
    """The service worker's script and its version: a digest of it and of every asset it
    keeps, so that a deploy that changes any of them installs a new worker and drops the old
    caches."""
    folder = Path(static_folder)
    script = (folder / "js" / "sw.js").read_text(encoding="utf-8")
    digest = hashlib.sha256(script.encode())
    for name in ASSETS:
        path = folder / name
        digest.update(path.read_bytes() if path.exists() else b"")
    return script, digest.hexdigest()[:16]


@bp.route("/sw.js")
def service_worker():
    """The service worker, at the root so its scope is the whole portal; never cached stale."""
    script, version = _worker(current_app.static_folder)
    settings = {
        "version": version,
        "assets": [url_for("static", filename=name) for name in ASSETS],
        "shell": url_for("offline.shell"),
        "welcome": url_for("offline.welcome"),
    }
    body = f"const SETTINGS = {json.dumps(settings)};\n{script}"
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    """What a phone needs to install the portal as an app. Browsers fetch it without cookies,
    so it is the same for everyone, in Vietnamese."""
    body = {
        "name": "Từng Nhà — Rà soát tiêm chủng từng nhà",
        "short_name": "Từng Nhà",
        "description": "Đi từng ngõ, gõ từng nhà, rà từng người.",
        "lang": "vi",
        "start_url": url_for("main.home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [
            {"src": url_for("static", filename="icons/icon.svg"), "sizes": "any",
             "type": "image/svg+xml"},
            {"src": url_for("static", filename="vendor/icons/icon-192.png"), "sizes": "192x192",
             "type": "image/png"},
            {"src": url_for("static", filename="vendor/icons/icon-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "any maskable"},
        ],
    }
    response = make_response(json.dumps(body, ensure_ascii=False))
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline/welcome")
def welcome():
    """What a phone shows with no network when nobody's copy is on it: no one's data."""
    return render("offline/welcome.html")


@bp.route("/offline/shell")
@requires(Action.WALK)
def shell():
    """The page that draws the walk, a hamlet, a card, the follow-up lists and the outbox from
    the phone's copy when there is no network. It holds no resident: the copy does."""
    return render("offline/shell.html", **_shell_context())


@bp.route("/outbox")
@requires(Action.RECORD_VISIT)
def outbox():
    """The visits waiting on this phone to be sent, and those the portal refused: drawn from
    the phone's own store, so it opens with no network too."""
    return render("offline/shell.html", **_shell_context())


def _shell_context() -> dict:
    """The labels the shell needs to show a copy, in the user's language."""
    labels = {
        "standing": {s.value: str(label) for s, label in STANDING.items()},
        "dose": {d.value: str(label) for d, label in DOSE.items()},
        "outcome": {o.value: str(label) for o, label in OUTCOME.items()},
        "follow_up": {k.value: str(label) for k, label in FOLLOW_UP.items()},
    }
    campaigns = open_campaigns(current_user)
    # The card's outcome forms, for every open campaign: offline.js keeps, for each person,
    # the campaigns their copy says still record a knock.
    return {"labels": labels, "campaigns": campaigns,
            "copy_hours": current_app.config["OFFLINE_COPY_HOURS"],
            "resident": SimpleNamespace(id=1), "form": VisitForm(formdata=None, today=today_local()),
            "to_record": [SimpleNamespace(campaign=c) for c in campaigns],
            "record_ids": ",".join(str(c.id) for c in campaigns)}


@bp.route("/offline/session")
@requires(Action.RECORD_VISIT)
def session_token():
    """Who is logged in and the CSRF token to send with: what the outbox asks before it sends
    (a visit waits through a login, and goes with its own author's session only)."""
    response = jsonify(user=current_user.id, csrf=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/offline/hamlets")
@requires(Action.VIEW_HEALTH_DETAILS)
def hamlets():
    """The hamlets this user's phone keeps a copy of, each with the address of its copy."""
    if not can(current_user, Action.WALK):
        return jsonify(hamlets=[])
    response = jsonify(user=current_user.id, hours=current_app.config["OFFLINE_COPY_HOURS"],
                       hamlets=[{"id": h.id, "name": h.name,
                                 "url": url_for("offline.hamlet", hamlet_id=h.id)}
                                for h in offline_hamlets(current_user)])
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/offline/hamlets/<int:hamlet_id>")
@requires(Action.VIEW_HEALTH_DETAILS)
def hamlet(hamlet_id: int):
    """One hamlet's copy, compressed: only a hamlet the user is assigned to. Its reading is
    one event in the trail, like a follow-up list's."""
    place = hamlet_in_scope_or_404(hamlet_id, current_user)
    if not can(current_user, Action.WALK) or place not in offline_hamlets(current_user):
        return jsonify(error=_("This hamlet is not one of yours.")), 404
    copy = hamlet_copy(place, open_campaigns(current_user), today_local())
    copy["user"] = current_user.id
    audit.record_bulk_read("offline.copy", "hamlet", place.id, unit_id=place.id,
                           people=len(copy["people"]))
    db.session.commit()
    body = json.dumps(copy, ensure_ascii=False, separators=(",", ":")).encode()
    response = make_response(body)
    response.mimetype = "application/json"
    if "gzip" in request.accept_encodings:
        response.set_data(gzip.compress(body, compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "no-store"
    return response
