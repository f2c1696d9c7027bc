"""What happened to each person expected at a session, as its staff record it from the list:
the dose given, did not come, or deferred at the pre-vaccination screening; and its undo."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit.log import record
from portal.campaigns.rules import next_dose
from portal.extensions import db
from portal.residents.models import Dose, RecordSource
from portal.vaccination.models import CLOSED_AT_SESSION, Appointment, AppointmentState
from portal.visits.models import Outcome, ScreeningCategory, Visit
from portal.visits.recording import UNDO_WINDOW, VisitInput, record_visit, undo_knock


class AttendanceRefused(ValueError):
    """The appointment cannot be closed (or reopened) as asked; the message says why."""


def _closable(appointment: Appointment, today: date) -> None:
    """Only a booking at a session whose day has come can be closed from the session's list."""
    if appointment.state is not AppointmentState.BOOKED:
        raise AttendanceRefused(_("This appointment is closed already."))
    if appointment.session is None:
        raise AttendanceRefused(_("This appointment has no session yet."))
    if appointment.session.day > today:
        raise AttendanceRefused(_("The session's day has not come yet."))


def _close(appointment: Appointment, state: AppointmentState, user, now: datetime,
           **facts) -> None:
    appointment.state = state
    appointment.closed_at, appointment.closed_by_id = now, user.id
    record(f"appointment.{state.value}", "appointment", appointment.id,
           unit_id=appointment.resident.hamlet_id, user=user,
           before={"appointment": AppointmentState.BOOKED.value},
           after={"appointment": state.value, "resident_id": appointment.resident_id,
                  "campaign_id": appointment.campaign_id, **facts})


def record_dose(appointment: Appointment, *, user, vaccine: str, lot: str | None,
                today: date, now: datetime) -> Dose:
    """The dose the person needed next in the campaign, given at the session: of this vaccine
    (and lot), on the session's day, at its site. The person leaves the campaign's to-do and its
    list at the commit (portal.coverage follows the dose). The caller commits."""
    _closable(appointment, today)
    resident = appointment.resident
    kind = next_dose({d.kind for d in resident.doses}, appointment.campaign)
    if kind is None:
        raise AttendanceRefused(_("This person is already up to date for this campaign."))
    session = appointment.session
    dose = Dose(resident_id=resident.id, kind=kind, vaccine=vaccine, lot=lot, given_on=session.day,
                place=session.site.name, source=RecordSource.SESSION)
    db.session.add(dose)
    db.session.flush()
    db.session.refresh(resident, ["doses"])
    appointment.dose_id = dose.id
    _close(appointment, AppointmentState.VACCINATED, user, now, dose_id=dose.id, dose=kind.value,
           vaccine=vaccine)
    return dose


def did_not_come(appointment: Appointment, *, user, today: date, now: datetime) -> None:
    """The person did not come: missed, and back on the revisits list. The caller commits."""
    _closable(appointment, today)
    _close(appointment, AppointmentState.MISSED, user, now)


def deferred_at_screening(appointment: Appointment, *, user, category: ScreeningCategory,
                          until: date | None, reason: str, today: date,
                          now: datetime) -> Visit:
    """The pre-vaccination screening found a contraindication, a deferral (until a day) or a
    reason to vaccinate at a hospital: recorded as that visit's outcome (the walk's rule, so the
    person is on the deferrals list or the compliance list as any such visit puts them), and
    the appointment closed. The caller commits."""
    _closable(appointment, today)
    entry = VisitInput(client_uuid=str(uuid.uuid4()), outcome=Outcome.CONTRAINDICATED,
                       screening_category=category,
                       deferred_until=until if category is ScreeningCategory.DEFERRAL else None,
                       reason=reason)
    visit, _created = record_visit(user=user, resident=appointment.resident,
                                   campaign=appointment.campaign, entry=entry, today=today, at=now)
    appointment.visit_id = visit.id
    _close(appointment, AppointmentState.DEFERRED, user, now, visit_id=visit.id,
           screening_category=category.value)
    return visit


def can_undo(appointment: Appointment, user, now: datetime) -> bool:
    """Whoever closed it, for a few minutes (as a visit's undo), while nothing was booked since."""
    return (appointment.state in CLOSED_AT_SESSION and appointment.closed_by_id == user.id
            and appointment.closed_at is not None and now - appointment.closed_at <= UNDO_WINDOW)


def undo(appointment: Appointment, *, user, now: datetime, today: date) -> None:
    """Take back what was just recorded: the dose removed, or the screening visit undone, and
    the person expected again. The caller commits."""
    if not can_undo(appointment, user, now):
        raise AttendanceRefused(_("This can no longer be undone."))
    newer = db.session.scalar(select(Appointment.id).where(
        Appointment.resident_id == appointment.resident_id,
        Appointment.campaign_id == appointment.campaign_id,
        Appointment.state == AppointmentState.BOOKED))
    if newer is not None:
        raise AttendanceRefused(_("The person has been booked again since: this can no "
                                  "longer be undone."))
    state = appointment.state
    if appointment.dose_id is not None:
        dose = db.session.get(Dose, appointment.dose_id)
        appointment.dose_id = None
        if dose is not None:
            db.session.delete(dose)
    if appointment.visit_id is not None:
        visit = db.session.get(Visit, appointment.visit_id)
        appointment.visit_id = None
        if visit is not None and visit.undone_at is None:
            undo_knock(visit, user=user, now=now, today=today)
    appointment.state = AppointmentState.BOOKED
    appointment.closed_at = appointment.closed_by_id = None
    db.session.flush()
    db.session.refresh(appointment.resident, ["doses"])
    record("appointment.undo", "appointment", appointment.id,
           unit_id=appointment.resident.hamlet_id, user=user,
           before={"appointment": state.value},
           after={"appointment": AppointmentState.BOOKED.value})
