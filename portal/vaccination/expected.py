"""A session's list: the people expected, in hamlet order, with what the site's staff need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.campaigns.rules import HIGH_RISK_AGE, next_dose
from portal.extensions import db
from portal.residents.ages import age_of
from portal.residents.models import DoseKind, Resident
from portal.text import natural_key
from portal.vaccination.models import (
    Appointment, AppointmentState, VaccinationSession,
)
from portal.visits.standings import dose_kinds


@dataclass(frozen=True)
class Expected:
    """A person on the session's list, and what it says of them."""

    appointment: Appointment
    resident: Resident
    age: int
    dose_due: DoseKind | None  # the dose to give (the one given, once vaccinated)
    aged_high_risk: bool  # of the age that puts them in a high-risk group

    @property
    def risk_flags(self) -> list[str]:
        """The person's high-risk conditions, by the names Resident gives them."""
        return [name for name in ("chronic_condition", "immunocompromised", "pregnant")
                if getattr(self.resident, name)]


def expected_at(session: VaccinationSession, today: date) -> list[Expected]:
    """Everyone booked at the session (and those already closed there), not the cancelled: by
    hamlet (Khu vực 1, 2, ... 10), household and name."""
    appointments = list(db.session.scalars(
        select(Appointment)
        .where(Appointment.session_id == session.id,
               Appointment.state != AppointmentState.CANCELLED)
        .options(selectinload(Appointment.resident).selectinload(Resident.hamlet),
                 selectinload(Appointment.resident).selectinload(Resident.household),
                 selectinload(Appointment.campaign), selectinload(Appointment.dose))))
    kinds = dose_kinds([a.resident_id for a in appointments])
    people = []
    for appointment in appointments:
        resident = appointment.resident
        due = (appointment.dose.kind if appointment.dose is not None
               else next_dose(kinds.get(resident.id, set()), appointment.campaign))
        age = age_of(resident, today)
        people.append(Expected(appointment, resident, age, due, age >= HIGH_RISK_AGE))
    people.sort(key=lambda e: (natural_key(e.resident.hamlet.name), e.resident.hamlet_id,
                               e.resident.household.code if e.resident.household else "",
                               e.resident.name_folded, e.resident.id))
    return people
