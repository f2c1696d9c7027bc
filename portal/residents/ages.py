"""Ages: a person's age on a day, and the latest birth of those who have turned N by a day,
which conditions on age come to in Python and in SQL alike (year-only births from 1 January)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_

from portal.residents.models import Resident
from portal.timeutil import age_on


def age_of(resident: Resident, day: date) -> int:
    """Whole years on a day; a birth known by its year only counts from 1 January."""
    return age_on(born_on(resident), day)


def born_by(years: int, on: date) -> date:
    """The latest birth date of those who have turned `years` by `on` (a 29 February birthday
    is the 28th in other years): born on or before it, they are that old."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def born_on(resident) -> date:
    """The birth date ages are counted from: 1 January when only the year is known."""
    return resident.birth_date or date(resident.birth_year, 1, 1)


def aged_at_least(years: int, on: date):
    """Residents who have turned `years` by `on` (year-only births count from 1 January)."""
    cutoff = born_by(years, on)
    return or_(
        and_(Resident.birth_date.is_not(None), Resident.birth_date <= cutoff),
        and_(Resident.birth_date.is_(None), Resident.birth_year <= cutoff.year),
    )


def aged_under(years: int, on: date):
    """Residents who have not yet turned `years` by `on`."""
    cutoff = born_by(years, on)
    return or_(
        and_(Resident.birth_date.is_not(None), Resident.birth_date > cutoff),
        and_(Resident.birth_date.is_(None), Resident.birth_year > cutoff.year),
    )
