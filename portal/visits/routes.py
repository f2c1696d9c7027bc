"""The walk, the card, recording outcomes (once, with undo), follow-up lists, an entry kept over a login."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.access import Action, requires
from portal.audit import log as audit
from portal.auth.resume import kept_entry, resumable
from portal.campaigns.active import active_campaign
from portal.extensions import db
from portal.ids import id_from
from portal.rendering import render
from portal.residents.models import Resident
from portal.scope import get_in_scope_or_404, hamlet_in_scope_or_404
from portal.timeutil import today_local, utcnow
from portal.visits.card import card_context, entry_facts
from portal.visits.followup import FollowUp, follow_up_list
from portal.visits.forms import VisitForm
from portal.visits.models import Visit
from portal.visits.progress import hamlet_progress
from portal.visits.recording import (
    UndoRefused, VisitConflict, find_by_client_uuid, record_visit, undo_visit,
)
from portal.visits.walk import hamlet_walk

bp = Blueprint("visits", __name__)


def _campaign_or_404():
    campaign = active_campaign(current_user)
    if campaign is None:
        abort(404)
    return campaign


@bp.route("/walk")
@requires(Action.WALK)
def walk():
    """Pick a hamlet."""
    campaign = active_campaign(current_user)
    return render("visits/walk.html", campaign=campaign,
                  hamlets=hamlet_progress(current_user, campaign))


@bp.route("/walk/<int:hamlet_id>")
@requires(Action.WALK)
def hamlet(hamlet_id: int):
    """A hamlet's households; those with someone to visit first. HTMX asks for more pages."""
    place = hamlet_in_scope_or_404(hamlet_id, current_user)
    campaign = _campaign_or_404()
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    only = request.args.get("only") == "1"
    walk_page = hamlet_walk(place, campaign, today_local(), page=page, only_to_visit=only)
    block = "households" if page > 1 else "walk"
    return render("visits/hamlet.html", block=block, hamlet=place, campaign=campaign,
                  walk=walk_page, only=only)


@bp.route("/residents/<int:resident_id>")
@requires(Action.VIEW_HEALTH_DETAILS)
def card(resident_id: int):
    """The resident's card: age, risk flags, doses, past visits, and the outcome buttons."""
    resident = get_in_scope_or_404(Resident, resident_id, current_user)
    audit.record("resident.view", "resident", resident.id, unit_id=resident.hamlet_id)
    db.session.commit()
    # After a save without JavaScript, the redirect names the visit to confirm.
    saved_id = id_from(request.args.get("saved"))
    saved = db.session.get(Visit, saved_id) if saved_id else None
    if saved is not None and (saved.resident_id != resident.id or saved.user_id != current_user.id):
        saved = None
    return render("visits/card.html", **card_context(resident, saved=saved))


@bp.route("/residents/<int:resident_id>/visits", methods=["POST"])
@requires(Action.RECORD_VISIT)
@resumable(confirm="visits.pending")
def record(resident_id: int):
    """Save the outcome of a visit. The same form sent twice saves one visit."""
    resident = get_in_scope_or_404(Resident, resident_id, current_user)
    campaign = _campaign_or_404()
    today = today_local()
    form = VisitForm(today=today)
    if not form.validate_on_submit():
        return render("visits/card.html", block="record", status=422,
                      **card_context(resident, form=form))
    entry = form.entry()
    try:
        visit, _created = record_visit(user=current_user, resident=resident, campaign=campaign,
                                       entry=entry, today=today)
        # Rendered before the commit, which would expire every object the page reads.
        response = _saved(resident, visit)
        db.session.commit()
    except VisitConflict:
        db.session.rollback()
        abort(409)
    except IntegrityError:
        # The same form arrived twice at once: the other request saved it.
        db.session.rollback()
        visit = find_by_client_uuid(entry.client_uuid)
        if visit is None or visit.resident_id != resident.id:
            raise
        return _saved(resident, visit)
    return response


def _saved(resident: Resident, visit):
    """The answer to a saved visit: the card's record block in place, or the card."""
    if getattr(request, "htmx", False):
        return render("visits/card.html", block="record", **card_context(resident, saved=visit))
    return redirect(url_for("visits.card", resident_id=resident.id, saved=visit.id))


@bp.route("/visits/<int:visit_id>/undo", methods=["POST"])
@requires(Action.RECORD_VISIT)
def undo(visit_id: int):
    """Take back a visit recorded in the last few minutes."""
    visit = get_in_scope_or_404(Visit, visit_id, current_user)
    try:
        undo_visit(visit, user=current_user, now=utcnow(), today=today_local())
    except UndoRefused:
        db.session.rollback()
        abort(403)
    db.session.commit()
    resident = visit.resident
    db.session.refresh(resident)
    if getattr(request, "htmx", False):
        return render("visits/card.html", block="record", **card_context(resident))
    return redirect(url_for("visits.card", resident_id=resident.id))


@bp.route("/follow-up/<kind>")
@requires(Action.VIEW_FOLLOW_UP)
def follow_up(kind: str):
    """A follow-up list, filterable by hamlet, printable."""
    try:
        which = FollowUp(kind)
    except ValueError:
        abort(404)
    campaign = _campaign_or_404()
    hamlet_id = request.args.get("hamlet", type=int)
    if hamlet_id is not None:
        hamlet_in_scope_or_404(hamlet_id, current_user)
    days = min(max(request.args.get("days", 14, type=int), 1), 365)
    rows = follow_up_list(current_user, campaign, which, today_local(), hamlet_id=hamlet_id,
                          within_days=days)
    hamlets = [p.hamlet for p in hamlet_progress(current_user, campaign)]
    return render("visits/follow_up.html", block="rows", kind=which, rows=rows,
                  campaign=campaign, hamlets=hamlets, hamlet_id=hamlet_id, days=days,
                  kinds=list(FollowUp))


@bp.route("/visits/pending")
@requires(Action.RECORD_VISIT)
def pending():
    """An entry that was being saved when the session ran out: check it, save it or discard it."""
    kept = kept_entry("visits.record")
    if kept is None:
        return redirect(url_for("main.home"))
    resident = get_in_scope_or_404(Resident, kept.args.get("resident_id", 0), current_user)
    form = VisitForm(data=kept.form, today=today_local())
    already = find_by_client_uuid(kept.form.get("client_uuid", ""))
    return render("visits/pending.html", resident=resident, kept=kept, facts=entry_facts(form),
                  already=already, message=_("Your session ended while you were saving."))
