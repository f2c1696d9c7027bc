"""Adding a resident the register missed, with a warning on a likely duplicate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal.audit.log import record
from portal.extensions import db
from portal.residents.models import Household, RecordSource, Resident, ResidentStatus, Sex
from portal.residents.search import index_resident
from portal.text import fold, normalise_name
from portal.units.models import AdministrativeUnit


@dataclass(frozen=True)
class NewResident:
    """What the screener typed about a person not on the register."""

    full_name: str
    sex: Sex
    birth_date: date | None
    birth_year: int
    id_number: str | None
    phone: str | None
    household_id: int | None
    new_household_address: str | None
    chronic_condition: bool = False
    immunocompromised: bool = False
    pregnant: bool = False
    # A child's parent or guardian, when not the household's.
    guardian_name: str | None = None
    guardian_phone: str | None = None


def same_id_number(id_number: str | None) -> Resident | None:
    """The resident who already has this ID number (anywhere: it is unique nationally)."""
    if not id_number:
        return None
    return db.session.scalar(select(Resident).where(Resident.id_number == id_number))


def likely_duplicates(hamlet: AdministrativeUnit, entry: NewResident) -> list[Resident]:
    """Residents of the hamlet with the same folded name and a birth year within one year."""
    return list(db.session.scalars(
        select(Resident).where(
            Resident.hamlet_id == hamlet.id,
            Resident.name_folded == fold(entry.full_name),
            Resident.birth_year.between(entry.birth_year - 1, entry.birth_year + 1),
        ).limit(5)
    ))


def household_in_hamlet(hamlet: AdministrativeUnit, household_id: int | None) -> Household | None:
    """The chosen household, only if it belongs to this hamlet."""
    if household_id is None:
        return None
    return db.session.scalar(
        select(Household).where(Household.id == household_id, Household.hamlet_id == hamlet.id)
    )


def household_by_code(hamlet: AdministrativeUnit, code: str) -> Household | None:
    """The hamlet's household of this code (HGĐ-0003), if there is one."""
    return db.session.scalar(select(Household).where(Household.hamlet_id == hamlet.id,
                                                     Household.code == code.strip()))


def next_household_code(hamlet: AdministrativeUnit) -> str:
    codes = db.session.scalars(select(Household.code).where(Household.hamlet_id == hamlet.id))
    numbers = [int(c.rsplit("-", 1)[-1]) for c in codes if c.rsplit("-", 1)[-1].isdigit()]
    return f"HGĐ-{(max(numbers, default=0) + 1):04d}"


def add_resident(hamlet: AdministrativeUnit, entry: NewResident, *, user) -> Resident:
    """Add the resident (and their new household, if any) to the hamlet; the caller commits."""
    household = household_in_hamlet(hamlet, entry.household_id)
    if household is None and entry.new_household_address:
        household = Household(hamlet_id=hamlet.id, code=next_household_code(hamlet),
                              address=entry.new_household_address,
                              head_name=normalise_name(entry.full_name))
        db.session.add(household)
        db.session.flush()
    name = normalise_name(entry.full_name)
    resident = Resident(
        hamlet_id=hamlet.id, household_id=household.id if household else None,
        full_name=name, name_folded=fold(name), birth_date=entry.birth_date,
        birth_year=entry.birth_year, sex=entry.sex, id_number=entry.id_number,
        phone=entry.phone, guardian_name=normalise_name(entry.guardian_name or "") or None,
        guardian_phone=entry.guardian_phone,
        chronic_condition=entry.chronic_condition,
        immunocompromised=entry.immunocompromised, pregnant=entry.pregnant,
        status=ResidentStatus.PRESENT, source=RecordSource.SCREENING,
    )
    db.session.add(resident)
    db.session.flush()
    index_resident(resident, hamlet.parent_id)
    record("resident.create", "resident", resident.id, unit_id=hamlet.id, user=user,
           after={"full_name": name, "birth_year": entry.birth_year, "sex": entry.sex.value,
                  "household_id": resident.household_id, "has_id_number": bool(entry.id_number),
                  "has_phone": bool(entry.phone),
                  "has_guardian": bool(resident.guardian_name or resident.guardian_phone)})
    return resident


def households_of(hamlet: AdministrativeUnit) -> list[Household]:
    """The hamlet's households, for choosing one."""
    return list(db.session.scalars(
        select(Household).where(Household.hamlet_id == hamlet.id).order_by(Household.code)
    ))


