"""The walk, the card, recording outcomes (once, with undo), follow-up lists, an entry kept over a login."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.access import Action, requires
from portal.audit import log as audit
from portal.auth.resume import kept_entry, resumable
from portal.campaigns.active import chosen_campaign, open_campaigns
from portal.extensions import db, limiter
from portal.ids import id_from
from portal.rendering import render
from portal.residents.corrections import history_of
from portal.residents.models import Household, Resident
from portal.scope import get_in_scope_or_404, hamlet_in_scope_or_404
from portal.timeutil import today_local, utcnow
from portal.visits.batch import BadBatch, receive, visits_of
from portal.visits.card import card_context, entry_facts
from portal.visits.followup import FollowUp, follow_up_list
from portal.visits.forms import HouseholdAbsentForm, SupervisionForm, VisitForm
from portal.visits.models import Visit
from portal.visits.progress import hamlet_progress
from portal.visits.recording import (
    UndoRefused,
    VisitConflict,
    knock_of,
    save_knock,
    saved_meanwhile,
    undo_knock,
)
from portal.visits.recording import household_absent as record_household_absent
from portal.visits.supervision import supervision
from portal.visits.walk import hamlet_walk, household_walk

bp = Blueprint("visits", __name__)

# Rows of a follow-up list a page shows at once.
FOLLOW_UP_PAGE = 200


def _campaign_or_404():
    """The campaign the user works on; 404 when no open campaign covers their unit."""
    campaign = chosen_campaign(current_user)
    if campaign is None:
        abort(404)
    return campaign


@bp.route("/walk")
@requires(Action.WALK)
def walk():
    """Pick a hamlet; how far each has got in the campaign the user works on."""
    campaign = chosen_campaign(current_user)
    return render("visits/walk.html", campaign=campaign,
                  hamlets=hamlet_progress(current_user, campaign))


@bp.route("/walk/<int:hamlet_id>")
@requires(Action.WALK)
def hamlet(hamlet_id: int):
    """A hamlet's households; those with someone to visit first. HTMX asks for more pages."""
    place = hamlet_in_scope_or_404(hamlet_id, current_user)
    campaigns = open_campaigns(current_user)
    if not campaigns:
        abort(404)
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    only = request.args.get("only") == "1"
    walk_page = hamlet_walk(place, campaigns, today_local(), page=page, only_to_visit=only)
    block = "households" if page > 1 else "walk"
    return render("visits/hamlet.html", block=block, hamlet=place, campaigns=campaigns,
                  walk=walk_page, only=only)


@bp.route("/residents/<int:resident_id>")
@requires(Action.VIEW_HEALTH_DETAILS)
def card(resident_id: int):
    """The resident's card: age, risk flags, doses, past visits, and the outcome buttons."""
    resident = get_in_scope_or_404(Resident, resident_id, current_user)
    audit.record("resident.view", "resident", resident.id, unit_id=resident.hamlet_id)
    db.session.commit()
    # After a save without JavaScript, the redirect names the knock to confirm.
    saved_id = id_from(request.args.get("saved"))
    saved = db.session.get(Visit, saved_id) if saved_id else None
    if saved is not None and (saved.resident_id != resident.id or saved.user_id != current_user.id):
        saved = None
    knock = knock_of(saved.client_uuid) if saved else []
    return render("visits/card.html", history=history_of(resident),
                  **card_context(resident, saved=knock))


@bp.route("/residents/<int:resident_id>/visits", methods=["POST"])
@requires(Action.RECORD_VISIT)
@resumable(confirm="visits.pending")
def record(resident_id: int):
    """Save a knock on the door: an outcome for each campaign the card showed to record. The
    same form sent twice saves one knock."""
    resident = get_in_scope_or_404(Resident, resident_id, current_user)
    today = today_local()
    form = VisitForm(today=today)
    if not form.validate_on_submit():
        return render("visits/card.html", block="record", status=422,
                      **card_context(resident, form=form))
    try:
        visits, created = save_knock(form, user=current_user, resident=resident,
                                     campaigns=open_campaigns(current_user), today=today)
        if not created:
            visits = visits or saved_meanwhile(form.client_uuid.data, resident)
            if visits:  # sent again (a double tap, a retry): the knock as it was saved
                return _saved(resident, visits)
            # Up to date meanwhile, or its campaigns closed: said, with the card now.
            return render("visits/card.html", block="record", status=422,
                          notice=_("Nothing is left to record for this person: the card shows "
                                   "where they stand now."), **card_context(resident))
        # Rendered before the commit, which would expire every object the page reads.
        response = _saved(resident, visits)
        db.session.commit()
    except VisitConflict:
        db.session.rollback()
        abort(409)
    except IntegrityError:
        # The same form arrived twice at once: the other request saved it.
        visits = saved_meanwhile(form.client_uuid.data, resident)
        if not visits:
            raise
        return _saved(resident, visits)
    return response


def _saved(resident: Resident, visits: list[Visit]):
    """The answer to a saved knock: the card's record block in place, or the card."""
    if getattr(request, "htmx", False):
        return render("visits/card.html", block="record", **card_context(resident, saved=visits))
    return redirect(url_for("visits.card", resident_id=resident.id, saved=visits[0].id))


def _user_key() -> str:
    """A limit counted per user (per address before login, where `requires` refuses anyway)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{request.remote_addr}"


@bp.route("/visits/batch", methods=["POST"])
@limiter.limit(lambda: current_app.config["VISIT_BATCHES_PER_MINUTE"], key_func=_user_key)
@requires(Action.RECORD_VISIT)
def batch():
    """The visits a phone kept with no signal (JSON, at most 50): an answer for each, saved,
    saved before (the same client id) or refused with its reason."""
    try:
        visits = visits_of(request.get_json(silent=True))
    except BadBatch as bad:
        return jsonify(error=str(bad), status=400), 400
    answers = receive(current_user, visits, now=utcnow(), today=today_local())
    return jsonify(results=[answer.as_json() for answer in answers])


@bp.route("/visits/<int:visit_id>/undo", methods=["POST"])
@requires(Action.RECORD_VISIT)
def undo(visit_id: int):
    """Take back a knock recorded in the last few minutes (every campaign it recorded)."""
    visit = get_in_scope_or_404(Visit, visit_id, current_user)
    try:
        undo_knock(visit, user=current_user, now=utcnow(), today=today_local())
    except UndoRefused:
        db.session.rollback()
        abort(403)
    db.session.commit()
    resident = visit.resident
    db.session.refresh(resident)
    if getattr(request, "htmx", False):
        return render("visits/card.html", block="record", **card_context(resident))
    return redirect(url_for("visits.card", resident_id=resident.id))


@bp.route("/households/<int:household_id>/absent", methods=["POST"])
@requires(Action.RECORD_VISIT)
def household_absent(household_id: int):
    """Nobody at home: absent for every member who needed a visit, in one or two taps."""
    household = get_in_scope_or_404(Household, household_id, current_user)
    form = HouseholdAbsentForm()
    if not form.validate_on_submit():
        abort(400)
    today = today_local()
    try:
        record_household_absent(user=current_user, household=household,
                                campaigns=open_campaigns(current_user),
                                client_uuid=form.client_uuid.data, today=today)
        db.session.commit()
    except IntegrityError:  # the same tap arrived twice at once: the other request saved it
        db.session.rollback()
    if getattr(request, "htmx", False):
        return render("visits/household.html", block="household",
                      h=household_walk(household, open_campaigns(current_user), today),
                      hamlet=household.hamlet, done=True)
    return redirect(url_for("visits.hamlet", hamlet_id=household.hamlet_id,
                            _anchor=f"household-{household.id}"))


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
    # A page of FOLLOW_UP_PAGE at a time (a phone on a weak network), more as asked; the whole
    # list to print.
    whole = request.args.get("all") == "1"
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    shown = rows if whole else rows[(page - 1) * FOLLOW_UP_PAGE:page * FOLLOW_UP_PAGE]
    more = 0 if whole else min(FOLLOW_UP_PAGE, max(0, len(rows) - page * FOLLOW_UP_PAGE))
    next_page = page > 1 and getattr(request, "htmx", False)
    hamlets = [] if next_page else [p.hamlet for p in hamlet_progress(current_user, campaign)]
    # Rendered before the commit, which would expire every row the page reads.
    response = render("visits/follow_up.html", block="page" if next_page else "rows",
                      kind=which, rows=shown, total=len(rows), more=more, page=page,
                      paged=len(rows) > FOLLOW_UP_PAGE and not whole,
                      campaign=campaign, hamlets=hamlets, hamlet_id=hamlet_id, days=days,
                      kinds=list(FollowUp))
    # Phones, reasons and notes of many people at once: one event for the page.
    audit.record_bulk_read("follow_up.view", "follow_up", which.value,
                           unit_id=hamlet_id or current_user.unit_id, people=len(shown),
                           campaign=campaign.id, hamlet=hamlet_id,
                           days=days if which is FollowUp.DEFERRALS else None)
    db.session.commit()
    return response


@bp.route("/visits/pending")
@requires(Action.RECORD_VISIT)
def pending():
    """An entry that was being saved when the session ran out: check it, save it or discard it."""
    kept = kept_entry("visits.record")
    if kept is None:
        return redirect(url_for("main.home"))
    resident = get_in_scope_or_404(Resident, kept.args.get("resident_id", 0), current_user)
    form = VisitForm(data=kept.form, today=today_local())
    already = knock_of(kept.form.get("client_uuid", ""))
    return render("visits/pending.html", resident=resident, kept=kept, facts=entry_facts(form),
                  already=already, message=_("Your session ended while you were saving."))


@bp.route("/supervision")
@requires(Action.VIEW_SUPERVISION)
def supervision_view():
    """Per screener and per hamlet, the last days' visits and outcomes; the hamlets left."""
    campaign = _campaign_or_404()
    form = SupervisionForm(request.args)
    valid = form.validate()
    days = form.days.data if valid and form.days.data else 7
    quiet = form.quiet.data if valid and form.quiet.data else 3
    return render("visits/supervision.html", campaign=campaign, days=days, quiet=quiet,
                  form=form,
                  report=supervision(current_user, campaign, today_local(), days, quiet))
