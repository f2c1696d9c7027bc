"""Appointments: a willing person booked at a session (or left to the commune to arrange), each
rule of who may be booked where in one function."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.audit.log import record
from portal.campaigns.models import Campaign
from portal.campaigns.rules import is_targeted, next_dose
from portal.extensions import db
from portal.residents.models import Resident
from portal.vaccination.models import (
    Appointment, AppointmentState, VaccinationSession,
)
from portal.vaccination.planning import SessionRoom, places_taken, sessions_with_room
from portal.visits.outcomes import Standing


class BookingRefused(ValueError):
    """The person cannot be booked as asked; the message says why, in the user's language."""


def earliest_day(resident: Resident, campaign: Campaign) -> date | None:
    """The first day the person may have the campaign's next dose: their latest dose's day
    plus the campaign's interval (None when no dated dose holds them back)."""
    days = [d.given_on for d in resident.doses if d.given_on is not None]
    if not days or not campaign.min_interval_days:
        return None
    return max(days) + timedelta(days=campaign.min_interval_days)


def open_appointment(resident: Resident, campaign: Campaign) -> Appointment | None:
    """The person's booking in the campaign not yet closed, if any (one at most)."""
    return db.session.scalar(select(Appointment).where(
        Appointment.resident_id == resident.id, Appointment.campaign_id == campaign.id,
        Appointment.state == AppointmentState.BOOKED))


def booking_problem(resident: Resident, campaign: Campaign, session: VaccinationSession | None,
                    today: date) -> str | None:
    """Why the person cannot be booked in the campaign at the session (or left to the commune
    when None); None when they can."""
    if not campaign.is_open:
        return _("This campaign is closed.")
    if not is_targeted(resident, campaign):
        return _("This campaign does not target this person.")
    if next_dose({d.kind for d in resident.doses}, campaign) is None:
        return _("This person is already up to date for this campaign.")
    if open_appointment(resident, campaign) is not None:
        return _("This person already has an appointment in this campaign: cancel it first.")
    if session is None:
        return None
    if session.cancelled_at is not None or session.site.closed_at is not None:
        return _("This session is cancelled.")
    if session.site.commune_id != resident.hamlet.parent_id:
        return _("This session is in another commune.")
    if campaign not in session.campaigns:
        return _("This session does not give this campaign's dose.")
    if session.day < today:
        return _("This session has passed.")
    earliest = earliest_day(resident, campaign)
    if earliest is not None and session.day < earliest:
        return _("Too soon after the previous dose: the next one can be given from %(day)s.",
                 day=f"{earliest:%d/%m/%Y}")
    if places_taken(session) >= session.capacity:
        return _("This session is full: choose another.")
    return None


def book(*, user, resident: Resident, campaign: Campaign, session: VaccinationSession | None,
         today: date, now: datetime) -> Appointment:
    """An appointment for the campaign's next dose at the session, or left to the commune to
    arrange (session None); BookingRefused says why not. The caller commits.

    Two requests booking the same person at once meet the database's rule of one open booking
    per person and campaign: the second fails on commit.
    """
    problem = booking_problem(resident, campaign, session, today)
    if problem:
        raise BookingRefused(problem)
    appointment = Appointment(session_id=session.id if session else None,
                              resident_id=resident.id, campaign_id=campaign.id,
                              state=AppointmentState.BOOKED, booked_by_id=user.id, booked_at=now)
    db.session.add(appointment)
    db.session.flush()
    record("appointment.book", "appointment", appointment.id, unit_id=resident.hamlet_id,
           user=user, after={"resident_id": resident.id, "campaign_id": campaign.id,
                             "session_id": appointment.session_id})
    return appointment


def cancel(appointment: Appointment, *, user, now: datetime) -> None:
    """Take back a booking not yet closed (the person can be booked again). The caller commits."""
    if appointment.state is not AppointmentState.BOOKED:
        raise BookingRefused(_("This appointment is closed already."))
    appointment.state = AppointmentState.CANCELLED
    appointment.closed_at, appointment.closed_by_id = now, user.id
    record("appointment.cancel", "appointment", appointment.id,
           unit_id=appointment.resident.hamlet_id, user=user,
           before={"appointment": AppointmentState.BOOKED.value},
           after={"appointment": AppointmentState.CANCELLED.value})


def appointments_of(resident: Resident) -> list[Appointment]:
    """The person's appointments, newest first, with their sessions and sites."""
    return list(db.session.scalars(
        select(Appointment).where(Appointment.resident_id == resident.id)
        .order_by(Appointment.id.desc())
        .options(selectinload(Appointment.session).selectinload(VaccinationSession.site))))


def open_appointments(resident_ids) -> dict[int, list[Appointment]]:
    """The bookings not yet closed of these people, by resident id, nearest session first (one
    left to the commune last): what the walk shows beside each person."""
    found: dict[int, list[Appointment]] = {}
    rows = db.session.scalars(
        select(Appointment)
        .where(Appointment.resident_id.in_(resident_ids),
               Appointment.state == AppointmentState.BOOKED)
        .order_by(Appointment.id)
        .options(selectinload(Appointment.session).selectinload(VaccinationSession.site)))
    for appointment in rows:
        found.setdefault(appointment.resident_id, []).append(appointment)
    for appointments in found.values():
        appointments.sort(key=lambda a: (a.session is None, a.session.day if a.session else 0))
    return found


def latest_appointment_ids(campaign: Campaign):
    """Each person's newest appointment in the campaign that was not cancelled, as a subquery."""
    return (select(func.max(Appointment.id))
            .where(Appointment.campaign_id == campaign.id,
                   Appointment.state != AppointmentState.CANCELLED)
            .group_by(Appointment.resident_id))


def missed_after(campaign: Campaign, visit_ids) -> dict[int, Appointment]:
    """Of the people whose visits these are (a subquery of the visits that count), those whose
    newest appointment in the campaign came after the visit and was missed: by resident id.

    A willing person who did not come is to be visited again, unless a newer visit or booking
    has said something since.
    """
    from portal.visits.models import Visit

    rows = db.session.scalars(
        select(Appointment)
        .join(Visit, (Visit.resident_id == Appointment.resident_id)
              & (Visit.campaign_id == Appointment.campaign_id))
        .where(Visit.id.in_(visit_ids), Appointment.id.in_(latest_appointment_ids(campaign)),
               Appointment.state == AppointmentState.MISSED,
               Appointment.closed_at > Visit.visited_at)
        .options(selectinload(Appointment.session).selectinload(VaccinationSession.site)))
    return {appointment.resident_id: appointment for appointment in rows}


@dataclass(frozen=True)
class BookingOffer:
    """A campaign the person may be booked in now, and its sessions with room for them."""

    campaign: Campaign
    sessions: list[SessionRoom]
    earliest: date | None  # the first day their interval allows, when it holds them back


def booking_offers(resident: Resident, screening, appointments: list[Appointment],
                   today: date) -> list[BookingOffer]:
    """For each campaign where the person stands willing (their card's `screening`) and holds
    no open booking: the sessions of their commune with room, from the first day the campaign's
    interval allows, nearest first."""
    booked = {a.campaign_id for a in appointments if a.state is AppointmentState.BOOKED}
    offers = []
    for standing in screening:
        campaign = standing.campaign
        if standing.standing is not Standing.WILLING or campaign.id in booked:
            continue
        earliest = earliest_day(resident, campaign)
        offers.append(BookingOffer(
            campaign, sessions_with_room(campaign, resident.hamlet.parent, today, earliest),
            earliest if earliest and earliest > today else None))
    return offers
