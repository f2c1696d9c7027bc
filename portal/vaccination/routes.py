"""The sessions' screens: sites and sessions planned, a session's list of people with one tap
each for what happened, and booking a willing person from their card."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.access import Action, can, requires, sees_health_details
from portal.audit import log as audit
from portal.campaigns.active import open_campaigns
from portal.extensions import db
from portal.rendering import go_to, render
from portal.residents.models import Resident
from portal.scope import communes_of, get_in_scope_or_404
from portal.timeutil import today_local, utcnow
from portal.vaccination import attendance, booking, planning
from portal.vaccination.expected import expected_at
from portal.vaccination.forms import BookingForm, DeferralForm, DoseForm, SessionForm, SiteForm
from portal.vaccination.models import Appointment, VaccinationSession, VaccinationSite
from portal.visits.card import card_context
from portal.visits.models import ScreeningCategory

bp = Blueprint("vaccination", __name__)


def _forms(site_form=None, session_form=None) -> dict:
    """The forms of the sessions' page: a new site, a new session (for those who plan them)."""
    if not can(current_user, Action.MANAGE_SESSIONS):
        return {"site_form": None, "session_form": None}
    sites = [s for s in planning.sites_in_scope(current_user) if s.closed_at is None]
    return {
        "site_form": site_form or SiteForm(formdata=None, communes=communes_of(current_user)),
        "session_form": session_form or SessionForm(
            formdata=None, sites=sites, campaigns=open_campaigns(current_user),
            today=today_local()),
    }


def _index(status: int = 200, **forms):
    return render("vaccination/index.html", status=status,
                  sessions=planning.sessions_in_scope(current_user, today_local()),
                  sites=planning.sites_in_scope(current_user), today=today_local(),
                  **_forms(**forms))


@bp.route("/sessions")
@requires(Action.VIEW_SESSIONS)
def index():
    """The sites and sessions of the communes in scope (the recent ones too), how full each is;
    for those who plan them, a new site and a new session."""
    return _index()


@bp.route("/sessions/sites", methods=["POST"])
@requires(Action.MANAGE_SESSIONS)
def add_site():
    """A new site of a commune in scope."""
    form = SiteForm(communes=communes_of(current_user))
    if not form.validate_on_submit():
        return _index(status=422, site_form=form)
    try:
        planning.add_site(user=current_user, **form.details())
    except planning.PlanningRefused as refused:
        db.session.rollback()
        form.name.errors = [str(refused)]
        return _index(status=422, site_form=form)
    db.session.commit()
    flash(_("Site added."))
    return go_to(url_for("vaccination.index"))


@bp.route("/sessions/sites/<int:site_id>/close", methods=["POST"])
@requires(Action.MANAGE_SESSIONS)
def close_site(site_id: int):
    """No more sessions at this site; those planned stay."""
    site = get_in_scope_or_404(VaccinationSite, site_id, current_user)
    try:
        planning.close_site(site, user=current_user, now=utcnow())
    except planning.PlanningRefused as refused:
        db.session.rollback()
        flash(str(refused))
        return go_to(url_for("vaccination.index"))
    db.session.commit()
    flash(_("Site closed."))
    return go_to(url_for("vaccination.index"))


@bp.route("/sessions/new", methods=["POST"])
@requires(Action.MANAGE_SESSIONS)
def plan():
    """A new session at a site in scope."""
    today = today_local()
    sites = [s for s in planning.sites_in_scope(current_user) if s.closed_at is None]
    form = SessionForm(sites=sites, campaigns=open_campaigns(current_user), today=today)
    if not form.validate_on_submit():
        return _index(status=422, session_form=form)
    try:
        session = planning.plan_session(user=current_user, today=today, **form.details())
    except planning.PlanningRefused as refused:
        db.session.rollback()
        form.site.errors = [str(refused)]
        return _index(status=422, session_form=form)
    db.session.commit()
    flash(_("Session planned."))
    return go_to(url_for("vaccination.session", session_id=session.id))


def _session_page(session: VaccinationSession, status: int = 200, failed=None):
    """The session's page, or its list of people for HTMX (each row picks its own out)."""
    today = today_local()
    shown = sees_health_details(current_user)
    people = expected_at(session, today) if shown else []
    response = render("vaccination/session.html", block="people", status=status,
                      session=session, people=people, shows_people=shown,
                      taken=planning.places_taken(session), today=today, failed=failed or {},
                      now=utcnow(), can_undo=attendance.can_undo,
                      dose_form=DoseForm(formdata=None),
                      deferral_form=DeferralForm(formdata=None, today=today))
    if shown:  # names, phones and risk flags of everyone expected: one event for the page
        audit.record_bulk_read("session.view", "session", session.id,
                               unit_id=session.site.commune_id, people=len(people))
        db.session.commit()
    return response


@bp.route("/sessions/<int:session_id>")
@requires(Action.VIEW_SESSIONS)
def session(session_id: int):
    """The session's list, the people expected in hamlet order, to work from (and print)."""
    return _session_page(get_in_scope_or_404(VaccinationSession, session_id, current_user))


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@requires(Action.MANAGE_SESSIONS)
def cancel_session(session_id: int):
    """The session will not take place: its bookings are cancelled with it."""
    found = get_in_scope_or_404(VaccinationSession, session_id, current_user)
    try:
        cancelled = planning.cancel_session(found, user=current_user, now=utcnow())
    except planning.PlanningRefused as refused:
        db.session.rollback()
        flash(str(refused))
        return go_to(url_for("vaccination.session", session_id=found.id))
    db.session.commit()
    flash(_("Session cancelled; %(n)s appointments cancelled with it.", n=len(cancelled)))
    return go_to(url_for("vaccination.session", session_id=found.id))


def _closed(appointment: Appointment, refused: Exception | None = None, failed=None):
    """After a tap on the session's list: the list again (HTMX swaps the person's row)."""
    if refused is not None:
        db.session.rollback()
        failed = {appointment.id: {"message": str(refused)}}
    session_ = appointment.session
    if failed:
        return _session_page(session_, status=422, failed=failed)
    if getattr(request, "htmx", False):
        return _session_page(session_)
    return redirect(url_for("vaccination.session", session_id=session_.id,
                            _anchor=f"person-{appointment.id}"))


def _at_session_or_404(appointment_id: int) -> Appointment:
    """An appointment in scope, at a session (one left to the commune has no list to tap on)."""
    appointment = get_in_scope_or_404(Appointment, appointment_id, current_user)
    if appointment.session is None:
        abort(404)
    return appointment


@bp.route("/appointments/<int:appointment_id>/dose", methods=["POST"])
@requires(Action.RECORD_DOSE)
def dose(appointment_id: int):
    """Vaccinated: the dose the person needed, of the vaccine chosen, on the session's day."""
    appointment = _at_session_or_404(appointment_id)
    form = DoseForm()
    if not form.validate_on_submit():
        return _closed(appointment, failed={appointment.id: {"dose_form": form}})
    try:
        attendance.record_dose(appointment, user=current_user, vaccine=form.vaccine.data,
                               lot=(form.lot.data or "").strip() or None, today=today_local(),
                               now=utcnow())
    except attendance.AttendanceRefused as refused:
        return _closed(appointment, refused)
    db.session.commit()
    return _closed(appointment)


@bp.route("/appointments/<int:appointment_id>/missed", methods=["POST"])
@requires(Action.RECORD_DOSE)
def missed(appointment_id: int):
    """Did not come: back on the revisits list."""
    appointment = _at_session_or_404(appointment_id)
    try:
        attendance.did_not_come(appointment, user=current_user, today=today_local(), now=utcnow())
    except attendance.AttendanceRefused as refused:
        return _closed(appointment, refused)
    db.session.commit()
    return _closed(appointment)


@bp.route("/appointments/<int:appointment_id>/deferred", methods=["POST"])
@requires(Action.RECORD_DOSE)
def deferred(appointment_id: int):
    """Not vaccinated today: what the pre-vaccination screening found, as a visit's outcome."""
    appointment = _at_session_or_404(appointment_id)
    today = today_local()
    form = DeferralForm(today=today)
    if not form.validate_on_submit():
        return _closed(appointment, failed={appointment.id: {"deferral_form": form}})
    try:
        attendance.deferred_at_screening(
            appointment, user=current_user,
            category=ScreeningCategory(form.screening_category.data),
            until=form.deferred_until.data, reason=form.reason.data.strip(), today=today,
            now=utcnow())
    except attendance.AttendanceRefused as refused:
        return _closed(appointment, refused)
    db.session.commit()
    return _closed(appointment)


@bp.route("/appointments/<int:appointment_id>/undo", methods=["POST"])
@requires(Action.RECORD_DOSE)
def undo(appointment_id: int):
    """Take back a tap of the last few minutes: the person is expected again."""
    appointment = _at_session_or_404(appointment_id)
    try:
        attendance.undo(appointment, user=current_user, now=utcnow(), today=today_local())
    except attendance.AttendanceRefused as refused:
        return _closed(appointment, refused)
    db.session.commit()
    return _closed(appointment)


def _card(resident: Resident, status: int = 200, notice: str | None = None, **context):
    """The card's record block (where appointments are shown and booked), or the card."""
    if getattr(request, "htmx", False) or status != 200:
        return render("visits/card.html", block="record", status=status, notice=notice,
                      **card_context(resident, **context))
    return redirect(url_for("visits.card", resident_id=resident.id, _anchor="appointments"))


@bp.route("/residents/<int:resident_id>/appointments", methods=["POST"])
@requires(Action.BOOK_APPOINTMENT)
def book(resident_id: int):
    """An appointment for a willing person: a session with room, or left to the commune."""
    resident = get_in_scope_or_404(Resident, resident_id, current_user)
    today = today_local()
    context = card_context(resident)
    form = BookingForm(offers=context["offers"])
    if not form.validate_on_submit():
        return _card(resident, status=422, booking_form=form)
    campaign, session_ = form.chosen
    try:
        booking.book(user=current_user, resident=resident, campaign=campaign, session=session_,
                     today=today, now=utcnow())
        db.session.commit()
    except booking.BookingRefused as refused:
        db.session.rollback()
        form.session.errors = [str(refused)]
        return _card(resident, status=422, booking_form=form)
    except IntegrityError:  # booked meanwhile by another request: the card shows that one
        db.session.rollback()
    return _card(resident)


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["POST"])
@requires(Action.BOOK_APPOINTMENT)
def cancel_appointment(appointment_id: int):
    """Take back a booking not yet closed: the person may be booked again."""
    appointment = get_in_scope_or_404(Appointment, appointment_id, current_user)
    resident = appointment.resident
    try:
        booking.cancel(appointment, user=current_user, now=utcnow())
        db.session.commit()
    except booking.BookingRefused as refused:
        db.session.rollback()
        return _card(resident, status=409, notice=str(refused))
    return _card(resident)
